"""Bucket versioning: GetBucketVersioning, PutBucketVersioning, ListObjectVersions."""

from __future__ import annotations

from rucket.core.model import VERSIONING_EXCLUSIONS, Owner
from rucket.engine.versioning import VersionPage, VersionQuery
from rucket.s3 import xml
from rucket.s3.errors import InvalidArgument, S3NotImplemented
from rucket.s3.ops import Operation
from rucket.s3.request import RequestContext, Response, int_param

MAX_KEYS = 1000


async def get_bucket_versioning(ctx: RequestContext) -> Response:
    bucket = ctx.engine.buckets.get(ctx.bucket)
    return Response.xml(xml.render_versioning(bucket.versioning, bucket.config.get(VERSIONING_EXCLUSIONS)))


async def put_bucket_versioning(ctx: RequestContext) -> Response:
    request = xml.parse_versioning(await ctx.body(limit=64 * 1024))
    ctx.target_bucket()
    if request.mfa_delete == "Enabled":
        raise S3NotImplemented("MFA delete is not supported", resource=ctx.resource)
    if request.status is not None:  # an empty configuration is accepted and changes nothing
        await ctx.engine.versioning.set_status(ctx.bucket, request.status, request.exclusions)
    return Response.empty(200)


def _encoding(ctx: RequestContext) -> bool:
    enc = ctx.query.get("encoding-type")
    if enc is not None and enc.lower() != "url":
        raise InvalidArgument("Invalid Encoding Method specified in Request",
                              ArgumentName="encoding-type", ArgumentValue=enc)
    return enc is not None


def _owners(ctx: RequestContext, page: VersionPage) -> dict[str, Owner]:
    """Delete markers carry no writer yet: they are shown as the bucket owner's."""
    owners = {v.owner: ctx.owner_of(v.owner) for v in page.versions if v.owner}
    if any(not v.owner for v in page.versions):
        owners[""] = ctx.owner_of(ctx.target_bucket().owner)
    return owners


async def list_object_versions(ctx: RequestContext) -> Response:
    q = ctx.query
    key_marker, vid_marker = q.get("key-marker", ""), q.get("version-id-marker", "")
    if vid_marker and not key_marker:
        raise InvalidArgument("A version-id marker cannot be specified without a key marker.",
                              ArgumentName="version-id-marker", ArgumentValue=vid_marker)
    params = xml.VersionListParams(ctx.bucket, q.get("prefix", ""), q.get("delimiter", ""), key_marker, vid_marker,
                                   int_param(q, "max-keys", MAX_KEYS), _encoding(ctx))
    page = ctx.engine.versioning.list_versions(VersionQuery(
        ctx.bucket, params.prefix, params.delimiter, key_marker, vid_marker, min(params.max_keys, MAX_KEYS)))
    return Response.xml(xml.render_list_versions(params, page, _owners(ctx, page)))


HANDLERS = {
    Operation.GET_BUCKET_VERSIONING: get_bucket_versioning,
    Operation.PUT_BUCKET_VERSIONING: put_bucket_versioning,
    Operation.LIST_OBJECT_VERSIONS: list_object_versions,
}
