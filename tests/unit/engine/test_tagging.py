"""Tags: AWS limits, a separate record per version (the version row never changes), events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fakes import chunks, make_engine

from rucket.core import errors
from rucket.engine import Engine
from rucket.engine.bucket_config import TAGGING
from rucket.engine.objects import PutSpec
from rucket.engine.tagging import validate_tags

run = asyncio.run


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    e = make_engine(tmp_path)
    run(e.buckets.create("bkt", "owner"))
    yield e
    e.close()


@pytest.mark.parametrize("tags", [
    pytest.param([(f"k{i}", "v") for i in range(11)], id="eleven-tags"),
    pytest.param([("k" * 129, "v")], id="key-129-chars"),
    pytest.param([("", "v")], id="empty-key"),
    pytest.param([("k", "v" * 257)], id="value-257-chars"),
    pytest.param([("k", "1"), ("k", "2")], id="duplicate-key"),
    pytest.param([("aws:x", "1")], id="system-prefix"),
])
def test_invalid_tag_sets_rejected(tags: list[tuple[str, str]]) -> None:
    with pytest.raises(errors.InvalidTag):
        validate_tags(tags)


def test_limits_are_inclusive_and_counted_in_characters() -> None:
    tags = [(f"k{i}", "") for i in range(9)] + [("é" * 128, "ü" * 256)]
    assert len(validate_tags(tags)) == 10


def test_bucket_allows_fifty_tags() -> None:
    assert len(validate_tags([(f"k{i}", "v") for i in range(50)], limit=50)) == 50
    with pytest.raises(errors.InvalidTag):
        validate_tags([(f"k{i}", "v") for i in range(51)], limit=50)


def test_tags_given_on_put_are_stored_sorted_with_an_event(engine: Engine) -> None:
    v = run(engine.objects.put("bkt", "k", chunks(b"x"), PutSpec(owner="o", tags=(("b", "2"), ("a", "1")))))
    assert engine.tagging.get(v) == [("a", "1"), ("b", "2")]
    assert engine.tagging.count(v) == 2
    types = [e[2] for e in engine.store.feed.rows_after(0, 10_000)]
    assert types[-2:] == ["ObjectPut", "ObjectTagsChanged"]


def test_put_tags_changes_tags_but_not_the_version_row(engine: Engine) -> None:
    v = run(engine.objects.put("bkt", "k", chunks(b"x"), PutSpec(owner="o")))
    run(engine.tagging.put(v, [("a", "1")]))
    after = engine.objects.head("bkt", "k")
    assert after == v  # same row, same attributes: versions are immutable
    assert engine.tagging.get(after) == [("a", "1")]
    run(engine.tagging.delete(after))
    assert engine.tagging.get(after) == []


def test_tags_belong_to_one_version(engine: Engine) -> None:
    run(engine.versioning.set_status("bkt", "Enabled"))
    v1 = run(engine.objects.put("bkt", "k", chunks(b"1"), PutSpec(owner="o", tags=(("v", "1"),))))
    v2 = run(engine.objects.put("bkt", "k", chunks(b"2"), PutSpec(owner="o")))
    run(engine.tagging.put(v2, [("v", "2")]))
    assert engine.tagging.get(v1) == [("v", "1")]
    assert engine.tagging.get(v2) == [("v", "2")]


def test_tags_go_with_their_version(engine: Engine) -> None:
    v = run(engine.objects.put("bkt", "k", chunks(b"x"), PutSpec(owner="o", tags=(("a", "1"),))))
    run(engine.objects.delete("bkt", "k"))
    assert engine.store.index.get_tags(v.row_id) == []


def test_put_tags_on_a_replaced_version_fails(engine: Engine) -> None:
    v = run(engine.objects.put("bkt", "k", chunks(b"x"), PutSpec(owner="o")))
    run(engine.objects.put("bkt", "k", chunks(b"y"), PutSpec(owner="o")))  # replaces the null version
    with pytest.raises(errors.VersionNotFound):
        run(engine.tagging.put(v, [("a", "1")]))


def test_bucket_tags_are_a_config_change_with_an_event(engine: Engine) -> None:
    def events() -> list[str]:
        return [e[2] for e in engine.store.feed.rows_after(0, 10_000)]

    before = len(events())
    run(engine.bucket_config.put("bkt", TAGGING, [("team", "storage")]))
    assert engine.bucket_config.get("bkt", TAGGING) == [["team", "storage"]]
    run(engine.bucket_config.delete("bkt", TAGGING))
    run(engine.bucket_config.delete("bkt", TAGGING))  # nothing to delete: no mutation, no event
    assert events()[before:] == ["BucketConfigChanged", "BucketConfigChanged"]
    with pytest.raises(errors.InvalidTag):
        run(engine.bucket_config.put("bkt", TAGGING, [(f"k{i}", "v") for i in range(51)]))
