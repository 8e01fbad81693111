"""What a console page handler gets: the request, the signed-in user, and helpers that act as
that user (in-process S3/admin calls, presigned URLs) or render a template."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rucket.console.client import Caller, Origin, Reply
from rucket.console.session import Session, Sessions
from rucket.console.web import Page, Request
from rucket.core.model import Principal
from rucket.s3.auth.client import object_path, presign

if TYPE_CHECKING:
    from jinja2 import Environment

PRESIGN_SECONDS = 3600  # long enough for one large part on a slow link


@dataclass
class Services:
    s3: Caller  # the S3 app, called in-process
    admin: Caller  # the admin API, called in-process
    lookup: Callable[[str], Principal | None]  # access key -> credential (None: unknown or disabled)
    sessions: Sessions
    region: str
    now_ms: Callable[[], int]


@dataclass
class Ctx:
    req: Request
    params: Mapping[str, str]
    svc: Services
    templates: Environment
    session: Session | None = None
    cred: Principal | None = None

    @property
    def user(self) -> Principal:
        assert self.cred is not None, "route declared login=True"
        return self.cred

    @property
    def origin(self) -> Origin:
        return Origin(self.req.headers.get("host", "localhost"), self.req.client, self.req.scheme)

    @property
    def csrf(self) -> str:
        return self.svc.sessions.csrf(self.session) if self.session is not None else ""

    async def s3(self, method: str, path: str, query: Iterable[tuple[str, str]] = (), body: bytes = b"",
                 headers: dict[str, str] | None = None) -> Reply:
        return await self.svc.s3(self.user, self.origin, method, path, query, body, headers)

    async def admin(self, method: str, path: str, body: bytes = b"", query: Iterable[tuple[str, str]] = ()) -> Reply:
        return await self.svc.admin(self.user, self.origin, method, path, query, body)

    def presign(self, method: str, bucket: str, key: str = "", params: Iterable[tuple[str, str]] = (),
                expires: int = PRESIGN_SECONDS) -> str:
        return presign(self.user, method, object_path(bucket, key), params, self.origin.host, self.svc.now_ms(),
                       self.svc.region, expires)

    def render(self, template: str, status: int = 200, **values: Any) -> Page:
        html = self.templates.get_template(template).render(
            user=self.cred, csrf=self.csrf, path=self.req.path, **values)
        return Page.html(html, status)
