"""AWS Signature Version 4 in the query string: presigned URLs.

Spec: docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html. Same canonical
request as header auth; the query minus X-Amz-Signature is signed and the payload is
UNSIGNED-PAYLOAD unless the signer fixed x-amz-content-sha256. Validity is the window
[X-Amz-Date, X-Amz-Date + X-Amz-Expires] instead of the 15-minute skew.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rucket.s3.auth.base import (
    MAX_SKEW_MS,
    UNSIGNED_PAYLOAD,
    AuthInput,
    AuthResult,
    AuthType,
    RawParam,
    SecretLookup,
    check_amz_headers_signed,
    iso8601,
    parse_amz_date,
    query_values,
    unsigned_payload_mode,
)
from rucket.s3.auth.sigv4 import (
    ALGORITHM,
    SignedRequest,
    canonical_query,
    check_credential_date,
    check_host_signed,
    check_scope,
    check_signature,
    lookup,
    parse_credential,
    raw_canonical_query,
    signing_key,
)
from rucket.s3.errors import AccessDenied, AuthorizationQueryParametersError, S3NotImplemented

MAX_EXPIRES = 7 * 24 * 3600  # AWS: a week
SIGNATURE = "X-Amz-Signature"
CONTENT_SHA256 = "X-Amz-Content-Sha256"
REQUIRED = ("X-Amz-Algorithm", "X-Amz-Credential", SIGNATURE, "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires")
_PREFIX = "Error parsing the X-Amz-Credential parameter;"
_INTEGER = re.compile(r"-?\d{1,12}")


@dataclass(frozen=True)
class _Verified:
    """A presigned URL whose signature held, and what the next identical request must still match."""

    signed: tuple[tuple[str, str | None], ...]  # (signed header, its value) and x-amz-content-sha256
    secret: str
    signed_ms: int
    expires: int
    stamp: str
    result: AuthResult


class _Memo:
    """Presigned URLs are fetched again and again (a page's images, a CDN origin, a download retry):
    an identical URL with the same signed header values, signed with the same secret, verifies the
    same way, so only the validity window and the secret's currency are checked again. The
    canonical request, its SHA-256 and the HMAC (~40 µs) are skipped. Bounded: cleared when full."""

    def __init__(self, limit: int = 8192) -> None:
        self.limit = limit
        self.entries: dict[tuple[str | None, ...], _Verified] = {}  # region None: any (sigv4.check_scope)

    def hit(self, req: AuthInput, region: str | None, secrets: SecretLookup) -> AuthResult | None:
        entry = self.entries.get((req.method, req.raw_path, req.raw_query, req.vhost_bucket, region))
        if entry is None or entry.signed != _signed_values(req, entry.signed) or \
                secrets(entry.result.access_key or "") != entry.secret:
            return None
        check_amz_headers_signed(req.headers, [name for name, _ in entry.signed])
        check_window(entry.signed_ms, entry.expires, entry.stamp, req.now_ms)
        return entry.result

    def keep(self, req: AuthInput, region: str | None, signed_headers: tuple[str, ...], secret: str, signed_ms: int,
             expires: int, stamp: str, result: AuthResult) -> None:
        if len(self.entries) >= self.limit:
            self.entries = {}
        h = req.headers
        signed = tuple((name, h.get(name)) for name in (*signed_headers, "x-amz-content-sha256"))
        self.entries[(req.method, req.raw_path, req.raw_query, req.vhost_bucket, region)] = \
            _Verified(signed, secret, signed_ms, expires, stamp, result)


def _signed_values(req: AuthInput, signed: tuple[tuple[str, str | None], ...]) -> tuple[tuple[str, str | None], ...]:
    return tuple((name, req.headers.get(name)) for name, _ in signed)


MEMO = _Memo()


def verify_query(req: AuthInput, params: list[RawParam], secrets: SecretLookup,
                 region: str | None) -> AuthResult:
    """Presigned request: parameters, scope, validity window, then the signature; a pass is
    remembered (`authenticate` asks MEMO before parsing anything)."""
    q = _auth_params(params)
    cred = parse_credential(q["X-Amz-Credential"])
    if cred is None:
        raise AuthorizationQueryParametersError(f'{_PREFIX} the Credential is mal-formed; expecting '
                                                '"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".')
    check_scope(cred, region, AuthorizationQueryParametersError, _PREFIX)
    stamp = q["X-Amz-Date"]
    if (ms := parse_amz_date(stamp)) is None:
        raise AuthorizationQueryParametersError(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    check_credential_date(cred, stamp, AuthorizationQueryParametersError, _PREFIX)
    expires = _expires(q["X-Amz-Expires"])
    secret = lookup(secrets, cred.access_key)
    check_window(ms, expires, stamp, req.now_ms)
    signed_headers = tuple(q["X-Amz-SignedHeaders"].split(";"))
    content = q.get(CONTENT_SHA256) or req.headers.get("x-amz-content-sha256")
    mode, digest = unsigned_payload_mode(content)
    check_host_signed(signed_headers)
    check_amz_headers_signed(req.headers, signed_headers)
    key = signing_key(secret, cred.date, cred.region, cred.service)
    check_signature(req, SignedRequest(cred.access_key, key, stamp, cred.scope, signed_headers,
                                       content or UNSIGNED_PAYLOAD, canonical_query(params, SIGNATURE),
                                       q[SIGNATURE], raw_canonical_query(req.raw_query, SIGNATURE)))
    result = AuthResult(cred.access_key, AuthType.SIGV4_QUERY, mode, digest)
    MEMO.keep(req, region, signed_headers, secret, ms, expires, stamp, result)
    return result


def _auth_params(params: list[RawParam]) -> dict[str, str]:
    """The six required parameters, each exactly once (a second X-Amz-Signature would be ambiguous)."""
    found = query_values(params, (*REQUIRED, CONTENT_SHA256))
    if any(len(found.get(name, ())) != 1 for name in REQUIRED) or len(found.get(CONTENT_SHA256, ())) > 1:
        raise AuthorizationQueryParametersError(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
            "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
    q = {name: values[0] for name, values in found.items()}
    if q["X-Amz-Algorithm"] == "AWS4-ECDSA-P256-SHA256":
        raise S3NotImplemented("SigV4a (AWS4-ECDSA-P256-SHA256) is not supported.")
    if q["X-Amz-Algorithm"] != ALGORITHM:
        raise AuthorizationQueryParametersError(f'X-Amz-Algorithm only supports "{ALGORITHM}"')
    return q


def _expires(value: str) -> int:
    """AWS caps presigned URLs at a week, so a leaked URL stops working on its own."""
    if not _INTEGER.fullmatch(value):
        raise AuthorizationQueryParametersError("X-Amz-Expires should be a number")
    if (seconds := int(value.lstrip("-"))) and value.startswith("-"):
        raise AccessDenied("Request has expired")  # a URL that expired before it was signed
    if seconds > MAX_EXPIRES:
        raise AuthorizationQueryParametersError(
            f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES}")
    return seconds


def check_window(signed_ms: int, expires: int, stamp: str, now_ms: int) -> None:
    """Not before X-Amz-Date (minus the usual skew), not after X-Amz-Date + X-Amz-Expires."""
    if signed_ms - now_ms > MAX_SKEW_MS:
        raise _denied("Request is not yet valid", {"X-Amz-Date": stamp, "ServerTime": iso8601(now_ms)})
    end_ms = signed_ms + expires * 1000
    if now_ms > end_ms:
        raise _denied("Request has expired", {"X-Amz-Expires": str(expires), "Expires": iso8601(end_ms),
                                              "ServerTime": iso8601(now_ms)})


def _denied(message: str, extra: dict[str, str]) -> AccessDenied:
    """AccessDenied with elements whose names ("X-Amz-Date") are not Python identifiers."""
    error = AccessDenied(message)
    error.extra.update(extra)
    return error
