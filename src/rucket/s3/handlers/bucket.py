"""Bucket operations: CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation, DeleteObjects."""

from __future__ import annotations

import base64
import hashlib

from rucket.core import errors as core
from rucket.engine.objects import DeleteIf
from rucket.s3 import xml
from rucket.s3.errors import (
    AccessDenied,
    InvalidDigest,
    InvalidLocationConstraint,
    S3Error,
    from_domain,
)
from rucket.s3.handlers.acl import bucket_create_config, check_recreate
from rucket.s3.handlers.lock import bypass_governance
from rucket.s3.ops import Operation
from rucket.s3.policy import authorize_object
from rucket.s3.request import RequestContext, Response


async def create_bucket(ctx: RequestContext) -> Response:
    if ctx.user is None:
        raise AccessDenied()
    location = xml.parse_create_bucket(await ctx.body(limit=64 * 1024))
    region = location or ctx.settings.region
    if location is not None and location != ctx.settings.region and not (
            location == "" and ctx.settings.region == "us-east-1"):
        raise InvalidLocationConstraint(LocationConstraint=location)
    lock = ctx.headers.get("x-amz-bucket-object-lock-enabled", "").lower() == "true"
    config = bucket_create_config(ctx, ctx.user.id)  # x-amz-acl, x-amz-grant-*, x-amz-object-ownership
    try:
        await ctx.engine.buckets.create(ctx.bucket, ctx.user.id, region=region, object_lock=lock, config=config)
    except core.BucketAlreadyOwnedByYou:
        check_recreate(ctx, ctx.user.id)  # a different ACL than the existing one: BucketAlreadyExists
        if region != "us-east-1":
            raise
        # AWS's legacy us-east-1 behaviour: re-creating your own bucket succeeds and changes nothing
    return Response.empty(200, [("location", "/" + ctx.bucket)])


async def head_bucket(ctx: RequestContext) -> Response:
    bucket = ctx.target_bucket()
    return Response.empty(200, [("x-amz-bucket-region", bucket.region)])


async def delete_bucket(ctx: RequestContext) -> Response:
    await ctx.engine.buckets.delete(ctx.bucket)
    return Response.empty(204)


async def get_bucket_location(ctx: RequestContext) -> Response:
    return Response.xml(xml.render_location(ctx.target_bucket().region))


def _check_content_md5(ctx: RequestContext, body: bytes) -> None:
    """Content-MD5 is optional (current SDKs send a CRC instead) but verified when present."""
    sent = ctx.headers.get("content-md5")
    if sent is None:
        return
    try:
        ok = base64.b64decode(sent, validate=True) == hashlib.md5(body).digest()
    except ValueError as exc:
        raise InvalidDigest() from exc
    if not ok:
        raise core.BadDigest("Content-MD5")


async def delete_objects(ctx: RequestContext) -> Response:
    body = await ctx.body(limit=2 * 1024 * 1024)
    _check_content_md5(ctx, body)
    request = xml.parse_delete(body)
    ctx.target_bucket()
    outcomes = [await _delete_one(ctx, key, vid, when)
                for (key, vid), when in zip(request.objects, request.when, strict=True)]
    return Response.xml(xml.render_delete_result(outcomes, request.quiet))


async def _delete_one(ctx: RequestContext, key: str, version_id: str | None,
                      when: DeleteIf | None = None) -> xml.DeleteOutcome:
    if not authorize_object(ctx, "s3:DeleteObject", key, version_id):  # one decision per key, as AWS
        return xml.DeleteOutcome(key, version_id, error_code="AccessDenied", error_message="Access Denied")
    try:
        result = await ctx.engine.objects.delete(ctx.bucket, key, version_id, when,
                                                 bypass_governance=bypass_governance(ctx, key, version_id))
    except core.DomainError as exc:
        err = from_domain(exc)
        return xml.DeleteOutcome(key, version_id, error_code=err.code, error_message=err.message)
    except S3Error as err:
        return xml.DeleteOutcome(key, version_id, error_code=err.code, error_message=err.message)
    if version_id is not None:
        return xml.DeleteOutcome(key, version_id, delete_marker=result.delete_marker,
                                 marker_version_id=version_id if result.delete_marker else None)
    return xml.DeleteOutcome(key, None, delete_marker=result.delete_marker,
                             marker_version_id=result.version_id if result.delete_marker else None)




HANDLERS = {
    Operation.CREATE_BUCKET: create_bucket,
    Operation.HEAD_BUCKET: head_bucket,
    Operation.DELETE_BUCKET: delete_bucket,
    Operation.GET_BUCKET_LOCATION: get_bucket_location,
    Operation.DELETE_OBJECTS: delete_objects,
}
