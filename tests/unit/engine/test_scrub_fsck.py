"""Scrubber and fsck on a temp data dir: bit flips, missing blobs, orphans, bad inline rows, a damaged log."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fakes import chunks, make_engine

from rucket.core import errors
from rucket.core.hlc import FakeClock
from rucket.engine import Engine
from rucket.engine.fsck import Fsck, check_event_tail
from rucket.engine.objects import PutSpec
from rucket.engine.scrub import Scrubber

run = asyncio.run

METASTORES = ("sqlite",)  # corrupts the SQLite file and its blobs on disk: what fsck repairs


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    e = make_engine(tmp_path, inline_limit=1000, clock=FakeClock())
    run(e.buckets.create("bkt", "owner"))
    yield e
    e.close()


def put(e: Engine, key: str, body: bytes) -> str:
    v = run(e.objects.put("bkt", key, chunks(body), PutSpec(owner="o")))
    return v.blob_id or ""


def flip(e: Engine, blob_id: str, offset: int = 3) -> None:
    with open(e.store.blobs.path(blob_id), "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x80]))


def sql(e: Engine, statement: str, *args: object) -> None:
    with sqlite3.connect(e.store.index.path) as db:
        db.execute(statement, args)


def test_scrub_finds_flipped_and_missing_blobs_at_the_configured_rate(engine: Engine) -> None:
    _, bad, gone = put(engine, "good", b"g" * 5000), put(engine, "bad", b"b" * 3000), put(engine, "gone", b"x" * 2000)
    put(engine, "small", b"inline")
    flip(engine, bad)
    engine.store.blobs.path(gone).unlink()
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    report = run(Scrubber(engine.store, rate_bytes_s=1000, sleep=sleep).run_once())
    assert report.corrupt == [bad] and report.missing == [gone]
    assert (report.blobs, report.bytes, report.inline) == (1, 5000, 1)
    assert sum(pauses) == pytest.approx((5000 + 3000 + len(b"inline")) / 1000)  # every byte read is paced
    stats = engine.store.blobs.stats
    assert (stats.scrub_corrupt, stats.scrub_missing, stats.scrub_passes) == (1, 1, 1)


def test_scrub_flags_inline_rows_that_no_longer_match_their_etag(engine: Engine) -> None:
    put(engine, "small", b"hello")
    sql(engine, "UPDATE inline_data SET data=?", b"jello")

    async def sleep(seconds: float) -> None:
        return None

    report = run(Scrubber(engine.store, sleep=sleep).run_once())
    assert report.corrupt == ["bkt/small@null"]


def damage_event(e: Engine, lsn: int) -> None:
    sql(e, "UPDATE events SET payload='{\"forged\":1}' WHERE lsn=?", lsn)


def test_event_tail_check_names_the_first_bad_lsn(engine: Engine) -> None:
    for i in range(5):
        put(engine, f"k{i}", b"x")
    assert check_event_tail(engine.store) is None
    damage_event(engine, 3)
    damage_event(engine, 5)
    assert check_event_tail(engine.store) == 3
    assert check_event_tail(engine.store, records=2) == 5  # only the tail is read at start-up


def test_fsck_reports_then_repairs_everything(engine: Engine) -> None:
    keep = put(engine, "keep", b"k" * 4000)
    bad = put(engine, "bad", b"b" * 4000)
    gone = put(engine, "gone", b"g" * 4000)
    put(engine, "small", b"hello")
    flip(engine, bad)
    engine.store.blobs.path(gone).unlink()
    sql(engine, "UPDATE inline_data SET data=?", b"jello")
    orphan = "f" * 32 + "-" + "0" * 16
    engine.store.blobs.path(orphan).parent.mkdir(parents=True, exist_ok=True)
    engine.store.blobs.path(orphan).write_bytes(b"")
    (engine.store.blobs.tmp / "half-written").write_bytes(b"x")
    damage_event(engine, 2)

    report = run(Fsck(engine.store).run())
    assert report.tmp_files == ["half-written"] and report.orphans == [orphan]
    assert (report.corrupt, report.missing, report.corrupt_inline) == ([bad], [gone], ["bkt/small@null"])
    assert report.damaged_events == [2]
    assert sorted(report.lost) == ["bkt/bad@null", "bkt/gone@null", "bkt/small@null"]
    assert report.lines()[-1] == "PROBLEMS: 5 problem(s)"  # the temp file is informational

    repaired = run(Fsck(engine.store).run(repair=True))
    assert repaired.repaired and repaired.problems == 5
    after = run(Fsck(engine.store).run())
    assert after.problems == 0, after.lines()
    assert (engine.store.blobs.root / "lost+found" / bad).exists()
    journal = list((engine.store.blobs.root / "lost+found").glob("fsck-*.jsonl"))
    assert len(journal) == 1 and len(journal[0].read_text().splitlines()) == 4  # 3 versions + 1 event
    for key in ("bad", "gone", "small"):
        with pytest.raises(errors.KeyNotFound):
            engine.objects.head("bkt", key)
    assert engine.objects.head("bkt", "keep").blob_id == keep
