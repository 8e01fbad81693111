"""Streamed encode/decode through worker pools: loss, rot, ranges, quorum, flat memory, a free loop."""

from __future__ import annotations

import asyncio
import os
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor

import pytest
import xxhash
from bench.erasure import StallMeter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.erasure.shards import MemoryShard

from rucket.core.errors import CorruptBlob, Unavailable
from rucket.erasure.stream import EncodedObject, encode_stream, make_executor, read_all, read_range

STRIPE = 64 * 1024  # small stripes keep these tests fast; the arithmetic is the same at 1 MiB


@pytest.fixture(scope="module")
def threads() -> Iterator[Executor]:
    with ThreadPoolExecutor(2) as pool:
        yield pool


async def body(data: bytes, chunk: int = 10_000) -> AsyncIterator[bytes]:
    for i in range(0, len(data), chunk):
        yield data[i:i + chunk]


def encode(data: bytes, pool: Executor, k: int = 8, m: int = 4) -> tuple[EncodedObject, list[MemoryShard]]:
    shards = [MemoryShard() for _ in range(k + m)]
    obj = asyncio.run(encode_stream(body(data), shards, k, m, executor=pool, stripe_size=STRIPE))
    return obj, shards


def collect(pieces: AsyncIterator[bytes]) -> bytes:
    async def run() -> bytes:
        return b"".join([p async for p in pieces])

    return asyncio.run(run())


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(1, 5 * STRIPE + 17), st.sets(st.integers(0, 11), max_size=4), st.data())
def test_any_4_lost_shards_still_decode_any_range(threads: Executor, size: int, lost: set[int],
                                                  data: st.DataObject) -> None:
    payload = os.urandom(size)
    obj, shards = encode(payload, threads)
    assert obj.size == size and len(obj.written) == 12
    assert all(len(s.data) == obj.layout.shard_len() for s in shards)
    start = data.draw(st.integers(0, size - 1))
    end = data.draw(st.integers(start + 1, size))
    sources = [None if i in lost else s for i, s in enumerate(shards)]
    assert collect(read_range(obj, sources, start, end, executor=threads)) == payload[start:end]


def test_shard_checksums_cover_each_whole_stream(threads: Executor) -> None:
    obj, shards = encode(os.urandom(3 * STRIPE), threads)
    assert obj.shard_checksums == tuple(xxhash.xxh3_64_intdigest(bytes(s.data)) for s in shards)


def test_healthy_read_uses_only_data_shards(threads: Executor) -> None:
    obj, shards = encode(os.urandom(4 * STRIPE), threads)
    assert len(collect(read_all(obj, shards, executor=threads))) == 4 * STRIPE
    assert all(shards[i].reads for i in range(8)) and not any(shards[i].reads for i in range(8, 12))


def test_ranged_read_fetches_only_the_stripes_it_needs(threads: Executor) -> None:
    payload = os.urandom(10 * STRIPE)
    obj, shards = encode(payload, threads)
    start, end = 3 * STRIPE + 5, 4 * STRIPE + 9  # stripes 3 and 4
    assert collect(read_range(obj, shards, start, end, executor=threads)) == payload[start:end]
    layout = obj.layout
    assert shards[0].reads == [(layout.frame_offset(s), layout.frame_len(s)) for s in (3, 4)]


def test_rotten_and_unreachable_shards_are_reported_and_replaced(threads: Executor) -> None:
    payload = os.urandom(3 * STRIPE)
    obj, shards = encode(payload, threads)
    shards[2].rot(obj.layout.frame_offset(1) + 500)  # bit rot in stripe 1 of shard 2
    shards[5].unreachable = True
    bad: list[tuple[int, int]] = []
    got = collect(read_all(obj, shards, executor=threads, on_bad_shard=lambda i, s, _r: bad.append((i, s))))
    assert got == payload
    assert sorted(bad) == [(2, 1), (5, 0)]
    assert shards[8].reads and shards[9].reads  # parity filled in for the two data shards


