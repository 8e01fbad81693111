"""The one client-side SigV4 signer: header-signed requests and presigned URLs.

Used by the web console (in-process calls signed as the logged-in user, presigned transfers),
`rucket admin` (admin API calls signed as root) and the benchmarks (presigned URLs for wrk).
It is built from the verifier's own canonicalisation (sigv4.py), so what we sign is what the
server checks; tests/unit/s3/auth/test_client.py and tests/unit/bench/test_bench_presign.py
also hold it to botocore's bytes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import NamedTuple, Protocol
from urllib.parse import quote

from rucket.s3.auth.base import amz_date
from rucket.s3.auth.sigv4 import ALGORITHM, canonical_query, canonical_request, hmac_hex, signing_key, string_to_sign

UNSIGNED = "UNSIGNED-PAYLOAD"


class Keys(Protocol):
    """Anything holding an access key and its secret (a `core.model.Principal`, an `AccessKey`)."""

    @property
    def access_key(self) -> str: ...

    @property
    def secret(self) -> str: ...


class AccessKey(NamedTuple):
    access_key: str
    secret: str


@functools.lru_cache(maxsize=8192)
def encode(text: str, safe: str = "") -> str:
    """RFC 3986 encoding as SigV4 wants it (unreserved characters stay). Cached: parameter names,
    credentials and dates repeat in every URL (the benchmarks sign 10 000 at a time)."""
    return quote(text, safe="-_.~" + safe)


def object_path(bucket: str, key: str = "") -> str:
    """Raw path-style URI of a bucket or object."""
    return f"/{encode(bucket)}/{encode(key, '/')}" if key else f"/{encode(bucket)}"


def raw_query(params: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{encode(n)}={encode(v)}" if v != "" else encode(n) for n, v in params)


def _scope(now_ms: int, region: str) -> tuple[str, str, str]:
    stamp = amz_date(now_ms)
    return stamp, stamp[:8], f"{stamp[:8]}/{region}/s3/aws4_request"


def _query_pairs(query: str) -> list[tuple[str, str | None]]:
    return [(n, v) for n, _, v in (p.partition("=") for p in query.split("&") if p)]


def sign_headers(keys: Keys, method: str, path: str, query: str, host: str, payload_sha256: str,
                 now_ms: int, region: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Headers (lower-case) of a header-signed request to raw `path` and raw `query`; every
    header sent is signed."""
    stamp, date, scope = _scope(now_ms, region)
    headers = {**(extra or {}), "host": host, "x-amz-content-sha256": payload_sha256, "x-amz-date": stamp}
    signed = sorted(headers)
    canonical = canonical_request(method, path, canonical_query(_query_pairs(query)), headers, signed,
                                  payload_sha256)
    signature = hmac_hex(signing_key(keys.secret, date, region, "s3"),
                         string_to_sign(stamp, scope, canonical.encode()))
    headers["authorization"] = (f"{ALGORITHM} Credential={keys.access_key}/{scope}, "
                                f"SignedHeaders={';'.join(signed)}, Signature={signature}")
    return headers


def presign(keys: Keys, method: str, path: str, params: Iterable[tuple[str, str]], host: str, now_ms: int,
            region: str, expires: int) -> str:
    """A relative presigned URL (raw path + query), signed for `host` only."""
    stamp, date, scope = _scope(now_ms, region)
    query = raw_query([*params, ("X-Amz-Algorithm", ALGORITHM), ("X-Amz-Credential", f"{keys.access_key}/{scope}"),
                       ("X-Amz-Date", stamp), ("X-Amz-Expires", str(expires)), ("X-Amz-SignedHeaders", "host")])
    canonical = canonical_request(method, path, canonical_query(_query_pairs(query)), {"host": host}, ["host"],
                                  UNSIGNED)
    signature = hmac_hex(signing_key(keys.secret, date, region, "s3"),
                         string_to_sign(stamp, scope, canonical.encode()))
    return f"{path}?{query}&X-Amz-Signature={signature}"
