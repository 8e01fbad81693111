"""Blob storage contract: immutable byte files named by a random id."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WrittenBlob:
    """Outcome of a write: either bytes small enough to inline in metadata, or a durable blob file."""

    size: int
    digests: dict[str, bytes]  # "MD5", "CRC32", ... -> raw digest
    inline: bytes | None = None
    blob_id: str | None = None
