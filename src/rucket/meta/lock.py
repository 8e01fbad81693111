"""Object Lock records: the retention and legal hold of a version, changed after its write.

Free functions over a `Tx` (inside the caller's transaction) or a `SqliteMeta` (its
per-thread read connection), so the lock SQL stays in one file without widening the
store classes. A row replaces the state the version carried at write time (its attrs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rucket.core.records import LockRow

if TYPE_CHECKING:
    from rucket.meta.sqlite import SqliteMeta
    from rucket.meta.tx import Tx


_SELECT = "SELECT mode, retain_until_ms, legal_hold FROM object_locks WHERE vid=?"


def _row(raw: tuple[str, int, int | None] | None) -> LockRow | None:
    if raw is None:
        return None
    mode, until, hold = raw
    return mode, until, None if hold is None else bool(hold)


def read(meta: SqliteMeta, vid: int) -> LockRow | None:
    return _row(meta._r().execute(_SELECT, (vid,)).fetchone())


def read_tx(tx: Tx, vid: int) -> LockRow | None:
    return _row(tx.c.execute(_SELECT, (vid,)).fetchone())


def write(tx: Tx, vid: int, row: LockRow) -> None:
    mode, until, hold = row
    tx.c.execute("INSERT OR REPLACE INTO object_locks VALUES (?,?,?,?)",
                 (vid, mode, until, None if hold is None else int(hold)))
