"""GET/HEAD `?partNumber=N`: the bytes of one part of a multipart object, with its checksum."""

from __future__ import annotations

from rucket.core import checksums
from rucket.core.model import ObjectVersion
from rucket.core.multipart import MAX_PARTS, PARTS
from rucket.s3.errors import InvalidArgument, InvalidPart, InvalidRequest
from rucket.s3.request import RequestContext

Headers = list[tuple[str, str]]


def select_part(ctx: RequestContext, v: ObjectVersion) -> tuple[int, int, Headers] | None:
    """[start, end) of part N and the headers that describe it; None when the whole object is meant
    (no partNumber, or part 1 of an object written in one piece)."""
    raw = ctx.query.get("partNumber")
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PARTS:
        raise InvalidArgument(f"Part number must be an integer between 1 and {MAX_PARTS}, inclusive",
                              ArgumentName="partNumber", ArgumentValue=raw)
    if "range" in ctx.headers:
        raise InvalidRequest("Cannot specify both Range header and partNumber query parameter")
    number = int(raw)
    if v.blob_id != PARTS:
        if number != 1:
            raise InvalidPart(resource=ctx.resource)
        return None
    span = ctx.engine.objects.part_span(v, number)
    if span is None:
        raise InvalidPart(resource=ctx.resource)
    part, count = span
    out = [("x-amz-mp-parts-count", str(count))]
    if part.size:
        out.append(("content-range", f"bytes {part.offset}-{part.offset + part.size - 1}/{v.size}"))
    if ctx.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED" and part.checksums:
        out += [(checksums.header_name(alg), value) for alg, value in part.checksums.items()]
        out.append(("x-amz-checksum-type", str(v.extra.get("checksum_type", "COMPOSITE"))))
    return part.offset, part.offset + part.size, out
