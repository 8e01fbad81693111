"""Erasure-coding throughput on this machine: `python bench/erasure.py [--seconds S] [--mib N]`.

Prints, for RS 8+4 with 1 MiB stripes:
- codec MB/s per core (one thread, no pool): encode, healthy decode (the 8 data shards),
  degraded decode (4 data shards lost, so 4 parity shards are used to reconstruct);
- the streamed pipeline (rucket.erasure.stream) through a process pool and a thread pool:
  MB/s of object data and the worst event-loop stall seen by a 1 ms ticker meanwhile.
MB = 10^6 bytes of object data (not of shards).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from rucket.erasure.codec import STRIPE_SIZE, decode_stripe, encode_stripe, tune_allocator, unframe
from rucket.erasure.stream import encode_stream, make_executor, read_all

K, M = 8, 4


def per_core(fn: Callable[[], object], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        count += 1
    return count * STRIPE_SIZE / (time.perf_counter() - start) / 1e6


class Sink:
    """Keeps each frame by its offset (no copying), so the numbers are the coder's, not a buffer's."""

    def __init__(self) -> None:
        self.frames: dict[int, bytes] = {}
        self.size = 0

    async def write(self, data: bytes) -> None:
        self.frames[self.size] = data
        self.size += len(data)

    async def read(self, offset: int, length: int) -> bytes:
        return self.frames[offset][:length]


async def body(total: int) -> AsyncIterator[bytes]:
    block = os.urandom(STRIPE_SIZE)
    for _ in range(total // STRIPE_SIZE):
        yield block


class StallMeter:
    """`async with StallMeter() as meter:` → `meter.worst`: the longest the running loop was blocked (s),
    as seen by a task that asks to wake every millisecond."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._stop = False
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> StallMeter:
        self._task = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop = True
        if self._task is not None:
            await self._task

    async def _tick(self) -> None:
        last = time.monotonic()
        while not self._stop:
            await asyncio.sleep(0.001)
            now = time.monotonic()
            self.worst, last = max(self.worst, now - last), now


async def pipeline(pool: Executor, total: int) -> tuple[float, float, float]:
    async with StallMeter() as meter:
        sinks = [Sink() for _ in range(K + M)]
        start = time.perf_counter()
        obj = await encode_stream(body(total), sinks, K, M, executor=pool)
        encode_s = time.perf_counter() - start
        start = time.perf_counter()
        degraded: list[Sink | None] = [None, None, None, None, *sinks[4:]]
        async for _ in read_all(obj, degraded, executor=pool):
            pass
        decode_s = time.perf_counter() - start
    return total / encode_s / 1e6, total / decode_s / 1e6, meter.worst * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--mib", type=int, default=128)
    parser.add_argument("--untuned", action="store_true", help="per-core numbers with glibc's default mmap threshold")
    args = parser.parse_args()
    if not args.untuned:
        tune_allocator()
    stripe = os.urandom(STRIPE_SIZE)
    fragments = {i: unframe(f) for i, f in enumerate(encode_stripe(K, M, stripe))}
    healthy = {i: fragments[i] for i in range(K)}
    degraded = {i: fragments[i] for i in range(4, K + M)}
    print(f"RS {K}+{M}, {STRIPE_SIZE >> 10} KiB stripes, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"per core: encode {per_core(lambda: encode_stripe(K, M, stripe), args.seconds):.0f} MB/s, "
          f"decode healthy {per_core(lambda: decode_stripe(K, M, healthy), args.seconds):.0f} MB/s, "
          f"decode 4 lost {per_core(lambda: decode_stripe(K, M, degraded), args.seconds):.0f} MB/s")
    total = args.mib << 20
    with make_executor(processes=True) as procs, make_executor() as threads:
        asyncio.run(pipeline(procs, 8 << 20))  # start the workers before timing
        for name, pool in (("process pool", procs), ("thread pool", threads)):
            enc, dec, stall = asyncio.run(pipeline(pool, total))
            print(f"stream via {name}: encode {enc:.0f} MB/s, degraded decode {dec:.0f} MB/s, "
                  f"worst loop stall {stall:.1f} ms")


if __name__ == "__main__":
    main()
