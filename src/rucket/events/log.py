"""The event log in SQLite: append in the mutation's transaction, read by LSN, consumers, retention.

Every applied mutation appends one row per event in the same transaction (the outbox pattern),
so the feed never misses or invents a change. Named consumers (replicators, notification
senders) store the last LSN they processed; events stay while a consumer heard from within the
retention still needs them, and once older than the retention and needed by nobody active they
are trimmed from the front (the log stays contiguous, so "what is the oldest LSN I can still
read" has one answer). A consumer silent for longer than the retention may have lost events
it never saw: it is told to resync (ResyncRequired) instead of being fed a log with a hole.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from rucket.core.hlc import Clock, pack
from rucket.events.records import EVENT_COLS, StorageEvent, decode, encode

T = TypeVar("T")
DEFAULT_RETENTION_MS = 7 * 86_400_000
TRIM_BATCH = 5000


def append(conn: sqlite3.Connection, ev: StorageEvent) -> int:
    """Inside the caller's transaction; returns the LSN."""
    cur = conn.execute("INSERT INTO events (hlc, type, bucket, key, version_id, payload, crc32, pg, region, record) "
                       "VALUES (?,?,?,?,?,?,?,?,?,?)", encode(ev))
    return int(cur.lastrowid or 0)


def rows_after(conn: sqlite3.Connection, lsn: int, limit: int) -> list[tuple[Any, ...]]:
    """Raw rows (decode them with events.records.decode; a damaged one raises CorruptEvent there)."""
    return list(conn.execute(f"SELECT {EVENT_COLS} FROM events WHERE lsn>? ORDER BY lsn LIMIT ?", (lsn, limit)))


def read_after(conn: sqlite3.Connection, lsn: int, limit: int) -> list[StorageEvent]:
    return [decode(r) for r in rows_after(conn, lsn, limit)]


