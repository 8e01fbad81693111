"""Verify a SigV4/SigV2-signed request whose whole (small) body is already in memory.

Used by the composition root for the admin API: same signature rules as S3, and the body
must be covered by a signed SHA-256 (`x-amz-content-sha256`), never UNSIGNED-PAYLOAD.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from rucket.s3.auth import AuthInput, PayloadMode, SecretLookup, authenticate
from rucket.s3.errors import AccessDenied, XAmzContentSHA256Mismatch


def verify_signed_body(method: str, raw_path: str, raw_query: str, headers: Mapping[str, str], body: bytes,
                       now_ms: int, secrets: SecretLookup, region: str) -> str:
    """The access key that signed the request; raises S3Error subclasses otherwise."""
    result = authenticate(AuthInput(method, raw_path, raw_query, headers, now_ms), secrets, region)
    if result.access_key is None:
        raise AccessDenied("admin requests must be signed")
    if result.payload_mode is not PayloadMode.SHA256 or result.payload_sha256 is None:
        raise AccessDenied("admin requests must sign their payload (x-amz-content-sha256)")
    if not hmac.compare_digest(hashlib.sha256(body).hexdigest(), result.payload_sha256):
        raise XAmzContentSHA256Mismatch()
    return result.access_key
