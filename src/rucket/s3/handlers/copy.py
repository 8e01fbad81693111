"""CopyObject and UploadPartCopy: the source header, its conditions and range, the directives."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qs, unquote

from rucket.core import errors as core
from rucket.core.model import NULL_VERSION, ObjectVersion
from rucket.engine.copy import CopyOptions
from rucket.engine.objects import PutSpec
from rucket.s3 import headers as hdr
from rucket.s3.conditions import check_read_conditions
from rucket.s3.errors import InvalidArgument, InvalidRequest, PreconditionFailed
from rucket.s3.handlers import encryption as sse
from rucket.s3.handlers.acl import new_object_acl
from rucket.s3.handlers.lock import lock_extra
from rucket.s3.handlers.multipart import checksum_response_headers, part_number, upload_id
from rucket.s3.handlers.tagging import tags_from_header
from rucket.s3.ops import Operation
from rucket.s3.policy import authorize_copy_source
from rucket.s3.request import RequestContext, Response
from rucket.s3.xml.multipart import render_copy_result

SOURCE = "x-amz-copy-source"
_RANGE = re.compile(r"bytes=(\d+)-(\d+)")
DIRECTIVES = ("COPY", "REPLACE")


def parse_copy_source(value: str) -> tuple[str, str, str | None]:
    """`[/]bucket/url-encoded-key[?versionId=v]` -> (bucket, key, version id)."""
    path, _, query = value.partition("?")
    bucket, _, key = unquote(path).removeprefix("/").partition("/")
    if not bucket or not key:
        raise InvalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
                              ArgumentName=SOURCE, ArgumentValue=value)
    versions = parse_qs(query, keep_blank_values=True).get("versionId")
    if versions is not None and not versions[0]:
        raise InvalidArgument("Version id cannot be the empty string", ArgumentName=SOURCE, ArgumentValue=value)
    return bucket, key, versions[0] if versions else None


def _source(ctx: RequestContext) -> ObjectVersion:
    """Resolve the source, after checking the caller may read it, and apply x-amz-copy-source-if-*."""
    bucket, key, version_id = parse_copy_source(ctx.headers[SOURCE])
    authorize_copy_source(ctx, bucket, key, version_id)
    src = ctx.engine.copier.source(bucket, key, version_id)
    try:
        check_read_conditions(ctx.headers, src.etag, src.mtime_ms, prefix=SOURCE + "-")
    except core.NotModified as exc:  # copy conditions never answer 304
        raise PreconditionFailed(resource=ctx.resource) from exc
    return src


def _directive(h: Mapping[str, str], name: str) -> str:
    value = h.get(name, "COPY").upper()
    if value not in DIRECTIVES:
        raise InvalidArgument(f"Unknown {name}", ArgumentName=name, ArgumentValue=value)
    return value


def _source_version_header(src: ObjectVersion) -> list[tuple[str, str]]:
    return [("x-amz-copy-source-version-id", src.version_id)] if src.version_id != NULL_VERSION else []


def _check_not_onto_itself(ctx: RequestContext, src: ObjectVersion, metadata: str) -> None:
    h = ctx.headers
    changes = metadata == "REPLACE" or any(n in h for n in ("x-amz-storage-class", "x-amz-website-redirect-location",
                                                            sse.SSE, sse.C_ALGORITHM, sse.KMS_KEY_ID))
    if (src.bucket, src.key) == (ctx.bucket, ctx.key) and src.is_latest and not changes:
        raise InvalidRequest("This copy request is illegal because it is trying to copy an object to itself "
                             "without changing the object's metadata, storage class, website redirect location "
                             "or encryption attributes.")


async def copy_object(ctx: RequestContext) -> Response:
    h = ctx.headers
    metadata, tagging = _directive(h, "x-amz-metadata-directive"), _directive(h, "x-amz-tagging-directive")
    src = _source(ctx)
    _check_not_onto_itself(ctx, src, metadata)
    bucket = ctx.target_bucket()
    src_dk, dest_dk = sse.copy_keys(ctx, bucket, src)
    owner, acl_extra = new_object_acl(ctx, bucket)
    replace = metadata == "REPLACE"
    spec = PutSpec(owner=owner, extra={**acl_extra, **lock_extra(ctx, bucket)}, storage_class=hdr.storage_class(h),
                   headers=hdr.stored_headers(h) if replace else dict(src.headers),
                   user_meta=hdr.user_meta(h) if replace else dict(src.user_meta),
                   tags=tags_from_header(h) if tagging == "REPLACE" else (),
                   if_match=h.get("if-match"), if_none_match=h.get("if-none-match"))
    opts = CopyOptions(copy_tags=tagging == "COPY", checksum_algorithm=h.get("x-amz-checksum-algorithm", "").upper())
    spec.sse = dest_dk
    v = await ctx.engine.copier.copy_object(src, ctx.bucket, ctx.key, spec, opts, src_dk)
    out = _source_version_header(src) + sse.response_headers(dest_dk, context=True)
    if v.version_id != NULL_VERSION:
        out.append(("x-amz-version-id", v.version_id))
    body = render_copy_result("CopyObjectResult", v.etag, v.mtime_ms, v.checksums,
                              str(v.extra.get("checksum_type", "")))
    return Response.xml(body, headers=out)


def copy_range(header: str | None, size: int) -> tuple[int, int]:
    """x-amz-copy-source-range: exactly `bytes=first-last`, inside the source; absent = whole source."""
    if header is None:
        return 0, size
    m = _RANGE.fullmatch(header.strip())
    if m is None or int(m.group(2)) < int(m.group(1)):
        raise InvalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last "
                              "where first and last are the zero-based offsets of the first and last bytes to copy",
                              ArgumentName="x-amz-copy-source-range", ArgumentValue=header)
    first, last = int(m.group(1)), int(m.group(2))
    if last >= size:
        raise core.InvalidRange(header)
    return first, last + 1


async def upload_part_copy(ctx: RequestContext) -> Response:
    number = part_number(ctx)
    upload = ctx.engine.multipart.get(ctx.bucket, ctx.key, upload_id(ctx))
    src = _source(ctx)
    src_dk, dk = sse.source_key(ctx, src), sse.upload_key(ctx, upload)
    start, end = copy_range(ctx.headers.get("x-amz-copy-source-range"), src.size)
    part = await ctx.engine.copier.copy_part(src, start, end, ctx.bucket, ctx.key, upload_id(ctx), number, src_dk, dk)
    body = render_copy_result("CopyPartResult", part.etag, part.mtime_ms, part.checksums)
    return Response.xml(body, headers=[*_source_version_header(src), *checksum_response_headers(part.checksums),
                                       *sse.response_headers(dk)])


HANDLERS = {
    Operation.COPY_OBJECT: copy_object,
    Operation.UPLOAD_PART_COPY: upload_part_copy,
}
