"""What every signature scheme shares: the request as auth sees it, the result, payload modes.

Kept apart from `__init__` so that `sigv4`, `presign`, `sigv2` and `chunked` can import
these types without importing each other through the package.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from urllib.parse import unquote_plus

from rucket.s3.errors import (
    AccessDenied,
    InvalidArgument,
    InvalidRequest,
    RequestTimeTooSkewed,
    S3NotImplemented,
)

MAX_SKEW_MS = 15 * 60 * 1000  # AWS: 15 minutes either way
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

SecretLookup = Callable[[str], str | None]  # access key -> secret key, None if unknown or disabled
RawParam = tuple[str, str | None]  # query pair exactly as sent; value None when there was no "="


@dataclass(frozen=True)
class AuthInput:
    """The parts of an HTTP request that signatures cover.

    Header values are the wire bytes decoded as latin-1 (the ASGI norm); names are lower-case and
    repeated headers are joined with ",". `vhost_bucket` is the bucket the router took from the Host
    header (virtual-host style), "" for path style: SigV2 signs "/bucket/key" in both styles.
    """

    method: str
    raw_path: str
    raw_query: str
    headers: Mapping[str, str]
    now_ms: int
    vhost_bucket: str = ""


class AuthType(Enum):
    ANONYMOUS = "anonymous"
    SIGV4_HEADER = "sigv4-header"
    SIGV4_QUERY = "sigv4-query"
    SIGV2_HEADER = "sigv2-header"
    SIGV2_QUERY = "sigv2-query"


class PayloadMode(Enum):
    """How the body is protected, from `x-amz-content-sha256`."""

    UNSIGNED = "UNSIGNED-PAYLOAD"
    SHA256 = "sha256"  # the header holds the hex digest of the whole body
    STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"

    @property
    def is_chunked(self) -> bool:
        return self.value.startswith("STREAMING-")

    @property
    def signs_chunks(self) -> bool:
        return self in (PayloadMode.STREAMING_SIGNED, PayloadMode.STREAMING_SIGNED_TRAILER)

    @property
    def has_trailer(self) -> bool:
        return self.value.endswith("-TRAILER")


_MODES = {m.value: m for m in PayloadMode if m is not PayloadMode.SHA256}
_SIGV4A_MODES = frozenset({"STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
                           "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"})
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_AMZ_DATE = re.compile(r"(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z")
_MAY_BE_UNSIGNED = frozenset({"x-amz-content-sha256"})  # its value is the last line of the canonical request


@dataclass(frozen=True)
class ChunkSigning:
    """What aws-chunked needs to check chunk and trailer signatures after the headers were verified."""

    signing_key: bytes
    amz_date: str
    scope: str
    seed_signature: str


@dataclass(frozen=True)
class AuthResult:
    access_key: str | None  # None = anonymous request
    auth_type: AuthType = AuthType.ANONYMOUS
    payload_mode: PayloadMode = PayloadMode.UNSIGNED
    payload_sha256: str | None = None  # lower-case hex, set when payload_mode is SHA256
    chunk_signing: ChunkSigning | None = None  # set when payload_mode signs chunks


def payload_mode(value: str | None) -> tuple[PayloadMode, str | None]:
    """Classify `x-amz-content-sha256`; a value that is neither a digest nor a known constant is a 400."""
    if value is None:
        return PayloadMode.UNSIGNED, None
    if (mode := _MODES.get(value)) is not None:
        return mode, None
    if _HEX64.fullmatch(value):
        return PayloadMode.SHA256, value.lower()
    if value in _SIGV4A_MODES:
        raise S3NotImplemented("SigV4a (AWS4-ECDSA-P256-SHA256) is not supported.")
    raise InvalidArgument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
                          "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER "
                          "or a valid sha256 value.",
                          ArgumentName="x-amz-content-sha256", ArgumentValue=value)


def unsigned_payload_mode(value: str | None) -> tuple[PayloadMode, str | None]:
    """Payload mode for schemes without a seed signature: signed streaming cannot be checked there."""
    mode, digest = payload_mode(value)
    if mode.signs_chunks:
        raise InvalidRequest(f"{mode.value} requires AWS Signature Version 4 header authentication.")
    return mode, digest


def anonymous(req: AuthInput) -> AuthResult:
    """No credentials at all: still decode aws-chunked and check a given digest, or the object is wrong."""
    mode, digest = unsigned_payload_mode(req.headers.get("x-amz-content-sha256"))
    return AuthResult(None, AuthType.ANONYMOUS, mode, digest)


def parse_query(raw_query: str) -> list[RawParam]:
    """Split the query without decoding: canonical forms are built from the raw text."""
    if not raw_query:
        return []
    out: list[RawParam] = []
    for part in raw_query.split("&"):
        if part:
            name, eq, value = part.partition("=")
            out.append((name, value if eq else None))
    return out


@functools.lru_cache(maxsize=8192)
def decode(raw: str) -> str:
    """Form decoding, as Garage and MinIO do: "+" is a space, "%2B" a plus (cached: names repeat)."""
    return unquote_plus(raw) if ("%" in raw or "+" in raw) else raw


def query_values(params: Iterable[RawParam], names: Collection[str]) -> dict[str, list[str]]:
    """Decoded values of the wanted parameters, all occurrences kept so duplicates can be refused."""
    found: dict[str, list[str]] = {}
    for name, value in params:
        if (key := decode(name)) in names:
            found.setdefault(key, []).append(decode(value or ""))
    return found


@functools.lru_cache(maxsize=1024)
def parse_amz_date(value: str) -> int | None:
    """Unix ms of an ISO 8601 basic timestamp (20130524T000000Z), None if malformed.

    Cached: concurrent requests share the same few timestamps, and datetime is slow to build.
    """
    m = _AMZ_DATE.fullmatch(value)
    if m is None:
        return None
    year, month, day, hour, minute, second = map(int, m.groups())
    try:
        return int(datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()) * 1000
    except ValueError:
        return None


def parse_http_date(value: str) -> int | None:
    """Unix ms of an RFC 1123 date header, None if malformed."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp()) * 1000


def iso8601(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def amz_date(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y%m%dT%H%M%SZ")


def missing_date() -> AccessDenied:
    return AccessDenied("AWS authentication requires a valid Date or x-amz-date header")


def check_skew(request_ms: int, shown: str, now_ms: int) -> None:
    """Header-signed requests are only valid within 15 minutes of server time, which bounds replay."""
    if abs(now_ms - request_ms) > MAX_SKEW_MS:
        raise RequestTimeTooSkewed(RequestTime=shown, ServerTime=iso8601(now_ms),
                                   MaxAllowedSkewMilliseconds=str(MAX_SKEW_MS))


def check_amz_headers_signed(headers: Iterable[str], signed: Collection[str]) -> None:
    """AWS refuses x-amz-* headers outside the signature: they would change what a signed request does."""
    bad = sorted(n for n in headers if n.startswith("x-amz-") and n not in signed and n not in _MAY_BE_UNSIGNED)
    if bad:
        raise AccessDenied("There were headers present in the request which were not signed",
                           HeadersNotSigned=", ".join(bad))
