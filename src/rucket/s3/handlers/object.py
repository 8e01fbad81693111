"""Object operations: PutObject, GetObject, HeadObject, DeleteObject."""

from __future__ import annotations

from collections.abc import Mapping

from rucket.core import errors as core
from rucket.core.model import ObjectVersion
from rucket.engine.objects import DeleteIf, PutSpec
from rucket.s3 import headers as hdr
from rucket.s3.conditions import check_read_conditions
from rucket.s3.errors import (
    InvalidArgument,
    InvalidRequest,
    MethodNotAllowed,
    NoSuchKey,
    NotModified,
)
from rucket.s3.handlers import encryption as sse
from rucket.s3.handlers.acl import new_object_acl
from rucket.s3.handlers.lifecycle import expiration_header
from rucket.s3.handlers.lock import bypass_governance, lock_extra, lock_headers
from rucket.s3.handlers.part_read import select_part
from rucket.s3.handlers.tagging import tags_from_header
from rucket.s3.ops import Operation
from rucket.s3.request import RequestContext, Response, http_date, parse_http_date, parse_range


async def put_object(ctx: RequestContext) -> Response:
    h = ctx.headers
    hdr.check_content_md5_syntax(h)
    algorithms = hdr.requested_checksums(h)
    bucket = ctx.target_bucket()
    owner, acl_extra = new_object_acl(ctx, bucket)  # x-amz-acl, x-amz-grant-*
    spec = PutSpec(
        owner=owner, extra={**acl_extra, **lock_extra(ctx, bucket)}, headers=hdr.stored_headers(h),
        user_meta=hdr.user_meta(h),
        checksum_algorithms=algorithms, storage_class=hdr.storage_class(h),
        verify=lambda w: hdr.verify_written(h, ctx.body_stream.trailers, w, algorithms),
        if_match=h.get("if-match"), if_none_match=h.get("if-none-match"), tags=tags_from_header(h))
    spec.sse = sse.new_key(ctx, bucket)  # x-amz-server-side-encryption*, SSE-C, or the bucket default
    v = await ctx.engine.objects.put(ctx.bucket, ctx.key, ctx.body_stream, spec, bucket)
    out = [("etag", v.etag), *hdr.checksum_headers(v), *sse.response_headers(spec.sse, context=True)]
    if v.version_id != "null":
        out.append(("x-amz-version-id", v.version_id))
    out += expiration_header(ctx, v, spec.tags)
    return Response.empty(200, out)


def _version_param(ctx: RequestContext) -> str | None:
    vid = ctx.query.get("versionId")
    if vid is not None and vid == "":
        raise InvalidArgument("Version id cannot be the empty string", ArgumentName="versionId")
    return vid


def _resolve_version(ctx: RequestContext) -> ObjectVersion:
    vid = _version_param(ctx)
    read = ctx.authz.version if ctx.authz is not None else None  # the version authorization may have read
    v = ctx.engine.objects.head(ctx.bucket, ctx.key, vid, known=ctx.target_bucket(), read=read)
    if v.delete_marker:
        marker = [("x-amz-delete-marker", "true"), ("x-amz-version-id", v.version_id),
                  ("last-modified", http_date(v.mtime_ms))]
        if vid is not None:
            raise MethodNotAllowed(resource=ctx.resource, headers=dict(marker), Method=ctx.method,
                                   ResourceType="DeleteMarker")
        raise NoSuchKey(resource=ctx.resource, headers=dict(marker), Key=ctx.key)
    return v


def _read_headers(ctx: RequestContext, v: ObjectVersion) -> list[tuple[str, str]]:
    if ctx.user is None and any(k.startswith("response-") for k in ctx.query):
        raise InvalidRequest("Request specific response headers cannot be used for anonymous GET requests.")
    bucket = ctx.target_bucket()
    out = hdr.object_headers(v, bucket.versioning != "") + sse.stored_headers(v, ctx.headers)
    if ctx.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED":
        out += hdr.checksum_headers(v)
    tags = ctx.engine.tagging.get(v)
    if tags:
        out.append(("x-amz-tagging-count", str(len(tags))))
    out += expiration_header(ctx, v, tags)
    if bucket.object_lock:
        out += lock_headers(ctx, v)
    return hdr.apply_overrides(out, ctx.query)


