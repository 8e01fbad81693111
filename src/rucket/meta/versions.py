"""Version listing and object tags: the SQL behind ListObjectVersions, tagging and lifecycle.

Two mixins keep this SQL in one file: `VersionReads` is a base of `SqliteMeta` (per-thread
read connections), `TagWrites` a base of `Tx` (inside the caller's transaction). Tags are a
separate record keyed by the version's row id, so changing them never touches the
immutable version row; a trigger (migration 0003) drops them with their version.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from rucket.core.model import ObjectVersion
from rucket.meta.rows import VERSION_COLS, version_from_row

Tags = list[tuple[str, str]]

_IS_LATEST = "(SELECT vid FROM latest l WHERE l.bucket=v.bucket AND l.key=v.key)"
_SELECT = f"SELECT {VERSION_COLS}, {_IS_LATEST} FROM versions v "


def _rows(conn: sqlite3.Connection, where: str, args: tuple[Any, ...]) -> list[ObjectVersion]:
    rows = conn.execute(_SELECT + where, args).fetchall()
    return [version_from_row(r[:-1], is_latest=r[-1] == r[0]) for r in rows]


def list_versions(conn: sqlite3.Connection, bucket: str, lower: str, below: str | None, limit: int,
                  before: tuple[int, str] | None = None) -> list[ObjectVersion]:
    """Versions ordered by key, then newest (HLC, version id) first: those of `lower` older than
    `before` = (hlc, version id) (when given, else all of `lower`), then every later key below `below`.
    The order means the same on every node, unlike the local row id."""
    out: list[ObjectVersion] = []
    if before is not None:
        out = _rows(conn, "WHERE v.bucket=? AND v.key=? AND (v.hlc, v.version_id) < (?, ?) "
                    "ORDER BY v.key, v.hlc DESC, v.version_id DESC LIMIT ?", (bucket, lower, *before, limit))
        if len(out) >= limit:
            return out
    op = ">" if before is not None else ">="
    where = f"WHERE v.bucket=? AND v.key{op}? "
    args: list[Any] = [bucket, lower]
    if below is not None:
        where += "AND v.key<? "
        args.append(below)
    where += "ORDER BY v.key, v.hlc DESC, v.version_id DESC LIMIT ?"
    args.append(limit - len(out))
    return out + _rows(conn, where, tuple(args))


def read_tags(conn: sqlite3.Connection, vid: int) -> Tags | None:
    row = conn.execute("SELECT tags FROM object_tags WHERE vid=?", (vid,)).fetchone()
    return [(k, v) for k, v in json.loads(row[0])] if row else None


class VersionReads:
    """Reads for `SqliteMeta`; `_r()` is its per-thread read connection."""

    def _r(self) -> sqlite3.Connection:
        raise NotImplementedError

    def list_versions(self, bucket: str, lower: str, below: str | None, limit: int,
                      before: tuple[int, str] | None = None) -> list[ObjectVersion]:
        return list_versions(self._r(), bucket, lower, below, limit, before)

    def get_tags(self, vid: int) -> Tags:
        return read_tags(self._r(), vid) or []


class TagWrites:
    """Tag mutations for `Tx`; `c` is the write connection inside the open transaction."""

    c: sqlite3.Connection

    def tags(self, vid: int) -> Tags:
        return read_tags(self.c, vid) or []

    def put_tags(self, vid: int, tags: Tags) -> None:
        if not tags:
            self.delete_tags(vid)
            return
        self.c.execute("INSERT OR REPLACE INTO object_tags VALUES (?,?)",
                       (vid, json.dumps([list(t) for t in tags], separators=(",", ":"), ensure_ascii=False)))

    def delete_tags(self, vid: int) -> None:
        self.c.execute("DELETE FROM object_tags WHERE vid=?", (vid,))
