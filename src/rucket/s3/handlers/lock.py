"""Object Lock: Put/GetObjectLockConfiguration, Put/GetObjectRetention, Put/GetObjectLegalHold,
and the helpers other handlers call: the x-amz-object-lock-* headers of a new version
(PutObject, CopyObject, CreateMultipartUpload), the lock headers of GET/HEAD and the
governance bypass of DeleteObject(s). The rules themselves are in engine/lock.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rucket.core.model import NULL_VERSION, Bucket, ObjectVersion
from rucket.engine.lock import MODES, LockRequest, validate_default
from rucket.s3.errors import (
    InvalidArgument,
    NoSuchObjectLockConfiguration,
    ObjectLockConfigurationNotFoundError,
)
from rucket.s3.ops import Operation, Target
from rucket.s3.policy import authorize_object
from rucket.s3.request import RequestContext, Response
from rucket.s3.xml import lock as xml
from rucket.s3.xml.base import iso8601_ms

XML_LIMIT = 64 * 1024
BYPASS_HEADER = "x-amz-bypass-governance-retention"
_LOCK_HEADERS = ("x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold")


# ---- helpers for the object handlers ---------------------------------------------------
def lock_request(h: Mapping[str, str]) -> LockRequest:
    """The x-amz-object-lock-* headers, syntax-checked (the engine applies the rules)."""
    mode, date, hold = (h.get(name) for name in _LOCK_HEADERS)
    if mode is not None and mode not in MODES:
        raise InvalidArgument("Unknown wormMode directive.", ArgumentName="x-amz-object-lock-mode",
                              ArgumentValue=mode)
    until = xml.parse_iso8601_ms(date) if date is not None else None
    if date is not None and until is None:
        raise InvalidArgument("The retain until date is not a valid ISO 8601 date",
                              ArgumentName="x-amz-object-lock-retain-until-date", ArgumentValue=date)
    if hold is not None and hold not in ("ON", "OFF"):
        raise InvalidArgument("Legal Hold must be either of 'ON' or 'OFF'",
                              ArgumentName="x-amz-object-lock-legal-hold", ArgumentValue=hold)
    return LockRequest(mode or "", until, None if hold is None else hold == "ON")


def lock_extra(ctx: RequestContext, bucket: Bucket) -> dict[str, Any]:
    """`extra` for a new version: its lock from the headers or the bucket's default retention.
    Costs nothing for a bucket without Object Lock and no lock header."""
    if not bucket.object_lock and not any(name in ctx.headers for name in _LOCK_HEADERS):
        return {}
    req = lock_request(ctx.headers)
    if req.mode:  # setting a lock with the write needs the lock permissions too, as in AWS
        ctx.authz.require("s3:PutObjectRetention", Target.OBJECT, bucket, ctx.key)
    if req.legal_hold is not None:
        ctx.authz.require("s3:PutObjectLegalHold", Target.OBJECT, bucket, ctx.key)
    return ctx.engine.lock.for_write(bucket, req)


def lock_headers(ctx: RequestContext, v: ObjectVersion) -> list[tuple[str, str]]:
    """x-amz-object-lock-* of a GET/HEAD answer (only for buckets with Object Lock). As AWS does,
    each pair shows only to a caller that may also read it through its own API
    (s3:GetObjectRetention, s3:GetObjectLegalHold): a reader of the bytes learns nothing more."""
    state = ctx.engine.lock.state(v, ctx.known_bucket())
    out = []
    vid = ctx.query.get("versionId")
    if state.mode and authorize_object(ctx, "s3:GetObjectRetention", ctx.key, vid):
        out += [("x-amz-object-lock-mode", state.mode),
                ("x-amz-object-lock-retain-until-date", iso8601_ms(state.until_ms))]
    if state.legal_hold is not None and authorize_object(ctx, "s3:GetObjectLegalHold", ctx.key, vid):
        out.append(("x-amz-object-lock-legal-hold", "ON" if state.legal_hold else "OFF"))
    return out


def bypass_governance(ctx: RequestContext, key: str | None = None, version_id: str | None = None) -> bool:
    """x-amz-bypass-governance-retention: true, AND the caller holds s3:BypassGovernanceRetention."""
    if ctx.headers.get(BYPASS_HEADER, "").strip().lower() != "true":
        return False
    bucket = ctx.known_bucket()
    vid = version_id if key is not None else ctx.query.get("versionId")
    return bool(ctx.authz.check("s3:BypassGovernanceRetention", Target.OBJECT, bucket, key or ctx.key, vid))


# ---- handlers ------------------------------------------------------------------------------
def _target(ctx: RequestContext) -> ObjectVersion:
    vid = ctx.query.get("versionId")
    if vid == "":
        raise InvalidArgument("Version id cannot be the empty string", ArgumentName="versionId")
    return ctx.engine.lock.target(ctx.bucket, ctx.key, vid)


def _version_header(v: ObjectVersion) -> list[tuple[str, str]]:
    return [] if v.version_id == NULL_VERSION else [("x-amz-version-id", v.version_id)]


async def put_object_lock_configuration(ctx: RequestContext) -> Response:
    rule = xml.parse_lock_configuration(await ctx.body(limit=XML_LIMIT))
    await ctx.engine.lock.configure(ctx.bucket, validate_default(*rule) if rule else None)
    return Response.empty(200)


async def get_object_lock_configuration(ctx: RequestContext) -> Response:
    enabled, default = ctx.engine.lock.configuration(ctx.bucket)
    if not enabled:
        raise ObjectLockConfigurationNotFoundError(resource=ctx.resource, BucketName=ctx.bucket)
    rule = (default.mode, default.days, default.years) if default else None
    return Response.xml(xml.render_lock_configuration(rule))


async def put_object_retention(ctx: RequestContext) -> Response:
    mode, until = xml.parse_retention(await ctx.body(limit=XML_LIMIT), MODES)
    v = _target(ctx)
    await ctx.engine.lock.put_retention(v, mode, until or 0, bypass_governance(ctx, ctx.key, v.version_id))
    return Response.empty(200, _version_header(v))


async def get_object_retention(ctx: RequestContext) -> Response:
    v = _target(ctx)
    state = ctx.engine.lock.state(v)
    if not state.mode:
        raise NoSuchObjectLockConfiguration(resource=ctx.resource)
    return Response.xml(xml.render_retention(state.mode, state.until_ms), headers=_version_header(v))


async def put_object_legal_hold(ctx: RequestContext) -> Response:
    on = xml.parse_legal_hold(await ctx.body(limit=XML_LIMIT))
    v = _target(ctx)
    await ctx.engine.lock.put_legal_hold(v, on)
    return Response.empty(200, _version_header(v))


async def get_object_legal_hold(ctx: RequestContext) -> Response:
    v = _target(ctx)
    state = ctx.engine.lock.state(v)
    if state.legal_hold is None:
        raise NoSuchObjectLockConfiguration(resource=ctx.resource)
    return Response.xml(xml.render_legal_hold(state.legal_hold), headers=_version_header(v))


HANDLERS = {
    Operation.PUT_OBJECT_LOCK_CONFIG: put_object_lock_configuration,
    Operation.GET_OBJECT_LOCK_CONFIG: get_object_lock_configuration,
    Operation.PUT_OBJECT_RETENTION: put_object_retention,
    Operation.GET_OBJECT_RETENTION: get_object_retention,
    Operation.PUT_OBJECT_LEGAL_HOLD: put_object_legal_hold,
    Operation.GET_OBJECT_LEGAL_HOLD: get_object_legal_hold,
}