def _span(ctx: RequestContext, v: ObjectVersion, headers: list[tuple[str, str]]) -> tuple[int, int] | None:
    """None: the whole object (200). Else the [start, end) that ?partNumber= or Range selects (206);
    `headers` then lose the whole-object checksums and gain Content-Range (and the part's own)."""
    part = select_part(ctx, v)
    rng = part[:2] if part is not None else parse_range(ctx.headers.get("range"), v.size)
    if rng is None:
        return None
    headers[:] = [(k, val) for k, val in headers if not k.startswith("x-amz-checksum-")]
    headers += part[2] if part is not None else [("content-range", f"bytes {rng[0]}-{rng[1] - 1}/{v.size}")]
    return rng


def _conditions(ctx: RequestContext, v: ObjectVersion) -> None:
    """A 304 still carries the validators, so caches can refresh what they hold."""
    try:
        check_read_conditions(ctx.headers, v.etag, v.mtime_ms)
    except core.NotModified as exc:
        raise NotModified(resource=ctx.resource, headers={"etag": v.etag,
                                                         "last-modified": http_date(v.mtime_ms)}) from exc


async def get_object(ctx: RequestContext) -> Response:
    v = _resolve_version(ctx)
    _conditions(ctx, v)
    headers = _read_headers(ctx, v)
    rng = _span(ctx, v, headers)  # a bad ?partNumber= answers InvalidPart before the key is asked for
    dk = sse.read_key(ctx, v)  # an SSE-C object needs its key again; None: stored in the clear
    if rng is None:
        path = ctx.engine.objects.blob_path(v)
        if path is not None:
            return Response(200, headers, file=path, length=v.size)
        if v.data is not None and dk is None:  # inline bytes already in hand: one send, no stream
            return Response(200, headers, v.data)
        return Response(200, headers, stream=await ctx.engine.objects.open(v, 0, v.size, dk), length=v.size)
    start, end = rng
    if v.data is not None and dk is None:
        return Response(206, headers, v.data[start:end])
    # primed: a blob failing its checksum before the first byte is a 500, not a broken 200 (blobs/integrity.py)
    return Response(206, headers, stream=await ctx.engine.objects.open(v, start, end, dk), length=end - start)


async def head_object(ctx: RequestContext) -> Response:
    v = _resolve_version(ctx)
    _conditions(ctx, v)
    headers = _read_headers(ctx, v)
    rng = _span(ctx, v, headers)
    sse.read_key(ctx, v)
    if rng is None:
        return Response(200, headers, length=v.size)
    return Response(206, headers, length=rng[1] - rng[0])


def _delete_if(h: Mapping[str, str]) -> DeleteIf | None:
    """If-Match, x-amz-if-match-last-modified-time, x-amz-if-match-size (None: unconditional)."""
    mtime, size = h.get("x-amz-if-match-last-modified-time"), h.get("x-amz-if-match-size")
    if mtime is None and size is None and "if-match" not in h:
        return None
    if size is not None and not size.lstrip("-").isdigit():
        raise InvalidArgument("x-amz-if-match-size must be a number", ArgumentName="x-amz-if-match-size")
    when = parse_http_date(mtime) if mtime is not None else None
    if mtime is not None and when is None:
        raise InvalidArgument("Invalid x-amz-if-match-last-modified-time",
                              ArgumentName="x-amz-if-match-last-modified-time")
    return DeleteIf(h.get("if-match"), when, int(size) if size is not None else None)


async def delete_object(ctx: RequestContext) -> Response:
    result = await ctx.engine.objects.delete(ctx.bucket, ctx.key, _version_param(ctx), _delete_if(ctx.headers),
                                             bypass_governance=bypass_governance(ctx))
    out: list[tuple[str, str]] = []
    if result.delete_marker:
        out.append(("x-amz-delete-marker", "true"))
    if result.version_id:
        out.append(("x-amz-version-id", result.version_id))
    return Response.empty(204, out)


HANDLERS = {
    Operation.PUT_OBJECT: put_object,
    Operation.GET_OBJECT: get_object,
    Operation.HEAD_OBJECT: head_object,
    Operation.DELETE_OBJECT: delete_object,
}
