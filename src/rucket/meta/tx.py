"""The mutations a write function may perform inside one metadata transaction.

The engine composes these inside `SqliteMeta.write(fn)`; all SQL stays in `meta/`.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3

from rucket.core.events import StorageEvent
from rucket.core.model import Bucket, ObjectVersion
from rucket.meta import gc, records
from rucket.meta.multipart import UploadWrites
from rucket.meta.node import Node
from rucket.meta.rows import VERSION_COLS, attrs_json, bucket_from_row, version_from_row
from rucket.meta.versions import TagWrites


class Tx(TagWrites, UploadWrites):
    def __init__(self, conn: sqlite3.Connection, node: Node | None = None) -> None:
        self.c = conn
        self.node = node or Node()
        self._dropped_hlc: dict[tuple[str, str], int] = {}  # a replaced "null" version still counts as previous
        self.buckets_changed = False  # tells the store to drop its bucket cache after the commit

    # ---- buckets ------------------------------------------------------------
    def bucket(self, name: str) -> Bucket | None:
        row = self.c.execute("SELECT * FROM buckets WHERE name=?", (name,)).fetchone()
        return bucket_from_row(row) if row else None

    def insert_bucket(self, b: Bucket) -> None:
        self.buckets_changed = True
        self.c.execute("INSERT INTO buckets VALUES (?,?,?,?,?,?,?)",
                       (b.name, b.owner, b.created_ms, b.region, b.versioning, int(b.object_lock),
                        json.dumps(b.config)))

    def update_bucket(self, b: Bucket) -> None:
        self.buckets_changed = True
        self.c.execute("UPDATE buckets SET versioning=?, object_lock=?, config=? WHERE name=?",
                       (b.versioning, int(b.object_lock), json.dumps(b.config), b.name))

    def delete_bucket(self, name: str) -> None:
        self.buckets_changed = True
        self.c.execute("DELETE FROM buckets WHERE name=?", (name,))

    def bucket_is_empty(self, name: str) -> bool:
        return self.c.execute("SELECT 1 FROM versions WHERE bucket=? LIMIT 1", (name,)).fetchone() is None

    # ---- versions -----------------------------------------------------------
    def latest(self, bucket: str, key: str) -> ObjectVersion | None:
        row = self.c.execute(
            f"SELECT {VERSION_COLS} FROM latest l JOIN versions v ON v.id = l.vid "
            "WHERE l.bucket=? AND l.key=?", (bucket, key)).fetchone()
        return version_from_row(row, is_latest=True) if row else None

    def version(self, bucket: str, key: str, version_id: str) -> ObjectVersion | None:
        row = self.c.execute(f"SELECT {VERSION_COLS} FROM versions v WHERE bucket=? AND key=? AND version_id=?",
                             (bucket, key, version_id)).fetchone()
        return version_from_row(row, is_latest=False) if row else None

    def insert_version(self, v: ObjectVersion) -> ObjectVersion:
        """Store a new version and make it the latest; returns it with its row id.

        A version whose HLC is not above the key's newest (its request took the time before a
        concurrent write of the key committed, or another worker process's clock is ahead) is
        stamped max(now, previous + 1) from the node clock, which every batch re-seeds from the
        log: "latest" is the highest (HLC, version id), so a key's HLCs must strictly increase.
        Otherwise the version keeps the HLC the engine gave it (a replayed record keeps its own)."""
        prev = self.c.execute("SELECT max(hlc) FROM versions WHERE bucket=? AND key=?", (v.bucket, v.key)).fetchone()[0]
        prev = max(prev or 0, self._dropped_hlc.get((v.bucket, v.key), 0)) or None
        if prev is not None and v.hlc <= prev:
            v = dataclasses.replace(v, hlc=self.node.hlc.after(prev))
        cur = self.c.execute(
            "INSERT INTO versions (bucket, key, version_id, delete_marker, blob_id, size, etag, mtime_ms, "
            "hlc, owner, storage_class, attrs) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (v.bucket, v.key, v.version_id, int(v.delete_marker), v.blob_id, v.size, v.etag, v.mtime_ms,
             v.hlc, v.owner, v.storage_class, attrs_json(v)))
        stored = dataclasses.replace(v, row_id=int(cur.lastrowid or 0), is_latest=True)
        self.set_latest(stored)
        return stored

    def set_latest(self, v: ObjectVersion) -> None:
        self.c.execute("INSERT OR REPLACE INTO latest VALUES (?,?,?,?,?,?,?,?,?)",
                       (v.bucket, v.key, v.row_id, int(not v.delete_marker), v.size, v.etag, v.mtime_ms,
                        v.storage_class, v.owner))

    def delete_version(self, v: ObjectVersion) -> list[str]:
        """Remove one version; if it was the latest, the next newest (if any) becomes latest.

        Returns the blobs it referenced; those nothing else references once the batch is applied are
        free (a copy may share them, a multipart version has several: see meta/multipart.py)."""
        blobs = self.version_blobs(v)  # before the delete: the version's part rows go with it
        key = (v.bucket, v.key)
        self._dropped_hlc[key] = max(self._dropped_hlc.get(key, 0), v.hlc)
        self.c.execute("DELETE FROM versions WHERE id=?", (v.row_id,))
        self.c.execute("DELETE FROM inline_data WHERE vid=?", (v.row_id,))
        row = self.c.execute("SELECT vid FROM latest WHERE bucket=? AND key=?", (v.bucket, v.key)).fetchone()
        if row is not None and row[0] == v.row_id:
            nxt = self.c.execute(f"SELECT {VERSION_COLS} FROM versions v WHERE bucket=? AND key=? "
                                 "ORDER BY hlc DESC, version_id DESC LIMIT 1", (v.bucket, v.key)).fetchone()
            if nxt is None:
                self.c.execute("DELETE FROM latest WHERE bucket=? AND key=?", (v.bucket, v.key))
            else:
                self.set_latest(version_from_row(nxt, is_latest=True))
        return blobs

    def free_later(self, blob_ids: list[str]) -> list[str]:
        """Queue blobs for the GC in this transaction (engine/gc.py frees them after the delay)."""
        gc.queue(self.c, blob_ids, self.node.now_ms() + self.node.gc_delay_ms)
        return blob_ids

    def put_inline(self, row_id: int, data: bytes) -> None:
        self.c.execute("INSERT INTO inline_data VALUES (?,?)", (row_id, data))

    def blob_in_use(self, blob_id: str) -> bool:
        """Referenced by a version, a multipart version's parts or an upload in progress."""
        return self.blob_referenced(blob_id)

    # ---- events -------------------------------------------------------------
    def append_event(self, ev: StorageEvent) -> int:
        """Append `ev` with the full record of what this transaction left behind (meta/records.py),
        the key's PG and this node's region; returns the LSN. The event's HLC is taken now from the
        node clock, so on one node LSN order and HLC order agree (a PUT's event is just after the
        HLC of the version its record carries)."""
        record = records.record_of(self.c, ev)
        full = dataclasses.replace(ev, hlc=max(ev.hlc, self.node.hlc.now()), record=record,
                                   pg=self.node.pg_of(ev.bucket, ev.key or ""), region=self.node.region)
        return self.node.append(self.c, full)
