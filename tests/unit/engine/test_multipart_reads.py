"""Range reads across part blobs (hypothesis), the ListMultipartUploads walk, and copies sharing blobs."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.fakes import chunks, make_engine

from rucket.core import errors
from rucket.core.multipart import Upload
from rucket.engine import Engine
from rucket.engine.copy import CopyOptions
from rucket.engine.multipart import CompleteSpec, PartRef, UploadsQuery
from rucket.engine.objects import PutSpec
from rucket.s3.request import parse_range

run = asyncio.run
_counter = itertools.count()


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as d:
        e = make_engine(Path(d), inline_limit=4)
        e.multipart.min_part_size = 0
        run(e.buckets.create("bkt", "owner"))
        yield e
        e.close()


def make_object(e: Engine, sizes: list[int]) -> tuple[str, bytes]:
    key = f"k{next(_counter)}"
    u = run(e.multipart.create("bkt", key, Upload("", "", "", 0, "owner")))
    bodies = [bytes((n * 7 + i) % 251 for i in range(size)) for n, size in enumerate(sizes)]
    parts = [run(e.multipart.upload_part("bkt", key, u.upload_id, n, chunks(b) if b else chunks()))
             for n, b in enumerate(bodies, 1)]
    run(e.multipart.complete("bkt", key, u.upload_id, [PartRef(p.number, p.etag) for p in parts], CompleteSpec()))
    return key, b"".join(bodies)


def read(e: Engine, key: str, start: int, end: int) -> bytes:
    v = e.objects.head("bkt", key)

    async def go() -> bytes:
        return b"".join([c async for c in e.objects.read(v, start, end)])

    return run(go())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(0, 40), min_size=1, max_size=6), first=st.integers(0, 250),
       last=st.one_of(st.none(), st.integers(0, 250)), suffix=st.booleans())
def test_any_range_reads_exactly_the_slice(engine: Engine, sizes: list[int], first: int, last: int | None,
                                           suffix: bool) -> None:
    key, whole = make_object(engine, sizes)
    header = f"bytes=-{first}" if suffix else f"bytes={first}-{'' if last is None else last}"
    try:
        rng = parse_range(header, len(whole))
    except errors.InvalidRange:
        return
    start, end = rng if rng is not None else (0, len(whole))
    assert 0 <= start <= end <= len(whole)
    assert read(engine, key, start, end) == whole[start:end]


def test_list_uploads_pages_join_up_to_the_full_listing(engine: Engine) -> None:
    keys = ["a/1", "a/2", "a/2", "b", "c/d/e", "c/f", "g"]
    ids = [(k, run(engine.multipart.create("bkt", k, Upload("", "", "", 0, "o"))).upload_id) for k in keys]
    for size in range(1, 9):
        got, q = [], UploadsQuery("bkt", max_uploads=size)
        while True:
            page = engine.multipart.list_uploads(q)
            got += [(u.key, u.upload_id) for u in page.uploads]
            if not page.truncated:
                break
            last = page.uploads[-1]
            q = UploadsQuery("bkt", key_marker=last.key, upload_id_marker=last.upload_id, max_uploads=size)
        assert got == sorted(ids)  # by key, then initiation (the fake clock stands still) and upload id
    page = engine.multipart.list_uploads(UploadsQuery("bkt", delimiter="/"))
    assert page.prefixes == ["a/", "c/"] and [u.key for u in page.uploads] == ["b", "g"]
    page = engine.multipart.list_uploads(UploadsQuery("bkt", prefix="c/", delimiter="/"))
    assert page.prefixes == ["c/d/"] and [u.key for u in page.uploads] == ["c/f"]
    page = engine.multipart.list_uploads(UploadsQuery("bkt", delimiter="/", key_marker="a/", max_uploads=1))
    assert [u.key for u in page.uploads] == ["b"] and page.truncated  # a common prefix marker skips it whole
    for k, uid in ids:
        run(engine.multipart.abort("bkt", k, uid))


def test_copy_shares_blobs_and_survives_the_source(tmp_path: Path) -> None:
    e = make_engine(tmp_path, inline_limit=4)
    run(e.buckets.create("bkt", "owner"))
    files = lambda: {p.name for p in e.store.blobs.blobs.glob("*/*/*")}  # noqa: E731
    run(e.objects.put("bkt", "src", chunks(b"x" * 100), PutSpec(owner="owner")))
    before = files()
    src = e.copier.source("bkt", "src", None)
    run(e.copier.copy_object(src, "bkt", "dst", PutSpec(owner="owner")))
    assert files() == before
    run(e.objects.delete("bkt", "src"))
    assert files() == before and read(e, "dst", 0, 100) == b"x" * 100
    dst = e.copier.source("bkt", "dst", None)  # onto itself: the replaced null version's blob is kept
    run(e.copier.copy_object(dst, "bkt", "dst", PutSpec(owner="owner", user_meta={"m": "1"}),
                             CopyOptions(checksum_algorithm="CRC32")))
    v = e.objects.head("bkt", "dst")
    assert files() == before and v.user_meta == {"m": "1"} and "CRC32" in v.checksums
    run(e.objects.delete("bkt", "dst"))
    assert files() == set()
    with pytest.raises(errors.KeyNotFound):  # a source deleted since it was resolved
        run(e.copier.copy_object(v, "bkt", "again", PutSpec(owner="owner")))
    e.close()
