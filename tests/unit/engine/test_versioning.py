"""Versioning: bucket status rules, null-version semantics, and ListObjectVersions against a model."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.fakes import chunks, make_engine

from rucket.core import errors
from rucket.core.model import NULL_VERSION
from rucket.engine import Engine
from rucket.engine.objects import PutSpec
from rucket.engine.versioning import VersionPage, VersionQuery

run = asyncio.run


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    e = make_engine(tmp_path)
    run(e.buckets.create("bkt", "owner"))
    yield e
    e.close()


def put(e: Engine, key: str, body: bytes = b"x") -> str:
    return run(e.objects.put("bkt", key, chunks(body), PutSpec(owner="owner"))).version_id


def all_versions(e: Engine, bucket: str = "bkt") -> list[tuple[str, str, bool, bool]]:
    page = e.versioning.list_versions(VersionQuery(bucket))
    return [(v.key, v.version_id, v.is_latest, v.delete_marker) for v in page.versions]


def test_status_starts_empty_then_enabled_then_suspended(engine: Engine) -> None:
    assert engine.versioning.status("bkt") == ""
    run(engine.versioning.set_status("bkt", "Enabled"))
    assert engine.versioning.status("bkt") == "Enabled"
    run(engine.versioning.set_status("bkt", "Suspended"))
    assert engine.versioning.status("bkt") == "Suspended"


def test_object_lock_bucket_is_enabled_and_cannot_be_suspended(engine: Engine) -> None:
    run(engine.buckets.create("locked", "owner", object_lock=True))
    assert engine.versioning.status("locked") == "Enabled"
    with pytest.raises(errors.InvalidBucketState):
        run(engine.versioning.set_status("locked", "Suspended"))
    run(engine.versioning.set_status("locked", "Enabled"))  # re-enabling is fine


def test_invalid_status_rejected(engine: Engine) -> None:
    with pytest.raises(errors.InvalidArgument):
        run(engine.versioning.set_status("bkt", "enabled"))


def test_status_change_appends_event(engine: Engine) -> None:
    before = len(engine.store.feed.rows_after(0, 10_000))
    run(engine.versioning.set_status("bkt", "Enabled"))
    events = engine.store.feed.rows_after(0, 10_000)
    assert len(events) == before + 1 and events[-1][2] == "BucketConfigChanged"


def test_enabled_keeps_every_version_newest_first(engine: Engine) -> None:
    run(engine.versioning.set_status("bkt", "Enabled"))
    ids = [put(engine, "k", bytes([i])) for i in range(3)]
    assert all_versions(engine) == [("k", ids[2], True, False), ("k", ids[1], False, False),
                                    ("k", ids[0], False, False)]


def test_suspended_put_replaces_only_the_null_version(engine: Engine) -> None:
    put(engine, "k", b"before versioning")  # the "null" version
    run(engine.versioning.set_status("bkt", "Enabled"))
    v1 = put(engine, "k", b"v1")
    run(engine.versioning.set_status("bkt", "Suspended"))
    assert put(engine, "k", b"s1") == NULL_VERSION
    assert put(engine, "k", b"s2") == NULL_VERSION
    rows = all_versions(engine)
    assert rows == [("k", NULL_VERSION, True, False), ("k", v1, False, False)]
    latest = engine.objects.head("bkt", "k")
    assert run(_read(engine, latest)) == b"s2"


async def _read(e: Engine, v) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join([c async for c in e.objects.read(v, 0, v.size)])


def test_suspended_delete_puts_a_null_marker_over_the_null_version(engine: Engine) -> None:
    run(engine.versioning.set_status("bkt", "Enabled"))
    v1 = put(engine, "k")
    run(engine.versioning.set_status("bkt", "Suspended"))
    put(engine, "k")
    result = run(engine.objects.delete("bkt", "k"))
    assert (result.version_id, result.delete_marker) == (NULL_VERSION, True)
    assert all_versions(engine) == [("k", NULL_VERSION, True, True), ("k", v1, False, False)]


def test_deleting_the_latest_marker_restores_the_previous_version(engine: Engine) -> None:
    run(engine.versioning.set_status("bkt", "Enabled"))
    v1 = put(engine, "k")
    marker = run(engine.objects.delete("bkt", "k"))
    assert engine.objects.head("bkt", "k").delete_marker
    run(engine.objects.delete("bkt", "k", marker.version_id))
    assert engine.objects.head("bkt", "k").version_id == v1


def test_delimiter_rolls_versions_up_into_common_prefixes(engine: Engine) -> None:
    run(engine.versioning.set_status("bkt", "Enabled"))
    for key in ("a/1", "a/2", "a/2", "b", "c/x"):
        put(engine, key)
    page = engine.versioning.list_versions(VersionQuery("bkt", delimiter="/"))
    assert page.prefixes == ["a/", "c/"]
    assert [v.key for v in page.versions] == ["b"]


def test_version_id_marker_without_known_version_resumes_after_the_key(engine: Engine) -> None:
    run(engine.versioning.set_status("bkt", "Enabled"))
    put(engine, "a")
    b = put(engine, "b")
    page = engine.versioning.list_versions(VersionQuery("bkt", key_marker="a", version_id_marker="nope"))
    assert [v.version_id for v in page.versions] == [b]


# ---- pagination against a model ---------------------------------------------------------
OPS = st.lists(st.tuples(st.sampled_from(["a", "a/b", "a/c", "b", "b/x/y", "é", "c"]),
                         st.sampled_from(["put", "put", "delete"])), max_size=20)


def walk(e: Engine, prefix: str, delimiter: str, max_keys: int) -> list[str | tuple[str, str]]:
    out: list[str | tuple[str, str]] = []
    key_marker = vid_marker = ""
    for _ in range(200):
        page: VersionPage = e.versioning.list_versions(
            VersionQuery("bkt", prefix, delimiter, key_marker, vid_marker, max_keys))
        assert len(page.versions) + len(page.prefixes) <= max_keys
        out += [(v.key, v.version_id) for v in page.versions] + page.prefixes
        if not page.truncated:
            return out
        key_marker, vid_marker = page.next_key_marker, page.next_version_id_marker
    raise AssertionError("listing did not terminate")


def flat(e: Engine, prefix: str, delimiter: str) -> list[str | tuple[str, str]]:
    """The model: every version (newest first within a key) with prefixes rolled up."""
    out: list[str | tuple[str, str]] = []
    for key, vid, _latest, _dm in all_versions(e):
        if not key.startswith(prefix):
            continue
        cut = key.find(delimiter, len(prefix)) if delimiter else -1
        item: str | tuple[str, str] = (key, vid) if cut < 0 else key[: cut + len(delimiter)]
        if item not in out:
            out.append(item)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS, st.sampled_from(["", "a", "b/"]), st.sampled_from(["", "/"]), st.integers(1, 4))
def test_version_pages_concatenate_to_the_full_listing(ops: list[tuple[str, str]], prefix: str, delimiter: str,
                                                        max_keys: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        e = make_engine(Path(d))
        try:
            run(e.buckets.create("bkt", "owner"))
            run(e.versioning.set_status("bkt", "Enabled"))
            for key, op in ops:
                if op == "put":
                    put(e, key)
                else:
                    run(e.objects.delete("bkt", key))
            got = walk(e, prefix, delimiter, max_keys)
            assert sorted(map(str, got)) == sorted(map(str, flat(e, prefix, delimiter)))
            assert len(got) == len(set(map(str, got)))
        finally:
            e.close()
