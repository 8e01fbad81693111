"""The smaller bucket sub-resources, as a table.

Stored ones (PublicAccessBlock, OwnershipControls, default Encryption) share one get/put/
delete shape and differ only in their document and "not configured" error. RequestPayment
and Notification accept only what this store actually does (the owner pays; no targets).
Website, Logging, Accelerate and the analytics/inventory/metrics/intelligent-tiering
configurations answer what AWS answers for a bucket without them, and 501 to any attempt
to configure them: never a stored-but-ignored success.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rucket.engine import bucket_config as bc
from rucket.engine.acl import bucket_acl, private
from rucket.s3 import xml
from rucket.s3.errors import (
    InvalidBucketAclWithObjectOwnership,
    NoSuchConfiguration,
    NoSuchPublicAccessBlockConfiguration,
    NoSuchWebsiteConfiguration,
    OwnershipControlsNotFoundError,
    S3Error,
    S3NotImplemented,
    ServerSideEncryptionConfigurationNotFoundError,
)
from rucket.s3.handlers.acl import same_acl
from rucket.s3.ops import Operation
from rucket.s3.request import RequestContext, Response

Handler = Callable[[RequestContext], Awaitable[Response]]
XML_LIMIT = 64 * 1024
SSE_SUPPORTED = ("AES256", "aws:kms")  # SSE-KMS with the built-in KMS (engine/kms.py)
ENFORCED_OWNERSHIP = "BucketOwnerEnforced"


@dataclass(frozen=True)
class Stored:
    """A sub-resource kept in `bucket.config[name]`."""

    name: str
    missing: type[S3Error]
    parse: Callable[[bytes], Any]
    render: Callable[[Any], bytes]


def _check_encryption(conf: dict[str, Any]) -> dict[str, Any]:
    if conf["algorithm"] not in SSE_SUPPORTED:
        raise S3NotImplemented(f"Default encryption with {conf['algorithm']} is not supported (AES256, aws:kms)")
    return conf


PUBLIC_ACCESS_BLOCK = Stored(bc.PUBLIC_ACCESS_BLOCK, NoSuchPublicAccessBlockConfiguration,
                             xml.parse_public_access_block, xml.render_public_access_block)
OWNERSHIP = Stored(bc.OWNERSHIP, OwnershipControlsNotFoundError, xml.parse_ownership, xml.render_ownership)
ENCRYPTION = Stored(bc.ENCRYPTION, ServerSideEncryptionConfigurationNotFoundError,
                    lambda body: _check_encryption(xml.parse_encryption(body)), xml.render_encryption)


def _get(sr: Stored) -> Handler:
    async def handler(ctx: RequestContext) -> Response:
        value = ctx.engine.bucket_config.get(ctx.bucket, sr.name)
        if value is None:
            raise sr.missing(resource=ctx.resource, BucketName=ctx.bucket)
        return Response.xml(sr.render(value))
    return handler


def _put(sr: Stored) -> Handler:
    async def handler(ctx: RequestContext) -> Response:
        value = sr.parse(await ctx.body(limit=XML_LIMIT))
        await ctx.engine.bucket_config.put(ctx.bucket, sr.name, value)
        return Response.empty(200)
    return handler


def _delete(sr: Stored) -> Handler:
    async def handler(ctx: RequestContext) -> Response:
        await ctx.engine.bucket_config.delete(ctx.bucket, sr.name)
        return Response.empty(204)
    return handler


def _refuse(feature: str) -> Handler:
    """PUT of a feature this store does not have: 501 (after NoSuchBucket, which comes first)."""
    async def handler(ctx: RequestContext) -> Response:
        ctx.target_bucket()
        raise S3NotImplemented(f"{feature} is not supported", resource=ctx.resource)
    return handler


def _answer(render: Callable[[RequestContext], bytes], status: int = 200) -> Handler:
    async def handler(ctx: RequestContext) -> Response:
        ctx.target_bucket()
        body = render(ctx)
        return Response.xml(body, status) if body else Response.empty(status)
    return handler


async def put_bucket_ownership(ctx: RequestContext) -> Response:
    """BucketOwnerEnforced turns ACLs off, so S3 refuses it while the bucket ACL grants anyone else."""
    value = xml.parse_ownership(await ctx.body(limit=XML_LIMIT))
    bucket = ctx.target_bucket()
    if value == ENFORCED_OWNERSHIP and not same_acl(bucket_acl(bucket), private(bucket.owner)):
        raise InvalidBucketAclWithObjectOwnership(resource=ctx.resource)
    await ctx.engine.bucket_config.put(ctx.bucket, bc.OWNERSHIP, value)
    return Response.empty(200)


async def get_bucket_request_payment(ctx: RequestContext) -> Response:
    payer = ctx.engine.bucket_config.get(ctx.bucket, bc.REQUEST_PAYMENT) or "BucketOwner"
    return Response.xml(xml.render_request_payment(payer))


async def put_bucket_request_payment(ctx: RequestContext) -> Response:
    payer = xml.parse_request_payment(await ctx.body(limit=XML_LIMIT))
    if payer != "BucketOwner":
        raise S3NotImplemented("Requester Pays is not supported", resource=ctx.resource)
    await ctx.engine.bucket_config.delete(ctx.bucket, bc.REQUEST_PAYMENT)  # BucketOwner is the default
    return Response.empty(200)


async def put_bucket_notification(ctx: RequestContext) -> Response:
    targets = xml.notification_targets(await ctx.body(limit=XML_LIMIT))
    ctx.target_bucket()
    if targets:
        raise S3NotImplemented(f"Notification targets are not supported ({targets[0]})", resource=ctx.resource)
    return Response.empty(200)  # "no notifications" is what every bucket has


async def put_bucket_logging(ctx: RequestContext) -> Response:
    enabled = xml.parse_logging_enabled(await ctx.body(limit=XML_LIMIT))
    ctx.target_bucket()
    if enabled:
        raise S3NotImplemented("Server access logging is not supported", resource=ctx.resource)
    return Response.empty(200)  # disabling what is never enabled


def _no_website(ctx: RequestContext) -> bytes:
    raise NoSuchWebsiteConfiguration(resource=ctx.resource, BucketName=ctx.bucket)


def _config_list(list_tag: str) -> Callable[[RequestContext], bytes]:
    """GET ?analytics (list) → empty list; GET ?analytics&id=X → NoSuchConfiguration."""
    def render(ctx: RequestContext) -> bytes:
        if "id" in ctx.query:
            raise NoSuchConfiguration(resource=ctx.resource)
        return xml.render_empty_list(list_tag)
    return render


HANDLERS: dict[Operation, Handler] = {
    Operation.GET_PUBLIC_ACCESS_BLOCK: _get(PUBLIC_ACCESS_BLOCK),
    Operation.PUT_PUBLIC_ACCESS_BLOCK: _put(PUBLIC_ACCESS_BLOCK),
    Operation.DELETE_PUBLIC_ACCESS_BLOCK: _delete(PUBLIC_ACCESS_BLOCK),
    Operation.GET_BUCKET_OWNERSHIP: _get(OWNERSHIP),
    Operation.PUT_BUCKET_OWNERSHIP: put_bucket_ownership,
    Operation.DELETE_BUCKET_OWNERSHIP: _delete(OWNERSHIP),
    Operation.GET_BUCKET_ENCRYPTION: _get(ENCRYPTION),
    Operation.PUT_BUCKET_ENCRYPTION: _put(ENCRYPTION),
    Operation.DELETE_BUCKET_ENCRYPTION: _delete(ENCRYPTION),
    Operation.GET_BUCKET_REQUEST_PAYMENT: get_bucket_request_payment,
    Operation.PUT_BUCKET_REQUEST_PAYMENT: put_bucket_request_payment,
    Operation.GET_BUCKET_NOTIFICATION: _answer(lambda ctx: xml.render_empty("NotificationConfiguration")),
    Operation.PUT_BUCKET_NOTIFICATION: put_bucket_notification,
    Operation.GET_BUCKET_WEBSITE: _answer(_no_website),
    Operation.PUT_BUCKET_WEBSITE: _refuse("Static website hosting"),
    Operation.DELETE_BUCKET_WEBSITE: _answer(lambda ctx: b"", 204),
    Operation.GET_BUCKET_LOGGING: _answer(lambda ctx: xml.render_empty("BucketLoggingStatus")),
    Operation.PUT_BUCKET_LOGGING: put_bucket_logging,
    Operation.GET_BUCKET_ACCELERATE: _answer(lambda ctx: xml.render_empty("AccelerateConfiguration")),
    Operation.PUT_BUCKET_ACCELERATE: _refuse("Transfer acceleration"),
    Operation.GET_BUCKET_ANALYTICS: _answer(_config_list("ListBucketAnalyticsConfigurationResult")),
    Operation.GET_BUCKET_INVENTORY: _answer(_config_list("ListBucketInventoryConfigurationsResult")),
    Operation.GET_BUCKET_METRICS: _answer(_config_list("ListMetricsConfigurationsResult")),
    Operation.GET_BUCKET_INTELLIGENT_TIERING: _answer(
        _config_list("ListBucketIntelligentTieringConfigurationsResult")),
}
