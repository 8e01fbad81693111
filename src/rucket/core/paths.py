"""Where Rucket's own HTTP endpoints live beside the S3 API on the same port.

Path-style S3 owns every `/<bucket>/...` path, so an endpoint at `/admin` or `/console` hides
a bucket of that name. Bucket names cannot start with `_` (core/names.py), so nothing under
`PREFIX` can ever be a bucket: the admin API and the web console live there.
"""

from __future__ import annotations

PREFIX = "/_rucket"
ADMIN = f"{PREFIX}/admin"  # JSON admin API, SigV4-signed with the root credentials
CONSOLE = f"{PREFIX}/console"  # web console pages and its static files


def under(path: str, prefix: str) -> bool:
    """`path` is `prefix` itself or below it (`/_rucket/adminx` is not under `/_rucket/admin`)."""
    return path == prefix or path.startswith(prefix + "/")
