"""Presigned URLs for the load generators (wrk replays them), from the project's one client-side
SigV4 signer (`rucket.s3.auth.client`, signing keys cached there).

botocore's presigner costs ~300 µs per URL here; ours costs a few tens of µs.
tests/unit/bench/test_bench_presign.py checks it byte for byte against botocore's
S3SigV4QueryAuth, so the servers see exactly what an AWS SDK would send.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from rucket.s3.auth.client import AccessKey, encode, presign, raw_query


@dataclass
class Presigner:
    """Presigned URLs for one endpoint; `access_key=None` gives plain URLs (nginx)."""

    base: str  # http://127.0.0.1:PORT
    access_key: str | None
    secret_key: str | None
    region: str = "us-east-1"
    expires: int = 6 * 3600
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def host(self) -> str:
        return urlsplit(self.base).netloc

    def url(self, method: str, path: str, query: Mapping[str, str] | None = None) -> str:
        return self.base + self.path_qs(method, path, query)

    def path_qs(self, method: str, path: str, query: Mapping[str, str] | None = None) -> str:
        """Path and query string only (what wrk needs): `/bucket/key?X-Amz-...`."""
        raw_path, params = encode(path, "/"), sorted((query or {}).items())
        if self.access_key is None or self.secret_key is None:
            return raw_path + (f"?{raw_query(params)}" if params else "")
        now_ms = int(self.clock().timestamp() * 1000)
        return presign(AccessKey(self.access_key, self.secret_key), method, raw_path, params, self.host, now_ms,
                       self.region, self.expires)
