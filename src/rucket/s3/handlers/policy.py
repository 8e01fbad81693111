"""Bucket policy: Put/Get/DeleteBucketPolicy and GetBucketPolicyStatus.

The document is validated by the evaluator's own parser before it is stored (so whatever is
stored, the evaluator understands), kept byte for byte as sent (GetBucketPolicy returns it
unchanged) in `bucket.config["policy"]`, and refused when BlockPublicPolicy is on and the
document is public.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rucket.s3.errors import AccessDenied, MalformedPolicy, NoSuchBucketPolicy
from rucket.s3.iam.document import PolicyError, check_bucket_resources, parse
from rucket.s3.iam.evaluate import can_put_policy
from rucket.s3.iam.public import POLICY_KEY, bucket_is_public
from rucket.s3.ops import Operation
from rucket.s3.request import RequestContext, Response
from rucket.s3.xml import acl as xml_acl

MAX_POLICY = 20 * 1024


async def put_bucket_policy(ctx: RequestContext) -> Response:
    bucket = ctx.target_bucket()
    raw = await ctx.body(limit=MAX_POLICY)
    try:
        text = raw.decode("utf-8")
        policy = parse(text)
        check_bucket_resources(policy, ctx.bucket)
    except (UnicodeDecodeError, PolicyError) as exc:
        raise MalformedPolicy(str(exc) or MalformedPolicy.default_message) from exc
    if not can_put_policy(bucket, policy):
        raise AccessDenied()
    await ctx.engine.buckets.update(ctx.bucket, config={POLICY_KEY: text})
    return Response.empty(204)


async def get_bucket_policy(ctx: RequestContext) -> Response:
    text = ctx.target_bucket().config.get(POLICY_KEY)
    if not text:
        raise NoSuchBucketPolicy(BucketName=ctx.bucket)
    return Response(200, [("content-type", "application/json")], text.encode("utf-8"))


async def delete_bucket_policy(ctx: RequestContext) -> Response:
    if ctx.target_bucket().config.get(POLICY_KEY):
        await ctx.engine.buckets.update(ctx.bucket, config={POLICY_KEY: None})
    return Response.empty(204)


async def get_bucket_policy_status(ctx: RequestContext) -> Response:
    return Response.xml(xml_acl.render_policy_status(bucket_is_public(ctx.target_bucket())))


HANDLERS: Mapping[Operation, Any] = {
    Operation.PUT_BUCKET_POLICY: put_bucket_policy,
    Operation.GET_BUCKET_POLICY: get_bucket_policy,
    Operation.DELETE_BUCKET_POLICY: delete_bucket_policy,
    Operation.GET_BUCKET_POLICY_STATUS: get_bucket_policy_status,
}
