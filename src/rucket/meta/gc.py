"""The `gc` table (migration 0007): blobs a committed mutation stopped referencing, and when they
may be freed. Rows are written in the same transaction as the delete (Tx.free_later), so no
freed blob is ever forgotten and start-up recovery needs this table, not a walk of every blob.
A row is only a candidate: the GC re-checks references before freeing (a copy may share a blob).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable


def queue(conn: sqlite3.Connection, blob_ids: Iterable[str], due_ms: int) -> None:
    """A blob queued twice keeps the later due time (a reader of the newer drop gets its delay)."""
    conn.executemany("INSERT INTO gc VALUES (?,?) "
                     "ON CONFLICT(blob_id) DO UPDATE SET due_ms=max(due_ms, excluded.due_ms)",
                     [(b, due_ms) for b in blob_ids])


def due(conn: sqlite3.Connection, now_ms: int, limit: int) -> list[str]:
    return [r[0] for r in conn.execute("SELECT blob_id FROM gc WHERE due_ms<=? ORDER BY due_ms LIMIT ?",
                                       (now_ms, limit))]


def pending(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT blob_id FROM gc")}


def forget(conn: sqlite3.Connection, blob_ids: Iterable[str]) -> None:
    conn.executemany("DELETE FROM gc WHERE blob_id=?", [(b,) for b in blob_ids])


def claim(conn: sqlite3.Connection, blob_ids: Iterable[str], in_use: Callable[[str], bool]) -> list[str]:
    ids = list(blob_ids)
    used = [b for b in ids if in_use(b)]
    forget(conn, used)
    return [b for b in ids if b not in set(used)]
