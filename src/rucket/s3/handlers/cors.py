"""Bucket CORS: Get/Put/DeleteBucketCors, the OPTIONS preflight, and the headers added to
actual responses (called by `S3App` for every request that carries an Origin)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rucket.engine import Engine
from rucket.engine.bucket_config import CORS
from rucket.engine.cors import find_rule, response_headers, rules_of, split_header_list
from rucket.s3 import xml
from rucket.s3.errors import AccessForbidden, BadRequest, NoSuchCORSConfiguration
from rucket.s3.ops import Operation
from rucket.s3.request import RequestContext, Response
from rucket.s3.router import split_bucket_key

PREFLIGHT = frozenset({Operation.OPTIONS_BUCKET, Operation.OPTIONS_OBJECT})  # unauthenticated by design


async def get_bucket_cors(ctx: RequestContext) -> Response:
    rules = ctx.engine.bucket_config.cors_rules(ctx.bucket)
    if not rules:
        raise NoSuchCORSConfiguration(resource=ctx.resource, BucketName=ctx.bucket)
    return Response.xml(xml.render_cors(rules))


async def put_bucket_cors(ctx: RequestContext) -> Response:
    rules = xml.parse_cors(await ctx.body(limit=64 * 1024))
    await ctx.engine.bucket_config.put(ctx.bucket, CORS, rules)
    return Response.empty(200)


async def delete_bucket_cors(ctx: RequestContext) -> Response:
    await ctx.engine.bucket_config.delete(ctx.bucket, CORS)
    return Response.empty(204)


async def preflight(ctx: RequestContext) -> Response:
    """OPTIONS: 200 with the Access-Control-* headers of the first matching rule, else 403."""
    origin, method = ctx.headers.get("origin"), ctx.headers.get("access-control-request-method")
    if not origin:
        raise BadRequest("Insufficient information. Origin request header needed.", resource=ctx.resource)
    if not method:
        raise BadRequest("Invalid Access-Control-Request-Method: null", resource=ctx.resource)
    rules = ctx.engine.bucket_config.cors_rules(ctx.bucket)
    target = "OBJECT" if ctx.key else "BUCKET"
    if not rules:
        raise AccessForbidden("CORSResponse: CORS is not enabled for this bucket.", resource=ctx.resource,
                              Method=method, ResourceType=target)
    requested = split_header_list(ctx.headers.get("access-control-request-headers", ""))
    match = find_rule(rules, origin, method, requested)
    if match is None:
        raise AccessForbidden("CORSResponse: This CORS request is not allowed. This is usually because the "
                              "evalution of Origin, request method / Access-Control-Request-Method or "
                              "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
                              resource=ctx.resource, Method=method, ResourceType=target)
    return Response.empty(200, response_headers(match, origin, preflight=True, headers=requested))


def actual_headers(engine: Engine, headers: Mapping[str, str], method: str, path: str,
                   domains: Iterable[str]) -> list[tuple[str, str]]:
    """Access-Control-* headers for a non-preflight response (errors included), as S3 adds them
    when the bucket has a rule for the Origin and the method (Access-Control-Request-Method if sent)."""
    origin = headers.get("origin")
    bucket_name = split_bucket_key(headers.get("host", ""), path, domains)[0] if origin else ""
    bucket = engine.buckets.find(bucket_name) if bucket_name else None
    rules = rules_of(bucket.config) if bucket is not None else []
    match = find_rule(rules, origin or "", headers.get("access-control-request-method") or method) if rules else None
    return response_headers(match, origin or "", preflight=False) if match else []


HANDLERS = {
    Operation.GET_BUCKET_CORS: get_bucket_cors,
    Operation.PUT_BUCKET_CORS: put_bucket_cors,
    Operation.DELETE_BUCKET_CORS: delete_bucket_cors,
    Operation.OPTIONS_BUCKET: preflight,
    Operation.OPTIONS_OBJECT: preflight,
}
