"""The admin route table: (method, path pattern) → handler, filled by `@route` decorators.

A pattern segment `{name}` captures one path segment. Handlers get the request, the
captured parameters and the services, and return (status, JSON-able body).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rucket.core.paths import ADMIN

if TYPE_CHECKING:
    from rucket.admin.app import AdminRequest, Services

Handler = Callable[["AdminRequest", Mapping[str, str], "Services"], Awaitable[tuple[int, Any]]]


class AdminError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    template: str
    handler: Handler


ROUTES: list[Route] = []


def _compile(template: str) -> re.Pattern[str]:
    return re.compile("".join(f"(?P<{seg[1:-1]}>[^/]+)" if seg.startswith("{") else re.escape(seg)
                              for seg in re.split(r"(\{[a-z_]+\})", ADMIN + template)))


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, _compile(template), template, handler))
        return handler
    return register


def match(method: str, path: str) -> tuple[Handler, dict[str, str]]:
    allowed = False
    for r in ROUTES:
        if (m := r.pattern.fullmatch(path)) is not None:
            if r.method == method:
                return r.handler, m.groupdict()
            allowed = True
    if allowed:
        raise AdminError(405, "MethodNotAllowed", f"{method} is not allowed on {path}")
    raise AdminError(404, "NoSuchRoute", f"no admin endpoint {path}")
