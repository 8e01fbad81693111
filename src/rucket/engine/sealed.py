"""Encrypted bytes through the blob store: a sealing writer and range readers that open.

The writer wraps the ordinary `BlobWriter`: plaintext is hashed (MD5 for the ETag, the
requested checksums) and sealed in 1 MiB batches in a worker thread, then handed to the
inner writer, which decides inline-vs-file on the *sealed* size, CRCs the ciphertext for
blob integrity (blobs/integrity.py) and makes it durable exactly as for plaintext. So small
encrypted objects go to the metadata database's `inline_data` table as ciphertext too.

The readers turn a plaintext range into the ciphertext span blobs/crypto.py computes and
open it block by block, in a worker thread for large chunks. A whole-object read reads the
whole file in one pass (the header comes with it, and blobs/local.py verifies the file's
CRC on the way); a range read needs the 16-byte header first, kept in a small cache per
blob id (blobs are immutable, and the header is authenticated by every block anyway).
Encrypted GETs never use pathsend: the file on disk is not the response body.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Protocol

from rucket.blobs import crypto
from rucket.blobs.base import WrittenBlob
from rucket.blobs.local import BlobWriter, LocalBlobs
from rucket.core import checksums, errors
from rucket.core.checksums import Hasher
from rucket.core.model import INLINE, ObjectVersion
from rucket.engine.encryption import KEY_REQUIRED, RECORD, DataKey, record_of
from rucket.engine.store import Store

FLUSH = 1 << 20  # plaintext bytes per sealing batch (16 blocks of 64 KiB)
THREAD_MIN = 256 * 1024  # smaller batches are sealed/opened on the event loop (a thread hop costs more)
HEAD_READ = 1 << 20  # a range starting this close to the blob's start is read with its header in one pass


class Writer(Protocol):
    size: int

    async def write(self, data: bytes) -> None: ...
    async def finish(self) -> WrittenBlob: ...
    def abort(self) -> None: ...


class SealingWriter:
    """Same contract as BlobWriter; `finish()` reports plaintext size and digests."""

    def __init__(self, inner: BlobWriter, hashers: dict[str, Hasher], dk: DataKey) -> None:
        self._inner, self._hashers = inner, hashers
        self._sealer = crypto.Sealer(dk.key)
        self._buf = bytearray()
        self.size = 0

    async def write(self, data: bytes) -> None:
        self._buf += data
        self.size += len(data)
        if len(self._buf) >= FLUSH:
            buf, self._buf = bytes(self._buf), bytearray()
            await self._inner.write(await asyncio.to_thread(self._seal, buf, False))

    def _seal(self, buf: bytes, last: bool) -> bytes:
        view = memoryview(buf)
        for h in self._hashers.values():
            h.update(view)
        out = self._sealer.update(view)
        return out + self._sealer.finish() if last else out

    async def finish(self) -> WrittenBlob:
        buf, self._buf = bytes(self._buf), bytearray()
        tail = await asyncio.to_thread(self._seal, buf, True) if len(buf) >= THREAD_MIN else self._seal(buf, True)
        await self._inner.write(tail)
        inner = await self._inner.finish()
        digests = {name: h.digest() for name, h in self._hashers.items()}
        return WrittenBlob(self.size, digests, inline=inner.inline, blob_id=inner.blob_id)

    def abort(self) -> None:
        self._inner.abort()


def writer(blobs: LocalBlobs, hashers: dict[str, Hasher], inline_limit: int, dk: DataKey | None) -> Writer:
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


async def _gather(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])


async def _open_stream(opener: crypto.Opener, stream: AsyncIterator[bytes], skip: int) -> AsyncIterator[bytes]:
    """Feed ciphertext chunks (after dropping `skip` leading bytes) to `opener`; yield plaintext."""
    try:
        async for chunk in stream:
            if skip:
                cut, skip = min(skip, len(chunk)), skip - min(skip, len(chunk))
                chunk = chunk[cut:]
            if not chunk:
                continue
            out = await asyncio.to_thread(opener.update, chunk) if len(chunk) >= THREAD_MIN else opener.update(chunk)
            if out:
                yield out
        last = opener.finish()
        if last:
            yield last
    except crypto.TamperedBlob as exc:
        raise errors.CorruptBlob(f"encrypted blob fails authentication: {exc}") from exc


async def read_blob(blobs: LocalBlobs, headers: Headers, blob_id: str, dk: DataKey, size: int,
                    start: int, end: int) -> AsyncIterator[bytes]:
    """Plaintext [start, end) of the sealed blob `blob_id` holding a `size`-byte object."""
    if start >= end and size:
        return
    header = headers.get(blob_id)
    first = crypto.span(size, start, end)  # block size comes from the header; the default is a first guess
    if header is None and first.c_start > HEAD_READ:
        raw = await _gather(blobs.read(blob_id, 0, crypto.HEADER_SIZE))
        header = _parse(raw)
        headers.put(blob_id, header)
    if header is None:  # read from 0: the header and the span in one pass
        whole = crypto.sealed_size(size)
        stream = blobs.read(blob_id, 0, whole if end == size else first.c_end)
        head = await anext(stream)
        header = _parse(head[: crypto.HEADER_SIZE])
        headers.put(blob_id, header)
        opener = crypto.Opener(dk.key, header, size, start, end)
        async for out in _open_stream(opener, _prepend(head, stream), opener.span.c_start):
            yield out
        return
    opener = crypto.Opener(dk.key, header, size, start, end)
    async for out in _open_stream(opener, blobs.read(blob_id, opener.span.c_start, opener.span.c_end), 0):
        yield out


def _parse(raw: bytes) -> crypto.Header:
    try:
        return crypto.Header.parse(raw)
    except crypto.TamperedBlob as exc:
        raise errors.CorruptBlob(f"encrypted blob: {exc}") from exc


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk


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
    """Plaintext [start, end) of an encrypted version; refuses to read one without its key."""
    if dk is None or not encrypted(v):
        raise errors.InvalidRequest(KEY_REQUIRED)
    if v.blob_id == INLINE:
        data = v.data if v.data is not None else store.meta.read_inline(v.row_id)
        yield read_inline(data, dk, v.size, start, end)
        return
    if v.blob_id is None or start >= end:
        return
    async for chunk in read_blob(store.blobs, HEADERS, v.blob_id, dk, v.size, start, end):
        yield chunk
