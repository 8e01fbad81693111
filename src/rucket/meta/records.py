"""Full row images for the event feed, and applying them: the feed is enough to rebuild a store.

An event's `record` is the state its mutation left behind, read inside the same transaction:
the whole version row with its side records (inline bytes, parts, tags, ACL, lock), the whole
bucket row, the upload or part row — or `None` where the thing is gone. Images name a version
by (bucket, key, version id), never by the local row id, so applying them on another store (a
replica, a peer region, the replay test) gives the same answers: "latest" there is recomputed
as the highest (HLC, version id), exactly as here. Applying is idempotent (an image replaces
whatever the target holds under the same identity), so a consumer may replay from any LSN.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from rucket.core.events import EventType, StorageEvent

Image = dict[str, Any]
JSON_COLS = frozenset({"attrs", "checksums", "config", "tags", "acl"})  # stored as JSON text: shown as JSON
_VERSION_SIDE = {  # side table → (columns besides vid, one row or many)
    "version_parts": ('idx, part_number, blob_id, "offset", size, etag, checksums', True),
    "object_tags": ("tags", False),
    "object_acls": ("acl", False),
    "object_locks": ("mode, retain_until_ms, legal_hold", False),
}


def _dicts(cur: sqlite3.Cursor) -> list[Image]:
    names = [d[0] for d in cur.description]
    return [{n: json.loads(v) if n in JSON_COLS else v for n, v in zip(names, row, strict=True)}
            for row in cur.fetchall()]


def _one(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> Image | None:
    rows = _dicts(conn.execute(sql, args))
    return rows[0] if rows else None


def version_image(conn: sqlite3.Connection, bucket: str, key: str, version_id: str) -> Image | None:
    row = _one(conn, "SELECT * FROM versions WHERE bucket=? AND key=? AND version_id=?", (bucket, key, version_id))
    if row is None:
        return None
    vid = row.pop("id")
    image: Image = {"row": row}
    data = conn.execute("SELECT data FROM inline_data WHERE vid=?", (vid,)).fetchone()
    if data is not None:
        image["inline"] = base64.b64encode(bytes(data[0])).decode()
    for table, (cols, many) in _VERSION_SIDE.items():
        rows = _dicts(conn.execute(f"SELECT {cols} FROM {table} WHERE vid=? ORDER BY 1", (vid,)))
        if rows:
            image[table] = rows if many else rows[0]
    return image


def _object(conn: sqlite3.Connection, ev: StorageEvent) -> Image:
    return {"version": version_image(conn, ev.bucket, ev.key or "", ev.version_id or "")}


def _bucket(conn: sqlite3.Connection, ev: StorageEvent) -> Image:
    return {"bucket": _one(conn, "SELECT * FROM buckets WHERE name=?", (ev.bucket,))}


def _upload(conn: sqlite3.Connection, ev: StorageEvent) -> Image:
    upload_id = str(ev.payload.get("upload", ""))
    return {"upload_id": upload_id, "upload": _one(conn, "SELECT * FROM uploads WHERE upload_id=?", (upload_id,))}


def _part(conn: sqlite3.Connection, ev: StorageEvent) -> Image:
    upload_id, number = str(ev.payload.get("upload", "")), int(ev.payload.get("part", 0))
    return {"upload_id": upload_id, "part": _one(conn, "SELECT * FROM upload_parts WHERE upload_id=? AND "
                                                       "part_number=?", (upload_id, number))}


_OBJECT = (EventType.OBJECT_PUT, EventType.OBJECT_DELETED, EventType.DELETE_MARKER, EventType.VERSION_DELETED,
           EventType.OBJECT_ACL, EventType.OBJECT_TAGS, EventType.OBJECT_LOCK)
IMAGES: Mapping[EventType, Callable[[sqlite3.Connection, StorageEvent], Image]] = {
    **{t: _object for t in _OBJECT},
    EventType.BUCKET_CREATED: _bucket, EventType.BUCKET_CONFIG: _bucket, EventType.BUCKET_DELETED: _bucket,
    EventType.UPLOAD_CREATED: _upload, EventType.UPLOAD_ABORTED: _upload, EventType.UPLOAD_COMPLETED: _upload,
    EventType.PART_UPLOADED: _part,
}  # IAM and KMS events keep their summary only: secrets and key material never enter the feed


def record_of(conn: sqlite3.Connection, ev: StorageEvent) -> Image | None:
    build = IMAGES.get(ev.type)
    return None if build is None else build(conn, ev)


# ---- applying records (replicas, the replay test) ------------------------------------------
def _insert(conn: sqlite3.Connection, table: str, row: Image, verb: str = "INSERT") -> int:
    cols = list(row)
    values = [json.dumps(row[c], separators=(",", ":"), ensure_ascii=False) if c in JSON_COLS else row[c]
              for c in cols]
    quoted = ", ".join(f'"{c}"' for c in cols)
    cur = conn.execute(f"{verb} INTO {table} ({quoted}) VALUES ({', '.join('?' * len(cols))})", values)
    return int(cur.lastrowid or 0)


def _refresh_latest(conn: sqlite3.Connection, bucket: str, key: str) -> None:
    top = conn.execute("SELECT id, delete_marker, size, etag, mtime_ms, storage_class, owner FROM versions "
                       "WHERE bucket=? AND key=? ORDER BY hlc DESC, version_id DESC LIMIT 1", (bucket, key)).fetchone()
    if top is None:
        conn.execute("DELETE FROM latest WHERE bucket=? AND key=?", (bucket, key))
        return
    vid, dm, size, etag, mtime_ms, sclass, owner = top
    conn.execute("INSERT OR REPLACE INTO latest VALUES (?,?,?,?,?,?,?,?,?)",
                 (bucket, key, vid, int(not dm), size, etag, mtime_ms, sclass, owner))


def apply_version(conn: sqlite3.Connection, bucket: str, key: str, version_id: str, image: Image | None) -> None:
    old = conn.execute("SELECT id FROM versions WHERE bucket=? AND key=? AND version_id=?",
                       (bucket, key, version_id)).fetchone()
    if old is not None:  # triggers drop its parts, tags, ACL and lock
        conn.execute("DELETE FROM versions WHERE id=?", old)
        conn.execute("DELETE FROM inline_data WHERE vid=?", old)
    if image is not None:
        vid = _insert(conn, "versions", image["row"])
        if "inline" in image:
            conn.execute("INSERT INTO inline_data VALUES (?,?)", (vid, base64.b64decode(image["inline"])))
        for table, (_cols, many) in _VERSION_SIDE.items():
            for row in (image.get(table) or []) if many else ([image[table]] if table in image else []):
                _insert(conn, table, {"vid": vid, **row})
    _refresh_latest(conn, bucket, key)


def _apply_bucket(conn: sqlite3.Connection, ev: StorageEvent, rec: Image) -> None:
    if rec["bucket"] is None:
        conn.execute("DELETE FROM upload_parts WHERE upload_id IN (SELECT upload_id FROM uploads WHERE bucket=?)",
                     (ev.bucket,))
        conn.execute("DELETE FROM uploads WHERE bucket=?", (ev.bucket,))
        conn.execute("DELETE FROM buckets WHERE name=?", (ev.bucket,))
    else:
        _insert(conn, "buckets", rec["bucket"], "INSERT OR REPLACE")


def _apply_upload(conn: sqlite3.Connection, ev: StorageEvent, rec: Image) -> None:
    if rec.get("upload") is not None:
        _insert(conn, "uploads", rec["upload"], "INSERT OR REPLACE")
    elif rec.get("part") is not None:
        _insert(conn, "upload_parts", rec["part"], "INSERT OR REPLACE")
    elif "part" not in rec:
        conn.execute("DELETE FROM upload_parts WHERE upload_id=?", (rec["upload_id"],))
        conn.execute("DELETE FROM uploads WHERE upload_id=?", (rec["upload_id"],))


def apply(conn: sqlite3.Connection, ev: StorageEvent) -> None:
    """Make the target hold what `ev.record` says (inside the caller's transaction)."""
    rec = ev.record
    if rec is None:
        return
    if "version" in rec:
        apply_version(conn, ev.bucket, ev.key or "", ev.version_id or "", rec["version"])
    elif "bucket" in rec:
        _apply_bucket(conn, ev, rec)
    else:
        _apply_upload(conn, ev, rec)
