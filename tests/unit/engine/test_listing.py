"""Listing against a reference model: pages concatenate to one listing, prefixes partition keys."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.fakes import chunks, make_engine

from rucket.engine import Engine
from rucket.engine.listing import ListQuery, resume_point, successor
from rucket.engine.objects import PutSpec

ALPHABET = st.sampled_from(["a", "b", "/", "é", "z", "-", "\U0001f600"])
KEYS = st.sets(st.text(ALPHABET, min_size=1, max_size=6), min_size=0, max_size=25)


def _fill(engine: Engine, keys: set[str]) -> None:
    async def go() -> None:
        if not engine.store.config.get_bucket("bkt"):
            await engine.buckets.create("bkt", "owner")
        for k in keys:
            await engine.objects.put("bkt", k, chunks(b"x"), PutSpec(owner="owner"))
    asyncio.run(go())


def reference(keys: set[str], prefix: str, delimiter: str) -> list[str]:
    """The expected flat listing: keys and common prefixes, in UTF-8 byte order."""
    out: set[str] = set()
    for k in keys:
        if not k.startswith(prefix):
            continue
        cut = k.find(delimiter, len(prefix)) if delimiter else -1
        out.add(k if cut < 0 else k[: cut + len(delimiter)])
    return sorted(out, key=lambda s: s.encode("utf-8"))


def walk(engine: Engine, prefix: str, delimiter: str, max_keys: int) -> list[str]:
    seen: list[str] = []
    marker = ""
    for _ in range(200):
        page = engine.list_objects(ListQuery("bkt", prefix, delimiter, resume_point(prefix, delimiter, marker),
                                             max_keys))
        items = sorted([e.key for e in page.entries] + page.prefixes, key=lambda s: s.encode("utf-8"))
        assert len(items) <= max_keys
        seen += items
        if not page.truncated:
            return seen
        marker = page.next_marker
        assert marker == items[-1]
    raise AssertionError("listing did not terminate")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(KEYS, st.sampled_from(["", "a", "a/", "é"]), st.sampled_from(["", "/", "b"]), st.integers(1, 7))
def test_paginated_listing_matches_reference(keys: set[str], prefix: str, delimiter: str, max_keys: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        engine = make_engine(Path(d))
        try:
            _fill(engine, keys)
            assert walk(engine, prefix, delimiter, max_keys) == reference(keys, prefix, delimiter)
        finally:
            engine.close()


def test_successor_is_upper_bound_of_prefix() -> None:
    assert successor("ab/") == "ab0"
    assert successor("") is None
    assert successor("a\U0010ffff") == "b"


def test_max_keys_zero_is_empty_and_not_truncated(tmp_path: Path) -> None:
    engine = make_engine(tmp_path)
    _fill(engine, {"a"})
    page = engine.list_objects(ListQuery("bkt", max_keys=0))
    assert (page.entries, page.prefixes, page.truncated) == ([], [], False)
    engine.close()
