"""Local blob files: tmp -> fsync -> rename -> fsync(dir), named by random id.

A crash before the metadata commit leaves at most an unreferenced file, which `recover()`
removes at start-up; a crash after it leaves a complete object. Hashing and writing run in
a worker thread per 1 MiB batch (hashlib, awscrt and os.write release the GIL), so a large
upload neither blocks the event loop nor costs a thread hop per network chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from rucket.blobs.base import WrittenBlob
from rucket.core import faults, ids
from rucket.core.checksums import Hasher

FLUSH_BYTES = 1 << 20
READ_CHUNK = 1 << 20


class LocalBlobs:
    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.blobs = root / "blobs"
        self.fsync = fsync
        self._known_dirs: set[Path] = set()
        self._dir_lock = threading.Lock()
        for d in (self.tmp, self.blobs):
            d.mkdir(parents=True, exist_ok=True)

    def path(self, blob_id: str) -> Path:
        return self.blobs / blob_id[:2] / blob_id[2:4] / blob_id

    def writer(self, hashers: dict[str, Hasher], inline_limit: int) -> BlobWriter:
        return BlobWriter(self, hashers, inline_limit)

    def delete(self, blob_id: str) -> None:
        """Unlink without fsync: a resurrected file after a crash is just an orphan for recovery."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path(blob_id))

    async def read(self, blob_id: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes [start, end) of a blob, read in 1 MiB steps off the event loop."""
        fd = os.open(self.path(blob_id), os.O_RDONLY)
        try:
            pos = start
            while pos < end:
                n = min(READ_CHUNK, end - pos)
                data = os.pread(fd, n, pos) if n <= 65536 else await asyncio.to_thread(os.pread, fd, n, pos)
                if not data:
                    raise OSError(f"blob {blob_id} shorter than recorded")
                pos += len(data)
                yield data
        finally:
            os.close(fd)

    def recover(self, referenced: Iterable[str]) -> tuple[int, int]:
        """Start-up only: remove temp files and blobs no version references."""
        tmp_removed = 0
        for f in self.tmp.iterdir():
            f.unlink(missing_ok=True)
            tmp_removed += 1
        keep = set(referenced)
        orphans = 0
        for f in self.blobs.glob("*/*/*"):
            if f.name not in keep:
                f.unlink(missing_ok=True)
                orphans += 1
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

    def install(self, tmp_path: Path, fd: int) -> str:
        """fsync the temp file, rename it to its final name, fsync the directory."""
        if self.fsync:
            os.fsync(fd)
        os.close(fd)
        faults.point("blob.after_fsync")
        blob_id = ids.blob_id()
        dest = self.path(blob_id)
        self._ensure_dir(dest.parent)
        os.rename(tmp_path, dest)
        if self.fsync:
            fsync_dir(dest.parent)
        faults.point("blob.after_rename")
        return blob_id


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
        blob_id = await asyncio.to_thread(self._store.install, self._tmp, fd)
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
