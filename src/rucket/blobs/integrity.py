"""Blob integrity: every blob file carries its CRC64NVME in its name, and reads check it.

**Where the checksum lives.** A blob is named `<32 hex random>-<16 hex CRC64NVME>`. The
name is what every reference stores (a version's `blob_id`, each row of a multipart
version's parts, an upload's parts, a copy sharing its source's blob), so the checksum is
recorded with the version, per part for multipart objects, with no schema change and no
extra write on the PUT path; the scrubber and `rucket fsck` can check any file on disk
without asking the metadata. CRC64NVME is what awscrt computes at ~4 GB/s on one core;
the writer hashes each 1 MiB batch in the worker thread that writes it. Blobs named
before this scheme (no suffix) are "unverifiable": served as before, counted by fsck.

**What a read checks.** `LocalBlobs.read` never lets a complete response carry wrong bytes:
- a whole-blob read streams 1 MiB blocks, computing each block's CRC, and holds the last
  block back until the combined CRC equals the name's; on a mismatch it raises
  `CorruptBlob` instead of yielding it. An object of one block (≤ 1 MiB) is therefore
  verified before its first byte, so the handler, which waits for the first chunk before
  sending headers (`primed`), answers 500 InternalError. For a larger object the headers
  are gone already; the connection is aborted before the last block, so the client sees
  a truncated body (Content-Length not met), never a complete wrong object.
- a range read needs the per-block CRCs of a verified pass: from the cache below, or by
  reading the whole blob once first (before the first byte, so a corrupt blob is a 500).
  Every block it then serves is re-checked against its cached CRC, so a range is
  verified even when the file rotted after the pass.

**The pathsend trade-off.** `http.response.pathsend` hands the file to the server, which
sends it without our code seeing the bytes, so it cannot be verified on the way out. A
whole-object GET above one block uses it only when this process verified the blob (by a
full read or the scrubber) less than `trust_window_ms` ago AND the file's identity (inode,
size, mtime, ctime) is unchanged since; otherwise it takes the verifying stream, which
also refreshes the trust. Exposure is bounded: silent media corruption of an unmodified
file within the window (drives return EIO for most media errors; what checksums catch is
mostly misdirected or lost writes, which change nothing we stat) could be served once by
pathsend; any write to the file invalidates the trust at once. `trust_window_ms=0` turns
pathsend off for strict deployments. Inline objects live in SQLite rows, not blob files,
and are checked by the scrubber against their MD5 ETag rather than on every GET.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass

from awscrt import checksums as crt

BLOCK = 1 << 20  # the unit of verification; also the read size of LocalBlobs
SEP = "-"
_HEX = frozenset("0123456789abcdef")


def crc64(data: bytes | memoryview, prev: int = 0) -> int:
    return int(crt.crc64nvme(data, prev))


def combine(crcs: list[int], size: int) -> int:
    """CRC64NVME of the whole blob from its per-block CRCs (every block BLOCK bytes but the last)."""
    value = 0
    for i, c in enumerate(crcs):
        value = int(crt.combine_crc64nvme(value, c, min(BLOCK, size - i * BLOCK)))
    return value


def name_for(random_id: str, crc: int) -> str:
    return f"{random_id}{SEP}{crc:016x}"


def expected_crc(blob_id: str) -> int | None:
    """The CRC64NVME recorded in a blob's name; None for a blob named before checksums."""
    _, sep, tail = blob_id.rpartition(SEP)
    if not sep or len(tail) != 16 or not set(tail) <= _HEX:
        return None
    return int(tail, 16)


@dataclass(frozen=True)
class Identity:
    """What changes when anything writes the file: a changed identity voids a cached verification."""

    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> Identity:
        return cls(st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass(frozen=True)
class Verified:
    identity: Identity
    blocks: tuple[int, ...]  # CRC64NVME of each BLOCK-sized block
    at_ms: int


@dataclass
class IntegrityStats:
    """Counters for /metrics (read at scrape time)."""

    verified_reads: int = 0  # whole-blob verifications done by reads
    corrupt_reads: int = 0  # reads refused because the bytes failed their checksum
    unverifiable_reads: int = 0  # reads of blobs named before checksums
    scrubbed_blobs: int = 0
    scrubbed_bytes: int = 0
    scrub_corrupt: int = 0
    scrub_missing: int = 0
    scrub_passes: int = 0


class VerifiedCache:
    """Per-process LRU of blobs verified recently: block CRCs for ranges, trust for pathsend."""

    def __init__(self, max_entries: int = 8192, now_ms: Callable[[], int] | None = None) -> None:
        self._max = max_entries
        self._now = now_ms or (lambda: time.monotonic_ns() // 1_000_000)
        self._items: OrderedDict[str, Verified] = OrderedDict()
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        return self._now()

    def get(self, blob_id: str, identity: Identity) -> Verified | None:
        with self._lock:
            v = self._items.get(blob_id)
            if v is None:
                return None
            if v.identity != identity:
                del self._items[blob_id]
                return None
            self._items.move_to_end(blob_id)
            return v

    def put(self, blob_id: str, identity: Identity, blocks: list[int]) -> None:
        with self._lock:
            self._items[blob_id] = Verified(identity, tuple(blocks), self._now())
            self._items.move_to_end(blob_id)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def drop(self, blob_id: str) -> None:
        with self._lock:
            self._items.pop(blob_id, None)


def read_block(fd: int, n: int, pos: int) -> tuple[bytes, int]:
    """One pread and its CRC, in whichever thread calls it (both release the GIL)."""
    data = os.pread(fd, n, pos)
    return data, crc64(data)


def scan(fd: int, size: int) -> list[int]:
    """Per-block CRCs of a whole file (a verification pass; the caller compares `combine`)."""
    blocks, pos = [], 0
    while pos < size:
        data, c = read_block(fd, min(BLOCK, size - pos), pos)
        if not data:
            break
        blocks.append(c)
        pos += len(data)
    return blocks


async def primed(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Pull the first chunk now, so an error before the first byte (a corrupt one-block blob, a
    failed range verification) surfaces while the handler can still answer an error status."""
    try:
        first: bytes | None = await anext(stream)
    except StopAsyncIteration:
        first = None

    async def rest() -> AsyncGenerator[bytes, None]:
        try:
            if first is not None:
                yield first
                async for chunk in stream:
                    yield chunk
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()

    return rest()
