"""Engine object semantics with a real SQLite store in a temp dir and an injected clock."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.fakes import chunks, make_engine

from rucket.blobs.base import WrittenBlob
from rucket.core import errors
from rucket.core.model import INLINE
from rucket.engine import Engine
from rucket.engine.objects import PutSpec


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    e = make_engine(tmp_path, inline_limit=1024)
    asyncio.run(e.buckets.create("bkt", "owner"))
    yield e  # type: ignore[misc]
    e.close()


def put(engine: Engine, key: str, data: bytes, **spec: object) -> object:
    return asyncio.run(engine.objects.put("bkt", key, chunks(data), PutSpec(owner="owner", **spec)))  # type: ignore[arg-type]


def read(engine: Engine, key: str) -> bytes:
    v = engine.objects.head("bkt", key)

    async def go() -> bytes:
        return b"".join([c async for c in engine.objects.read(v, 0, v.size)])
    return asyncio.run(go())


def blob_files(engine: Engine) -> set[str]:
    return {p.name for p in engine.store.blobs.blobs.glob("*/*/*")}


def test_small_objects_inline_large_in_blob_files(engine: Engine) -> None:
    small, large = put(engine, "s", b"x" * 1024), put(engine, "l", b"y" * 1025)
    assert small.blob_id == INLINE and large.blob_id != INLINE  # type: ignore[attr-defined]
    assert blob_files(engine) == {large.blob_id}  # type: ignore[attr-defined]
    assert read(engine, "s") == b"x" * 1024 and read(engine, "l") == b"y" * 1025


def test_overwrite_unversioned_reclaims_old_blob(engine: Engine) -> None:
    first = put(engine, "k", b"a" * 5000)
    second = put(engine, "k", b"b" * 5000)
    assert blob_files(engine) == {second.blob_id}  # type: ignore[attr-defined]
    assert first.version_id == second.version_id == "null"  # type: ignore[attr-defined]


def test_failed_verification_leaves_nothing(engine: Engine) -> None:
    def reject(_: WrittenBlob) -> dict[str, str]:
        raise errors.BadDigest("nope")

    with pytest.raises(errors.BadDigest):
        put(engine, "bad", b"z" * 5000, verify=reject)
    assert blob_files(engine) == set()
    assert list(engine.store.blobs.tmp.iterdir()) == []
    with pytest.raises(errors.KeyNotFound):
        engine.objects.head("bkt", "bad")


def test_conditional_writes(engine: Engine) -> None:
    put(engine, "c", b"1", if_none_match="*")
    with pytest.raises(errors.PreconditionFailed):
        put(engine, "c", b"2", if_none_match="*")
    etag = engine.objects.head("bkt", "c").etag
    put(engine, "c", b"3", if_match=etag)
    with pytest.raises(errors.PreconditionFailed):
        put(engine, "c", b"4", if_match=etag)
    with pytest.raises(errors.KeyNotFound):
        put(engine, "absent", b"5", if_match=etag)
    assert read(engine, "c") == b"3"


def test_concurrent_if_none_match_has_one_winner(engine: Engine) -> None:
    async def race() -> list[object]:
        return await asyncio.gather(*(engine.objects.put("bkt", "once", chunks(bytes([i]) * 10),
                                                         PutSpec(owner="owner", if_none_match="*"))
                                      for i in range(20)), return_exceptions=True)
    results = asyncio.run(race())
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1
    assert all(isinstance(r, errors.PreconditionFailed) for r in results if r not in winners)


def test_versioned_delete_adds_marker_and_keeps_versions(engine: Engine) -> None:
    asyncio.run(engine.buckets.update("bkt", versioning="Enabled"))
    v1 = put(engine, "v", b"one")
    v2 = put(engine, "v", b"two")
    result = asyncio.run(engine.objects.delete("bkt", "v"))
    assert result.delete_marker and result.version_id
    assert engine.objects.head("bkt", "v").delete_marker
    assert engine.objects.head("bkt", "v", v1.version_id).size == 3  # type: ignore[attr-defined]
    asyncio.run(engine.objects.delete("bkt", "v", result.version_id))  # removing the marker restores v2
    assert engine.objects.head("bkt", "v").version_id == v2.version_id  # type: ignore[attr-defined]


def test_every_mutation_is_in_the_event_log(engine: Engine) -> None:
    put(engine, "e", b"1")
    asyncio.run(engine.objects.delete("bkt", "e"))
    types = [row[2] for row in engine.store.feed.rows_after(0, 10_000)]
    assert types == ["BucketCreated", "ObjectPut", "ObjectDeleted"]
