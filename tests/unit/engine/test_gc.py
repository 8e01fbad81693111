"""Deferred blob GC (engine/gc.py) with an injected clock: bytes are freed late, never early,
never leaked; start-up recovery reads tmp/ and the gc table only."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fakes import chunks, make_engine
from tests.memstore import MemStore

from rucket.core.hlc import FakeClock
from rucket.engine import Engine
from rucket.engine.fsck import Fsck
from rucket.engine.gc import BlobGC
from rucket.engine.objects import PutSpec

DELAY_MS = 600_000


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def engine(tmp_path: Path, clock: FakeClock) -> Iterator[Engine]:
    e = make_engine(tmp_path, inline_limit=0, clock=clock, gc_delay_ms=DELAY_MS)
    asyncio.run(e.buckets.create("bkt", "owner"))
    yield e
    e.close()


def put(engine: Engine, key: str, data: bytes) -> str:
    v = asyncio.run(engine.objects.put("bkt", key, chunks(data), PutSpec(owner="owner")))
    assert v.blob_id
    return v.blob_id


def on_disk(engine: Engine) -> set[str]:
    return {p.name for p in engine.store.blobs.blobs.glob("*/*/*")}


def test_overwritten_blob_is_freed_only_after_the_delay(engine: Engine, clock: FakeClock) -> None:
    old = put(engine, "k", b"old")
    new = put(engine, "k", b"new")
    gc = BlobGC(engine.store)
    assert engine.store.index.gc_pending() == {old}  # queued by the overwrite's own batch
    clock.advance(seconds=DELAY_MS / 1000 - 1)
    assert asyncio.run(gc.run_once()).freed == 0
    assert on_disk(engine) == {old, new}  # a GET that read the old version still has its bytes
    clock.advance(seconds=1)
    assert asyncio.run(gc.run_once()).freed == 1
    assert on_disk(engine) == {new} and engine.store.index.gc_pending() == set()


def test_deleted_key_blob_is_queued_and_freed(engine: Engine, clock: FakeClock) -> None:
    blob = put(engine, "k", b"bytes")
    asyncio.run(engine.objects.delete("bkt", "k"))
    assert engine.store.index.gc_pending() == {blob} and blob in on_disk(engine)
    clock.advance(seconds=DELAY_MS / 1000)
    asyncio.run(BlobGC(engine.store).run_once())
    assert on_disk(engine) == set()


def _queue(engine: Engine, blob: str) -> None:
    """Queue a still-referenced blob (a state a copy racing the GC leaves), on either metadata store."""
    index = engine.store.index
    if isinstance(index, MemStore):
        index.gc[blob] = 0
    else:
        asyncio.run(index.write(lambda tx: tx.free_later([blob])))  # type: ignore[attr-defined]


def test_queued_blob_referenced_again_is_kept_and_forgotten(engine: Engine, clock: FakeClock) -> None:
    """A copy may come to share a queued blob: the GC re-checks references before freeing."""
    blob = put(engine, "k", b"shared")
    _queue(engine, blob)
    clock.advance(seconds=DELAY_MS / 1000)
    assert asyncio.run(BlobGC(engine.store).run_once()).freed == 0
    assert blob in on_disk(engine) and engine.store.index.gc_pending() == set()


def test_recovery_frees_queued_blobs_and_uncommitted_writes_but_walks_nothing_else(engine: Engine) -> None:
    old = put(engine, "k", b"old")
    new = put(engine, "k", b"new")
    blobs = engine.store.blobs
    linked = "ef01" + "0" * 28  # a write linked into blobs/ whose commit never happened
    uncommitted = blobs.blobs / "ef" / "01" / f"{linked}-{0:016x}"
    uncommitted.parent.mkdir(parents=True, exist_ok=True)
    uncommitted.write_bytes(b"x")
    os.link(uncommitted, blobs.tmp / linked)
    stray = blobs.blobs / "aa" / "bb" / "aabb-stray"  # no temp name, not queued: only fsck looks for these
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"y")
    assert engine.recover() == (1, 2)  # the temp file; the uncommitted blob and the overwritten one
    assert on_disk(engine) == {new, stray.name} and old not in on_disk(engine)
    assert list(blobs.tmp.iterdir()) == []
    report = asyncio.run(Fsck(engine.store).run())
    assert report.orphans == [stray.name]


def test_fsck_does_not_call_queued_blobs_orphans(engine: Engine) -> None:
    put(engine, "k", b"old")
    put(engine, "k", b"new")
    report = asyncio.run(Fsck(engine.store).run())
    assert report.orphans == [] and report.problems == 0


def test_committed_put_leaves_no_temp_name(engine: Engine) -> None:
    put(engine, "k", b"data")
    assert list(engine.store.blobs.tmp.iterdir()) == []
