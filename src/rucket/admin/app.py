"""The admin ASGI app: read the (bounded) body, verify the SigV4 signature, allow the root
user only, dispatch through the route table, answer JSON.

The signature check is injected by the composition root (`server.py`), which builds it from
the S3 authentication code: admin and s3 are peers and never import each other.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rucket.admin import handlers, views  # noqa: F401 - register the IAM and view routes
from rucket.admin.routes import AdminError, match
from rucket.core.errors import DomainError
from rucket.engine import Engine
from rucket.engine.iam import Iam, IamConflict, IamInvalid, IamNotFound

log = logging.getLogger("rucket.admin")
MAX_BODY = 256 * 1024
PREFIX = "/admin/"


@dataclass(frozen=True)
class AdminRequest:
    method: str
    path: str
    raw_path: str
    raw_query: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise AdminError(400, "InvalidJSON", "the request body is not JSON") from exc


Verifier = Callable[[AdminRequest], str]  # returns the verified access key, raises on a bad signature


@dataclass
class Services:
    engine: Engine
    iam: Iam
    validate_policy: Callable[[str], None]  # raises ValueError with the reason
    info: dict[str, Any] = field(default_factory=dict)  # version, start time, config without secrets (views.py)
    lifecycle_status: Callable[[], dict[str, Any]] | None = None  # the worker's last pass (status.py)
    disk: Callable[[], dict[str, int]] | None = None  # free/total/reserve bytes of the data dir (blobs/space.py)


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
    body = bytearray()
    while True:
        msg = await receive()
        body += msg.get("body", b"")
        if len(body) > MAX_BODY:
            raise AdminError(413, "EntityTooLarge", "admin request bodies are limited to 256 KiB")
        if not msg.get("more_body", False):
            break
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        k = name.decode("latin-1").lower()
        headers[k] = f"{headers[k]},{value.decode('latin-1')}" if k in headers else value.decode("latin-1")
    raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    return AdminRequest(scope["method"], scope["path"], raw_path, scope.get("query_string", b"").decode("latin-1"),
                        headers, bytes(body))
