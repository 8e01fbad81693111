"""StorageEvent: the record every mutation appends to the event log, with a CRC32.

The log is the outbox for replication, notifications, audit and the conflict log; the
CRC lets a reader stop at the first damaged record instead of replaying garbage.

`record` is the full state the mutation left behind (row images keyed by bucket, key and
version id, never by a local row id: see meta/records.py), so a replica or a peer region
rebuilds the store from the feed alone; `payload` keeps the short summary older releases
wrote. `pg` and `region` say where the key lives and which region wrote it.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from rucket.core.events import EVENT_COLS, EventType, StorageEvent

__all__ = ["EVENT_COLS", "CorruptEvent", "EventType", "StorageEvent", "decode", "encode", "to_json"]


class CorruptEvent(Exception):
    """A record's CRC does not match: the log is damaged from this LSN on."""


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _crc(hlc: int, etype: str, bucket: str, key: str | None, version_id: str | None, payload: str,
         pg: int = 0, region: str = "", record: str = "") -> int:
    """Rows of older releases (no pg, region or record) keep the CRC they were written with."""
    body = "\x00".join((str(hlc), etype, bucket, key or "", version_id or "", payload))
    if pg or region or record:
        body += "\x00" + "\x00".join((str(pg), region, record))
    return zlib.crc32(body.encode("utf-8"))


def encode(ev: StorageEvent) -> tuple[Any, ...]:
    """The row for `events (hlc, type, bucket, key, version_id, payload, crc32, pg, region, record)`."""
    payload = _dumps(ev.payload)
    record = "" if ev.record is None else _dumps(ev.record)
    crc = _crc(ev.hlc, ev.type.value, ev.bucket, ev.key, ev.version_id, payload, ev.pg, ev.region, record)
    return (ev.hlc, ev.type.value, ev.bucket, ev.key, ev.version_id, payload, crc, ev.pg, ev.region, record)


def decode(row: tuple[Any, ...]) -> StorageEvent:
    """`row` as selected by events.log.EVENT_COLS."""
    lsn, hlc, etype, bucket, key, version_id, payload, crc, pg, region, record = row
    if _crc(hlc, etype, bucket, key, version_id, payload, pg, region, record) != crc:
        raise CorruptEvent(f"event LSN {lsn} fails its CRC32 check")
    return StorageEvent(EventType(etype), hlc, bucket, key, version_id, json.loads(payload), lsn, pg, region,
                        json.loads(record) if record else None)


def to_json(ev: StorageEvent) -> dict[str, Any]:
    """One event as `rucket admin events --json` and `GET /admin/events` show it."""
    return {"lsn": ev.lsn, "hlc": ev.hlc, "type": ev.type.value, "bucket": ev.bucket, "key": ev.key,
            "version_id": ev.version_id, "pg": ev.pg, "region": ev.region, "record": ev.record,
            "payload": ev.payload}
