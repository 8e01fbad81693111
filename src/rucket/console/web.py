"""The console's own small HTTP vocabulary: a parsed request, a response, the route table.

Each `views` module exports `ROUTES`, a tuple of `Route("GET", "/b/{bucket}", handler)` (templates
relative to `core.paths.CONSOLE`), merged in `views/__init__.py` as admin routes are; a `{name}`
segment captures one path segment (object keys and prefixes
travel in the query string, so they may contain "/").
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

from rucket.core.paths import Compiled, find

if TYPE_CHECKING:
    from rucket.console.context import Ctx

MAX_BODY = 1 << 20  # forms and JSON only: uploads go straight to the S3 API


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    client: tuple[str, int]
    scheme: str

    @property
    def cookies(self) -> dict[str, str]:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.headers.get("cookie", ""))
        except Exception:
            return {}
        return {k: m.value for k, m in jar.items()}

    def form(self) -> dict[str, str]:
        if "application/x-www-form-urlencoded" not in self.headers.get("content-type", ""):
            return {}
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def form_pairs(self) -> list[tuple[str, str]]:
        """Every field in order, repeated names included (checkbox selections)."""
        if "application/x-www-form-urlencoded" not in self.headers.get("content-type", ""):
            return []
        return parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return None


@dataclass
class Page:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def html(cls, text: str, status: int = 200) -> Page:
        return cls(status, text.encode(), [("content-type", "text/html; charset=utf-8")])

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Page:
        return cls(status, json.dumps(data).encode(), [("content-type", "application/json")])

    @classmethod
    def text(cls, text: str | bytes, status: int = 200, ctype: str = "text/plain; charset=utf-8") -> Page:
        return cls(status, text if isinstance(text, bytes) else text.encode(), [("content-type", ctype)])

    @classmethod
    def redirect(cls, location: str) -> Page:
        """303: after a POST the browser GETs the page (post/redirect/get)."""
        return cls(303, b"", [("location", location)])


def url(path: str, **query: str) -> str:
    q = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items() if v)
    return f"{path}?{q}" if q else path


Handler = Callable[["Ctx"], Awaitable[Page]]


@dataclass(frozen=True)
class Route:
    """One page: `template` is relative to `core.paths.CONSOLE`; `{name}` captures a segment."""

    method: str
    template: str
    handler: Handler
    login: bool = True  # needs a session
    root: bool = False  # needs the root user (the admin API refuses others anyway; this hides the page)


def match(table: Iterable[Compiled[Route]], method: str, path: str) -> tuple[Route, Mapping[str, str]] | int:
    """The route and its captured segments, else 405 or 404; HEAD is answered as GET."""
    return find(table, method, path, head_as_get=True)
