"""Local blob files: tmp -> fsync -> link into blobs/ -> fsync(dir), named by random id.

The temp file stays linked under tmp/ until the metadata commit settled (`settle`, or
`delete` when it failed): so a crash between the link and the commit leaves the blob's
name in tmp/, and start-up recovery finds every possible orphan by reading tmp/ alone,
never by walking every blob (`recover`). A crash after the commit leaves a complete object. Hashing and writing run in
a worker thread per 1 MiB batch (hashlib, awscrt and os.write release the GIL), so a large
upload neither blocks the event loop nor costs a thread hop per network chunk. Every blob's
name carries its CRC64NVME and every read checks it: see `blobs/integrity.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from pathlib import Path

from rucket.blobs import integrity as ig
from rucket.blobs.base import WrittenBlob
from rucket.core import faults, ids
from rucket.core.checksums import Hasher
from rucket.core.errors import CorruptBlob

FLUSH_BYTES = 1 << 20
READ_CHUNK = ig.BLOCK
INLINE_READ = 65536  # preads up to this size run on the event loop (a thread hop costs more)
log = logging.getLogger("rucket.blobs")
Pace = Callable[[int], Awaitable[None]]  # the scrubber's rate limiter: awaited after each block


def blob_relpath(blob_id: str) -> Path:
    """Where a blob lives under the data dir (two fan-out levels); `rucket backup` keeps the layout."""
    return Path("blobs") / blob_id[:2] / blob_id[2:4] / blob_id


class LocalBlobs:
    def __init__(self, root: Path, *, fsync: bool = True, trust_window_ms: int = 3_600_000,
                 now_ms: Callable[[], int] | None = None) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.blobs = root / "blobs"
        self.fsync = fsync
        self.trust_window_ms = trust_window_ms  # see integrity.py: how long a verification allows pathsend
        self.verified = ig.VerifiedCache(now_ms=now_ms)
        self.stats = ig.IntegrityStats()
        self._known_dirs: set[Path] = set()
        self._dir_lock = threading.Lock()
        for d in (self.tmp, self.blobs):
            d.mkdir(parents=True, exist_ok=True)

    def path(self, blob_id: str) -> Path:
        return self.root / blob_relpath(blob_id)

    def writer(self, hashers: dict[str, Hasher], inline_limit: int) -> BlobWriter:
        return BlobWriter(self, hashers, inline_limit)

    def delete(self, blob_id: str) -> None:
        """Unlink without fsync: a resurrected file after a crash is queued in the gc table still,
        or linked in tmp/ still (a write that never committed), so recovery frees it again."""
        self.verified.drop(blob_id)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path(blob_id))
        self.settle(blob_id)

    def _pending(self, blob_id: str) -> Path:
        """tmp/<random part>: the temp name a blob keeps until its metadata commit settled."""
        return self.tmp / blob_id.rpartition(ig.SEP)[0] if ig.SEP in blob_id else self.tmp / blob_id

    def settle(self, blob_id: str) -> None:
        """The commit that references the blob is durable: drop its temp name (no fsync needed:
        a temp name resurrected by a crash only makes recovery check that the blob is referenced)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._pending(blob_id))

    # ---- verified reads (blobs/integrity.py explains the rules) ---------------
    async def read(self, blob_id: str, start: int, end: int) -> AsyncGenerator[bytes, None]:
        """Bytes [start, end) of a blob, read in 1 MiB steps off the event loop, checked against
        the CRC64NVME in its name; raises CorruptBlob rather than yield a wrong last byte."""
        fd = os.open(self.path(blob_id), os.O_RDONLY)
        try:
            expected = ig.expected_crc(blob_id)
            st = os.fstat(fd)
            if expected is None:
                self.stats.unverifiable_reads += 1
                reader = _plain(fd, blob_id, start, end)
            elif start == 0 and end == st.st_size:
                reader = self._whole(fd, blob_id, expected, ig.Identity.of(st))
            else:
                reader = self._range(fd, blob_id, expected, ig.Identity.of(st), start, end)
            async for chunk in reader:
                yield chunk
        finally:
            os.close(fd)

    async def _whole(self, fd: int, blob_id: str, expected: int, ident: ig.Identity) -> AsyncGenerator[bytes, None]:
        """Stream every block, holding the last one back until the whole CRC is known to match."""
        crcs: list[int] = []
        held: bytes | None = None
        pos = 0
        while pos < ident.size:
            data, crc = await _read_block(fd, min(READ_CHUNK, ident.size - pos), pos)
            if not data:
                break
            if held is not None:
                yield held
            held, pos = data, pos + len(data)
            crcs.append(crc)
        self._check(blob_id, expected, crcs, ident)
        if held is not None:
            yield held

    async def _range(self, fd: int, blob_id: str, expected: int, ident: ig.Identity, start: int,
                     end: int) -> AsyncGenerator[bytes, None]:
        """Serve [start, end) block by block, each block checked against a verified pass's CRC."""
        known = self.verified.get(blob_id, ident)
        if known is None:
            crcs = await asyncio.to_thread(ig.scan, fd, ident.size)
            self._check(blob_id, expected, crcs, ident)
            blocks: tuple[int, ...] = tuple(crcs)
        else:
            blocks = known.blocks
        if end > ident.size:
            self._corrupt(blob_id, f"{ident.size} bytes on disk, {end} expected")
        for i in range(start // READ_CHUNK, (end + READ_CHUNK - 1) // READ_CHUNK):
            base = i * READ_CHUNK
            data, crc = await _read_block(fd, min(READ_CHUNK, ident.size - base), base)
            if crc != blocks[i]:
                self._corrupt(blob_id, f"block {i} CRC64NVME {crc:016x}, verified as {blocks[i]:016x}")
            yield data[max(start, base) - base: min(end, base + len(data)) - base]

    def _check(self, blob_id: str, expected: int, crcs: list[int], ident: ig.Identity) -> None:
        actual = ig.combine(crcs, ident.size)
        if actual != expected:
            self._corrupt(blob_id, f"CRC64NVME {actual:016x}, name says {expected:016x}")
        self.stats.verified_reads += 1
        self.verified.put(blob_id, ident, crcs)

    def _corrupt(self, blob_id: str, reason: str) -> None:
        self.stats.corrupt_reads += 1
        self.verified.drop(blob_id)
        log.error("corrupt blob %s (%s): %s; refusing to serve it", blob_id, self.path(blob_id), reason)
        raise CorruptBlob(f"blob {blob_id}: {reason}")

    def trusted(self, blob_id: str) -> bool:
        """May a whole-blob GET skip verification (pathsend)? Only above one block, only for a
        blob this process verified within the trust window and that nothing wrote since."""
        if self.trust_window_ms <= 0 or ig.expected_crc(blob_id) is None:
            return False
        try:
            ident = ig.Identity.of(os.stat(self.path(blob_id)))
        except OSError:
            return False
        known = self.verified.get(blob_id, ident)
        return (ident.size > READ_CHUNK and known is not None
                and self.verified.now_ms() - known.at_ms < self.trust_window_ms)

    async def check(self, blob_id: str, pace: Pace | None = None) -> tuple[str, int]:
        """Re-read one blob for the scrubber/fsck: ("ok" | "corrupt" | "missing" | "unverifiable", bytes read)."""
        expected = ig.expected_crc(blob_id)
        try:
            fd = os.open(self.path(blob_id), os.O_RDONLY)
        except FileNotFoundError:
            return "missing", 0
        try:
            if expected is None:
                return "unverifiable", 0
            ident = ig.Identity.of(os.fstat(fd))
            crcs, pos = [], 0
            while pos < ident.size:
                n = min(READ_CHUNK, ident.size - pos)
                _, crc = await asyncio.to_thread(ig.read_block, fd, n, pos)
                crcs.append(crc)
                pos += n
                if pace is not None:
                    await pace(n)
        finally:
            os.close(fd)
        if ig.combine(crcs, ident.size) != expected:
            self.verified.drop(blob_id)
            return "corrupt", ident.size
        self.verified.put(blob_id, ident, crcs)
        return "ok", ident.size

    def files(self) -> Iterator[str]:
        """Names of every blob file on disk (any order)."""
        return (f.name for f in self.blobs.glob("*/*/*"))

    def recover(self, is_referenced: Callable[[str], bool]) -> tuple[int, int]:
        """Start-up only: empty tmp/; a temp file whose blob was linked but never committed takes the
        blob with it. Reads tmp/ and one fan-out directory per temp file, never every blob
        (`rucket fsck` walks everything to find orphans of any other origin)."""
        tmp_removed = orphans = 0
        for f in self.tmp.iterdir():
            fan = self.blobs / f.name[:2] / f.name[2:4]
            for blob in fan.glob(f"{f.name}{ig.SEP}*") if len(f.name) >= 4 else ():
                if not is_referenced(blob.name):
                    blob.unlink(missing_ok=True)
                    orphans += 1
            f.unlink(missing_ok=True)
            tmp_removed += 1
        return tmp_removed, orphans

    def _ensure_dir(self, d: Path) -> None:
        """Create a fan-out directory durably: a renamed blob must not vanish with its new parent."""
        if d in self._known_dirs:
            return
        with self._dir_lock:
            if not d.exists():
                d.mkdir(parents=True, exist_ok=True)
                if self.fsync:
                    for p in (d.parent, d.parent.parent):
                        fsync_dir(p)
            self._known_dirs.add(d)

    def install(self, tmp_path: Path, fd: int, crc: int) -> str:
        """fsync the temp file, rename it to its final name (which carries `crc`), fsync the directory."""
        if self.fsync:
            os.fsync(fd)
        os.close(fd)
        faults.point("blob.after_fsync")
        blob_id = ig.name_for(tmp_path.name, crc)
        dest = self.path(blob_id)
        self._ensure_dir(dest.parent)
        os.link(tmp_path, dest)  # the temp name stays until the commit settles (module docstring)
        if self.fsync:
            fsync_dir(dest.parent)
        faults.point("blob.after_rename")
        return blob_id


async def _read_block(fd: int, n: int, pos: int) -> tuple[bytes, int]:
    return ig.read_block(fd, n, pos) if n <= INLINE_READ else await asyncio.to_thread(ig.read_block, fd, n, pos)


async def _plain(fd: int, blob_id: str, start: int, end: int) -> AsyncGenerator[bytes, None]:
    """A blob named before checksums: served unchecked (fsck counts these)."""
    pos = start
    while pos < end:
        n = min(READ_CHUNK, end - pos)
        data = os.pread(fd, n, pos) if n <= INLINE_READ else await asyncio.to_thread(os.pread, fd, n, pos)
        if not data:
            raise CorruptBlob(f"blob {blob_id} shorter than recorded")
        pos += len(data)
        yield data


def fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobWriter:
    """Accumulates a body; stays in memory up to `inline_limit`, then spills to a temp file."""

    def __init__(self, store: LocalBlobs, hashers: dict[str, Hasher], inline_limit: int) -> None:
        self._store, self._hashers, self._limit = store, hashers, inline_limit
        self._buf = bytearray()
        self._fd: int | None = None
        self._tmp: Path | None = None
        self._crc = 0  # CRC64NVME of the bytes written to the file so far: becomes part of the name
        self.size = 0

    async def write(self, data: bytes) -> None:
        self._buf += data
        self.size += len(data)
        if self._fd is None and len(self._buf) > self._limit:
            self._tmp = self._store.tmp / ids.blob_id()
            self._fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        if self._fd is not None and len(self._buf) >= FLUSH_BYTES:
            buf, self._buf = bytes(self._buf), bytearray()
            await asyncio.to_thread(self._flush, buf)

    def _flush(self, buf: bytes) -> None:
        view = memoryview(buf)
        for h in self._hashers.values():
            h.update(view)
        self._crc = ig.crc64(view, self._crc)
        assert self._fd is not None
        while view:
            n = os.write(self._fd, view)
            view = view[n:]

    async def finish(self) -> WrittenBlob:
        """Make the bytes durable (file case) and return digests; the caller commits metadata next."""
        buf, self._buf = bytes(self._buf), bytearray()
        if self._fd is None:
            for h in self._hashers.values():
                h.update(buf)
            return WrittenBlob(self.size, self._digests(), inline=buf)
        await asyncio.to_thread(self._flush, buf)
        fd, self._fd = self._fd, None
        assert self._tmp is not None
        blob_id = await asyncio.to_thread(self._store.install, self._tmp, fd, self._crc)
        self._tmp = None
        return WrittenBlob(self.size, self._digests(), blob_id=blob_id)

    def _digests(self) -> dict[str, bytes]:
        return {name: h.digest() for name, h in self._hashers.items()}

    def abort(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
            self._tmp = None
