"""SQL for the built-in KMS: keys and their numbered versions of (wrapped) key material.

Standalone functions over the reader connection or a `Tx`, like meta/iam.py, so the KMS
does not grow the shared `SqliteMeta`/`Tx` classes. Material arrives already wrapped under
the master key: this layer never sees key material in the clear.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from rucket.core.records import KmsKeyRow, KmsVersionRow
from rucket.meta.tx import Tx

_KEY_SQL = ("SELECT k.key_id, k.description, k.enabled, k.created_ms, "
            "(SELECT COUNT(*) FROM kms_key_versions v WHERE v.key_id = k.key_id) FROM kms_keys k")


def _key(row: tuple[Any, ...]) -> KmsKeyRow:
    return KmsKeyRow(row[0], row[1], bool(row[2]), row[3], row[4])


def _version(row: tuple[Any, ...]) -> KmsVersionRow:
    return KmsVersionRow(row[0], row[1], bytes(row[2]), row[3])


class KmsReads:
    """Read side, a base of `SqliteMeta` (`_r()`: its per-thread read connection)."""

    def _r(self) -> sqlite3.Connection:
        raise NotImplementedError

    def kms_key(self, key_id: str) -> KmsKeyRow | None:
        row = self._r().execute(f"{_KEY_SQL} WHERE k.key_id=?", (key_id,)).fetchone()
        return _key(row) if row else None

    def kms_keys(self) -> list[KmsKeyRow]:
        return [_key(r) for r in self._r().execute(f"{_KEY_SQL} ORDER BY k.key_id")]

    def kms_version(self, key_id: str, version: int) -> KmsVersionRow | None:
        row = self._r().execute("SELECT key_id, version, material, created_ms FROM kms_key_versions "
                                     "WHERE key_id=? AND version=?", (key_id, version)).fetchone()
        return _version(row) if row else None


# ---- writes (inside SqliteMeta.write) ---------------------------------------------------------
def tx_key(tx: Tx, key_id: str) -> KmsKeyRow | None:
    row = tx.c.execute(f"{_KEY_SQL} WHERE k.key_id=?", (key_id,)).fetchone()
    return _key(row) if row else None


def tx_insert_key(tx: Tx, key_id: str, description: str, now_ms: int) -> None:
    tx.c.execute("INSERT INTO kms_keys VALUES (?,?,1,?)", (key_id, description, now_ms))


def tx_next_version(tx: Tx, key_id: str) -> int:
    row = tx.c.execute("SELECT COALESCE(MAX(version), 0) FROM kms_key_versions WHERE key_id=?", (key_id,)).fetchone()
    return int(row[0]) + 1


def tx_add_version(tx: Tx, key_id: str, version: int, material: bytes, now_ms: int) -> None:
    """`material` is wrapped with the version number bound in, hence the caller numbers it."""
    tx.c.execute("INSERT INTO kms_key_versions VALUES (?,?,?,?)", (key_id, version, material, now_ms))