def last_lsn(conn: sqlite3.Connection) -> int:
    """The last LSN ever appended, even when retention trimmed every row (AUTOINCREMENT remembers)."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name='events'").fetchone()
    return int(row[0]) if row else 0


def first_lsn(conn: sqlite3.Connection) -> int:
    """The oldest LSN still readable; last_lsn + 1 when the log is empty."""
    row = conn.execute("SELECT min(lsn) FROM events").fetchone()
    return int(row[0]) if row and row[0] is not None else last_lsn(conn) + 1


# ---- consumers ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Consumer:
    name: str
    lsn: int  # every event up to this one is processed
    seen_ms: int
    registered_ms: int


class UnknownConsumer(Exception):
    """No consumer of that name is registered."""


class ResyncRequired(Exception):
    """The consumer cannot continue from its checkpoint: rebuild from a snapshot, then register again."""

    def __init__(self, name: str, lsn: int, first: int, reason: str) -> None:
        super().__init__(f"consumer {name!r} at LSN {lsn} must resync: {reason} (oldest LSN kept: {first})")
        self.name, self.lsn, self.first, self.reason = name, lsn, first, reason


def _consumer(row: tuple[Any, ...] | None) -> Consumer | None:
    return Consumer(*row) if row else None


def get_consumer(conn: sqlite3.Connection, name: str) -> Consumer | None:
    return _consumer(conn.execute("SELECT name, lsn, seen_ms, registered_ms FROM event_consumers WHERE name=?",
                                  (name,)).fetchone())


def list_consumers(conn: sqlite3.Connection) -> list[Consumer]:
    rows = conn.execute("SELECT name, lsn, seen_ms, registered_ms FROM event_consumers ORDER BY name")
    return [Consumer(*r) for r in rows]


def register(conn: sqlite3.Connection, name: str, now_ms: int, from_lsn: int | None = None) -> Consumer:
    """Create or reset a consumer (after a resync): it starts after `from_lsn`, by default after the
    last event (it has the current state already)."""
    last = last_lsn(conn)
    lsn = last if from_lsn is None else from_lsn
    if not 0 <= lsn <= last:
        raise ValueError(f"from_lsn must be between 0 and {last}")
    if lsn + 1 < first_lsn(conn):
        raise ResyncRequired(name, lsn, first_lsn(conn), "the events after that LSN were trimmed")
    conn.execute("INSERT OR REPLACE INTO event_consumers VALUES (?,?,?,?)", (name, lsn, now_ms, now_ms))
    return Consumer(name, lsn, now_ms, now_ms)


def unregister(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("DELETE FROM event_consumers WHERE name=?", (name,)).rowcount > 0


def check(conn: sqlite3.Connection, c: Consumer, now_ms: int, retention_ms: int) -> None:
    """Raise ResyncRequired if `c` was gone longer than the retention or missed trimmed events."""
    first = first_lsn(conn)
    if now_ms - c.seen_ms > retention_ms:
        raise ResyncRequired(c.name, c.lsn, first, f"not heard from for {(now_ms - c.seen_ms) // 1000} s, "
                                                   f"longer than the retention of {retention_ms // 1000} s")
    if c.lsn + 1 < first:
        raise ResyncRequired(c.name, c.lsn, first, "events after its checkpoint were trimmed")


def _known(conn: sqlite3.Connection, name: str) -> Consumer:
    c = get_consumer(conn, name)
    if c is None:
        raise UnknownConsumer(name)
    return c


def checkpoint(conn: sqlite3.Connection, name: str, lsn: int, now_ms: int, retention_ms: int) -> Consumer:
    """Record that `name` processed everything up to `lsn` (it also counts as being heard from)."""
    c = _known(conn, name)
    check(conn, c, now_ms, retention_ms)
    if not c.lsn <= lsn <= last_lsn(conn):
        raise ValueError(f"checkpoint must be between {c.lsn} and {last_lsn(conn)}")
    conn.execute("UPDATE event_consumers SET lsn=?, seen_ms=? WHERE name=?", (lsn, now_ms, name))
    return Consumer(name, lsn, now_ms, c.registered_ms)


def read_for(conn: sqlite3.Connection, name: str, limit: int, now_ms: int, retention_ms: int) -> list[StorageEvent]:
    """The next events a consumer has not processed yet, or ResyncRequired."""
    c = _known(conn, name)
    check(conn, c, now_ms, retention_ms)
    return read_after(conn, c.lsn, limit)


def trimmable(conn: sqlite3.Connection, now_ms: int, retention_ms: int, batch: int = TRIM_BATCH) -> int:
    """The highest LSN retention may delete now (0: none): a prefix of events older than the
    retention that no consumer heard from within the retention still needs."""
    active = [c.lsn for c in list_consumers(conn) if now_ms - c.seen_ms <= retention_ms]
    bound = min(active) if active else last_lsn(conn)
    cutoff = pack(max(0, now_ms - retention_ms), 0)
    upto = 0
    for lsn, hlc in conn.execute("SELECT lsn, hlc FROM events WHERE lsn<=? ORDER BY lsn LIMIT ?", (bound, batch)):
        if hlc >= cutoff:
            break
        upto = lsn
    return upto


def trim(conn: sqlite3.Connection, now_ms: int, retention_ms: int, batch: int = TRIM_BATCH) -> int:
    """Delete, from the front, what `trimmable` allows; returns how many events went."""
    upto = trimmable(conn, now_ms, retention_ms, batch)
    return conn.execute("DELETE FROM events WHERE lsn<=?", (upto,)).rowcount if upto else 0


# ---- the engine's view: an EventFeed over a read connection and the metadata writer -------
class SqliteFeed:
    """Reads on the caller's thread's read connection; writes queued to the metadata writer, so a
    checkpoint is group-committed like any mutation."""

    def __init__(self, read: Callable[[], sqlite3.Connection],
                 write: Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]],
                 clock: Clock, retention_ms: int = DEFAULT_RETENTION_MS) -> None:
        self._read, self._write, self.clock, self.retention_ms = read, write, clock, retention_ms

    @classmethod
    def over(cls, meta: Any, clock: Clock, retention_ms: int = DEFAULT_RETENTION_MS) -> SqliteFeed:
        """The feed of a SqliteMeta (duck-typed: events/ never imports its peer meta/)."""
        async def write(fn: Callable[[sqlite3.Connection], T]) -> T:
            result: T = await meta.write(lambda tx: fn(tx.c))
            return result
        return cls(meta._r, write, clock, retention_ms)

    def last_lsn(self) -> int:
        return last_lsn(self._read())

    def first_lsn(self) -> int:
        return first_lsn(self._read())

    def rows_after(self, lsn: int, limit: int) -> list[tuple[Any, ...]]:
        return rows_after(self._read(), lsn, limit)

    def read_after(self, lsn: int, limit: int) -> list[StorageEvent]:
        return read_after(self._read(), lsn, limit)

    def list_consumers(self) -> list[Consumer]:
        return list_consumers(self._read())

    def resync_required(self, c: Consumer) -> bool:
        try:
            check(self._read(), c, self.clock.now_ms(), self.retention_ms)
        except ResyncRequired:
            return True
        return False

    def read_for(self, name: str, limit: int) -> list[StorageEvent]:
        return read_for(self._read(), name, limit, self.clock.now_ms(), self.retention_ms)

    async def register(self, name: str, from_lsn: int | None = None) -> Consumer:
        now = self.clock.now_ms()
        result: Consumer = await self._write(lambda c: register(c, name, now, from_lsn))
        return result

    async def unregister(self, name: str) -> bool:
        result: bool = await self._write(lambda c: unregister(c, name))
        return result

    async def checkpoint(self, name: str, lsn: int) -> Consumer:
        now = self.clock.now_ms()
        result: Consumer = await self._write(lambda c: checkpoint(c, name, lsn, now, self.retention_ms))
        return result

    async def trim(self) -> int:
        """A write only when there is something to trim (an idle server's GC pass writes nothing)."""
        now = self.clock.now_ms()
        if not trimmable(self._read(), now, self.retention_ms):
            return 0
        result: int = await self._write(lambda c: trim(c, now, self.retention_ms))
        return result
