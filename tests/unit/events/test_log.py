"""events/log.py: append and read by LSN, the CRC, consumer checkpoints and retention (injected clock)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from rucket.core.hlc import FakeClock, pack
from rucket.events import log
from rucket.events.records import CorruptEvent, EventType, StorageEvent, decode
from rucket.meta.sqlite import migrate

DAY = 86_400_000
RETENTION = 7 * DAY


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    c = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    migrate(c)
    yield c
    c.close()


def _put(conn: sqlite3.Connection, clock: FakeClock, key: str) -> int:
    ev = StorageEvent(EventType.OBJECT_PUT, pack(clock.now_ms(), 0), "b", key, "null", {"size": 1}, pg=3,
                      region="eu-1", record={"version": {"row": {"key": key}}})
    return log.append(conn, ev)


def test_append_read_roundtrip_keeps_record_pg_region(conn: sqlite3.Connection) -> None:
    clock = FakeClock()
    lsn = _put(conn, clock, "k")
    [ev] = log.read_after(conn, 0, 10)
    assert (ev.lsn, ev.pg, ev.region, ev.record, ev.key) == (lsn, 3, "eu-1", {"version": {"row": {"key": "k"}}}, "k")


def test_damaged_record_fails_its_crc(conn: sqlite3.Connection) -> None:
    _put(conn, FakeClock(), "k")
    conn.execute("UPDATE events SET record = replace(record, 'k', 'x')")
    with pytest.raises(CorruptEvent):
        decode(log.rows_after(conn, 0, 1)[0])


def test_old_release_rows_without_record_still_verify(conn: sqlite3.Connection) -> None:
    """Rows written before 0007 have pg 0, region '' and record '': their CRC covers the old fields only."""
    import zlib
    body = "\x00".join(("5", "ObjectPut", "b", "k", "null", "{}"))
    conn.execute("INSERT INTO events (hlc, type, bucket, key, version_id, payload, crc32) VALUES (5, 'ObjectPut', "
                 "'b', 'k', 'null', '{}', ?)", (zlib.crc32(body.encode()),))
    [ev] = log.read_after(conn, 0, 10)
    assert ev.record is None and ev.pg == 0


def test_trim_without_consumers_drops_only_events_older_than_retention(conn: sqlite3.Connection) -> None:
    clock = FakeClock()
    old = [_put(conn, clock, f"old{i}") for i in range(3)]
    clock.advance(days=5)
    young = _put(conn, clock, "young")
    clock.advance(days=3)  # old events are 8 days old, the young one 3
    assert log.trim(conn, clock.now_ms(), RETENTION) == 3
    assert [e.lsn for e in log.read_after(conn, 0, 10)] == [young]
    assert log.first_lsn(conn) == young and log.last_lsn(conn) == young
    assert old[-1] < young


def test_consumer_behind_keeps_its_events_past_retention(conn: sqlite3.Connection) -> None:
    clock = FakeClock()
    log.register(conn, "replicator", clock.now_ms(), from_lsn=0)
    lsns = [_put(conn, clock, f"k{i}") for i in range(4)]
    clock.advance(days=6)
    log.checkpoint(conn, "replicator", lsns[1], clock.now_ms(), RETENTION)  # alive, two events behind
    clock.advance(days=6)  # all events 12 days old, the consumer heard from 6 days ago
    assert log.trim(conn, clock.now_ms(), RETENTION) == 2  # only what it has processed
    assert [e.lsn for e in log.read_for(conn, "replicator", 10, clock.now_ms(), RETENTION)] == lsns[2:]


def test_consumer_gone_longer_than_retention_must_resync_and_stops_holding_events(conn: sqlite3.Connection) -> None:
    clock = FakeClock()
    log.register(conn, "gone", clock.now_ms(), from_lsn=0)
    _put(conn, clock, "a")
    _put(conn, clock, "b")
    clock.advance(days=8)
    with pytest.raises(log.ResyncRequired) as err:
        log.read_for(conn, "gone", 10, clock.now_ms(), RETENTION)
    assert err.value.name == "gone" and err.value.lsn == 0
    with pytest.raises(log.ResyncRequired):
        log.checkpoint(conn, "gone", 1, clock.now_ms(), RETENTION)
    assert log.trim(conn, clock.now_ms(), RETENTION) == 2  # it no longer holds them
    with pytest.raises(log.ResyncRequired):
        log.register(conn, "gone", clock.now_ms(), from_lsn=0)  # cannot resume before the trimmed events
    again = log.register(conn, "gone", clock.now_ms())  # after a resync: from the current end
    assert again.lsn == 2 and log.read_for(conn, "gone", 10, clock.now_ms(), RETENTION) == []


def test_consumer_that_missed_trimmed_events_must_resync_even_if_recently_seen(conn: sqlite3.Connection) -> None:
    clock = FakeClock()
    log.register(conn, "slow", clock.now_ms(), from_lsn=0)
    _put(conn, clock, "a")
    conn.execute("DELETE FROM events")  # e.g. an operator's manual trim
    with pytest.raises(log.ResyncRequired, match="trimmed"):
        log.read_for(conn, "slow", 10, clock.now_ms(), RETENTION)


def test_checkpoint_rejects_going_backwards_or_past_the_end(conn: sqlite3.Connection) -> None:
    clock = FakeClock()
    _put(conn, clock, "a")
    log.register(conn, "c", clock.now_ms(), from_lsn=1)
    with pytest.raises(ValueError):
        log.checkpoint(conn, "c", 0, clock.now_ms(), RETENTION)
    with pytest.raises(ValueError):
        log.checkpoint(conn, "c", 5, clock.now_ms(), RETENTION)
    with pytest.raises(log.UnknownConsumer):
        log.checkpoint(conn, "nobody", 1, clock.now_ms(), RETENTION)
