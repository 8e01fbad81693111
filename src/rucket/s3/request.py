"""The request context handlers receive, the response they return, and pure header parsers."""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rucket.core import errors as core_errors
from rucket.core.errors import InvalidRange
from rucket.core.model import Bucket, Owner, Principal
from rucket.s3.errors import InvalidArgument
from rucket.s3.ops import Operation

if TYPE_CHECKING:
    from rucket.engine import Engine
    from rucket.s3.auth import VerifiedBody
    from rucket.s3.policy import Authorizer

XML_TYPE = "application/xml"


@dataclass
class Settings:
    """What handlers need to know about the server they run in."""

    region: str = "us-east-1"
    signing_region: str | None = None  # SigV4 scopes must name it; None: any (sigv4.check_scope says why)
    domains: tuple[str, ...] = ("localhost",)
    max_object_size: int = 5 * 1024**4
    allow_insecure_sse_c: bool = False  # SSE-C over plain HTTP (handlers/encryption.py says why it is off)


@dataclass
class RequestContext:
    engine: Engine
    settings: Settings
    op: Operation
    bucket: str
    key: str
    method: str
    path: str
    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, str]
    request_id: str
    user: Principal | None
    body_stream: VerifiedBody
    authz: Authorizer  # s3/policy.py: every decision a handler makes (lock headers, copy source, per key)
    users: Mapping[str, Principal] = field(default_factory=dict)  # by id, to render owners
    bucket_record: Bucket | None = None  # what authorization resolved for `bucket` (None: no such bucket)

    def known_bucket(self) -> Bucket | None:
        """The request's bucket record, looked up once per request (by authorization)."""
        if self.bucket_record is not None and self.bucket_record.name == self.bucket:
            return self.bucket_record
        return self.engine.buckets.find(self.bucket) if self.bucket else None

    def target_bucket(self) -> Bucket:
        """`known_bucket`, or NoSuchBucket."""
        bucket = self.known_bucket()
        if bucket is None:
            raise core_errors.BucketNotFound(self.bucket)
        return bucket

    @property
    def resource(self) -> str:
        return self.path

    async def body(self, limit: int = 1 << 20) -> bytes:
        """Whole small body (XML documents); bounded so nobody can make us buffer gigabytes."""
        from rucket.s3.errors import EntityTooLarge

        buf = bytearray()
        async for chunk in self.body_stream:
            buf += chunk
            if len(buf) > limit:
                raise EntityTooLarge()
        return bytes(buf)

    def owner_of(self, user_id: str) -> Owner:
        u = self.users.get(user_id)
        return u.owner if u else Owner(user_id, user_id)


@dataclass
class Response:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None
    file: Path | None = None  # zero-copy candidate: whole file, sent with http.response.pathsend
    length: int | None = None  # for stream/file bodies

    @classmethod
    def xml(cls, body: bytes, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Response:
        return cls(status, [("content-type", XML_TYPE), *(headers or [])], body)

    @classmethod
    def empty(cls, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Response:
        return cls(status, list(headers or []))


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """A single byte range as [start, end), None for "whole object" (absent, invalid or multi-range)."""
    if not header or not header.startswith("bytes="):
        return None
    spec = header[6:].strip()
    if "," in spec or "-" not in spec:
        return None
    first, _, last = spec.partition("-")
    try:
        if first == "":
            n = int(last)
            if n <= 0 or size == 0:
                raise InvalidRange(header)
            return max(0, size - n), size
        start = int(first)
        end = int(last) + 1 if last else size
    except ValueError:
        return None
    if start < 0 or (last and end <= start):
        return None
    if start >= size:
        raise InvalidRange(header)
    return start, min(end, size)


_date_cache: list[Any] = [0, ""]


def http_date_now() -> str:
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, formatdate(now, usegmt=True)]
    return str(_date_cache[1])


def http_date(ms: int) -> str:
    return _http_date_s(ms // 1000)


@functools.lru_cache(maxsize=4096)
def _http_date_s(seconds: int) -> str:
    """Last-Modified of hot objects repeats: format each second once."""
    return formatdate(seconds, usegmt=True)


def parse_http_date(value: str) -> int | None:
    """Milliseconds since the epoch, or None if unparseable (S3 then ignores the condition)."""
    if not value:
        return None
    try:
        return int(parsedate_to_datetime(value).timestamp() * 1000)
    except (TypeError, ValueError, IndexError):
        return None


def int_param(query: Mapping[str, str], name: str, default: int, *, lo: int = 0, hi: int | None = None) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise InvalidArgument(f"Provided {name} not an integer or within integer range",
                              ArgumentName=name, ArgumentValue=raw) from exc
    if value < lo:
        raise InvalidArgument(f"Argument {name} must be an integer between {lo} and 2147483647",
                              ArgumentName=name, ArgumentValue=raw)
    return value if hi is None else min(value, hi)
