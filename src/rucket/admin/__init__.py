"""The admin HTTP API (JSON, SigV4-signed with the root credentials), beside the S3 API.

`server.py` mounts it under `/_rucket/admin/` (core/paths.py); routes are a table (`routes.ROUTES`) that other
features extend with `@route("POST", "/lifecycle/run")`.
"""

from __future__ import annotations

from rucket.admin import kms, lifecycle  # noqa: F401 - register the /admin/kms and /admin/lifecycle/run routes
from rucket.admin.app import AdminApp, AdminRequest, Services
from rucket.admin.routes import ROUTES, AdminError, route

__all__ = ["ROUTES", "AdminApp", "AdminError", "AdminRequest", "Services", "route"]
