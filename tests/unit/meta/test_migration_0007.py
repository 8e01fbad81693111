"""Migration 0007 on a database of an older release: per-key HLCs become strictly increasing in the
row-id order that release meant, so "latest" and the version order survive the switch to (HLC, version id)."""

from __future__ import annotations

import sqlite3
from importlib import resources
from pathlib import Path

from rucket.meta.sqlite import SqliteMeta


def _old_release_db(path: Path) -> None:
    """Schema 0001-0006 only, as the release before 0007 left it."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY)")
    for f in sorted(f for f in resources.files("rucket.meta.migrations").iterdir() if f.name.endswith(".sql")):
        if int(f.name[:4]) <= 6:
            conn.executescript(f"BEGIN;\n{f.read_text()}\nINSERT INTO schema_migrations VALUES ('{f.name}');\nCOMMIT;")
    conn.execute("INSERT INTO buckets VALUES ('b', 'o', 1, 'us-east-1', 'Enabled', 0, '{}')")
    # Two worker processes with their own, unseeded clocks: HLCs equal or going backwards per key.
    rows = [("k", "v1", 500), ("k", "v2", 500), ("k", "v3", 300), ("k", "v4", 900), ("j", "w1", 700)]
    for key, vid, hlc in rows:
        cur = conn.execute("INSERT INTO versions (bucket, key, version_id, blob_id, size, etag, mtime_ms, hlc, owner) "
                           "VALUES ('b', ?, ?, 'inline', 1, '\"e\"', 1, ?, 'o')", (key, vid, hlc))
        conn.execute("INSERT INTO inline_data VALUES (?, x'41')", (cur.lastrowid,))
        conn.execute("INSERT OR REPLACE INTO latest VALUES ('b', ?, ?, 1, 1, '\"e\"', 1, 'STANDARD', 'o')",
                     (key, cur.lastrowid))
    conn.execute("PRAGMA user_version=6")
    conn.close()


def test_migration_0007_makes_key_hlcs_strictly_increasing_in_row_order(tmp_path: Path) -> None:
    _old_release_db(tmp_path / "m.db")
    meta = SqliteMeta(tmp_path / "m.db")
    try:
        versions = meta.list_versions("b", "", None, 100)
        assert [(v.key, v.version_id) for v in versions] == [("j", "w1"), ("k", "v4"), ("k", "v3"), ("k", "v2"),
                                                             ("k", "v1")]
        assert [v.hlc for v in versions if v.key == "k"] == [900, 502, 501, 500]  # smallest fix, 900 kept
        assert [v.is_latest for v in versions] == [True, True, False, False, False]
        latest = meta.get_latest("b", "k")
        assert latest is not None and latest.version_id == "v4"
    finally:
        meta.close()