def test_more_than_m_bad_shards_is_corrupt(threads: Executor) -> None:
    obj, shards = encode(os.urandom(STRIPE), threads)
    sources = [None, None, None, None, *shards[4:11], None]  # 5 lost of 12
    with pytest.raises(CorruptBlob):
        collect(read_all(obj, sources, executor=threads))


def test_write_survives_down_to_quorum_and_fails_below(threads: Executor) -> None:
    shards = [MemoryShard() for _ in range(12)]
    for i in (1, 7, 10):
        shards[i].fail_writes_after = 1  # three holders die after the first stripe: 9 = k+1 remain
    payload = os.urandom(4 * STRIPE)
    obj = asyncio.run(encode_stream(body(payload), shards, 8, 4, executor=threads, stripe_size=STRIPE))
    assert obj.written == (0, 2, 3, 4, 5, 6, 8, 9, 11)
    assert collect(read_all(obj, shards, executor=threads)) == payload  # the dead shards are never read
    shards = [MemoryShard() for _ in range(12)]
    for i in (1, 7, 10, 11):
        shards[i].fail_writes_after = 1
    with pytest.raises(Unavailable):
        asyncio.run(encode_stream(body(payload), shards, 8, 4, executor=threads, stripe_size=STRIPE))


class NullShard:
    async def write(self, data: bytes) -> None:
        return None


async def generated(total: int, chunk: int = 256 * 1024) -> AsyncIterator[bytes]:
    block = os.urandom(chunk)
    for _ in range(total // chunk):
        yield block


def test_memory_stays_flat_for_a_large_object(threads: Executor) -> None:
    async def run(total: int) -> int:
        tracemalloc.start()
        try:
            await encode_stream(generated(total), [NullShard() for _ in range(12)], 8, 4, executor=threads)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = asyncio.run(run(8 << 20)), asyncio.run(run(128 << 20))
    assert large < 24 << 20  # a few 1 MiB stripes in flight, not the object
    assert large < 1.5 * small + (2 << 20)  # 16x the data, about the same peak


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_worker_pool_codes_without_stalling_the_event_loop(processes: bool) -> None:
    async def run(pool: Executor) -> float:
        payload = os.urandom(16 << 20)
        shards = [MemoryShard() for _ in range(12)]
        async with StallMeter() as meter:
            obj = await encode_stream(body(payload, 1 << 20), shards, 8, 4, executor=pool)
            degraded: list[MemoryShard | None] = [None, None, None, None, *shards[4:]]
            got = b"".join([p async for p in read_all(obj, degraded, executor=pool)])
        assert got == payload  # decoded with 4 data shards missing: real reconstruction in the workers
        return meter.worst

    with make_executor(2, processes=processes) as pool:
        asyncio.run(run(pool))  # warm the workers (forkserver start-up is not a stall of the loop)
        worst = asyncio.run(run(pool))
    assert worst < 0.25, f"event loop stalled {worst * 1000:.0f} ms"


class RecordingPool(ThreadPoolExecutor):
    """Counts what is handed to the workers: coding done on the loop thread would never show up here."""

    def __init__(self) -> None:
        super().__init__(2)
        self.calls: list[str] = []

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        self.calls.append(fn.__name__)
        return super().submit(fn, *args, **kwargs)


def test_every_stripe_is_coded_in_the_pool_not_on_the_loop() -> None:
    payload = os.urandom(16 * STRIPE + 123)  # 17 stripes, the last one short

    async def run(pool: RecordingPool) -> bytes:
        shards = [MemoryShard() for _ in range(12)]
        obj = await encode_stream(body(payload, 50_000), shards, 8, 4, executor=pool, stripe_size=STRIPE)
        degraded: list[MemoryShard | None] = [None, None, None, None, *shards[4:]]
        return b"".join([p async for p in read_all(obj, degraded, executor=pool)])

    with RecordingPool() as pool:
        assert asyncio.run(run(pool)) == payload
    assert pool.calls.count("encode_stripe") == 17
    assert pool.calls.count("decode_stripe") == 17
