"""meta/accounts.tx_adopt: what an IAM user owned (pre-accounts data dirs) moves to its account."""

from __future__ import annotations

import json
import sqlite3

from rucket.meta.accounts import tx_adopt
from rucket.meta.tx import Tx


def _db() -> sqlite3.Connection:
    c = sqlite3.connect(":memory:")
    c.executescript("""
        CREATE TABLE buckets (name TEXT PRIMARY KEY, owner TEXT, config TEXT);
        CREATE TABLE versions (id INTEGER PRIMARY KEY, owner TEXT, attrs TEXT);
        CREATE TABLE latest (key TEXT, owner TEXT);
        CREATE TABLE uploads (upload_id TEXT, owner TEXT);
        CREATE TABLE object_acls (vid INTEGER PRIMARY KEY, acl TEXT);
    """)
    acl = {"owner": "u1", "grants": [["CanonicalUser", "u1", "FULL_CONTROL"], ["CanonicalUser", "alt", "READ"]]}
    c.execute("INSERT INTO buckets VALUES ('b1', 'u1', ?)", (json.dumps({"acl": acl, "tags": {"who": "u1"}}),))
    c.execute("INSERT INTO buckets VALUES ('b2', 'alt', '{}')")
    c.execute("INSERT INTO versions VALUES (1, 'u1', ?)", (json.dumps({"extra": {"acl": acl}}),))
    c.execute("INSERT INTO versions VALUES (2, 'alt', '{}')")
    c.execute("INSERT INTO latest VALUES ('k', 'u1')")
    c.execute("INSERT INTO uploads VALUES ('up', 'u1')")
    c.execute("INSERT INTO object_acls VALUES (2, ?)", (json.dumps(acl),))
    return c


def test_tx_adopt_moves_owners_and_acl_ids_only() -> None:
    c = _db()
    tx = Tx(c)
    assert tx_adopt(tx, ["u1", "root"], "root") > 0
    assert c.execute("SELECT name, owner FROM buckets ORDER BY name").fetchall() == [("b1", "root"), ("b2", "alt")]
    config = json.loads(c.execute("SELECT config FROM buckets WHERE name='b1'").fetchone()[0])
    assert config["acl"] == {"owner": "root", "grants": [["CanonicalUser", "root", "FULL_CONTROL"],
                                                         ["CanonicalUser", "alt", "READ"]]}
    assert config["tags"] == {"who": "u1"}  # only ACL-shaped documents are rewritten
    assert json.loads(c.execute("SELECT attrs FROM versions WHERE id=1").fetchone()[0])["extra"]["acl"]["owner"] \
        == "root"
    assert c.execute("SELECT owner FROM versions WHERE id=2").fetchone()[0] == "alt"
    assert json.loads(c.execute("SELECT acl FROM object_acls").fetchone()[0])["owner"] == "root"
    assert c.execute("SELECT owner FROM latest").fetchone()[0] == "root"
    assert c.execute("SELECT owner FROM uploads").fetchone()[0] == "root"
    assert tx.buckets_changed
    assert tx_adopt(tx, ["u1"], "root") == 0  # idempotent: nothing left to move


def test_tx_adopt_without_members_touches_nothing() -> None:
    assert tx_adopt(Tx(_db()), [], "root") == 0
