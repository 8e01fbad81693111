"""Console pages, one module per area; importing them registers their routes."""

from __future__ import annotations

from rucket.console.views import admin, auth, buckets, bulk, object_tools, objects, settings, users

__all__ = ["admin", "auth", "buckets", "bulk", "object_tools", "objects", "settings", "users"]
