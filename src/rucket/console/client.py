"""In-process calls to the S3 and admin apps, signed as the console user.

A console action is the S3 (or admin) request a user's SDK would send, signed with that
user's key and passed straight to the same ASGI app: routing, authentication, policies,
ACLs, validation and error codes are the real ones. Only the network hop is skipped.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from rucket.core.model import Principal
from rucket.s3.auth.client import raw_query, sign_headers

Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
MAX_REPLY = 1 << 20  # the console reads listings, configurations and previews; transfers go direct


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def error(self) -> str:
        """ "Code: message" of an S3 XML or admin JSON error, for showing to the user."""
        if self.headers.get("content-type", "").startswith("application/json"):
            data = json.loads(self.body or b"{}")
            return f"{data.get('error', self.status)}: {data.get('message', '')}"
        try:
            root = ElementTree.fromstring(self.body)
        except Exception:
            return f"HTTP {self.status}"
        return f"{root.findtext('Code') or self.status}: {root.findtext('Message') or ''}".rstrip(": ")

    def code(self) -> str:
        try:
            return ElementTree.fromstring(self.body).findtext("Code") or ""
        except Exception:
            return ""

    def xml(self) -> Element:
        root: Element = ElementTree.fromstring(self.body)
        for el in root.iter():  # drop the S3 namespace so callers can say find("Contents")
            el.tag = el.tag.removeprefix(NS)
        return root

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


def content_md5(body: bytes) -> dict[str, str]:
    """The Content-MD5 header S3 requires on configuration PUTs and DeleteObjects."""
    return {"content-md5": base64.b64encode(hashlib.md5(body).digest()).decode()}


@dataclass(frozen=True)
class Origin:
    """Where the browser's request came from: the in-process call keeps its Host and client address,
    so host-based routing and aws:SourceIp conditions see what they would see from an SDK."""

    host: str
    client: tuple[str, int]
    scheme: str = "http"


class Caller:
    def __init__(self, app: Asgi, region: str, now_ms: Callable[[], int]) -> None:
        self.app, self.region, self.now_ms = app, region, now_ms

    async def __call__(self, cred: Principal, origin: Origin, method: str, path: str,
                       query: Iterable[tuple[str, str]] = (), body: bytes = b"",
                       headers: dict[str, str] | None = None) -> Reply:
        q = raw_query(query)
        signed = sign_headers(cred, method, path, q, origin.host, hashlib.sha256(body).hexdigest(), self.now_ms(),
                              self.region, {**(headers or {}), "content-length": str(len(body))})
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": origin.scheme, "path": unquote(path), "raw_path": path.encode("latin-1"),
                 "query_string": q.encode("latin-1"), "root_path": "", "client": origin.client,
                 "server": None, "extensions": {},
                 "headers": [(k.encode("latin-1"), v.encode("utf-8")) for k, v in signed.items()]}
        reply = Reply(0)
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(msg: dict[str, Any]) -> None:
            if msg["type"] == "http.response.start":
                reply.status = msg["status"]
                reply.headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in msg["headers"]}
            elif msg["type"] == "http.response.body" and len(reply.body) < MAX_REPLY:
                reply.body += msg.get("body", b"")

        await self.app(scope, receive, send)
        return reply
