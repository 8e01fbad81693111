"""Who may scrape `/metrics`: it names every bucket and its size, so not anyone by default.

As MinIO does (`MINIO_PROMETHEUS_AUTH_TYPE`, `mc admin prometheus generate`): a scrape needs
either `Authorization: Bearer <metrics_token>` (what Prometheus' `authorization:` block sends)
or a SigV4 signature of the root user; `metrics_public = true` opens it to everyone.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rucket.s3.errors import AccessDenied

BEARER = "bearer "


@dataclass(frozen=True)
class MetricsAccess:
    public: bool = False
    token: str = ""  # "" = no bearer token accepted (SigV4 of the root user only)


def check(access: MetricsAccess, headers: Mapping[str, str], signed_by_root: Callable[[], bool]) -> None:
    """Raise AccessDenied unless the scrape is allowed. `signed_by_root` verifies a SigV4 signature (it
    raises the signature's own S3 error when one is present and wrong)."""
    if access.public:
        return
    header = headers.get("authorization", "")
    if header[: len(BEARER)].lower() == BEARER:
        if access.token and hmac.compare_digest(header[len(BEARER):].strip().encode(), access.token.encode()):
            return
        raise AccessDenied("Invalid metrics bearer token")
    if not signed_by_root():
        raise AccessDenied("/metrics needs the metrics bearer token or a request signed by the root user")
