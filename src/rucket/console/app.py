"""The web console's ASGI app: sessions, CSRF, security headers, then a page handler.

Served by `rucket serve` under `/_rucket/console` (core/paths.py) beside the S3 API (see `server.py`). Pages are
server-rendered (Jinja2, autoescaped); `static/console.js` adds uploads with progress, the
metrics charts and confirmations, with plain fetch()/XHR and no build step.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from rucket.console.context import Ctx, Services
from rucket.console.session import COOKIE
from rucket.console.views import ROUTES
from rucket.console.views.format import FILTERS
from rucket.console.web import MAX_BODY, Page, Request, match
from rucket.core.asgi import BodyTooLarge, Disconnected, header_dict, read_body
from rucket.core.paths import CONSOLE as PREFIX

if TYPE_CHECKING:
    from jinja2 import Environment

log = logging.getLogger("rucket.console")
HERE = Path(__file__).parent
STATIC = {p.name: p for p in (HERE / "static").iterdir() if p.is_file()}
SECURITY_HEADERS = [
    ("content-security-policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),  # presigned URLs never leave in a Referer; same-origin POSTs keep Origin
    ("cache-control", "no-store"),
]
SAFE_METHODS = frozenset({"GET", "HEAD"})


class ConsoleApp:
    def __init__(self, services: Services) -> None:
        self.svc = services
        self._templates: Environment | None = None

    @property
    def templates(self) -> Environment:
        """Built on the first page view: importing Jinja2 would add ~50 ms to every server start."""
        if self._templates is None:
            from jinja2 import Environment, FileSystemLoader, select_autoescape

            env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                              trim_blocks=True, lstrip_blocks=True)
            env.filters.update(FILTERS)
            env.globals["console"] = PREFIX  # templates link as {{ console }}/buckets
            self._templates = env
        return self._templates

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            req = await _read(scope, receive)
            page = await self._serve(req)
        except Disconnected:
            return  # nobody is left to answer
        except BodyTooLarge:
            page = Page.text("request body too large", 413)
        except Exception:
            log.exception("console request failed")
            page = Page.text("internal error", 500)
        headers = [*page.headers, ("content-length", str(len(page.body)))]
        if not scope["path"].startswith(f"{PREFIX}/static/"):
            headers += SECURITY_HEADERS
        await send({"type": "http.response.start", "status": page.status,
                    "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else page.body})

    async def _serve(self, req: Request) -> Page:
        if req.path.startswith(f"{PREFIX}/static/"):
            return _static(req.path.removeprefix(f"{PREFIX}/static/"))
        found = match(ROUTES, req.method, req.path.rstrip("/") or "/")
        if isinstance(found, int):
            return Page.text("not found" if found == 404 else "method not allowed", found)
        route, params = found
        ctx = Ctx(req, params, self.svc, self.templates)
        self._sign_in(ctx)
        if route.login and ctx.cred is None:
            return Page.redirect(f"{PREFIX}/login")
        if req.method not in SAFE_METHODS and route.login and not self._request_is_ours(ctx):
            return Page.text("CSRF check failed: reload the page and try again", 403)
        if route.root and not (ctx.cred and ctx.cred.is_root):
            return ctx.render("error.html", 403, message="Only the root user can open this page.")
        return await route.handler(ctx)

    def _sign_in(self, ctx: Ctx) -> None:
        """The session of the cookie, if it is valid and its key still exists with the same secret."""
        cookie = ctx.req.cookies.get(COOKIE)
        session = self.svc.sessions.open(cookie, self.svc.now_ms()) if cookie else None
        cred = self.svc.lookup(session.access_key) if session else None
        if session and cred and self.svc.sessions.same_secret(session, cred.secret):
            ctx.session, ctx.cred = session, cred

    def _request_is_ours(self, ctx: Ctx) -> bool:
        """State changes need the session's CSRF token (form field or header) and, when the browser
        says where the request comes from, our own origin."""
        assert ctx.session is not None
        origin = ctx.req.headers.get("origin")
        if origin and origin.split("://", 1)[-1] != ctx.req.headers.get("host"):
            return False
        token = ctx.req.headers.get("x-csrf-token") or ctx.req.form().get("csrf", "")
        return self.svc.sessions.check_csrf(ctx.session, token)


def _static(name: str) -> Page:
    path = STATIC.get(name)
    if path is None:
        return Page.text("not found", 404)
    ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    textual = ctype.startswith(("text/", "application/javascript"))
    page = Page.text(path.read_bytes(), 200, f"{ctype}; charset=utf-8" if textual else ctype)
    page.headers += [("cache-control", "no-cache"), ("x-content-type-options", "nosniff")]
    return page


async def _read(scope: Mapping[str, Any], receive: Any) -> Request:
    body = await read_body(receive, MAX_BODY)
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    client = scope.get("client") or ("", 0)
    return Request(scope["method"], scope["path"], query, header_dict(scope["headers"]), body,
                   (str(client[0]), int(client[1])), scope.get("scheme", "http"))
