"""SqliteMeta: group commit isolation, migrations, and the bucket cache staying exact."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from rucket.core.model import Bucket
from rucket.meta.sqlite import SqliteMeta, migrate
from rucket.meta.tx import Tx


def test_failed_request_in_a_batch_does_not_undo_its_neighbours(tmp_path: Path) -> None:
    """The three writes are forced into one batch: the writer is held inside an earlier write
    while they queue up, and each records the batch's Tx to prove they shared it."""
    meta = SqliteMeta(tmp_path / "m.db")
    started, release = threading.Event(), threading.Event()
    seen: list[Tx] = []  # the objects, not their ids: a freed Tx's id could be reused by the next batch

    def hold(tx: Tx) -> None:
        started.set()
        release.wait(10)

    def ok(name: str) -> Callable[[Tx], None]:
        def fn(tx: Tx) -> None:
            seen.append(tx)
            tx.insert_bucket(Bucket(name, "o", 1, "us-east-1"))
        return fn

    def bad(tx: Tx) -> None:
        seen.append(tx)
        tx.insert_bucket(Bucket("doomed", "o", 1, "us-east-1"))
        raise ValueError("boom")

    async def go() -> list[object]:
        held = asyncio.ensure_future(meta.write(hold))
        assert await asyncio.to_thread(started.wait, 10)
        batch = [asyncio.ensure_future(meta.write(fn)) for fn in (ok("one"), bad, ok("two"))]
        await asyncio.sleep(0)  # one loop turn: each task has queued its write (a put, no await before it)
        release.set()
        await held
        return await asyncio.gather(*batch, return_exceptions=True)

    results = asyncio.run(go())
    assert results[0] is None and isinstance(results[1], ValueError) and results[2] is None
    assert len(seen) == 3 and all(t is seen[0] for t in seen)  # one batch, one transaction
    assert [b.name for b in meta.list_buckets()] == ["one", "two"]
    meta.close()


def test_late_landing_lower_migration_still_applies(tmp_path: Path) -> None:
    """A database created when 0001 and 0003 existed (user_version 3) still gets 0002 later."""
    from importlib import resources

    files = {f.name[:4]: f.read_text() for f in resources.files("rucket.meta.migrations").iterdir()
             if f.name.endswith(".sql")}
    conn = sqlite3.connect(tmp_path / "legacy.db", isolation_level=None)
    conn.executescript(files["0001"] + files["0003"] + "PRAGMA user_version=3;")
    migrate(conn)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"uploads", "upload_parts", "object_tags", "iam_users"} <= tables
    assert migrate(conn) == max(int(n) for n in files)
    conn.close()


def test_migrations_are_idempotent(tmp_path: Path) -> None:
    meta = SqliteMeta(tmp_path / "m.db")
    meta.close()
    conn = sqlite3.connect(tmp_path / "m.db")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    assert version >= 1 and migrate(conn) == version
    conn.close()


@pytest.mark.parametrize("cache", [True, False])
def test_bucket_reads_see_every_committed_change(tmp_path: Path, cache: bool) -> None:
    meta = SqliteMeta(tmp_path / "m.db", cache_reads=cache)
    assert meta.get_bucket("b") is None  # a cached miss must not hide the create below
    meta.write_sync(lambda tx: tx.insert_bucket(Bucket("b", "o", 1, "us-east-1")))
    b = meta.get_bucket("b")
    assert b is not None and b.versioning == ""
    meta.write_sync(lambda tx: tx.update_bucket(dataclasses.replace(b, versioning="Enabled")))
    assert meta.get_bucket("b").versioning == "Enabled"  # type: ignore[union-attr]
    meta.write_sync(lambda tx: tx.delete_bucket("b"))
    assert meta.get_bucket("b") is None
    meta.close()


def _bucket(name: str):  # type: ignore[no-untyped-def]
    return lambda tx: tx.insert_bucket(Bucket(name, "o", 1, "us-east-1"))


@pytest.mark.parametrize("point", ["meta.before_commit", "meta.after_commit"])
def test_writer_survives_a_commit_that_raises(tmp_path: Path, point: str) -> None:
    """Every waiter of the failed batch gets the error (no hang), the next batch commits, and the
    bucket cache is not left stale by a failure that came after COMMIT."""
    from rucket.core import faults

    meta = SqliteMeta(tmp_path / "m.db")
    assert meta.get_bucket("first") is None  # cached as absent

    async def go() -> list[object]:
        faults.arm(f"{point}{faults.RAISE}")
        first = await asyncio.wait_for(asyncio.gather(meta.write(_bucket("first")), meta.write(_bucket("also")),
                                                      return_exceptions=True), 5)
        second = await asyncio.wait_for(meta.write(_bucket("second")), 5)
        return [*first, second]

    try:
        results = asyncio.run(go())
    finally:
        faults.arm("")
    assert all(isinstance(r, faults.InjectedFault) for r in results[:2]), results
    assert meta.writer_alive()
    committed = point == "meta.after_commit"  # the error came after COMMIT: the rows are there
    assert (meta.get_bucket("first") is not None) is committed
    assert meta.get_bucket("second") is not None
    meta.close()


def test_writer_survives_a_settle_that_raises(tmp_path: Path) -> None:
    """A waiter that cannot take its result (its loop is gone) does not take the writer down."""
    meta = SqliteMeta(tmp_path / "m.db")

    def broken(_result: object, _exc: BaseException | None) -> None:
        raise RuntimeError("event loop is closed")

    meta._queue.put((_bucket("lost"), broken))
    asyncio.run(asyncio.wait_for(meta.write(_bucket("after")), 5))
    assert meta.writer_alive() and meta.get_bucket("after") is not None
    meta.close()
    assert not meta.writer_alive()
