"""The admin ASGI app: read the (bounded) body, verify the SigV4 signature, allow the root
user only, dispatch through the route table, answer JSON.

The signature check is injected by the composition root (`server.py`), which builds it from
the S3 authentication code: admin and s3 are peers and never import each other.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from rucket.admin.request import AdminError, AdminRequest, Services
from rucket.admin.routes import match
from rucket.core.asgi import BodyTooLarge, Disconnected, header_dict, read_body
from rucket.core.errors import DomainError
from rucket.engine.iam import IamConflict, IamInvalid, IamNotFound

log = logging.getLogger("rucket.admin")
MAX_BODY = 256 * 1024
Verifier = Callable[[AdminRequest], str]  # returns the verified access key, raises on a bad signature


_DOMAIN_STATUS: dict[type[DomainError], tuple[int, str]] = {
    IamNotFound: (404, "NotFound"), IamConflict: (409, "Conflict"), IamInvalid: (400, "InvalidArgument"),
}


class AdminApp:
    def __init__(self, services: Services, verify: Verifier, root_access_key: str) -> None:
        self.services, self.verify, self.root_access_key = services, verify, root_access_key

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            req = await _read(scope, receive)
            status, body = await self._dispatch(req)
        except Disconnected:
            return  # nobody is left to answer
        except AdminError as err:
            status, body = err.status, {"error": err.code, "message": err.message}
        except DomainError as exc:
            status, code = next((v for k, v in _DOMAIN_STATUS.items() if isinstance(exc, k)), (400, "Invalid"))
            status, body = status, {"error": code, "message": str(exc)}
        except Exception:
            log.exception("admin request failed")
            status, body = 500, {"error": "InternalError", "message": "internal error"}
        data = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})

    async def _dispatch(self, req: AdminRequest) -> tuple[int, Any]:
        handler, params = match(req.method, req.path)
        try:
            access_key = self.verify(req)
        except Exception as exc:
            raise AdminError(403, "AccessDenied", getattr(exc, "message", "signature check failed")) from exc
        if access_key != self.root_access_key:
            raise AdminError(403, "AccessDenied", "the admin API is for the root user")
        return await handler(req, params, self.services)


async def _read(scope: dict[str, Any], receive: Any) -> AdminRequest:
    try:
        body = await read_body(receive, MAX_BODY)
    except BodyTooLarge as exc:
        raise AdminError(413, "EntityTooLarge", "admin request bodies are limited to 256 KiB") from exc
    raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    return AdminRequest(scope["method"], scope["path"], raw_path, scope.get("query_string", b"").decode("latin-1"),
                        header_dict(scope["headers"]), body)
