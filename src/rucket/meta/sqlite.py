"""SQLite metadata store: WAL, synchronous=FULL, one writer thread with group commit.

One writer thread owns the write connection and commits every queued mutation of a batch
in a single transaction (each in its own savepoint, so one failing request does not undo
its neighbours): one fsync then covers many concurrent requests. Readers use their own
per-thread connections and never wait for the writer (WAL).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import re
import sqlite3
import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

from rucket.core import faults
from rucket.core.events import EVENT_COLS
from rucket.core.model import Bucket, ListEntry, ObjectVersion
from rucket.core.mutations import Applied, Batch
from rucket.core.records import LockRow
from rucket.core.snapshot import MISS, Snapshot
from rucket.meta import gc
from rucket.meta import lock as lock_sql
from rucket.meta.apply import apply_batch
from rucket.meta.iam import IamReads
from rucket.meta.integrity import IntegrityReads
from rucket.meta.kms import KmsReads
from rucket.meta.multipart import UploadReads, all_blob_ids
from rucket.meta.node import Node
from rucket.meta.rows import VERSION_COLS, bucket_from_row, version_from_row
from rucket.meta.tx import Tx
from rucket.meta.versions import VersionReads

T = TypeVar("T")
log = logging.getLogger("rucket.meta")
MAX_BATCH = 256
LATEST_CACHE_BYTES = 32 << 20  # inline object bytes kept by the current-version cache


def _inline_bytes(v: ObjectVersion | None) -> int:
    return 256 + (len(v.data) if v is not None and v.data else 0)
_Settle = Callable[[Any, BaseException | None], None]


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA cache_size=-65536")
    return conn


_CREATES = re.compile(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.IGNORECASE)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every numbered `migrations/NNNN_*.sql` file not yet applied; returns the highest number.

    Applied files are tracked by name, not only by the highest number (`PRAGMA user_version`):
    numbers are claimed by parallel work, so a lower number can land after a higher one and
    must still run on databases created in between.
    """
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)")
    applied = {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
    legacy = conn.execute("PRAGMA user_version").fetchone()[0]
    top = legacy
    files = sorted((f for f in resources.files("rucket.meta.migrations").iterdir() if f.name.endswith(".sql")),
                   key=lambda f: f.name)
    for f in files:
        number, sql = int(f.name.split("_", 1)[0]), f.read_text()
        top = max(top, number)
        if f.name in applied:
            continue
        record = f"INSERT INTO schema_migrations VALUES ('{f.name}');\nPRAGMA user_version={top};"
        if number <= legacy and _tables_exist(conn, sql):  # applied before names were tracked
            conn.executescript(f"BEGIN IMMEDIATE;\n{record}\nCOMMIT;")
            continue
        conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\n{record}\nCOMMIT;")
    return int(top)


def _tables_exist(conn: sqlite3.Connection, sql: str) -> bool:
    names = _CREATES.findall(sql)
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return bool(names) and all(n in have for n in names)


class SqliteMeta(VersionReads, UploadReads, IamReads, KmsReads, IntegrityReads):
    def __init__(self, path: Path, *, cache_reads: bool = True) -> None:
        self.path = path
        # Bucket records are read on every request but change rarely; the current version of a
        # hot key is read by every GET/HEAD and its authorization. Only this process's writer
        # changes them when there is one worker process, so the caches are exact (snapshot.py);
        # with several worker processes the server turns them off.
        self._buckets: Snapshot[Bucket | None] = Snapshot(cache_reads)
        self._latest: Snapshot[ObjectVersion | None] = Snapshot(cache_reads, cost=_inline_bytes,
                                                                 budget=LATEST_CACHE_BYTES)
        self._tags: Snapshot[tuple[tuple[str, str], ...]] = Snapshot(cache_reads)  # GET's x-amz-tagging-count
        self._wconn = _connect(path)
        migrate(self._wconn)
        self.node = Node()
        self._local = threading.local()
        self._queue: queue.SimpleQueue[tuple[Callable[[Tx], Any], _Settle] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._writer_loop, name="rucket-meta-writer", daemon=True)
        self._thread.start()

    def bind(self, node: Node) -> None:
        """Called by the composition root (through Store) before the first write: this node's HLC is
        seeded from the largest HLC stored, so a restart never issues an older timestamp."""
        conn = self._r()
        stored = conn.execute("SELECT max(hlc) FROM versions").fetchone()[0] or 0
        node.hlc.seed(max(int(stored), _last_event_hlc(conn)))
        self.node = node

    # ---- writes -------------------------------------------------------------
    async def write(self, fn: Callable[[Tx], T]) -> T:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()

        def settle(result: Any, exc: BaseException | None) -> None:
            loop.call_soon_threadsafe(_resolve, fut, result, exc)

        self._queue.put((fn, settle))
        return await fut

    def write_sync(self, fn: Callable[[Tx], T]) -> T:
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()

        def settle(result: Any, exc: BaseException | None) -> None:
            fut.set_exception(exc) if exc is not None else fut.set_result(result)

        self._queue.put((fn, settle))
        return fut.result()

    async def apply(self, batch: Batch) -> Applied:
        """Apply a batch atomically in the next group commit, or raise `Conflict` (meta/apply.py)."""
        return await self.write(lambda tx: apply_batch(tx, batch))

    def apply_sync(self, batch: Batch) -> Applied:
        """`apply` for callers outside the event loop (start-up bootstrap)."""
        return self.write_sync(lambda tx: apply_batch(tx, batch))

    def _writer_loop(self) -> None:
        while (item := self._queue.get()) is not None:
            batch = [item]
            while len(batch) < MAX_BATCH:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
            try:
                self._commit_batch(batch)
            except Exception:  # never reached by design; a dead writer would hang every later write
                log.exception("metadata writer: batch of %d failed unexpectedly", len(batch))

    def _commit_batch(self, batch: list[tuple[Callable[[Tx], Any], _Settle]]) -> None:
        conn, tx, failed = self._wconn, Tx(self._wconn, self.node), False
        outcomes: list[tuple[_Settle, Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            self.node.hlc.seed(_last_event_hlc(conn))  # another worker process of this node may have written
            for fn, settle in batch:
                outcomes.append((settle, *self._run_one(conn, tx, fn)))
            faults.point("meta.before_commit")
            conn.execute("COMMIT")
            faults.point("meta.after_commit")
        except BaseException as exc:  # the whole batch failed to commit: every waiter gets the error
            failed = True
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            outcomes = [(settle, None, exc) for _fn, settle in batch]
        finally:  # whether or not COMMIT returned, the caches may be stale (a failure after COMMIT)
            self._latest.bump()  # before any request of the batch is acknowledged
            self._tags.bump()
            if tx.buckets_changed or failed:
                self._buckets.bump()
        for settle, result, error in outcomes:
            try:
                settle(result, error)
            except Exception:  # e.g. the waiter's event loop is closed: the others still get theirs
                log.exception("metadata writer: could not hand a result back")

    @staticmethod
    def _run_one(conn: sqlite3.Connection, tx: Tx, fn: Callable[[Tx], Any]) -> tuple[Any, BaseException | None]:
        conn.execute("SAVEPOINT op")
        try:
            result = fn(tx)
        except Exception as exc:
            conn.execute("ROLLBACK TO op")
            conn.execute("RELEASE op")
            return None, exc
        conn.execute("RELEASE op")
        return result, None

    def writer_alive(self) -> bool:
        """False once the writer thread is gone: every later write would hang, so the server is not ready."""
        return self._thread.is_alive()

    def close(self) -> None:
        """Drain the writer's queue, then checkpoint the WAL into the database and truncate it, so a
        clean shutdown leaves nothing to replay."""
        self._queue.put(None)
        self._thread.join(timeout=30)
        with contextlib.suppress(sqlite3.Error):
            self._wconn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._wconn.close()

    # ---- reads (any thread, never blocked by the writer) --------------------
    def generation(self) -> int | None:
        """Changes with every commit; None when reads may not be cached (several worker processes).
        Callers that derive a value from several reads key it by this (s3/policy.py decisions)."""
        return self._latest.gen if self._latest.enabled else None

    def _r(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path)
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
        return conn

    def get_bucket(self, name: str) -> Bucket | None:
        gen, hit = self._buckets.gen, self._buckets.get(name)
        if hit is not MISS:
            return hit  # type: ignore[return-value]
        row = self._r().execute("SELECT * FROM buckets WHERE name=?", (name,)).fetchone()
        bucket = bucket_from_row(row) if row else None
        self._buckets.put(name, gen, bucket)
        return bucket

    def list_buckets(self) -> list[Bucket]:
        return [bucket_from_row(r) for r in self._r().execute("SELECT * FROM buckets ORDER BY name")]

    def get_latest(self, bucket: str, key: str) -> ObjectVersion | None:
        """The current version; an inline object's bytes come in the same query (one round trip per GET),
        and a key read again before the next commit costs no query at all."""
        gen, hit = self._latest.gen, self._latest.get((bucket, key))
        if hit is not MISS:
            return hit  # type: ignore[return-value]
        row = self._r().execute(
            f"SELECT {VERSION_COLS}, i.data FROM latest l JOIN versions v ON v.id = l.vid "
            "LEFT JOIN inline_data i ON i.vid = v.id WHERE l.bucket=? AND l.key=?", (bucket, key)).fetchone()
        v = None if row is None else version_from_row(row[:-1], is_latest=True, data=row[-1])
        self._latest.put((bucket, key), gen, v)
        return v

    def get_version(self, bucket: str, key: str, version_id: str) -> ObjectVersion | None:
        row = self._r().execute(
            f"SELECT {VERSION_COLS}, (SELECT vid FROM latest l WHERE l.bucket=v.bucket AND l.key=v.key) "
            "FROM versions v WHERE bucket=? AND key=? AND version_id=?", (bucket, key, version_id)).fetchone()
        return version_from_row(row[:-1], is_latest=row[-1] == row[0]) if row else None

    def latest_owner(self, bucket: str, key: str) -> str | None:
        """Owner of the current live version (None: absent or a delete marker); authorization's fast path."""
        hit = self._latest.get((bucket, key))
        if hit is not MISS:
            return None if hit is None or hit.delete_marker else hit.owner  # type: ignore[attr-defined]
        row = self._r().execute("SELECT owner FROM latest WHERE bucket=? AND key=? AND live=1",
                                (bucket, key)).fetchone()
        return str(row[0]) if row else None

    def get_tags(self, vid: int) -> list[tuple[str, str]]:
        gen, hit = self._tags.gen, self._tags.get(vid)
        if hit is MISS:
            fresh = tuple(super().get_tags(vid))
            self._tags.put(vid, gen, fresh)
            return list(fresh)
        return list(cast(tuple[tuple[str, str], ...], hit))

    def list_latest(self, bucket: str, lower: str, below: str | None, limit: int) -> list[ListEntry]:
        """Live keys with lower <= key < below, in UTF-8 byte order (SQLite BINARY collation)."""
        sql = "SELECT key, size, etag, mtime_ms, storage_class, owner FROM latest WHERE bucket=? AND key>=? "
        args: list[Any] = [bucket, lower]
        if below is not None:
            sql += "AND key<? "
            args.append(below)
        sql += "AND live=1 ORDER BY key LIMIT ?"
        args.append(limit)
        return [ListEntry(*r) for r in self._r().execute(sql, args)]

    def get_lock(self, vid: int) -> LockRow | None:
        """The Object Lock record set after the version's write (None: its write-time state holds)."""
        return lock_sql.read(self, vid)

    def read_inline(self, row_id: int) -> bytes:
        row = self._r().execute("SELECT data FROM inline_data WHERE vid=?", (row_id,)).fetchone()
        return bytes(row[0]) if row else b""

    def blob_ids(self) -> set[str]:
        """Every blob a version, a multipart version's parts or an upload in progress references;
        start-up recovery deletes the rest."""
        return all_blob_ids(self._r())

    def usage(self) -> list[tuple[str, int, int]]:
        """(bucket, live objects, bytes) for every bucket, for metrics and the admin API."""
        return list(self._r().execute(
            "SELECT b.name, count(l.key), coalesce(sum(l.size), 0) FROM buckets b "
            "LEFT JOIN latest l ON l.bucket = b.name AND l.live = 1 GROUP BY b.name ORDER BY b.name"))

    def last_lsn(self) -> int:
        return int(self._r().execute("SELECT coalesce(max(lsn), 0) FROM events").fetchone()[0])

    def events_after(self, lsn: int, limit: int = 1000) -> list[tuple[Any, ...]]:
        return list(self._r().execute(f"SELECT {EVENT_COLS} FROM events WHERE lsn>? ORDER BY lsn LIMIT ?",
                                      (lsn, limit)))

    # ---- deferred blob GC (meta/gc.py, engine/gc.py) ------------------------
    def gc_due(self, now_ms: int, limit: int) -> list[str]:
        return gc.due(self._r(), now_ms, limit)

    def gc_pending(self) -> set[str]:
        return gc.pending(self._r())

    async def gc_claim(self, blob_ids: list[str]) -> list[str]:
        """Of these queued blobs, those still unreferenced (to unlink, then `gc_forget`); the rows of
        blobs referenced again (a copy shares them) are dropped: they are not garbage any more."""
        return await self.write(lambda tx: gc.claim(tx.c, blob_ids, tx.blob_in_use))

    def gc_claim_sync(self, blob_ids: list[str]) -> list[str]:
        return self.write_sync(lambda tx: gc.claim(tx.c, blob_ids, tx.blob_in_use))

    async def gc_forget(self, blob_ids: list[str]) -> None:
        await self.write(lambda tx: gc.forget(tx.c, blob_ids))

    def gc_forget_sync(self, blob_ids: list[str]) -> None:
        self.write_sync(lambda tx: gc.forget(tx.c, blob_ids))


def _last_event_hlc(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT hlc FROM events ORDER BY lsn DESC LIMIT 1").fetchone()
    return int(row[0]) if row else 0


def _resolve(fut: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(result)
