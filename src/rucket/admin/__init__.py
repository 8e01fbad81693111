"""The admin HTTP API (JSON, SigV4-signed with the root credentials), beside the S3 API.

`server.py` mounts it under `/_rucket/admin/` (core/paths.py). Each endpoint module exports a
`ROUTES` table; `routes.py` merges them (a duplicate is an import error).
"""

from __future__ import annotations

from rucket.admin.app import AdminApp
from rucket.admin.request import AdminError, AdminRequest, Services
from rucket.admin.routes import ROUTES

__all__ = ["ROUTES", "AdminApp", "AdminError", "AdminRequest", "Services"]
