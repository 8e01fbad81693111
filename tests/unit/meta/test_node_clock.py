"""One HLC per node, on SQLite: seeded from disk at start, shared by worker processes (each with its
own SqliteMeta) through the log, since every write batch re-seeds the clock from the last event."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.fakes import chunks, make_engine

from rucket.core.hlc import FakeClock, unpack
from rucket.core.model import ObjectVersion
from rucket.engine import Engine
from rucket.engine.objects import PutSpec

T = 1_800_000_000_000


def put(e: Engine, key: str, data: bytes, bucket: str = "bkt") -> ObjectVersion:
    return asyncio.run(e.objects.put(bucket, key, chunks(data), PutSpec(owner="o")))


def test_restart_with_a_clock_behind_still_issues_later_hlcs(tmp_path: Path) -> None:
    e = make_engine(tmp_path, clock=FakeClock(T))
    asyncio.run(e.buckets.create("bkt", "o"))
    first = put(e, "k", b"1")
    e.close()
    e = make_engine(tmp_path, clock=FakeClock(T - 86_400_000))  # the wall clock stepped back a day
    try:
        other = put(e, "other", b"2")
        again = put(e, "k", b"3")
        assert first.hlc < other.hlc < again.hlc
        assert unpack(other.hlc)[0] == T  # seeded from the largest stored HLC, not from the wall clock
    finally:
        e.close()


def test_two_processes_on_one_data_dir_share_one_clock(tmp_path: Path) -> None:
    """Each worker process has its own SqliteMeta; every write batch re-seeds its clock from the log,
    so after one write a process never issues a time below another's, a key's versions strictly
    increase across processes, and event HLCs follow LSN order."""
    ahead, behind = FakeClock(T + 60_000), FakeClock(T)
    a = make_engine(tmp_path, clock=ahead)
    asyncio.run(a.buckets.create("bkt", "o"))
    b = make_engine(tmp_path, clock=behind)
    try:
        late = put(a, "k", b"from the process whose clock is ahead")
        same_key = put(b, "k", b"the other process overwrites it")
        assert same_key.hlc > late.hlc and b.objects.head("bkt", "k").etag == same_key.etag
        put(a, "x", b"a again")
        first_b = put(b, "y", b"b")  # its time was read before the batch that re-seeds it
        then_b = put(b, "z", b"b again")
        assert then_b.hlc > first_b.hlc and then_b.hlc > a.objects.head("bkt", "x").hlc
        hlcs = [r[1] for r in b.store.feed.rows_after(0, 100)]
        assert hlcs == sorted(hlcs) and len(set(hlcs)) == len(hlcs)
    finally:
        a.close()
        b.close()
