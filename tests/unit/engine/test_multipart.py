"""Multipart uploads in the engine: part rules, atomic completion, reclaiming blobs, 10 000 parts."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fakes import chunks, make_engine

from rucket.core import checksums, errors
from rucket.core.multipart import PARTS, Part, Upload
from rucket.engine import Engine
from rucket.engine.multipart import CompleteSpec, PartRef
from rucket.engine.objects import PutSpec

run = asyncio.run
MIN = 16  # minimum part size for these tests


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    e = make_engine(tmp_path, inline_limit=8)
    e.multipart.min_part_size = MIN
    run(e.buckets.create("bkt", "owner"))
    yield e
    e.close()


def blob_files(e: Engine) -> set[str]:
    return {p.name for p in e.store.blobs.blobs.glob("*/*/*")}


def create(e: Engine, key: str = "k", **kw: object) -> Upload:
    return run(e.multipart.create("bkt", key, Upload("", "", "", 0, "owner", **kw)))  # type: ignore[arg-type]


def upload(e: Engine, u: Upload, number: int, data: bytes) -> Part:
    return run(e.multipart.upload_part("bkt", u.key, u.upload_id, number, chunks(data)))


def refs(*parts: Part) -> list[PartRef]:
    return [PartRef(p.number, p.etag, p.checksums) for p in parts]


def complete(e: Engine, u: Upload, parts: list[PartRef], spec: CompleteSpec | None = None):  # type: ignore[no-untyped-def]
    return run(e.multipart.complete("bkt", u.key, u.upload_id, parts, spec or CompleteSpec()))


def read_all(e: Engine, key: str, start: int = 0, end: int | None = None) -> bytes:
    v = e.objects.head("bkt", key)

    async def go() -> bytes:
        return b"".join([c async for c in e.objects.read(v, start, v.size if end is None else end)])

    return run(go())


def test_complete_joins_parts_without_copying_and_etag_is_md5_of_md5s(engine: Engine) -> None:
    u = create(engine)
    data = [b"a" * MIN, b"b" * (MIN + 3), b"c" * 5]
    parts = [upload(engine, u, i + 1, d) for i, d in enumerate(data)]
    files_before = blob_files(engine)
    v = complete(engine, u, refs(*parts))
    assert blob_files(engine) == files_before  # no byte rewritten
    md5s = b"".join(hashlib.md5(d).digest() for d in data)
    assert v.etag == f'"{hashlib.md5(md5s).hexdigest()}-3"'
    assert v.blob_id == PARTS and v.size == sum(map(len, data))
    whole = b"".join(data)
    assert read_all(engine, "k") == whole
    for start, end in [(0, 1), (MIN - 1, MIN + 1), (3, len(whole)), (MIN, 2 * MIN + 3), (len(whole) - 2, len(whole))]:
        assert read_all(engine, "k", start, end) == whole[start:end]
    with pytest.raises(errors.NoSuchUpload):
        engine.multipart.get("bkt", "k", u.upload_id)


def test_complete_rules(engine: Engine) -> None:
    u = create(engine)
    p1, p2, p3 = (upload(engine, u, n, d) for n, d in [(1, b"1" * MIN), (2, b"2" * 3), (3, b"3" * MIN)])
    with pytest.raises(errors.InvalidPartOrder):
        complete(engine, u, refs(p1, p3, p2))
    with pytest.raises(errors.InvalidPartOrder):
        complete(engine, u, refs(p1, p1))
    with pytest.raises(errors.InvalidPart):
        complete(engine, u, [PartRef(1, p1.etag), PartRef(9, p1.etag)])
    with pytest.raises(errors.InvalidPart):
        complete(engine, u, [PartRef(1, '"' + "f" * 32 + '"')])
    with pytest.raises(errors.EntityTooSmall):
        complete(engine, u, refs(p1, p2, p3))
    v = complete(engine, u, refs(p1, p3))  # a subset is fine; the unused part's blob goes
    assert read_all(engine, "k") == b"1" * MIN + b"3" * MIN
    assert p2.blob_id not in blob_files(engine)
    assert complete(engine, u, refs(p1, p3)).version_id == v.version_id  # a retried Complete: same answer


def test_unknown_upload(engine: Engine) -> None:
    with pytest.raises(errors.NoSuchUpload):
        run(engine.multipart.upload_part("bkt", "k", "nope", 1, chunks(b"x")))
    with pytest.raises(errors.NoSuchUpload):
        complete(engine, Upload("nope", "bkt", "k", 0, "o"), [PartRef(1, "x")])
    with pytest.raises(errors.NoSuchUpload):
        run(engine.multipart.abort("bkt", "k", "nope"))
    u = create(engine, "a")
    with pytest.raises(errors.NoSuchUpload):  # right id, wrong key
        run(engine.multipart.upload_part("bkt", "b", u.upload_id, 1, chunks(b"x")))


def test_abort_and_reupload_reclaim_blobs(engine: Engine) -> None:
    u = create(engine)
    first = upload(engine, u, 1, b"x" * 40)
    second = upload(engine, u, 1, b"y" * 40)  # same number: replaces, the first blob goes
    assert first.blob_id not in blob_files(engine) and second.blob_id in blob_files(engine)
    upload(engine, u, 2, b"z")
    run(engine.multipart.abort("bkt", "k", u.upload_id))
    assert blob_files(engine) == set()
    with pytest.raises(errors.NoSuchUpload):
        upload(engine, u, 3, b"late")
    assert blob_files(engine) == set()  # the late part's blob was not kept


def test_recovery_keeps_upload_parts_and_version_parts(engine: Engine) -> None:
    done = create(engine, "done")
    complete(engine, done, refs(upload(engine, done, 1, b"d" * 50)))
    pending = create(engine, "pending")
    upload(engine, pending, 1, b"p" * 50)
    keep = blob_files(engine)
    random_part = "abcd" + "0" * 28  # a write linked into blobs/ whose commit never happened
    orphan = engine.store.blobs.blobs / "ab" / "cd" / f"{random_part}-{0:016x}"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"junk")
    os.link(orphan, engine.store.blobs.tmp / random_part)
    assert engine.recover() == (1, 1)
    assert blob_files(engine) == keep
    assert read_all(engine, "done") == b"d" * 50


def test_overwrite_and_delete_reclaim_part_blobs(engine: Engine) -> None:
    u = create(engine)
    complete(engine, u, refs(upload(engine, u, 1, b"a" * MIN), upload(engine, u, 2, b"b" * MIN)))
    assert len(blob_files(engine)) == 2
    run(engine.objects.put("bkt", "k", chunks(b"plain" * 10), PutSpec(owner="owner")))
    assert len(blob_files(engine)) == 1
    u = create(engine)
    complete(engine, u, refs(upload(engine, u, 1, b"c" * MIN)))
    run(engine.objects.delete("bkt", "k"))
    assert blob_files(engine) == set()


def test_conditional_complete_is_checked_in_the_transaction(engine: Engine) -> None:
    first, second = create(engine), create(engine)
    p1, p2 = upload(engine, first, 1, b"1"), upload(engine, second, 1, b"2")
    complete(engine, first, refs(p1), CompleteSpec(if_none_match="*"))
    with pytest.raises(errors.PreconditionFailed):
        complete(engine, second, refs(p2), CompleteSpec(if_none_match="*"))
    assert engine.multipart.get("bkt", "k", second.upload_id)  # a failed Complete keeps the upload
    with pytest.raises(errors.KeyNotFound):
        complete(engine, create(engine, "other"), [], CompleteSpec(if_match="*"))


@pytest.mark.parametrize(("alg", "ctype", "suffix"), [
    ("SHA256", "COMPOSITE", "-2"), ("CRC32", "COMPOSITE", "-2"), ("CRC32", "FULL_OBJECT", ""),
    ("CRC32C", "FULL_OBJECT", ""), ("CRC64NVME", "FULL_OBJECT", ""), ("SHA1", "COMPOSITE", "-2")])
def test_object_checksum(engine: Engine, alg: str, ctype: str, suffix: str) -> None:
    u = create(engine, checksum_algorithm=alg, checksum_type=ctype)
    data = [b"q" * MIN, b"r" * 7]
    parts = [upload(engine, u, i + 1, d) for i, d in enumerate(data)]
    v = complete(engine, u, refs(*parts))
    value = v.checksums[alg]
    assert value.endswith(suffix) and v.extra["checksum_type"] == ctype
    if ctype == "FULL_OBJECT":
        h = checksums.new(alg)
        h.update(b"".join(data))
        assert value == checksums.b64(h.digest())
    with pytest.raises(errors.BadDigest):
        u2 = create(engine, "k2", checksum_algorithm=alg, checksum_type=ctype)
        complete(engine, u2, refs(upload(engine, u2, 1, b"x")), CompleteSpec(checksums={alg: "AAAA"}))


def test_invalid_checksum_type(engine: Engine) -> None:
    with pytest.raises(errors.InvalidRequest):
        create(engine, checksum_algorithm="SHA256", checksum_type="FULL_OBJECT")
    with pytest.raises(errors.InvalidRequest):
        create(engine, checksum_algorithm="CRC64NVME", checksum_type="COMPOSITE")


def test_ten_thousand_parts(tmp_path: Path) -> None:
    e = make_engine(tmp_path)
    e.multipart.min_part_size = 1
    run(e.buckets.create("bkt", "owner"))
    u = create(e)

    async def go() -> list[Part]:
        out: list[Part] = []
        for lo in range(1, 10_001, 500):  # concurrent batches: group commit absorbs them
            out += await asyncio.gather(*(e.multipart.upload_part("bkt", "k", u.upload_id, n, chunks(b"%d," % n))
                                          for n in range(lo, lo + 500)))
        return out

    parts = run(go())
    v = complete(e, u, refs(*parts))
    assert v.etag.endswith('-10000"')
    assert read_all(e, "k") == b"".join(b"%d," % n for n in range(1, 10_001))
    page, count = e.multipart.object_parts(v, 9_998, 10)
    assert count == 10_000 and [p.number for p in page] == [9_999, 10_000]
    e.close()
