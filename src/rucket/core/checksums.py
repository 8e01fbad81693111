"""Checksums S3 clients send and expect back: MD5 (ETag), CRC32, CRC32C, CRC64NVME, SHA1, SHA256.

CRCs come from awscrt (the code the AWS SDKs use, GB/s and GIL-free); SHA/MD5 from hashlib.
Every hasher has the same three-method shape so the write path can feed any set of them.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Protocol

from awscrt import checksums as crt


class Hasher(Protocol):
    def update(self, data: bytes | memoryview) -> None: ...
    def digest(self) -> bytes: ...


class _Crc:
    def __init__(self, fn: Callable[[bytes | memoryview, int], int], width: int) -> None:
        self._fn, self._width, self._value = fn, width, 0

    def update(self, data: bytes | memoryview) -> None:
        self._value = self._fn(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(self._width, "big")


def _crc64nvme(data: bytes | memoryview, prev: int) -> int:
    value: int = crt.crc64nvme(data, prev)
    return value


ALGORITHMS: dict[str, Callable[[], Hasher]] = {
    "CRC32": lambda: _Crc(crt.crc32, 4),
    "CRC32C": lambda: _Crc(crt.crc32c, 4),
    "CRC64NVME": lambda: _Crc(_crc64nvme, 8),
    "SHA1": hashlib.sha1,
    "SHA256": hashlib.sha256,
}

HEADER_PREFIX = "x-amz-checksum-"


def header_name(algorithm: str) -> str:
    return HEADER_PREFIX + algorithm.lower()


def new(algorithm: str) -> Hasher:
    return ALGORITHMS[algorithm.upper()]()


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def md5() -> Hasher:
    return hashlib.md5()  # ETag, not security


def quoted_etag(md5_digest: bytes) -> str:
    return '"' + md5_digest.hex() + '"'
