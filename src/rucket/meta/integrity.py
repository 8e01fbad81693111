"""The SQL behind the scrubber and `rucket fsck`: who references a blob, inline rows to check,
damaged event records. Free functions over a connection, and `IntegrityReads` (a base of
`SqliteMeta`) offering them to the engine; tables that a migration may not have created yet
(multipart parts) are skipped."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from rucket.core.events import EVENT_COLS
from rucket.core.model import ObjectVersion
from rucket.meta.rows import VERSION_COLS, version_from_row

PART_TABLES = ("version_parts", "upload_parts")  # besides versions.blob_id, where a blob id can be referenced


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None


def referenced_blobs(conn: sqlite3.Connection) -> set[str]:
    """Every blob id a version, a multipart version's part or an upload's part names."""
    tables = ["versions", *(t for t in PART_TABLES if has_table(conn, t))]
    sql = " UNION ".join(f"SELECT blob_id FROM {t} WHERE blob_id IS NOT NULL" for t in tables)
    return {r[0] for r in conn.execute(sql)} - {"inline", "parts"}


def is_referenced(conn: sqlite3.Connection, blob_id: str) -> bool:
    tables = ["versions", *(t for t in PART_TABLES if has_table(conn, t))]
    return any(conn.execute(f"SELECT 1 FROM {t} WHERE blob_id=? LIMIT 1", (blob_id,)).fetchone() for t in tables)


def versions_using(conn: sqlite3.Connection, blob_id: str) -> list[ObjectVersion]:
    """Versions whose bytes are, or include (as a multipart part), the blob."""
    sql = f"SELECT {VERSION_COLS} FROM versions v WHERE v.blob_id=?"
    args: tuple[Any, ...] = (blob_id,)
    if has_table(conn, "version_parts"):
        sql += " OR v.id IN (SELECT vid FROM version_parts WHERE blob_id=?)"
        args = (blob_id, blob_id)
    return [version_from_row(r, is_latest=False) for r in conn.execute(sql, args)]


def upload_parts_using(conn: sqlite3.Connection, blob_id: str) -> list[tuple[str, int]]:
    if not has_table(conn, "upload_parts"):
        return []
    return list(conn.execute("SELECT upload_id, part_number FROM upload_parts WHERE blob_id=?", (blob_id,)))


def drop_upload_parts(conn: sqlite3.Connection, blob_id: str) -> None:
    """A lost part of an upload in progress: the client's Complete then fails with InvalidPart and
    it uploads the part again, instead of completing an object with a hole."""
    if has_table(conn, "upload_parts"):
        conn.execute("DELETE FROM upload_parts WHERE blob_id=?", (blob_id,))


def inline_rows(conn: sqlite3.Connection, batch: int = 256) -> Iterator[tuple[ObjectVersion, bytes]]:
    """Every inline version with its bytes, in row order, a page at a time."""
    after = 0
    while True:
        rows = conn.execute(f"SELECT {VERSION_COLS}, i.data FROM inline_data i JOIN versions v ON v.id = i.vid "
                            "WHERE i.vid > ? ORDER BY i.vid LIMIT ?", (after, batch)).fetchall()
        for r in rows:
            yield version_from_row(r[:-1], is_latest=False), bytes(r[-1])
        if len(rows) < batch:
            return
        after = rows[-1][0]


def events(conn: sqlite3.Connection, after_lsn: int = 0, batch: int = 1000) -> Iterator[tuple[Any, ...]]:
    """Raw event rows (events.log.EVENT_COLS) from `after_lsn` on."""
    while True:
        rows = conn.execute(f"SELECT {EVENT_COLS} FROM events WHERE lsn > ? ORDER BY lsn LIMIT ?",
                            (after_lsn, batch)).fetchall()
        yield from rows
        if len(rows) < batch:
            return
        after_lsn = rows[-1][0]


def last_lsn(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(lsn), 0) FROM events").fetchone()[0])


class IntegrityReads:
    """The reads above as methods of `SqliteMeta` (a base class; `_r()` is its read connection)."""

    def _r(self) -> sqlite3.Connection:
        raise NotImplementedError

    def referenced_blobs(self) -> set[str]:
        return referenced_blobs(self._r())

    def is_referenced(self, blob_id: str) -> bool:
        return is_referenced(self._r(), blob_id)

    def versions_using(self, blob_id: str) -> list[ObjectVersion]:
        return versions_using(self._r(), blob_id)

    def upload_parts_using(self, blob_id: str) -> list[tuple[str, int]]:
        return upload_parts_using(self._r(), blob_id)

    def inline_rows(self) -> Iterator[tuple[ObjectVersion, bytes]]:
        return inline_rows(self._r())

    def all_events(self, after_lsn: int = 0) -> Iterator[tuple[Any, ...]]:
        return events(self._r(), after_lsn)
