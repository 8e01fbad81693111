"""Service-level operations: ListBuckets."""

from __future__ import annotations

import base64

from rucket.core.model import Owner
from rucket.s3 import xml
from rucket.s3.handlers.listing import decode_token
from rucket.s3.ops import Operation
from rucket.s3.request import RequestContext, Response, int_param

MAX_BUCKETS = 10_000


async def list_buckets(ctx: RequestContext) -> Response:
    """With max-buckets/continuation-token/prefix (the paginated ListBuckets AWS added in 2024)."""
    if ctx.user is None:  # an anonymous caller owns nothing, so it sees an empty list
        return Response.xml(xml.render_list_buckets(Owner("", ""), []))
    prefix, token = ctx.query.get("prefix", ""), ctx.query.get("continuation-token")
    limit = int_param(ctx.query, "max-buckets", MAX_BUCKETS, lo=1, hi=MAX_BUCKETS)
    after = decode_token(token) if token else ""
    buckets = [b for b in ctx.engine.buckets.list(owner=ctx.user.id) if b.name.startswith(prefix) and b.name > after]
    page, more = buckets[:limit], len(buckets) > limit
    next_token = base64.urlsafe_b64encode(page[-1].name.encode()).decode() if more else None
    return Response.xml(xml.render_list_buckets(ctx.user.owner, page, next_token,
                                                prefix if "prefix" in ctx.query else None))


HANDLERS = {Operation.LIST_BUCKETS: list_buckets}
