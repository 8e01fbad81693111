"""Generation-tagged read caches: exact as long as the writer bumps after every commit."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.fakes import chunks, make_engine

from rucket.core.model import Bucket
from rucket.core.snapshot import MISS, Snapshot
from rucket.engine.objects import PutSpec
from rucket.meta.sqlite import SqliteMeta


def test_a_value_read_before_a_bump_is_not_kept() -> None:
    snap: Snapshot[str] = Snapshot(True)
    gen = snap.gen
    snap.bump()  # a commit landed while the reader was querying
    snap.put("k", gen, "stale")
    assert snap.get("k") is MISS


def test_a_bump_drops_what_was_kept() -> None:
    snap: Snapshot[str] = Snapshot(True)
    snap.put("k", snap.gen, "v")
    assert snap.get("k") == "v"
    snap.bump()
    assert snap.get("k") is MISS


def test_entry_stored_into_the_new_dict_after_a_bump_is_still_stale() -> None:
    """The race a clear-on-commit cache has: checked the generation, then the writer bumped."""
    snap: Snapshot[str] = Snapshot(True)
    gen = snap.gen
    snap._entries[("k",)] = (gen, "stale")  # what put() writes if the bump lands between check and store
    snap.bump()
    snap._entries[("k",)] = (gen, "stale")
    assert snap.get(("k",)) is MISS


def test_disabled_keeps_nothing_and_budget_bounds_memory() -> None:
    off: Snapshot[str] = Snapshot(False)
    off.put("k", off.gen, "v")
    assert off.get("k") is MISS
    small: Snapshot[bytes] = Snapshot(True, cost=len, budget=10)
    small.put("a", 0, b"x" * 6)
    small.put("b", 0, b"y" * 6)  # over budget: starts over
    assert small.get("a") is MISS and small.get("b") == b"y" * 6


def test_latest_owner_and_tags_reads_see_every_commit(tmp_path: Path) -> None:
    engine = make_engine(tmp_path)
    m = engine.store.index

    async def scenario() -> None:
        await engine.buckets.create("bkt", "owner")
        assert m.get_latest("bkt", "k") is None and m.latest_owner("bkt", "k") is None  # cached misses...
        await engine.objects.put("bkt", "k", chunks(b"one"), PutSpec("owner"))  # ...that the put must end
        first = m.get_latest("bkt", "k")
        assert first is not None and first.data == b"one" and m.latest_owner("bkt", "k") == "owner"
        assert m.get_latest("bkt", "k") is first  # a hit: no query, the same record
        await engine.objects.put("bkt", "k", chunks(b"two"), PutSpec("other"))
        second = m.get_latest("bkt", "k")
        assert second is not None and second.data == b"two" and m.latest_owner("bkt", "k") == "other"
        assert m.get_tags(second.row_id) == []
        await engine.tagging.put(second, [("t", "1")])
        assert m.get_tags(second.row_id) == [("t", "1")]
        await engine.objects.delete("bkt", "k")
        assert m.get_latest("bkt", "k") is None and m.latest_owner("bkt", "k") is None

    asyncio.run(scenario())
    engine.close()


def test_cache_off_with_several_workers(tmp_path: Path) -> None:
    meta = SqliteMeta(tmp_path / "m.db", cache_reads=False)
    meta.write_sync(lambda tx: tx.insert_bucket(Bucket("b", "o", 1, "us-east-1")))
    assert meta.get_bucket("b") is not meta.get_bucket("b")  # read anew each time
    meta.close()
