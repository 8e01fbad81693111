"""Bucket lifecycle: Get/Put/DeleteBucketLifecycleConfiguration (the worker is engine/lifecycle.py)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from rucket.core.model import ObjectVersion
from rucket.engine.bucket_config import LIFECYCLE
from rucket.s3 import xml
from rucket.s3.errors import NoSuchLifecycleConfiguration
from rucket.s3.ops import Operation
from rucket.s3.request import RequestContext, Response, http_date


async def get_bucket_lifecycle(ctx: RequestContext) -> Response:
    rules = ctx.engine.bucket_config.lifecycle_rules(ctx.bucket)
    if not rules:
        raise NoSuchLifecycleConfiguration(resource=ctx.resource, BucketName=ctx.bucket)
    return Response.xml(xml.render_lifecycle(rules))


async def put_bucket_lifecycle(ctx: RequestContext) -> Response:
    rules = xml.parse_lifecycle(await ctx.body(limit=1024 * 1024))
    await ctx.engine.bucket_config.put(ctx.bucket, LIFECYCLE, rules)
    return Response.empty(200)


async def delete_bucket_lifecycle(ctx: RequestContext) -> Response:
    await ctx.engine.bucket_config.delete(ctx.bucket, LIFECYCLE)
    return Response.empty(204)


def expiration_header(ctx: RequestContext, v: ObjectVersion, tags: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """`x-amz-expiration` for PUT, GET and HEAD of a current version that a rule will expire."""
    found = ctx.engine.bucket_config.expiration(v, tags, ctx.known_bucket()) if v.is_latest else None
    if found is None:
        return []
    when, rule_id = found
    return [("x-amz-expiration", f'expiry-date="{http_date(when)}", rule-id="{quote(rule_id)}"')]


HANDLERS = {
    Operation.GET_BUCKET_LIFECYCLE: get_bucket_lifecycle,
    Operation.PUT_BUCKET_LIFECYCLE: put_bucket_lifecycle,
    Operation.DELETE_BUCKET_LIFECYCLE: delete_bucket_lifecycle,
}
