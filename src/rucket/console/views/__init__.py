"""Console pages, one module per area; each exports `ROUTES`, merged here and nowhere else
(a (method, path) declared twice is an import error)."""

from __future__ import annotations

from rucket.console.views import admin, auth, buckets, bulk, identity, object_tools, objects, settings, users
from rucket.console.web import Route
from rucket.core.paths import CONSOLE, Compiled, merge

ROUTES: tuple[Compiled[Route], ...] = merge(CONSOLE, auth.ROUTES, buckets.ROUTES, objects.ROUTES, object_tools.ROUTES,
                                            bulk.ROUTES, settings.ROUTES, users.ROUTES, identity.ROUTES,
                                            admin.ROUTES)

__all__ = ["ROUTES"]
