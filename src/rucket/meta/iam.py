"""SQL for identities and object ACLs: users, access keys, identity policies, attachments.

`IamReads` is a base of `SqliteMeta`; the `tx_*` functions run inside a batch (meta/apply.py).
Secrets arrive here already encrypted: this layer never sees a plaintext secret.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from rucket.core.records import KeyRow, KeyScope, UserRow
from rucket.meta.tx import Tx

_USER_COLS = "u.name, u.canonical_id, u.display_name, u.email, u.source, u.created_ms"
_KEY_COLS = "k.access_key, k.user_name, k.secret_enc, k.enabled, k.created_ms"


def _user(row: tuple[Any, ...]) -> UserRow:
    return UserRow(row[0], row[1], row[2], row[3], row[4], row[5])


def _key(row: tuple[Any, ...]) -> KeyRow:
    return KeyRow(row[0], row[1], bytes(row[2]), bool(row[3]), row[4])


class IamReads:
    """Read side, a base of `SqliteMeta`: `_r()` is its per-thread read connection (never blocked by
    the writer)."""

    def _r(self) -> sqlite3.Connection:
        raise NotImplementedError

    def _c(self) -> sqlite3.Connection:
        return self._r()

    def key_scope(self, access_key: str) -> KeyScope | None:
        return key_scope(self._c(), access_key)

    def key_scopes_of(self, user_name: str) -> dict[str, KeyScope]:
        return scopes_of(self._c(), user_name)

    def iam_key(self, access_key: str) -> KeyRow | None:
        row = self._c().execute(f"SELECT {_KEY_COLS} FROM iam_keys k WHERE access_key=?", (access_key,)).fetchone()
        return _key(row) if row else None

    def key_with_user(self, access_key: str) -> tuple[KeyRow, UserRow] | None:
        row = self._c().execute(f"SELECT {_KEY_COLS}, {_USER_COLS} FROM iam_keys k "
                                "JOIN iam_users u ON u.name = k.user_name WHERE k.access_key=?",
                                (access_key,)).fetchone()
        return (_key(row[:5]), _user(row[5:])) if row else None

    def user(self, name: str) -> UserRow | None:
        row = self._c().execute(f"SELECT {_USER_COLS} FROM iam_users u WHERE name=?", (name,)).fetchone()
        return _user(row) if row else None

    def user_by_canonical_id(self, canonical_id: str) -> UserRow | None:
        row = self._c().execute(f"SELECT {_USER_COLS} FROM iam_users u WHERE canonical_id=?",
                                (canonical_id,)).fetchone()
        return _user(row) if row else None

    def user_by_email(self, email: str) -> UserRow | None:
        row = self._c().execute(f"SELECT {_USER_COLS} FROM iam_users u WHERE email=? AND email<>''",
                                (email,)).fetchone()
        return _user(row) if row else None

    def users(self) -> list[UserRow]:
        return [_user(r) for r in self._c().execute(f"SELECT {_USER_COLS} FROM iam_users u ORDER BY name")]

    def keys_of(self, user_name: str) -> list[KeyRow]:
        return [_key(r) for r in self._c().execute(
            f"SELECT {_KEY_COLS} FROM iam_keys k WHERE user_name=? ORDER BY created_ms, access_key", (user_name,))]

    def policy_documents_of(self, user_name: str) -> list[str]:
        return [r[0] for r in self._c().execute(
            "SELECT p.document FROM iam_attachments a JOIN iam_policies p ON p.name = a.policy_name "
            "WHERE a.user_name=? ORDER BY p.name", (user_name,))]

    def policy_names_of(self, user_name: str) -> list[str]:
        return [r[0] for r in self._c().execute(
            "SELECT policy_name FROM iam_attachments WHERE user_name=? ORDER BY policy_name", (user_name,))]

    def policies(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self._c().execute("SELECT name, document FROM iam_policies ORDER BY name")]

    def policy(self, name: str) -> str | None:
        row = self._c().execute("SELECT document FROM iam_policies WHERE name=?", (name,)).fetchone()
        return str(row[0]) if row else None

    def object_acl(self, row_id: int) -> dict[str, Any] | None:
        row = self._c().execute("SELECT acl FROM object_acls WHERE vid=?", (row_id,)).fetchone()
        return json.loads(row[0]) if row else None


# ---- writes (inside SqliteMeta.write) ---------------------------------------------------------
def tx_user(tx: Tx, name: str) -> UserRow | None:
    row = tx.c.execute(f"SELECT {_USER_COLS} FROM iam_users u WHERE name=?", (name,)).fetchone()
    return _user(row) if row else None


def tx_user_by_canonical_id(tx: Tx, canonical_id: str) -> UserRow | None:
    row = tx.c.execute(f"SELECT {_USER_COLS} FROM iam_users u WHERE canonical_id=?", (canonical_id,)).fetchone()
    return _user(row) if row else None


def tx_user_names(tx: Tx, sources: Sequence[str]) -> list[str]:
    marks = ",".join("?" * len(sources))
    return [r[0] for r in tx.c.execute(f"SELECT name FROM iam_users WHERE source IN ({marks})", tuple(sources))]


def tx_canonical_ids(tx: Tx, sources: Sequence[str]) -> list[str]:
    marks = ",".join("?" * len(sources))
    return [r[0] for r in tx.c.execute(f"SELECT canonical_id FROM iam_users WHERE source IN ({marks})",
                                       tuple(sources))]


def tx_upsert_user(tx: Tx, u: UserRow) -> None:
    tx.c.execute("INSERT INTO iam_users VALUES (?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET "
                 "canonical_id=excluded.canonical_id, display_name=excluded.display_name, "
                 "email=excluded.email, source=excluded.source",
                 (u.name, u.canonical_id, u.display_name, u.email, u.source, u.created_ms))


def tx_delete_user(tx: Tx, name: str) -> bool:
    tx.c.execute("DELETE FROM iam_keys WHERE user_name=?", (name,))
    tx.c.execute("DELETE FROM iam_attachments WHERE user_name=?", (name,))
    return tx.c.execute("DELETE FROM iam_users WHERE name=?", (name,)).rowcount > 0


def tx_key(tx: Tx, access_key: str) -> KeyRow | None:
    row = tx.c.execute(f"SELECT {_KEY_COLS} FROM iam_keys k WHERE access_key=?", (access_key,)).fetchone()
    return _key(row) if row else None


def tx_put_key(tx: Tx, k: KeyRow) -> None:
    tx.c.execute("INSERT OR REPLACE INTO iam_keys VALUES (?,?,?,?,?)",
                 (k.access_key, k.user_name, k.secret_enc, int(k.enabled), k.created_ms))


def tx_set_key_enabled(tx: Tx, access_key: str, enabled: bool) -> bool:
    return tx.c.execute("UPDATE iam_keys SET enabled=? WHERE access_key=?", (int(enabled), access_key)).rowcount > 0


def tx_delete_key(tx: Tx, access_key: str) -> bool:
    return tx.c.execute("DELETE FROM iam_keys WHERE access_key=?", (access_key,)).rowcount > 0


def tx_put_policy(tx: Tx, name: str, document: str, now_ms: int) -> None:
    tx.c.execute("INSERT INTO iam_policies VALUES (?,?,?) ON CONFLICT(name) DO UPDATE SET document=excluded.document",
                 (name, document, now_ms))


def tx_delete_policy(tx: Tx, name: str) -> bool:
    return tx.c.execute("DELETE FROM iam_policies WHERE name=?", (name,)).rowcount > 0


def tx_policy_in_use(tx: Tx, name: str) -> bool:
    return tx.c.execute("SELECT 1 FROM iam_attachments WHERE policy_name=? LIMIT 1", (name,)).fetchone() is not None


def tx_policy_exists(tx: Tx, name: str) -> bool:
    return tx.c.execute("SELECT 1 FROM iam_policies WHERE name=?", (name,)).fetchone() is not None


def tx_attach(tx: Tx, user_name: str, policy_name: str) -> None:
    tx.c.execute("INSERT OR IGNORE INTO iam_attachments VALUES (?,?)", (user_name, policy_name))


def tx_detach(tx: Tx, user_name: str, policy_name: str) -> bool:
    return tx.c.execute("DELETE FROM iam_attachments WHERE user_name=? AND policy_name=?",
                        (user_name, policy_name)).rowcount > 0


def tx_put_object_acl(tx: Tx, row_id: int, acl: dict[str, Any]) -> None:
    tx.c.execute("INSERT OR REPLACE INTO object_acls VALUES (?,?)", (row_id, json.dumps(acl, separators=(",", ":"))))


# ---- key scope: expiry and service-account policies (migration 0010) --------------------------
def _scope(row: tuple[Any, ...]) -> KeyScope:
    return KeyScope(row[0], row[1], row[2], row[3])


def key_scope(conn: sqlite3.Connection, access_key: str) -> KeyScope | None:
    row = conn.execute("SELECT access_key, expires_ms, policy, description FROM iam_key_scope "
                            "WHERE access_key=?", (access_key,)).fetchone()
    return _scope(row) if row else None


def scopes_of(conn: sqlite3.Connection, user_name: str) -> dict[str, KeyScope]:
    rows = conn.execute("SELECT s.access_key, s.expires_ms, s.policy, s.description FROM iam_key_scope s "
                             "JOIN iam_keys k ON k.access_key = s.access_key WHERE k.user_name=?", (user_name,))
    return {r[0]: _scope(r) for r in rows}


def tx_put_key_scope(tx: Tx, s: KeyScope) -> None:
    tx.c.execute("INSERT OR REPLACE INTO iam_key_scope VALUES (?,?,?,?)",
                 (s.access_key, s.expires_ms, s.policy, s.description))


def tx_key_scope(tx: Tx, access_key: str) -> KeyScope | None:
    row = tx.c.execute("SELECT access_key, expires_ms, policy, description FROM iam_key_scope WHERE access_key=?",
                       (access_key,)).fetchone()
    return _scope(row) if row else None
