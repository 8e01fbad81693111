"""Service-level operations: ListBuckets."""

from __future__ import annotations

from rucket.core.model import Owner
from rucket.s3 import xml
from rucket.s3.ops import Operation
from rucket.s3.request import RequestContext, Response


async def list_buckets(ctx: RequestContext) -> Response:
    if ctx.user is None:  # an anonymous caller owns nothing, so it sees an empty list
        return Response.xml(xml.render_list_buckets(Owner("", ""), []))
    buckets = ctx.engine.buckets.list(owner=ctx.user.id)
    return Response.xml(xml.render_list_buckets(ctx.user.owner, buckets))


HANDLERS = {Operation.LIST_BUCKETS: list_buckets}
