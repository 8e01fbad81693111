"""Blob storage contract: immutable byte files named by a random id (DESIGN.md §6 `BlobStore`).

Stream in → a blob id (`writer` … `finish`), open a range (`read`), delete. The rest serves
the local implementation's extras that the engine uses by name: `path`/`trusted` for
zero-copy GETs of recently verified files (None-able in a distributed store), and the
integrity walk of the scrubber and fsck.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rucket.core.checksums import Hasher

Pace = Callable[[int], Awaitable[None]]


@dataclass(frozen=True)
class WrittenBlob:
    """Outcome of a write: either bytes small enough to inline in metadata, or a durable blob file."""

    size: int
    digests: dict[str, bytes]  # "MD5", "CRC32", ... -> raw digest
    inline: bytes | None = None
    blob_id: str | None = None


class BlobSink(Protocol):
    """One blob being written: bytes in, then durable (fsync'd, renamed) on `finish`, or dropped."""

    size: int  # bytes written so far

    async def write(self, data: bytes) -> None: ...
    async def finish(self) -> WrittenBlob: ...
    def abort(self) -> None: ...


class BlobStore(Protocol):
    root: Path
    tmp: Path
    stats: Any  # blobs.integrity.IntegrityStats: counters read by /metrics

    def writer(self, hashers: dict[str, Hasher], inline_limit: int) -> BlobSink: ...
    def read(self, blob_id: str, start: int, end: int) -> AsyncIterator[bytes]: ...
    def settle(self, blob_id: str) -> None:
        """The commit referencing a new blob is durable: it is no longer a recovery candidate."""

    def delete(self, blob_id: str) -> None: ...
    def path(self, blob_id: str) -> Path: ...
    def trusted(self, blob_id: str) -> bool: ...
    async def check(self, blob_id: str, pace: Pace | None = None) -> tuple[str, int]: ...
    def files(self) -> Iterator[str]: ...
    def recover(self, is_referenced: Callable[[str], bool]) -> tuple[int, int]:
        """Start-up: drop temp files and the never-committed blobs they name; (temp files, blobs)."""
