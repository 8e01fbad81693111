"""`rucket migrate`: copy buckets from any S3 server (MinIO, AWS, Ceph, moto, another Rucket) into Rucket.

Both ends are spoken to with boto3, an optional dependency (`pip install 'rucket[migrate]'`):
a migration tool meets every server's quirks (MinIO's and Ceph's listings, AWS redirects and
regions, retries, checksums), which boto3 already handles; a second hand-written S3 client
here would be one more thing to get wrong. The server itself never imports this package.
"""

from __future__ import annotations

from rucket.migrate.report import Report
from rucket.migrate.run import Endpoint, MigrateError, Migration

__all__ = ["Endpoint", "MigrateError", "Migration", "Report"]
