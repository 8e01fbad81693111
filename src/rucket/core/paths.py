"""Where Rucket's own HTTP endpoints live beside the S3 API on the same port.

Path-style S3 owns every `/<bucket>/...` path, so an endpoint at `/admin` or `/console` hides
a bucket of that name. Bucket names cannot start with `_` (core/names.py), so nothing under
`PREFIX` can ever be a bucket: the admin API and the web console live there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

PREFIX = "/_rucket"
ADMIN = f"{PREFIX}/admin"  # JSON admin API, SigV4-signed with the root credentials
CONSOLE = f"{PREFIX}/console"  # web console pages and its static files


def under(path: str, prefix: str) -> bool:
    """`path` is `prefix` itself or below it (`/_rucket/adminx` is not under `/_rucket/admin`)."""
    return path == prefix or path.startswith(prefix + "/")


class Declared(Protocol):
    """A route declaration: admin and console each add their own fields (handler, login...)."""

    @property
    def method(self) -> str: ...

    @property
    def template(self) -> str: ...


R = TypeVar("R", bound=Declared)


@dataclass(frozen=True)
class Compiled(Generic[R]):
    route: R
    pattern: re.Pattern[str]


def compile_template(template: str) -> re.Pattern[str]:
    """`/_rucket/admin/users/{name}` → a pattern capturing `name` as one path segment."""
    return re.compile("".join(f"(?P<{seg[1:-1]}>[^/]+)" if seg.startswith("{") else re.escape(seg)
                              for seg in re.split(r"(\{[a-z_]+\})", template)))


def merge(prefix: str, *tables: Iterable[R]) -> tuple[Compiled[R], ...]:
    """One table from the modules' tables, templates anchored under `prefix`. A (method,
    template) declared twice is an error at import: a later module must never silently
    replace an earlier endpoint."""
    seen: set[tuple[str, str]] = set()
    out: list[Compiled[R]] = []
    for table in tables:
        for r in table:
            if (r.method, r.template) in seen:
                raise ValueError(f"route {r.method} {prefix}{r.template} is declared twice")
            seen.add((r.method, r.template))
            out.append(Compiled(r, compile_template(prefix + r.template)))
    return tuple(out)


def find(table: Iterable[Compiled[R]], method: str, path: str, *, head_as_get: bool = False
         ) -> tuple[R, dict[str, str]] | int:
    """The route and its captured segments, else 405 (the path exists) or 404."""
    status = 404
    for c in table:
        if (m := c.pattern.fullmatch(path)) is not None:
            if c.route.method == method or (head_as_get and method == "HEAD" and c.route.method == "GET"):
                return c.route, m.groupdict()
            status = 405
    return status
