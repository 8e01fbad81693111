"""Multipart uploads: Create, UploadPart, Complete, Abort, ListParts, ListMultipartUploads."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from rucket.core import checksums
from rucket.core.multipart import MAX_PARTS, Upload
from rucket.engine.multipart import CompleteSpec, UploadsQuery
from rucket.engine.sealed import extra_of
from rucket.s3 import headers as hdr
from rucket.s3 import xml
from rucket.s3.errors import InvalidArgument, InvalidRequest
from rucket.s3.handlers import encryption as sse
from rucket.s3.handlers.acl import new_object_acl
from rucket.s3.handlers.lock import lock_extra
from rucket.s3.handlers.tagging import tags_from_header
from rucket.s3.ops import Operation
from rucket.s3.request import RequestContext, Response, int_param
from rucket.s3.xml.multipart import UploadsParams

MAX_LIST = 1000
COMPLETE_BODY_LIMIT = 8 << 20  # 10 000 parts with a SHA-256 each is about 2 MiB of XML


def part_number(ctx: RequestContext) -> int:
    raw = ctx.query.get("partNumber", "")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PARTS:
        raise InvalidArgument(f"Part number must be an integer between 1 and {MAX_PARTS}, inclusive",
                              ArgumentName="partNumber", ArgumentValue=raw)
    return int(raw)


def upload_id(ctx: RequestContext) -> str:
    return ctx.query.get("uploadId", "")


def checksum_response_headers(sums: Mapping[str, str], checksum_type: str = "") -> list[tuple[str, str]]:
    out = [(checksums.header_name(alg), value) for alg, value in sums.items()]
    if checksum_type and sums:
        out.append(("x-amz-checksum-type", checksum_type))
    return out


def _checksum_choice(h: Mapping[str, str]) -> tuple[str, str]:
    alg = h.get("x-amz-checksum-algorithm", "").upper()
    if alg and alg not in checksums.ALGORITHMS:
        raise InvalidRequest("Checksum algorithm provided is unsupported.")
    return alg, h.get("x-amz-checksum-type", "").upper()


async def create_multipart_upload(ctx: RequestContext) -> Response:
    h = ctx.headers
    bucket = ctx.target_bucket()
    dk = sse.new_key(ctx, bucket)  # one data key for every part; its envelope rides in the upload's extra
    owner, acl_extra = new_object_acl(ctx, bucket)
    alg, ctype = _checksum_choice(h)
    template = Upload("", "", "", 0, owner, hdr.storage_class(h), hdr.stored_headers(h), hdr.user_meta(h),
                      alg, ctype, tags_from_header(h), {**acl_extra, **lock_extra(ctx, bucket), **extra_of(dk)})
    upload = await ctx.engine.multipart.create(ctx.bucket, ctx.key, template)
    out = []
    if upload.checksum_algorithm:
        out = [("x-amz-checksum-algorithm", upload.checksum_algorithm), ("x-amz-checksum-type", upload.checksum_type)]
    return Response.xml(xml.render_initiate(ctx.bucket, ctx.key, upload.upload_id),
                        headers=out + sse.response_headers(dk, context=True))


async def upload_part(ctx: RequestContext) -> Response:
    h = ctx.headers
    number = part_number(ctx)
    dk = sse.upload_key(ctx, ctx.engine.multipart.get(ctx.bucket, ctx.key, upload_id(ctx)))
    hdr.check_content_md5_syntax(h)
    algorithms = hdr.requested_checksums(h)
    part = await ctx.engine.multipart.upload_part(
        ctx.bucket, ctx.key, upload_id(ctx), number, ctx.body_stream, algorithms,
        lambda w: hdr.verify_written(h, ctx.body_stream.trailers, w, algorithms), dk)
    return Response.empty(200, [("etag", part.etag), *checksum_response_headers(part.checksums),
                                *sse.response_headers(dk)])


def _complete_spec(h: Mapping[str, str]) -> CompleteSpec:
    size = h.get("x-amz-mp-object-size")
    if size is not None and not size.isdigit():
        raise InvalidArgument("x-amz-mp-object-size must be a number", ArgumentName="x-amz-mp-object-size")
    sums = {alg: h[checksums.header_name(alg)] for alg in checksums.ALGORITHMS if checksums.header_name(alg) in h}
    return CompleteSpec(if_match=h.get("if-match"), if_none_match=h.get("if-none-match"), checksums=sums,
                        object_size=int(size) if size is not None else None)


async def complete_multipart_upload(ctx: RequestContext) -> Response:
    spec = _complete_spec(ctx.headers)
    sse.check_complete(ctx, upload_id(ctx))
    refs = xml.parse_complete(await ctx.body(COMPLETE_BODY_LIMIT))
    v = await ctx.engine.multipart.complete(ctx.bucket, ctx.key, upload_id(ctx), refs, spec)
    location = f"/{ctx.bucket}/{quote(ctx.key)}"
    ctype = str(v.extra.get("checksum_type", ""))
    out = [("x-amz-version-id", v.version_id)] if v.version_id != "null" else []
    return Response.xml(xml.render_complete(location, ctx.bucket, ctx.key, v.etag, v.checksums, ctype),
                        headers=out + sse.stored_headers(v, ctx.headers))


async def abort_multipart_upload(ctx: RequestContext) -> Response:
    await ctx.engine.multipart.abort(ctx.bucket, ctx.key, upload_id(ctx))
    return Response.empty(204)


async def list_parts(ctx: RequestContext) -> Response:
    marker = int_param(ctx.query, "part-number-marker", 0)
    max_parts = int_param(ctx.query, "max-parts", MAX_LIST, hi=MAX_LIST)
    upload, parts, truncated = ctx.engine.multipart.list_parts(ctx.bucket, ctx.key, upload_id(ctx), marker,
                                                               max_parts)
    body = xml.render_list_parts(upload, parts, marker, max_parts, truncated, ctx.owner_of(upload.owner))
    return Response.xml(body)


async def list_multipart_uploads(ctx: RequestContext) -> Response:
    q = ctx.query
    enc = q.get("encoding-type")
    if enc is not None and enc.lower() != "url":
        raise InvalidArgument("Invalid Encoding Method specified in Request", ArgumentName="encoding-type",
                              ArgumentValue=enc)
    params = UploadsParams(ctx.bucket, q.get("prefix", ""), q.get("delimiter", ""), q.get("key-marker", ""),
                           q.get("upload-id-marker", ""), int_param(q, "max-uploads", MAX_LIST, hi=MAX_LIST),
                           enc is not None)
    page = ctx.engine.multipart.list_uploads(UploadsQuery(
        params.bucket, params.prefix, params.delimiter, params.key_marker, params.upload_id_marker,
        params.max_uploads))
    return Response.xml(xml.render_list_uploads(params, page.uploads, page.prefixes, page.truncated, ctx.owner_of))


HANDLERS = {
    Operation.CREATE_MULTIPART_UPLOAD: create_multipart_upload,
    Operation.UPLOAD_PART: upload_part,
    Operation.COMPLETE_MULTIPART_UPLOAD: complete_multipart_upload,
    Operation.ABORT_MULTIPART_UPLOAD: abort_multipart_upload,
    Operation.LIST_PARTS: list_parts,
    Operation.LIST_MULTIPART_UPLOADS: list_multipart_uploads,
}
