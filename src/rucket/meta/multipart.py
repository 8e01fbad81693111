"""The SQL behind multipart uploads and multi-blob versions (migration 0002).

Two mixins keep it in one file, as meta/versions.py does for tags: `UploadReads` is a base
of `SqliteMeta` (per-thread read connections), `UploadWrites` a base of `Tx` (inside the
caller's transaction). Blob references live in three tables — `versions.blob_id`,
`version_parts.blob_id` and `upload_parts.blob_id` — and every question "is this blob still
needed?" (`blob_in_use`, start-up recovery) must look at all three.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from rucket.core.model import INLINE, ObjectVersion
from rucket.core.multipart import PARTS, Completed, Part, Upload

_UPLOAD_COLS = "upload_id, bucket, key, initiated_ms, owner, storage_class, attrs"
_PART_COLS = "part_number, size, etag, blob_id, mtime_ms, checksums"
_VPART_COLS = 'part_number, size, etag, blob_id, 0, checksums, "offset"'

BLOB_TABLES = ("versions", "version_parts", "upload_parts")  # every table that stores a blob id (indexed)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def upload_from_row(row: tuple[Any, ...]) -> Upload:
    upload_id, bucket, key, initiated_ms, owner, sclass, attrs = row
    a = json.loads(attrs)
    return Upload(upload_id, bucket, key, initiated_ms, owner, sclass, a.get("h", {}), a.get("m", {}),
                  a.get("alg", ""), a.get("type", ""), tuple((k, v) for k, v in a.get("tags", [])), a.get("x", {}))


def _upload_attrs(u: Upload) -> str:
    a: dict[str, Any] = {"h": u.headers, "m": u.user_meta, "alg": u.checksum_algorithm, "type": u.checksum_type,
                         "tags": [list(t) for t in u.tags], "x": u.extra}
    return _dumps({k: v for k, v in a.items() if v})


def part_from_row(row: tuple[Any, ...]) -> Part:
    number, size, etag, blob_id, mtime_ms, sums, *offset = row
    return Part(number, size, etag, blob_id, mtime_ms, json.loads(sums), offset[0] if offset else 0)


def all_blob_ids(conn: sqlite3.Connection) -> set[str]:
    sql = " UNION ".join(f"SELECT blob_id FROM {t} WHERE blob_id IS NOT NULL" for t in BLOB_TABLES)
    return {r[0] for r in conn.execute(sql)} - {INLINE, PARTS}


def list_uploads(conn: sqlite3.Connection, bucket: str, after: tuple[str, int, str], below: str | None,
                 limit: int) -> list[Upload]:
    """Uploads ordered by (key, initiated, upload id), strictly after `after`, keys below `below`."""
    sql = f"SELECT {_UPLOAD_COLS} FROM uploads WHERE bucket=? AND (key, initiated_ms, upload_id) > (?,?,?) "
    args: list[Any] = [bucket, *after]
    if below is not None:
        sql += "AND key<? "
        args.append(below)
    sql += "ORDER BY key, initiated_ms, upload_id LIMIT ?"
    args.append(limit)
    return [upload_from_row(r) for r in conn.execute(sql, args)]


def completed_from(conn: sqlite3.Connection, upload_id: str) -> Completed | None:
    row = conn.execute("SELECT upload_id, bucket, key, version_id, etag, checksums FROM completed_uploads "
                       "WHERE upload_id=?", (upload_id,)).fetchone()
    if row is None:
        return None
    sums = json.loads(row[5])
    return Completed(row[0], row[1], row[2], row[3], row[4], checksums=sums.get("c", {}),
                     checksum_type=sums.get("t", ""))


class UploadReads:
    """Reads for `SqliteMeta`; `_r()` is its per-thread read connection."""

    def _r(self) -> sqlite3.Connection:
        raise NotImplementedError

    def get_upload(self, upload_id: str) -> Upload | None:
        row = self._r().execute(f"SELECT {_UPLOAD_COLS} FROM uploads WHERE upload_id=?", (upload_id,)).fetchone()
        return upload_from_row(row) if row else None

    def list_upload_parts(self, upload_id: str, after_number: int, limit: int) -> list[Part]:
        rows = self._r().execute(f"SELECT {_PART_COLS} FROM upload_parts WHERE upload_id=? AND part_number>? "
                                 "ORDER BY part_number LIMIT ?", (upload_id, after_number, limit))
        return [part_from_row(r) for r in rows]

    def list_uploads(self, bucket: str, after: tuple[str, int, str], below: str | None, limit: int) -> list[Upload]:
        return list_uploads(self._r(), bucket, after, below, limit)

    def get_completed(self, upload_id: str) -> Completed | None:
        """The answer of a completed upload, kept for a while so a retried Complete gets it again."""
        return completed_from(self._r(), upload_id)

    def version_parts(self, vid: int, start: int = 0, end: int | None = None) -> list[Part]:
        """Parts of a multipart version overlapping bytes [start, end), in order."""
        sql = f"SELECT {_VPART_COLS} FROM version_parts WHERE vid=? AND \"offset\"+size>? "
        args: list[Any] = [vid, start]
        if end is not None:
            sql += 'AND "offset"<? '
            args.append(end)
        return [part_from_row(r) for r in self._r().execute(sql + "ORDER BY idx", args)]

    def version_parts_page(self, vid: int, after_idx: int, limit: int) -> list[Part]:
        """Parts by position (1-based `idx`), as GetObjectAttributes pages them."""
        rows = self._r().execute(f"SELECT {_VPART_COLS} FROM version_parts WHERE vid=? AND idx>? "
                                 "ORDER BY idx LIMIT ?", (vid, after_idx, limit))
        return [part_from_row(r) for r in rows]

    def version_part(self, vid: int, idx: int) -> Part | None:
        row = self._r().execute(f"SELECT {_VPART_COLS} FROM version_parts WHERE vid=? AND idx=?",
                                (vid, idx)).fetchone()
        return part_from_row(row) if row else None

    def version_parts_count(self, vid: int) -> int:
        return int(self._r().execute("SELECT count(*) FROM version_parts WHERE vid=?", (vid,)).fetchone()[0])


class UploadWrites:
    """Upload and part mutations for `Tx`; `c` is the write connection inside the open transaction."""

    c: sqlite3.Connection

    def insert_upload(self, u: Upload) -> None:
        self.c.execute(f"INSERT INTO uploads ({_UPLOAD_COLS}) VALUES (?,?,?,?,?,?,?)",
                       (u.upload_id, u.bucket, u.key, u.initiated_ms, u.owner, u.storage_class, _upload_attrs(u)))

    def upload(self, upload_id: str) -> Upload | None:
        row = self.c.execute(f"SELECT {_UPLOAD_COLS} FROM uploads WHERE upload_id=?", (upload_id,)).fetchone()
        return upload_from_row(row) if row else None

    def upload_parts(self, upload_id: str) -> dict[int, Part]:
        rows = self.c.execute(f"SELECT {_PART_COLS} FROM upload_parts WHERE upload_id=?", (upload_id,))
        return {p.number: p for p in map(part_from_row, rows)}

    def put_part(self, upload_id: str, p: Part) -> str | None:
        """Store (or replace) a part; returns the blob of the part it replaced, if any."""
        old = self.c.execute("SELECT blob_id FROM upload_parts WHERE upload_id=? AND part_number=?",
                             (upload_id, p.number)).fetchone()
        self.c.execute(f"INSERT OR REPLACE INTO upload_parts (upload_id, {_PART_COLS}) VALUES (?,?,?,?,?,?,?)",
                       (upload_id, p.number, p.size, p.etag, p.blob_id, p.mtime_ms, _dumps(p.checksums)))
        return old[0] if old and old[0] != p.blob_id else None

    def delete_upload(self, upload_id: str) -> list[str]:
        """Forget an upload and its part rows; returns every part blob it held."""
        blobs = [r[0] for r in self.c.execute(
            "SELECT blob_id FROM upload_parts WHERE upload_id=? AND blob_id IS NOT NULL", (upload_id,))]
        self.c.execute("DELETE FROM upload_parts WHERE upload_id=?", (upload_id,))
        self.c.execute("DELETE FROM uploads WHERE upload_id=?", (upload_id,))
        return blobs

    def delete_bucket_uploads(self, bucket: str) -> list[str]:
        """Drop every upload of a bucket being deleted; returns the part blobs nothing else references."""
        blobs: list[str] = []
        for (upload_id,) in self.c.execute("SELECT upload_id FROM uploads WHERE bucket=?", (bucket,)).fetchall():
            blobs += self.delete_upload(upload_id)
        return [b for b in blobs if not self.blob_referenced(b)]

    def insert_version_parts(self, vid: int, parts: list[Part]) -> None:
        self.c.executemany(
            'INSERT INTO version_parts (vid, idx, part_number, blob_id, "offset", size, etag, checksums) '
            "VALUES (?,?,?,?,?,?,?,?)",
            [(vid, i, p.number, p.blob_id, p.offset, p.size, p.etag, _dumps(p.checksums))
             for i, p in enumerate(parts, 1)])

    def parts_of(self, vid: int) -> list[Part]:
        """A multipart version's parts, read inside the transaction (a copy re-inserts them)."""
        rows = self.c.execute(f"SELECT {_VPART_COLS} FROM version_parts WHERE vid=? ORDER BY idx", (vid,))
        return [part_from_row(r) for r in rows]

    def version_blobs(self, v: ObjectVersion) -> list[str]:
        """The blob files a version's bytes live in (none for inline data and delete markers)."""
        if v.blob_id == PARTS:
            return [r[0] for r in self.c.execute(
                "SELECT DISTINCT blob_id FROM version_parts WHERE vid=? AND blob_id IS NOT NULL", (v.row_id,))]
        return [v.blob_id] if v.blob_id and v.blob_id != INLINE else []

    def blob_referenced(self, blob_id: str) -> bool:
        return any(self.c.execute(f"SELECT 1 FROM {t} WHERE blob_id=? LIMIT 1", (blob_id,)).fetchone()
                   for t in BLOB_TABLES)

    def completed(self, upload_id: str) -> Completed | None:
        return completed_from(self.c, upload_id)

    def record_completed(self, c: Completed, now_ms: int, keep_ms: int) -> None:
        self.c.execute("DELETE FROM completed_uploads WHERE completed_ms<?", (now_ms - keep_ms,))
        self.c.execute("INSERT OR REPLACE INTO completed_uploads VALUES (?,?,?,?,?,?,?)",
                       (c.upload_id, c.bucket, c.key, c.version_id, c.etag,
                        _dumps({"c": c.checksums, "t": c.checksum_type}), now_ms))
