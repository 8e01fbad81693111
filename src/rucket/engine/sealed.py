"""Encrypted bytes through the blob store: a sealing writer and range readers that open.

The writer wraps the ordinary `BlobWriter`: plaintext is hashed (MD5 for the ETag, the
requested checksums) and sealed in 1 MiB batches in a worker thread, then handed to the
inner writer, which decides inline-vs-file on the *sealed* size, CRCs the ciphertext for
blob integrity (blobs/integrity.py) and makes it durable exactly as for plaintext. So small
encrypted objects go to the metadata database's `inline_data` table as ciphertext too.

The readers turn a plaintext range into the ciphertext span blobs/crypto.py computes, cut
into 1 MiB runs of blocks that are each read and opened in one worker-thread call, up to
DEPTH ahead, and yielded in order; only that span is read (plus the 16-byte header, cached
per blob id: blobs are immutable). A run is read into its thread's own buffer and opened into
a pooled one (`Reusable`), so a GET allocates no fresh megabyte per step. The readers skip the
blob's CRC pass: every GCM tag authenticates its block (and the header, bound into each
block's associated data), so corruption is caught either way, and a range read does not
have to read the whole blob first. Encrypted GETs never use pathsend: the file is not the
body. The blob store's abstraction is bypassed for these reads only (the file is opened by
path, as pathsend does), to save a thread hop per MiB.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable
from typing import Protocol, cast

from rucket.blobs import crypto
from rucket.blobs.base import BlobSink, BlobStore, WrittenBlob
from rucket.core import checksums, errors
from rucket.core.checksums import Hasher
from rucket.core.model import INLINE, ObjectVersion
from rucket.core.multipart import PARTS
from rucket.engine.encryption import KEY_REQUIRED, MODE_S3, RECORD, DataKey, record_of
from rucket.engine.store import Store

FLUSH = 1 << 20  # plaintext bytes per sealing batch (16 blocks of 64 KiB)
READ_STEP = 1 << 20  # ciphertext bytes per read+open step of a GET (2 MiB steps fall out of L2: slower)
DEPTH = 4  # steps in flight: read-ahead that absorbs thread wake-up jitter (2 cores, paired runs:
#            2 -> 74 %, 4 -> 82 %, 6 -> 91 % of plaintext GET; 6 would occupy every default executor thread)
THREAD_MIN = 256 * 1024  # smaller batches are sealed/opened on the event loop (a thread hop costs more)
GIL = bool(getattr(sys, "_is_gil_enabled", lambda: True)())  # False only on a free-threaded build


class Reusable:
    """Megabyte buffers handed out again once nobody else holds them, so a long GET or PUT does
    not allocate a fresh one per step: glibc maps and unmaps (or trims) buffers that big, and
    faulting their pages back in took more than half the decrypting threads' CPU on a GET and
    50-60k page faults a second on the event loop thread on a PUT.

    Whoever keeps a chunk (a list of chunks, a memoryview, a socket transport that buffers it)
    holds a reference, and CPython's reference count says so: a buffer is reused only when the
    pool's own reference is the last one. The count of a free buffer is measured through the
    same code path at construction, not assumed. Small buffers come cheaply from malloc's
    arenas: not pooled; nor is anything on a free-threaded build, whose reference counts are
    not read this way. A reused buffer still holds an earlier object's bytes: callers fill
    it whole (a run opened into it) or read back only what they wrote (a PUT batch)."""

    def __init__(self, keep: int = 8, least: int = THREAD_MIN, *, refcounts: bool = GIL) -> None:
        self._bufs: list[bytearray] = [bytearray(0)]
        self._lock = threading.Lock()
        self._keep, self._least = keep, least if refcounts else sys.maxsize
        self._idle = self._refs(0)
        self._bufs.clear()

    def _refs(self, i: int) -> int:
        return sys.getrefcount(self._bufs[i])

    def take(self, n: int) -> bytearray:
        if n < self._least:
            return bytearray(n)
        with self._lock:
            for i in range(len(self._bufs)):
                if len(self._bufs[i]) == n and self._refs(i) == self._idle:
                    return self._bufs[i]
            buf = bytearray(n)
            if len(self._bufs) >= self._keep:  # make room: the oldest, free or not
                del self._bufs[0]
            self._bufs.append(buf)
            return buf


BUFFERS = Reusable(keep=16)  # GET outputs and PUT batches, shared by all requests


class Writer(Protocol):
    size: int

    async def write(self, data: bytes) -> None: ...
    async def finish(self) -> WrittenBlob: ...
    def abort(self) -> None: ...


class SealingWriter:
    """Same contract as BlobWriter; `finish()` reports plaintext size and digests.

    Batches are pipelined: batch N is hashed, sealed and written by a background task while
    the request body of batch N+1 is still being received (at most one batch in flight, so
    memory stays at ~2 MiB and the order of the hashes and of the file is kept)."""

    def __init__(self, inner: BlobSink, hashers: dict[str, Hasher], dk: DataKey) -> None:
        self._inner, self._hashers = inner, hashers
        self._sealer = crypto.Sealer(dk.key)
        self._buf = bytearray()
        self._pair: list[bytearray] | None = None  # batch buffers once the body passes FLUSH
        self._n = 0  # bytes filled in self._pair[0]
        self._task: asyncio.Future[None] | None = None
        self.size = 0

    async def write(self, data: bytes) -> None:
        """A small body grows one buffer. Past the first batch, two pooled batch buffers take
        turns, one filling while the other is sealed: no megabyte is allocated per batch."""
        self.size += len(data)
        view = memoryview(data)
        if self._pair is None:
            self._buf += view
            if len(self._buf) >= FLUSH:
                buf, self._buf = self._buf, bytearray()  # handed over, not copied
                self._pair = [BUFFERS.take(FLUSH), BUFFERS.take(FLUSH)]
                await self._hand_off(buf)
            return
        while view:
            cur = self._pair[0]
            k = min(len(view), FLUSH - self._n)
            cur[self._n:self._n + k] = view[:k]
            self._n, view = self._n + k, view[k:]
            if self._n == FLUSH:
                self._pair.reverse()  # the other one is free once _hand_off has drained its batch
                self._n = 0
                await self._hand_off(cur)

    async def _hand_off(self, buf: bytearray) -> None:
        await self._drain()
        self._task = asyncio.ensure_future(self._flush(buf))

    async def _flush(self, buf: bytearray) -> None:
        batch = await asyncio.to_thread(self._seal, buf, False)
        await self._inner.write(cast(bytes, batch))  # bytes-like: BlobWriter appends it to its buffer

    async def _drain(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            await task

    def _seal(self, buf: bytes | bytearray, last: bool) -> bytes | bytearray:
        view = memoryview(buf)
        for h in self._hashers.values():
            h.update(view)
        out = self._sealer.update(view)
        return out + self._sealer.finish() if last else out

    async def finish(self) -> WrittenBlob:
        await self._drain()
        buf = bytes(memoryview(self._pair[0])[:self._n]) if self._pair is not None else bytes(self._buf)
        self._buf, self._pair = bytearray(), None
        tail = await asyncio.to_thread(self._seal, buf, True) if len(buf) >= THREAD_MIN else self._seal(buf, True)
        await self._inner.write(bytes(tail))
        inner = await self._inner.finish()
        digests = {name: h.digest() for name, h in self._hashers.items()}
        return WrittenBlob(self.size, digests, inline=inner.inline, blob_id=inner.blob_id)

    def abort(self) -> None:
        """A batch still in flight owns the inner writer's file: abort it once that batch is done."""
        task, self._task = self._task, None
        if task is None or task.done():
            _consume(task)
            self._inner.abort()
            return
        def later(t: asyncio.Future[None]) -> None:
            _consume(t)
            self._inner.abort()

        task.add_done_callback(later)


