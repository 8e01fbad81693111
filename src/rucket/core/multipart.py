"""Multipart uploads as plain records, and the arithmetic S3 defines over their parts.

An upload is a set of immutable part blobs; completing it makes a version whose bytes are
the ordered list of those blobs (no byte is copied again). The ETag of such a version is
the MD5 of the concatenated part MD5s with a `-N` suffix; its checksum is either COMPOSITE
(the checksum of the concatenated part checksums, also `-N`) or FULL_OBJECT (the CRC of the
whole byte stream, combined from the part CRCs without reading the data again).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from awscrt import checksums as crt

from rucket.core import checksums

PARTS = "parts"  # blob_id of versions whose bytes are the ordered part blobs (meta `version_parts`)
MAX_PARTS = 10_000
MIN_PART_SIZE = 5 * 1024 * 1024  # every part but the last (EntityTooSmall)
MAX_PART_SIZE = 5 * 1024**3
COMPOSITE, FULL_OBJECT = "COMPOSITE", "FULL_OBJECT"
CRC_ALGORITHMS = frozenset({"CRC32", "CRC32C", "CRC64NVME"})

_COMBINE: dict[str, Callable[[int, int, int], int]] = {
    "CRC32": crt.combine_crc32,
    "CRC32C": crt.combine_crc32c,
    "CRC64NVME": crt.combine_crc64nvme,
}
_WIDTH = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8}


@dataclass(frozen=True)
class Upload:
    """An upload in progress: what the completed version will carry besides its bytes."""

    upload_id: str
    bucket: str
    key: str
    initiated_ms: int
    owner: str
    storage_class: str = "STANDARD"
    headers: dict[str, str] = field(default_factory=dict)
    user_meta: dict[str, str] = field(default_factory=dict)
    checksum_algorithm: str = ""  # "" or one of checksums.ALGORITHMS
    checksum_type: str = ""  # "", COMPOSITE or FULL_OBJECT
    tags: tuple[tuple[str, str], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # carried into the version's extra (acl, ...)


@dataclass(frozen=True)
class Part:
    """One uploaded part; `offset` is its position once it belongs to a completed version."""

    number: int
    size: int
    etag: str  # quoted
    blob_id: str | None  # None only for an empty part
    mtime_ms: int = 0
    checksums: dict[str, str] = field(default_factory=dict)
    offset: int = 0


@dataclass(frozen=True)
class Completed:
    """What CompleteMultipartUpload answered, kept so a retried Complete answers the same."""

    upload_id: str
    bucket: str
    key: str
    version_id: str
    etag: str
    checksums: dict[str, str] = field(default_factory=dict)
    checksum_type: str = ""


def multipart_etag(parts: Sequence[Part]) -> str:
    digest = hashlib.md5(b"".join(bytes.fromhex(p.etag.strip('"')) for p in parts))  # ETag, not security
    return f'"{digest.hexdigest()}-{len(parts)}"'


def default_type(algorithm: str) -> str:
    """CRC64NVME only exists as a full-object checksum; the others default to COMPOSITE."""
    return FULL_OBJECT if algorithm == "CRC64NVME" else COMPOSITE


def type_allowed(algorithm: str, checksum_type: str) -> bool:
    if checksum_type == FULL_OBJECT:
        return algorithm in CRC_ALGORITHMS
    return checksum_type == COMPOSITE and algorithm != "CRC64NVME"


def _raw(b64: str) -> bytes:
    try:
        return base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        return b""


def composite_checksum(algorithm: str, part_values: Sequence[str]) -> str:
    """Checksum of the concatenated raw part checksums, suffixed with the part count."""
    h = checksums.new(algorithm)
    h.update(b"".join(_raw(v) for v in part_values))
    return f"{checksums.b64(h.digest())}-{len(part_values)}"


def full_object_crc(algorithm: str, parts: Sequence[tuple[str, int]]) -> str:
    """CRC of the whole object from (part CRC, part size) pairs: crc(A||B) = combine(crc A, crc B, len B)."""
    combine, width = _COMBINE[algorithm], _WIDTH[algorithm]
    value = 0
    for b64, size in parts:
        value = combine(value, int.from_bytes(_raw(b64), "big"), size)
    return checksums.b64(value.to_bytes(width, "big"))


def object_checksum(algorithm: str, checksum_type: str, parts: Sequence[Part]) -> str:
    if checksum_type == FULL_OBJECT:
        return full_object_crc(algorithm, [(p.checksums.get(algorithm, ""), p.size) for p in parts])
    return composite_checksum(algorithm, [p.checksums.get(algorithm, "") for p in parts])


def same_checksum(sent: str, stored: str) -> bool:
    """Clients send a composite value with or without its `-N` suffix."""
    return sent == stored or sent == stored.rsplit("-", 1)[0]


def with_offsets(parts: Sequence[Part]) -> list[Part]:
    out, pos = [], 0
    for p in parts:
        out.append(Part(p.number, p.size, p.etag, p.blob_id, p.mtime_ms, p.checksums, pos))
        pos += p.size
    return out
