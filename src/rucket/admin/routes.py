"""The admin route table: every endpoint module's `ROUTES`, merged here and nowhere else
(a (method, path) declared twice is an import error, as in `s3/handlers/__init__.py`)."""

from __future__ import annotations

from collections.abc import Sequence

from rucket.admin import cluster, events, handlers, kms, lifecycle, simulate, views
from rucket.admin.request import AdminError, Handler, Route
from rucket.core.paths import ADMIN, Compiled, find, merge

ROUTES: tuple[Compiled[Route], ...] = merge(ADMIN, handlers.ROUTES, kms.ROUTES, lifecycle.ROUTES, views.ROUTES,
                                               events.ROUTES, simulate.ROUTES, cluster.ROUTES)


def match(method: str, path: str, table: Sequence[Compiled[Route]] = ROUTES) -> tuple[Handler, dict[str, str]]:
    found = find(table, method, path)
    if found == 405:
        raise AdminError(405, "MethodNotAllowed", f"{method} is not allowed on {path}")
    if isinstance(found, int):
        raise AdminError(404, "NoSuchRoute", f"no admin endpoint {path}")
    return found[0].handler, found[1]
