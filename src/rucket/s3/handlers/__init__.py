"""One module per resource; each exports HANDLERS, merged here into the dispatch table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from rucket.s3.handlers import bucket, listing, object, service
from rucket.s3.ops import Operation
from rucket.s3.request import RequestContext, Response

Handler = Callable[[RequestContext], Awaitable[Response]]

HANDLERS: Mapping[Operation, Handler] = {
    **service.HANDLERS,
    **bucket.HANDLERS,
    **listing.HANDLERS,
    **object.HANDLERS,
}
