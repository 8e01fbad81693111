"""The web console, served at `/_rucket/console` (core/paths.py) beside the S3 API on the same port.

It owns no data and grants nothing: every action is an S3 or admin request signed with the
logged-in user's key and passed in-process to the same apps SDKs talk to (`client.py`),
and uploads and downloads are presigned requests the browser sends to the S3 API itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rucket.console.app import ConsoleApp
from rucket.console.client import Asgi, Caller
from rucket.console.context import Services
from rucket.console.session import Sessions
from rucket.core.model import Principal
from rucket.core.paths import CONSOLE as PREFIX
from rucket.core.paths import PREFIX as RESERVED
from rucket.core.paths import under

__all__ = ["PREFIX", "ConsoleApp", "build", "console_redirect", "sandboxed", "wants_console"]

_DOCUMENT_DESTS = frozenset({b"document", b"iframe", b"frame", b"embed", b"object"})
_SANDBOX = (b"content-security-policy", b"sandbox")


def build(s3: Asgi, admin: Asgi, lookup: Callable[[str], Principal | None], master_key: bytes | None,
          region: str, now_ms: Callable[[], int]) -> ConsoleApp:
    return ConsoleApp(Services(Caller(s3, region, now_ms), Caller(admin, region, now_ms), lookup,
                               Sessions(master_key), region, now_ms))


def wants_console(scope: dict[str, Any]) -> bool:
    """Everything under `/_rucket/console`: no bucket can have that path, so there is nothing to tell apart."""
    return under(scope["path"], PREFIX)


def console_redirect(scope: dict[str, Any]) -> str | None:
    """Where to send a visitor who typed the server's address or `/_rucket`: the console's home.

    Only where no S3 request can be meant: `/_rucket` itself, and an unsigned browser page load
    of `/` (an anonymous ListBuckets lists nothing, and SDKs never send Sec-Fetch-Dest or ask
    for text/html)."""
    path: str = scope["path"]
    if scope["method"] not in ("GET", "HEAD"):
        return None
    if path in (RESERVED, RESERVED + "/"):
        return PREFIX + "/"
    if path != "/" or scope.get("query_string") or any(k == b"authorization" for k, _ in scope["headers"]):
        return None
    headers = dict(scope["headers"])
    browser = headers.get(b"sec-fetch-dest") == b"document" or b"text/html" in headers.get(b"accept", b"")
    return PREFIX + "/" if browser else None


def sandboxed(scope: dict[str, Any], send: Any) -> Any:
    """`send`, adding `Content-Security-Policy: sandbox` when a browser opens an S3 response as a
    page (Sec-Fetch-Dest document/iframe/...): an uploaded HTML or SVG file then runs in an
    opaque origin and cannot script the console, which shares this origin."""
    dest = next((v for k, v in scope["headers"] if k == b"sec-fetch-dest"), None)
    if dest not in _DOCUMENT_DESTS:
        return send

    async def wrapped(msg: dict[str, Any]) -> None:
        if msg["type"] == "http.response.start":
            msg = {**msg, "headers": [*msg.get("headers", []), _SANDBOX]}
        await send(msg)

    return wrapped
