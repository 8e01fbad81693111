"""One HLC per node: seeded from disk at start, shared by worker processes through the log, and a
key's versions strictly increasing in HLC whatever the wall clock does; "latest" is the highest
(HLC, version id), never the highest local row id."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.fakes import chunks, make_engine

from rucket.core.hlc import FakeClock
from rucket.core.model import ObjectVersion
from rucket.engine import Engine
from rucket.engine.objects import PutSpec
from rucket.engine.versioning import VersionQuery

T = 1_800_000_000_000


def put(e: Engine, key: str, data: bytes, bucket: str = "bkt") -> ObjectVersion:
    return asyncio.run(e.objects.put(bucket, key, chunks(data), PutSpec(owner="o")))


def test_version_taken_before_a_concurrent_commit_is_stamped_after_it(tmp_path: Path) -> None:
    """A request's HLC is read before its batch; if another version of the key committed in between
    with a later HLC, the store stamps max(now, previous + 1) so the key's HLCs strictly increase."""
    clock = FakeClock(T)
    e = make_engine(tmp_path, clock=clock)
    try:
        asyncio.run(e.buckets.create("bkt", "o"))
        asyncio.run(e.versioning.set_status("bkt", "Enabled"))

        async def race() -> list[ObjectVersion]:
            return list(await asyncio.gather(*(e.objects.put("bkt", "k", chunks(bytes([i])), PutSpec(owner="o"))
                                               for i in range(20))))
        written = asyncio.run(race())
        listed = e.versioning.list_versions(VersionQuery("bkt")).versions
        hlcs = [v.hlc for v in listed]
        assert hlcs == sorted(hlcs, reverse=True) and len(set(hlcs)) == len(hlcs) == 20
        assert listed[0].is_latest and e.objects.head("bkt", "k").version_id == listed[0].version_id
        assert {v.hlc for v in written} == set(hlcs)  # each PUT answers with the HLC it was stored at
    finally:
        e.close()


def test_deleting_the_latest_falls_back_to_the_highest_hlc(tmp_path: Path) -> None:
    clock = FakeClock(T)
    e = make_engine(tmp_path, clock=clock)
    try:
        asyncio.run(e.buckets.create("bkt", "o"))
        asyncio.run(e.versioning.set_status("bkt", "Enabled"))
        older, newer = put(e, "k", b"1"), put(e, "k", b"2")
        top = put(e, "k", b"3")
        asyncio.run(e.objects.delete("bkt", "k", top.version_id))
        assert e.objects.head("bkt", "k").version_id == newer.version_id
        asyncio.run(e.objects.delete("bkt", "k", newer.version_id))
        assert e.objects.head("bkt", "k").version_id == older.version_id
    finally:
        e.close()
