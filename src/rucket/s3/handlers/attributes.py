"""GetObjectAttributes: ETag, Checksum, ObjectParts (paged), StorageClass, ObjectSize in one call."""

from __future__ import annotations

from rucket.core.model import NULL_VERSION, ObjectVersion
from rucket.s3.errors import InvalidArgument
from rucket.s3.handlers import encryption as sse
from rucket.s3.handlers.object import _resolve_version
from rucket.s3.ops import Operation
from rucket.s3.request import RequestContext, Response, http_date, int_param
from rucket.s3.xml.multipart import Attributes, render_attributes

KNOWN = frozenset({"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"})
MAX_PARTS = 1000


def checksum_type(v: ObjectVersion) -> str:
    """Multipart versions record theirs; a single PUT's checksum covers the whole object."""
    return str(v.extra.get("checksum_type", "FULL_OBJECT")) if v.checksums else ""


def _wanted(ctx: RequestContext) -> frozenset[str]:
    names = frozenset(n.strip() for n in ctx.headers.get("x-amz-object-attributes", "").split(",") if n.strip())
    if not names or not names <= KNOWN:
        raise InvalidArgument("Invalid attribute name specified.", ArgumentName="x-amz-object-attributes",
                              ArgumentValue=ctx.headers.get("x-amz-object-attributes", ""))
    return names


async def get_object_attributes(ctx: RequestContext) -> Response:
    wanted = _wanted(ctx)
    v = _resolve_version(ctx)
    sse.read_key(ctx, v)  # an SSE-C object's attributes need its key too
    marker = int_param(ctx.headers, "x-amz-part-number-marker", 0)
    max_parts = int_param(ctx.headers, "x-amz-max-parts", MAX_PARTS, hi=MAX_PARTS)
    parts, count = ctx.engine.multipart.object_parts(v, marker, max_parts)
    attrs = Attributes(wanted, v.etag, v.size, v.storage_class, v.checksums, checksum_type(v),
                       parts if count else None, count, marker, max_parts, marker + len(parts) < count)
    out = [("last-modified", http_date(v.mtime_ms))]
    if v.version_id != NULL_VERSION or ctx.target_bucket().versioning:
        out.append(("x-amz-version-id", v.version_id))
    return Response.xml(render_attributes(attrs), headers=out)


HANDLERS = {Operation.GET_OBJECT_ATTRIBUTES: get_object_attributes}
