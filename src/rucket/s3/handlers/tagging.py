"""Tags: Get/Put/DeleteObjectTagging (any version), Get/Put/DeleteBucketTagging, and the
`x-amz-tagging` request header that CopyObject and CreateMultipartUpload take too."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

from rucket.core.model import NULL_VERSION, ObjectVersion
from rucket.engine.bucket_config import TAGGING
from rucket.engine.tagging import validate_tags
from rucket.s3 import xml
from rucket.s3.errors import InvalidArgument, MethodNotAllowed, NoSuchKey, NoSuchTagSet
from rucket.s3.ops import Operation
from rucket.s3.request import RequestContext, Response

XML_LIMIT = 64 * 1024


def tags_from_header(headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """`x-amz-tagging: k1=v1&k2=v2` (URL query encoding), validated against the object limits."""
    raw = headers.get("x-amz-tagging")
    if not raw:
        return ()
    return tuple(validate_tags(parse_qsl(raw, keep_blank_values=True)))


def _version(ctx: RequestContext) -> ObjectVersion:
    vid = ctx.query.get("versionId")
    if vid == "":
        raise InvalidArgument("Version id cannot be the empty string", ArgumentName="versionId")
    v = ctx.engine.objects.head(ctx.bucket, ctx.key, vid)
    if v.delete_marker:
        if vid is not None:
            raise MethodNotAllowed(resource=ctx.resource, Method=ctx.method, ResourceType="DeleteMarker")
        raise NoSuchKey(resource=ctx.resource, Key=ctx.key)
    return v


def _version_header(v: ObjectVersion) -> list[tuple[str, str]]:
    return [] if v.version_id == NULL_VERSION else [("x-amz-version-id", v.version_id)]


async def get_object_tagging(ctx: RequestContext) -> Response:
    v = _version(ctx)
    return Response.xml(xml.render_tagging(ctx.engine.tagging.get(v)), headers=_version_header(v))


async def put_object_tagging(ctx: RequestContext) -> Response:
    tags = xml.parse_tagging(await ctx.body(limit=XML_LIMIT))
    v = _version(ctx)
    await ctx.engine.tagging.put(v, tags)
    return Response.empty(200, _version_header(v))


async def delete_object_tagging(ctx: RequestContext) -> Response:
    v = _version(ctx)
    await ctx.engine.tagging.delete(v)
    return Response.empty(204, _version_header(v))


async def get_bucket_tagging(ctx: RequestContext) -> Response:
    tags = ctx.engine.bucket_config.get(ctx.bucket, TAGGING)
    if not tags:
        raise NoSuchTagSet(resource=ctx.resource, BucketName=ctx.bucket)
    return Response.xml(xml.render_tagging([(k, v) for k, v in tags]))


async def put_bucket_tagging(ctx: RequestContext) -> Response:
    tags = xml.parse_tagging(await ctx.body(limit=XML_LIMIT))
    if tags:
        await ctx.engine.bucket_config.put(ctx.bucket, TAGGING, tags)
    else:
        await ctx.engine.bucket_config.delete(ctx.bucket, TAGGING)
    return Response.empty(204)


async def delete_bucket_tagging(ctx: RequestContext) -> Response:
    await ctx.engine.bucket_config.delete(ctx.bucket, TAGGING)
    return Response.empty(204)


HANDLERS = {
    Operation.GET_OBJECT_TAGGING: get_object_tagging,
    Operation.PUT_OBJECT_TAGGING: put_object_tagging,
    Operation.DELETE_OBJECT_TAGGING: delete_object_tagging,
    Operation.GET_BUCKET_TAGGING: get_bucket_tagging,
    Operation.PUT_BUCKET_TAGGING: put_bucket_tagging,
    Operation.DELETE_BUCKET_TAGGING: delete_bucket_tagging,
}
