"""Streamed erasure coding for an asyncio server: stripes in, framed shards out, flat memory.

Encoding reads the body one stripe at a time, hands each stripe to a worker and writes the k+m frames
to their shard sinks in parallel, with at most `depth` stripes in flight: memory stays at a few
stripes whatever the object size, and a slow shard holder slows the writer instead of growing a
buffer. A sink that fails is dropped; the write fails (`Unavailable`) only when fewer than
`write_quorum` shards (k+1 by default, DESIGN.md §7) are still being written.

Reading decodes any k verified frames of each needed stripe, trying the data shards first (with all
k data shards present, pyeclib only strips headers). A frame that is missing, unreadable or fails its
checksum is reported through `on_bad_shard` (the repair queue) and another shard is read instead.

Workers: pyeclib holds the GIL while it codes (its C extension never releases it), so with a thread
pool the loop waits at most one stripe's coding (~0.35 ms per MiB at 3 GB/s) and coding uses one
core at a time; `make_executor(processes=True)` spreads coding over cores at the cost of pickling.
Both are `concurrent.futures.Executor`s, chosen by the caller (bench/erasure.py compares them).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import xxhash

from rucket.core.errors import CorruptBlob, Unavailable
from rucket.erasure.codec import STRIPE_SIZE, StripeLayout, decode_stripe, encode_stripe, tune_allocator, unframe


class ShardSink(Protocol):
    async def write(self, data: bytes) -> None: ...


class ShardSource(Protocol):
    async def read(self, offset: int, length: int) -> bytes: ...


BadShard = Callable[[int, int, str], None]  # (shard index, stripe, reason)


@dataclass(frozen=True)
class EncodedObject:
    """What the metadata record keeps about an erasure-coded object (besides the shard → node map)."""

    k: int
    m: int
    size: int
    stripe_size: int
    shard_checksums: tuple[int | None, ...]  # xxh3_64 of each shard stream; None = that shard was not written

    @property
    def layout(self) -> StripeLayout:
        return StripeLayout(self.k, self.m, self.size, self.stripe_size)

    @property
    def written(self) -> tuple[int, ...]:
        return tuple(i for i, c in enumerate(self.shard_checksums) if c is not None)


def make_executor(workers: int | None = None, *, processes: bool = False) -> Executor:
    """The coding pool. Threads by default: in bench/erasure.py runs here (2 cores, load ~8) they moved
    1.5-5x more bytes than processes, whose pickling and feeder thread cost more than the GIL one
    stripe holds (~0.5 ms at 2 GB/s), with a similar worst loop stall (15-60 ms, the scheduler's).
    Processes (forkserver: no copy of the server's threads or sockets) are there for hosts with idle
    cores. Either way the allocator is tuned (codec.tune_allocator)."""
    count = workers or os.cpu_count() or 1
    if processes:
        return ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("forkserver"),
                                   initializer=tune_allocator)
    tune_allocator()
    return ThreadPoolExecutor(max_workers=count, thread_name_prefix="rucket-ec")


async def stripes_of(source: AsyncIterator[bytes], stripe_size: int) -> AsyncIterator[bytes]:
    """Re-cut arbitrary body chunks into exact stripes (the last one shorter); holds < 2 stripes."""
    buffer = bytearray()
    async for chunk in source:
        buffer += chunk
        while len(buffer) >= stripe_size:
            yield bytes(buffer[:stripe_size])
            del buffer[:stripe_size]
    if buffer:
        yield bytes(buffer)


class _ShardWriter:
    def __init__(self, sinks: Sequence[ShardSink], quorum: int) -> None:
        self.sinks, self.quorum = sinks, quorum
        self.alive = set(range(len(sinks)))
        self.hashers = [xxhash.xxh3_64() for _ in sinks]

    async def write(self, frames: list[bytes]) -> None:
        targets = sorted(self.alive)
        results = await asyncio.gather(*(self.sinks[i].write(frames[i]) for i in targets), return_exceptions=True)
        for i, result in zip(targets, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                self.alive.discard(i)
            else:
                self.hashers[i].update(frames[i])
        if len(self.alive) < self.quorum:
            raise Unavailable(f"only {len(self.alive)} shards writable, {self.quorum} needed")


async def encode_stream(source: AsyncIterator[bytes], sinks: Sequence[ShardSink], k: int, m: int, *,
                        executor: Executor, stripe_size: int = STRIPE_SIZE, write_quorum: int | None = None,
                        depth: int = 3) -> EncodedObject:
    """Erasure-code a body into `sinks` (one per shard, index = shard number)."""
    if len(sinks) != k + m:
        raise ValueError(f"{k}+{m} needs {k + m} shard sinks, got {len(sinks)}")
    loop = asyncio.get_running_loop()
    writer = _ShardWriter(sinks, k + 1 if write_quorum is None else write_quorum)
    pending: deque[asyncio.Future[list[bytes]]] = deque()
    size = 0
    try:
        async for stripe in stripes_of(source, stripe_size):
            size += len(stripe)
            pending.append(loop.run_in_executor(executor, encode_stripe, k, m, stripe))
            if len(pending) >= depth:
                await writer.write(await pending.popleft())
        while pending:
            await writer.write(await pending.popleft())
    finally:
        for future in pending:
            future.cancel()
    if size == 0:
        raise ValueError("an empty object is never erasure coded")
    checksums = tuple(h.intdigest() if i in writer.alive else None for i, h in enumerate(writer.hashers))
    return EncodedObject(k, m, size, stripe_size, checksums)


async def read_range(obj: EncodedObject, sources: Sequence[ShardSource | None], start: int, end: int, *,
                     executor: Executor, on_bad_shard: BadShard | None = None) -> AsyncIterator[bytes]:
    """Bytes [start, end) of the object, decoded stripe by stripe from any k good shards."""
    layout, bad = obj.layout, set(i for i in range(obj.k + obj.m) if obj.shard_checksums[i] is None)
    report = on_bad_shard or (lambda _i, _s, _r: None)
    loop = asyncio.get_running_loop()
    for stripe in layout.stripes_for(start, end):
        fragments = await _gather_fragments(obj, layout, stripe, sources, bad, report)
        data = await loop.run_in_executor(executor, decode_stripe, obj.k, obj.m, fragments)
        base = stripe * layout.stripe_size
        yield data[max(start - base, 0):min(end - base, len(data))]


async def _gather_fragments(obj: EncodedObject, layout: StripeLayout, stripe: int,
                            sources: Sequence[ShardSource | None], bad: set[int], report: BadShard) -> dict[int, bytes]:
    candidates = [i for i in range(obj.k + obj.m) if sources[i] is not None and i not in bad]  # data first
    offset, length = layout.frame_offset(stripe), layout.frame_len(stripe)
    got: dict[int, bytes] = {}
    while len(got) < obj.k:
        batch, candidates = candidates[:obj.k - len(got)], candidates[obj.k - len(got):]
        if not batch:
            raise CorruptBlob(f"stripe {stripe}: only {len(got)} of {obj.k} shards readable")
        frames = await asyncio.gather(*(_read(sources[i], offset, length) for i in batch), return_exceptions=True)
        for i, result in zip(batch, frames, strict=True):
            try:
                if isinstance(result, BaseException):
                    raise result
                if len(result) != length:
                    raise CorruptBlob(f"short frame ({len(result)} of {length} bytes)")
                got[i] = unframe(result)
            except Exception as exc:  # unreachable holder, I/O error, bit rot: skip the shard, queue repair
                bad.add(i)
                report(i, stripe, f"{type(exc).__name__}: {exc}")
    return got


async def _read(source: ShardSource | None, offset: int, length: int) -> bytes:
    assert source is not None
    return await source.read(offset, length)


async def read_all(obj: EncodedObject, sources: Sequence[ShardSource | None], *, executor: Executor,
                   on_bad_shard: BadShard | None = None) -> AsyncIterator[bytes]:
    async for piece in read_range(obj, sources, 0, obj.size, executor=executor, on_bad_shard=on_bad_shard):
        yield piece
