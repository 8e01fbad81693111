"""Replicated blobs: each blob streamed to its placement group's 3 nodes at once, read from the nearest.

The `BlobStore` of cluster mode (DESIGN.md §7 "Write", "Read"), wrapping this node's `LocalBlobs`:

- **Write.** Bodies up to the inline limit stay in memory (they go into the metadata record, which
  etcd replicates). A larger body gets a random id and the PG of that id (xxh3 mod pg_count); the
  PG's node set at this map epoch becomes part of the blob id (`<hex>.<n1>.<n2>.<n3>-<crc64>`), so
  the version record names its holders and later map changes never make it unreadable. Every 1 MiB
  batch is hashed once here and sent to all holders in parallel (local: a temp file; remote: a
  chunked PUT to their internal API); each holder writes tmp → fsync → rename, computes the
  CRC64NVME itself and answers the blob id it installed, which must equal ours (same bytes). The
  write succeeds once the quorum of `x-rucket-durability` acked: `local` 1, `replicated` (default)
  2, `durable` all of the set; fewer → every copy is deleted and the client gets 503, so nothing
  half-written is ever referenced. Memory per upload: one batch, never the whole body.
- **Read.** This node's copy first, then holders in its zone, then the rest; each holder verifies
  its copy against the CRC in the name before the last byte goes out (blobs/integrity.py). A holder
  that is down, lacks the copy, or fails mid-stream is skipped and the next one continues from the
  byte where the previous stopped.
- **Delete** goes to every holder (best effort: a holder that is down keeps an orphan, which the
  scrubber of the healing issue reclaims).

A replica received from a peer is settled at once (no temp name): only the coordinator knows when the
commit happened, and a restart must not take a replica for an uncommitted local write.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import re
import secrets
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import xxhash

from rucket.blobs import integrity as ig
from rucket.blobs.base import Pace, WrittenBlob
from rucket.blobs.local import FLUSH_BYTES, LocalBlobs
from rucket.cluster import wire
from rucket.cluster.internal import PREFIX, PeerClient, PeerError, error, json_response
from rucket.cluster.signing import UNSIGNED_PAYLOAD, Verified
from rucket.core.checksums import Hasher
from rucket.core.errors import CorruptBlob, InvalidArgument, StorageFull, Unavailable

log = logging.getLogger("rucket.cluster.blobs")
DURABILITY: ContextVar[str] = ContextVar("rucket_durability", default="replicated")
HEADER = "x-rucket-durability"
QUORUM = {"local": 1, "replicated": 2, "durable": 99}  # capped at the holder count
RANDOM_ID = re.compile(r"[0-9a-f]{32}(\.[A-Za-z0-9_]{1,32})+")
SEND_TIMEOUT = 15.0  # a holder that takes no batch for this long is dropped from the write
STRAGGLER_GRACE = 1.0  # once the quorum acked a step, the slower holders get this long to catch up
T = TypeVar("T")


class Placement(Protocol):
    """What the replicated store needs from the node runtime (cluster/node.py)."""

    @property
    def node_id(self) -> str: ...

    def holders_for(self, pg_key: str) -> tuple[str, ...]: ...
    def reachable(self, node_id: str) -> bool: ...
    def internal_of(self, node_id: str) -> str | None: ...
    def zone_of(self, node_id: str) -> str: ...


def holders_of(blob_id: str) -> tuple[str, ...]:
    """The node ids a blob id names (a pre-cluster id names none: it lives on this node only)."""
    random_part = blob_id.rpartition(ig.SEP)[0] if ig.SEP in blob_id else blob_id
    return tuple(random_part.split(".")[1:])


def durability() -> int:
    """Acks the current request needs (`x-rucket-durability`, set per request by server.py)."""
    name = DURABILITY.get()
    if name not in QUORUM:
        raise InvalidArgument(f"{HEADER} must be local, replicated or durable, not {name!r}")
    return QUORUM[name]


class LocalShard:
    """One copy being written on this node under a given random id: tmp → fsync → rename on `finish`."""

    def __init__(self, local: LocalBlobs, random_id: str) -> None:
        self.local, self.random_id = local, random_id
        self.tmp = local.tmp / random_id
        self.fd: int | None = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self.crc = 0
        self.size = 0
        self._lock = threading.Lock()  # a write still running in its thread when the copy is aborted

    def _write(self, data: bytes, crc: int | None) -> None:
        with self._lock:
            if self.fd is None:
                raise OSError(errno.EBADF, "copy aborted")
            view = memoryview(data)
            self.crc = ig.crc64(view, self.crc) if crc is None else crc
            while view:
                view = view[os.write(self.fd, view):]
            self.size += len(data)

    async def write(self, data: bytes, crc: int | None = None) -> None:
        """`crc`: the running CRC the caller already computed (the coordinator hashes each batch once)."""
        try:
            await asyncio.to_thread(self._write, data, crc)
        except OSError as exc:
            self.abort()
            if exc.errno == errno.ENOSPC:
                raise StorageFull("no space left for a blob copy on this node") from exc
            raise

    async def finish(self) -> str:
        fd, self.fd = self.fd, None
        assert fd is not None
        return await asyncio.to_thread(self.local.install, self.tmp, fd, self.crc)

    def abort(self) -> None:
        with self._lock:
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None
        self.tmp.unlink(missing_ok=True)


class _Sink(Protocol):
    node: str

    async def send(self, data: bytes, crc: int) -> None: ...
    async def finish(self) -> str: ...
    def abort(self) -> None: ...


@dataclass
class _LocalSink:
    node: str
    shard: LocalShard

    async def send(self, data: bytes, crc: int) -> None:
        await self.shard.write(data, crc)

    async def finish(self) -> str:
        return await self.shard.finish()

    def abort(self) -> None:
        self.shard.abort()


@dataclass
class _RemoteSink:
    node: str
    upload: wire.Upload

    async def send(self, data: bytes, crc: int) -> None:
        await self.upload.send(data)

    async def finish(self) -> str:
        reply = await self.upload.finish()
        body = await reply.read(1 << 16)
        if reply.status != 200:
            raise PeerError(f"{self.node} refused the copy: {reply.status} {body[:200]!r}")
        return str(json.loads(body)["blob_id"])

    def abort(self) -> None:
        self.upload.abort()


async def quorum_gather(steps: list[Awaitable[T]], quorum: int, *, timeout: float = SEND_TIMEOUT,
                        grace: float = STRAGGLER_GRACE) -> list[T | BaseException]:
    """Run one step per holder; once `quorum` succeeded, the others get `grace` seconds more, then they
    count as failed (a paused or overloaded holder must not hold every write for the full timeout)."""
    tasks = [asyncio.ensure_future(step) for step in steps]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    pending = set(tasks)
    while pending:
        ok = sum(1 for t in tasks if t.done() and not t.cancelled() and t.exception() is None)
        limit = deadline - loop.time()
        if ok >= quorum:
            limit = min(limit, grace)
            deadline = min(deadline, loop.time() + grace)
        if limit <= 0:
            break
        _, pending = await asyncio.wait(pending, timeout=limit, return_when=asyncio.FIRST_COMPLETED)
    for t in pending:
        t.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    out: list[T | BaseException] = []
    for t in tasks:
        if t.cancelled():
            out.append(TimeoutError("holder too slow: dropped after the write quorum was reached"))
        elif t.exception() is not None:
            out.append(t.exception())  # type: ignore[arg-type]
        else:
            out.append(t.result())
    return out


class ReplicatedWriter:
    def __init__(self, store: ReplicatedBlobs, hashers: dict[str, Hasher], inline_limit: int) -> None:
        self.store, self.hashers, self.limit = store, hashers, inline_limit
        self.quorum = durability()  # checked before the first byte: a bad header fails fast
        self.size = 0
        self._buf = bytearray()
        self._sinks: list[_Sink] | None = None
        self._random = ""
        self._crc = 0
        self._installed: list[tuple[str, str]] = []  # (node, blob id) of finished copies

    async def write(self, data: bytes) -> None:
        self._buf += data
        self.size += len(data)
        if self._sinks is None and len(self._buf) > self.limit:
            await self._open()
        if self._sinks is not None and len(self._buf) >= FLUSH_BYTES:
            await self._push()

    async def _open(self) -> None:
        hex_id = secrets.token_hex(16)
        holders = self.store.place.holders_for(hex_id)
        self._random = hex_id + "." + ".".join(holders)
        self.quorum = min(self.quorum, len(holders))
        reachable = [h for h in holders if self.store.place.reachable(h)]
        if len(reachable) < self.quorum:
            raise Unavailable(f"only {len(reachable)} of the {len(holders)} holders of this object are up; "
                              f"{self.quorum} must acknowledge the write ({HEADER}: {DURABILITY.get()})")
        opened = await asyncio.gather(*(self.store.open_sink(h, self._random) for h in reachable),
                                      return_exceptions=True)
        self._sinks = [s for s in opened if not isinstance(s, BaseException)]
        for h, s in zip(reachable, opened, strict=True):
            if isinstance(s, BaseException):
                log.warning("holder %s unavailable for a write: %s", h, s)
        self._check_quorum()

    def _check_quorum(self) -> None:
        assert self._sinks is not None
        if len(self._sinks) + len(self._installed) < self.quorum:
            self.abort()
            raise Unavailable(f"write quorum lost: {len(self._sinks)} holder(s) left, {self.quorum} needed")

    def _hash(self, buf: bytes) -> int:
        view = memoryview(buf)
        for h in self.hashers.values():
            h.update(view)
        return ig.crc64(view, self._crc)

    async def _push(self) -> None:
        buf, self._buf = bytes(self._buf), bytearray()
        if not buf:
            return
        self._crc = await asyncio.to_thread(self._hash, buf)
        assert self._sinks is not None
        results = await quorum_gather([s.send(buf, self._crc) for s in self._sinks], self.quorum)
        self._drop_failed(results)

    def _drop_failed(self, results: list[Any]) -> None:
        assert self._sinks is not None
        kept = []
        for sink, result in zip(self._sinks, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("holder %s dropped from a write: %r", sink.node, result)
                sink.abort()
            else:
                kept.append(sink)
        self._sinks = kept
        self._check_quorum()

    async def finish(self) -> WrittenBlob:
        if self._sinks is None:  # small enough to live in the metadata record
            buf, self._buf = bytes(self._buf), bytearray()
            for h in self.hashers.values():
                h.update(buf)
            return WrittenBlob(self.size, self._digests(), inline=buf)
        await self._push()
        expected = ig.name_for(self._random, self._crc)
        sinks, self._sinks = self._sinks, []
        results = await quorum_gather([s.finish() for s in sinks], self.quorum)
        for sink, result in zip(sinks, results, strict=True):
            if result == expected:
                self._installed.append((sink.node, expected))
            else:
                log.warning("holder %s did not install %s: %r", sink.node, expected, result)
                if isinstance(result, str):  # installed other bytes than we sent: never keep that copy
                    self.store.forget(sink.node, result)
        self._check_quorum()
        self.store.written += 1
        return WrittenBlob(self.size, self._digests(), blob_id=expected)

    def _digests(self) -> dict[str, bytes]:
        return {name: h.digest() for name, h in self.hashers.items()}

    def abort(self) -> None:
        for sink in self._sinks or []:
            sink.abort()
        self._sinks = []
        for node, blob_id in self._installed:
            self.store.forget(node, blob_id)
        self._installed = []


class ReplicatedBlobs:
    def __init__(self, local: LocalBlobs, place: Placement, peers: PeerClient) -> None:
        self.local, self.place, self.peers = local, place, peers
        self.root, self.tmp, self.stats = local.root, local.tmp, local.stats
        self.written = self.fallbacks = 0
        self._background: set[asyncio.Task[None]] = set()

    # ---- writes ------------------------------------------------------------
    def writer(self, hashers: dict[str, Hasher], inline_limit: int) -> ReplicatedWriter:
        return ReplicatedWriter(self, hashers, inline_limit)

    async def open_sink(self, node: str, random_id: str) -> _Sink:
        if node == self.place.node_id:
            return _LocalSink(node, LocalShard(self.local, random_id))
        address = self.place.internal_of(node)
        if address is None:
            raise PeerError(f"no internal address known for {node}")
        path = f"{PREFIX}/blobs/{random_id}"
        headers = self.peers.headers("PUT", path, {}, UNSIGNED_PAYLOAD)
        return _RemoteSink(node, await wire.upload(address, "PUT", path, {}, headers, timeout=SEND_TIMEOUT))

    def settle(self, blob_id: str) -> None:
        self.local.settle(blob_id)  # remote copies were settled when they were installed

    def delete(self, blob_id: str) -> None:
        for node in holders_of(blob_id) or (self.place.node_id,):
            self.forget(node, blob_id)

    def forget(self, node: str, blob_id: str) -> None:
        """Delete one copy (best effort, in the background for a remote holder)."""
        if node == self.place.node_id or not holders_of(blob_id):
            self.local.delete(blob_id)
            return
        address = self.place.internal_of(node)
        if address is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # start-up recovery (no loop): the remote copy stays an orphan for the scrubber
        task = loop.create_task(self._remote_delete(node, address, blob_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _remote_delete(self, node: str, address: str, blob_id: str) -> None:
        try:
            await self.peers.call(address, "DELETE", f"{PREFIX}/blobs/{blob_id}")
        except PeerError as exc:
            log.warning("copy %s on %s not deleted (orphan until scrubbed): %s", blob_id, node, exc)

    # ---- reads -------------------------------------------------------------
    def order(self, blob_id: str) -> list[str]:
        """Nearest first: this node, its zone, the others; unreachable holders last (tried only if all else fails)."""
        me, zone = self.place.node_id, self.place.zone_of(self.place.node_id)
        holders = list(holders_of(blob_id)) or [me]
        return sorted(holders, key=lambda h: (not self.place.reachable(h) and h != me, h != me,
                                              self.place.zone_of(h) != zone, holders.index(h)))

    async def read(self, blob_id: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Holders verify what they send (a remote holder before the first byte); a local copy found
        corrupt after bytes went out cuts the response (those bytes cannot be taken back) and is
        quarantined, so the client's retry is served from another holder."""
        pos, errors = start, []
        for node in self.order(blob_id):
            try:
                source = self._local_read(blob_id, pos, end) if node == self.place.node_id else \
                    self._remote_read(node, blob_id, pos, end)
                async for chunk in source:
                    pos += len(chunk)
                    yield chunk
                if pos >= end or start >= end:
                    return
                raise CorruptBlob(f"{node} ended the copy at byte {pos}, {end} expected")
            except CorruptBlob as exc:
                if node == self.place.node_id:
                    self.quarantine(blob_id)
                if pos > start:
                    raise
                errors.append(f"{node}: {exc}")
                self.fallbacks += 1
                log.warning("blob %s from %s is corrupt, trying the next holder: %s", blob_id, node, exc)
            except (FileNotFoundError, PeerError, wire.WireError) as exc:
                errors.append(f"{node}: {exc}")
                self.fallbacks += 1
                log.warning("blob %s from %s failed at byte %d, trying the next holder: %s", blob_id, node, pos, exc)
        if any("corrupt" in e.lower() or "CRC" in e for e in errors):
            raise CorruptBlob(f"no holder served blob {blob_id} intact: {'; '.join(errors)}")
        raise Unavailable(f"no holder of blob {blob_id} answered: {'; '.join(errors)}")

    def quarantine(self, blob_id: str) -> None:
        """Move a corrupt local copy aside (never served again; the other holders still have theirs)."""
        aside = self.local.root / "quarantine"
        aside.mkdir(exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.replace(self.local.path(blob_id), aside / blob_id)
            log.error("corrupt copy of %s quarantined in %s", blob_id, aside)
        self.local.verified.drop(blob_id)

    async def _local_read(self, blob_id: str, start: int, end: int) -> AsyncIterator[bytes]:
        async for chunk in self.local.read(blob_id, start, end):
            yield chunk

    async def _remote_read(self, node: str, blob_id: str, start: int, end: int) -> AsyncIterator[bytes]:
        address = self.place.internal_of(node)
        if address is None:
            raise PeerError(f"no internal address known for {node}")
        path, query = f"{PREFIX}/blobs/{blob_id}", {"start": str(start), "end": str(end)}
        reply = await wire.request(address, "GET", path, query, self.peers.headers("GET", path, query,
                                                                                    UNSIGNED_PAYLOAD), timeout=10)
        try:
            if reply.status != 200:
                raise PeerError(f"{node}: {reply.status} {(await reply.body.read(4096))[:200]!r}")
            async for chunk in reply.body:
                yield chunk
        finally:
            reply.release()

    # ---- this node's copies (scrubber, fsck, pathsend) ----------------------
    def path(self, blob_id: str) -> Path:
        return self.local.path(blob_id)

    def trusted(self, blob_id: str) -> bool:
        return self.local.trusted(blob_id)

    async def check(self, blob_id: str, pace: Pace | None = None) -> tuple[str, int]:
        return await self.local.check(blob_id, pace)

    def files(self) -> Iterator[str]:
        return self.local.files()

    def recover(self, is_referenced: Callable[[str], bool]) -> tuple[int, int]:
        return self.local.recover(is_referenced)


# ---- the holder's side: internal API routes --------------------------------
class BlobRoutes:
    """PUT/GET/DELETE /internal/v1/blobs/<id> on this node's LocalBlobs."""

    def __init__(self, local: LocalBlobs) -> None:
        self.local = local
        self.received = 0

    def install(self, api: Any) -> None:
        api.route("PUT", "blobs", self.put)
        api.route("GET", "blobs", self.get)
        api.route("DELETE", "blobs", self.delete)

    @staticmethod
    def _id(req: wire.Request) -> str:
        return req.path.rsplit("/", 1)[-1]

    async def put(self, req: wire.Request, verified: Verified) -> wire.Response:
        random_id = self._id(req)
        if not RANDOM_ID.fullmatch(random_id):
            return error(400, "BadBlobId", random_id)
        try:
            shard = LocalShard(self.local, random_id)
        except FileExistsError:
            return error(409, "BlobExists", random_id)
        try:
            batch = bytearray()
            async for chunk in req.body:
                batch += chunk
                if len(batch) >= FLUSH_BYTES:
                    data, batch = bytes(batch), bytearray()
                    await shard.write(data)
            await shard.write(bytes(batch))
            blob_id = await shard.finish()
        except StorageFull as exc:
            return error(507, "StorageFull", str(exc))
        except BaseException:
            shard.abort()
            raise
        self.local.settle(blob_id)  # see the module docstring: a replica has no temp name
        self.received += 1
        return json_response(200, {"blob_id": blob_id, "size": shard.size})

    async def get(self, req: wire.Request, verified: Verified) -> wire.Response:
        blob_id = self._id(req)
        try:
            start, end = int(req.query["start"]), int(req.query["end"])
        except (KeyError, ValueError):
            return error(400, "BadRange", "start and end are required integers")
        if not self._verified(blob_id):  # send only checked bytes: the reader cannot take any back
            state, _ = await self.local.check(blob_id)
            if state == "missing":
                return error(404, "NoSuchBlob", blob_id)
            if state == "corrupt":
                return error(409, "CorruptBlob", f"this node's copy of {blob_id} fails its CRC64NVME")
        chunks = self.local.read(blob_id, start, end)
        try:
            first = await anext(chunks)
        except StopAsyncIteration:
            first = b""
        except FileNotFoundError:
            return error(404, "NoSuchBlob", blob_id)
        except CorruptBlob as exc:
            return error(409, "CorruptBlob", str(exc))

        async def stream() -> AsyncIterator[bytes]:
            yield first
            async for chunk in chunks:
                yield chunk

        return wire.Response(200, {"content-type": "application/octet-stream"}, stream())

    def _verified(self, blob_id: str) -> bool:
        try:
            ident = ig.Identity.of(os.stat(self.local.path(blob_id)))
        except OSError:
            return False
        return self.local.verified.get(blob_id, ident) is not None

    async def delete(self, req: wire.Request, verified: Verified) -> wire.Response:
        blob_id = self._id(req)
        if ig.SEP not in blob_id or not RANDOM_ID.fullmatch(blob_id.rpartition(ig.SEP)[0]):
            return error(400, "BadBlobId", blob_id)
        with contextlib.suppress(FileNotFoundError):
            self.local.delete(blob_id)
        return json_response(200, {"deleted": blob_id})


def pg_of_blob(random_id: str, pg_count: int) -> int:
    """The PG of a blob: its random id hashed (the engine hands the BlobStore bytes, not a key)."""
    return int(xxhash.xxh3_64_intdigest(random_id.encode())) % pg_count
