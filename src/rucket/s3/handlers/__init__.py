"""One module per resource; each exports HANDLERS, merged here into the dispatch table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from rucket.s3.handlers import bucket, bucket_config, cors, lifecycle, listing, object, service, tagging, versioning
from rucket.s3.handlers.acl import HANDLERS as ACL_HANDLERS
from rucket.s3.handlers.attributes import HANDLERS as ATTRIBUTES_HANDLERS
from rucket.s3.handlers.copy import HANDLERS as COPY_HANDLERS
from rucket.s3.handlers.lock import HANDLERS as LOCK_HANDLERS
from rucket.s3.handlers.multipart import HANDLERS as MULTIPART_HANDLERS
from rucket.s3.handlers.policy import HANDLERS as POLICY_HANDLERS
from rucket.s3.handlers.post_object import HANDLERS as POST_OBJECT_HANDLERS
from rucket.s3.ops import Operation
from rucket.s3.request import RequestContext, Response

Handler = Callable[[RequestContext], Awaitable[Response]]

HANDLERS: Mapping[Operation, Handler] = {
    **service.HANDLERS,
    **bucket.HANDLERS,
    **listing.HANDLERS,
    **object.HANDLERS,
    **versioning.HANDLERS,
    **tagging.HANDLERS,
    **cors.HANDLERS,
    **lifecycle.HANDLERS,
    **bucket_config.HANDLERS,
    **ACL_HANDLERS,
    **POLICY_HANDLERS,
    **POST_OBJECT_HANDLERS,
    **LOCK_HANDLERS,
    **MULTIPART_HANDLERS,  # multipart, copy, GetObjectAttributes
    **COPY_HANDLERS,
    **ATTRIBUTES_HANDLERS,
}