def _consume(task: asyncio.Future[None] | None) -> None:
    """Retrieve a finished background task's exception (the request failed anyway)."""
    if task is not None and task.done() and not task.cancelled():
        task.exception()


def writer(blobs: BlobStore, hashers: dict[str, Hasher], inline_limit: int, dk: DataKey | None) -> Writer:
    """The plain BlobWriter, or one that seals under `dk` first."""
    if dk is None:
        return blobs.writer(hashers, inline_limit)
    return SealingWriter(blobs.writer({}, inline_limit), hashers, dk)


class Headers:
    """Blob id -> parsed header, bounded LRU (a range GET then costs one read, not two)."""

    def __init__(self, limit: int = 4096) -> None:
        self._items: OrderedDict[str, crypto.Header] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def get(self, blob_id: str) -> crypto.Header | None:
        with self._lock:
            h = self._items.get(blob_id)
            if h is not None:
                self._items.move_to_end(blob_id)
            return h

    def put(self, blob_id: str, header: crypto.Header) -> None:
        with self._lock:
            self._items[blob_id] = header
            self._items.move_to_end(blob_id)
            while len(self._items) > self._limit:
                self._items.popitem(last=False)


async def read_blob(blobs: BlobStore, headers: Headers, blob_id: str, dk: DataKey, size: int,
                    start: int, end: int) -> AsyncIterator[bytes | bytearray]:
    """Plaintext [start, end) of the sealed blob `blob_id` holding a `size`-byte object: the
    header (cached), then only the blocks the range needs."""
    if start >= end and size:
        return
    fd = os.open(blobs.path(blob_id), os.O_RDONLY)
    try:
        header = headers.get(blob_id)
        if header is None:
            header = _parse(_pread(fd, crypto.HEADER_SIZE, 0, blob_id))
            headers.put(blob_id, header)
        cipher, final = crypto.Cipher(dk.key, header), crypto.blocks_of(size, header.block) - 1
        segs = crypto.segments(size, start, end, header.shift, max(1, READ_STEP // (header.block + crypto.TAG)))

        def work(seg: crypto.Segment) -> bytes | bytearray:
            sealed_run = _read_into(fd, seg.c_end - seg.c_start, seg.c_start, blob_id)
            return cipher.open_segment(sealed_run, seg, final, BUFFERS.take(seg.hi - seg.lo))

        async for out in _in_order(work, segs):
            yield out
    except crypto.TamperedBlob as exc:
        raise errors.CorruptBlob(f"encrypted blob {blob_id} fails authentication: {exc}") from exc
    finally:
        os.close(fd)


_LOCAL = threading.local()
_KEEP_INPUT = 4 << 20  # per worker thread; a larger run (huge blocks) reads into a one-off buffer


def _read_into(fd: int, n: int, pos: int, blob_id: str) -> memoryview:
    """Ciphertext [pos, pos + n) in this thread's own reused buffer (it never leaves the thread)."""
    buf = getattr(_LOCAL, "buf", None)
    if buf is None or len(buf) < n:
        buf = bytearray(n)
        if n <= _KEEP_INPUT:
            _LOCAL.buf = buf
    view = memoryview(buf)[:n]
    if os.preadv(fd, [view], pos) != n:
        raise errors.CorruptBlob(f"encrypted blob {blob_id} is shorter than recorded")
    return view


def _pread(fd: int, n: int, pos: int, blob_id: str) -> bytes:
    data = os.pread(fd, n, pos)
    if len(data) != n:
        raise errors.CorruptBlob(f"encrypted blob {blob_id} is shorter than recorded")
    return data


async def _in_order(work: Callable[[crypto.Segment], bytes | bytearray],
                    segs: list[crypto.Segment]) -> AsyncIterator[bytes | bytearray]:
    """Read and open each segment in ONE worker-thread call, up to DEPTH at once (segments are
    independent, so the cores decrypt ahead while the event loop sends), yielding in order. The
    blob's CRC pass is skipped: each block's GCM tag already proves every byte (the header
    too: it is in every block's associated data)."""
    pending: deque[asyncio.Future[bytes | bytearray]] = deque()
    try:
        for seg in segs:
            if seg.c_end - seg.c_start < THREAD_MIN and not pending:
                out = work(seg)
            else:
                pending.append(asyncio.ensure_future(asyncio.to_thread(work, seg)))
                out = await pending.popleft() if len(pending) >= DEPTH else b""
            if out:
                yield out
        while pending:
            out = await pending.popleft()
            if out:
                yield out
    finally:
        if pending:  # the consumer went away mid-stream: let the reads finish before the fd closes
            await asyncio.wait(pending)
            for f in pending:
                if not f.cancelled():
                    f.exception()


def _parse(raw: bytes) -> crypto.Header:
    try:
        return crypto.Header.parse(raw)
    except crypto.TamperedBlob as exc:
        raise errors.CorruptBlob(f"encrypted blob: {exc}") from exc


def read_inline(data: bytes, dk: DataKey, size: int, start: int, end: int) -> bytes:
    """Plaintext [start, end) of an inline object's sealed bytes."""
    try:
        return crypto.open_range(dk.key, data, size, start, end)
    except crypto.TamperedBlob as exc:
        raise errors.CorruptBlob(f"encrypted inline object: {exc}") from exc


# ---- what engine/objects.py asks ----------------------------------------------------------
HEADERS = Headers()  # blob ids are random and never reused, so one cache serves every store


def encrypted(v: ObjectVersion) -> bool:
    return record_of(v.extra) is not None


def etag_of(w: WrittenBlob, dk: DataKey | None) -> str:
    return dk.etag(w.digests["MD5"]) if dk is not None else checksums.quoted_etag(w.digests["MD5"])


def extra_of(dk: DataKey | None) -> dict[str, object]:
    """What a new version's `extra` records about its encryption (nothing when plaintext)."""
    return {RECORD: dk.record()} if dk is not None else {}


async def read_version(store: Store, v: ObjectVersion, start: int, end: int,
                       dk: DataKey | None) -> AsyncIterator[bytes]:
    """Plaintext [start, end) of an encrypted version; refuses to read one without its key.

    Chunks may be pooled bytearrays (`Reusable`), typed as bytes for callers that need only the
    bytes-like protocol (send, write, hash, join); one that keeps a chunk keeps it intact."""
    if dk is None or not encrypted(v):
        raise errors.InvalidRequest(KEY_REQUIRED)
    if v.blob_id == INLINE:
        data = v.data if v.data is not None else store.index.read_inline(v.row_id)
        yield read_inline(data, dk, v.size, start, end)
        return
    if v.blob_id is None or start >= end:
        return
    if v.blob_id == PARTS:  # every part blob is sealed under the upload's data key, each with its own header
        for part in store.index.version_parts(v.row_id, start, end):
            lo, hi = max(start, part.offset) - part.offset, min(end, part.offset + part.size) - part.offset
            if part.blob_id is not None and lo < hi:
                async for chunk in read_blob(store.blobs, HEADERS, part.blob_id, dk, part.size, lo, hi):
                    yield cast(bytes, chunk)
        return
    async for chunk in read_blob(store.blobs, HEADERS, v.blob_id, dk, v.size, start, end):
        yield cast(bytes, chunk)


def shared_etag(src: ObjectVersion, src_dk: DataKey | None, dest_dk: DataKey | None) -> str | None:
    """A copy's ETag when it can share the source's bytes; None when they must be re-encoded.

    Sharing needs the same bytes: both plaintext, or both sealed under the same data key (the
    destination's envelope rewraps the source's key). The ETag then follows the destination's
    mode: SSE-S3 and plaintext show the MD5, SSE-C/KMS the keyed value (equal for one data
    key). Only a single-part C/KMS source copied to SSE-S3 lacks the MD5 it would need (its
    ETag hides it): that copy is re-encoded, which computes it. Multipart ETags stay as they are."""
    if src_dk is None or dest_dk is None:
        return src.etag if src_dk is None and dest_dk is None else None
    if src_dk.key != dest_dk.key:
        return None
    if "-" in src.etag or (src_dk.mode == MODE_S3) == (dest_dk.mode == MODE_S3):
        return src.etag
    if src_dk.mode == MODE_S3:
        return dest_dk.etag(bytes.fromhex(src.etag.strip('"')))
    return None
