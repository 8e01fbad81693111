"""Bucket versioning state and ListObjectVersions.

The write-side semantics (version ids on PUT, delete markers, the "null" version replaced
while versioning is off or suspended) live in `engine/objects.py`; this module owns the
bucket's status and the listing of every version, newest first within a key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rucket.core import errors
from rucket.core.model import VERSIONING_EXCLUSIONS, Bucket, ObjectVersion
from rucket.engine.buckets import Buckets
from rucket.engine.listing import resume_point, successor
from rucket.engine.store import Store

ENABLED, SUSPENDED = "Enabled", "Suspended"
BATCH = 1000


@dataclass(frozen=True)
class VersionQuery:
    bucket: str
    prefix: str = ""
    delimiter: str = ""
    key_marker: str = ""
    version_id_marker: str = ""
    max_keys: int = 1000


@dataclass(frozen=True)
class VersionPage:
    versions: list[ObjectVersion] = field(default_factory=list)  # delete markers included, in order
    prefixes: list[str] = field(default_factory=list)
    truncated: bool = False
    next_key_marker: str = ""
    next_version_id_marker: str = ""


class Versioning:
    def __init__(self, store: Store, buckets: Buckets) -> None:
        self.s = store
        self.buckets = buckets

    def status(self, bucket: str) -> str:
        """"" (never enabled), "Enabled" or "Suspended"."""
        return self.buckets.get(bucket).versioning

    async def set_status(self, bucket: str, status: str, exclusions: dict[str, Any] | None = None) -> Bucket:
        """Object Lock needs every version kept: such a bucket can never be suspended, nor exempt keys.

        `exclusions` (MinIO's ExcludedPrefixes / ExcludeFolders, see Bucket.versioning_of) replaces
        what was stored; None removes it, as a MinIO PutBucketVersioning replaces the whole document.
        """
        current = self.buckets.get(bucket)
        if status not in (ENABLED, SUSPENDED):
            raise errors.InvalidArgument(f"invalid versioning status {status!r}")
        if current.object_lock and (status == SUSPENDED or exclusions):
            raise errors.InvalidBucketState("An Object Lock configuration is present on this bucket, "
                                            "so the versioning state cannot be changed.")
        return await self.buckets.update(bucket, versioning=status,
                                         config={VERSIONING_EXCLUSIONS: exclusions if status == ENABLED else None})

    def list_versions(self, q: VersionQuery) -> VersionPage:
        self.buckets.get(q.bucket)
        if q.max_keys <= 0:
            return VersionPage()
        items: list[ObjectVersion] = []
        prefixes: list[str] = []
        last: ObjectVersion | str | None = None
        for item in self._walk(q):
            if len(items) + len(prefixes) == q.max_keys:
                return _page(items, prefixes, last)
            if isinstance(item, str):
                prefixes.append(item)
            else:
                items.append(item)
            last = item
        return VersionPage(items, prefixes, False)

    def _start(self, q: VersionQuery) -> tuple[str, tuple[int, str] | None]:
        """Where the walk begins: (lowest key, and within it only versions older than this (HLC, version id))."""
        if not q.key_marker:
            return q.prefix, None
        resume = resume_point(q.prefix, q.delimiter, q.key_marker)
        is_common_prefix = resume != q.key_marker + "\x00"
        if q.version_id_marker and not is_common_prefix:
            marker = self.s.index.get_version(q.bucket, q.key_marker, q.version_id_marker)
            if marker is not None and q.key_marker >= q.prefix:
                return q.key_marker, (marker.hlc, marker.version_id)
        return max(resume, q.prefix), None

    def _walk(self, q: VersionQuery) -> Iterator[ObjectVersion | str]:
        lower, before = self._start(q)
        below = successor(q.prefix) if q.prefix else None
        while True:
            rows = self.s.index.list_versions(q.bucket, lower, below, BATCH, before)
            if not rows:
                return
            for v in rows:
                cut = v.key.find(q.delimiter, len(q.prefix)) if q.delimiter else -1
                if cut < 0:
                    yield v
                    lower, before = v.key, (v.hlc, v.version_id)
                    continue
                common = v.key[: cut + len(q.delimiter)]
                yield common
                nxt = successor(common)
                if nxt is None:
                    return
                lower, before = nxt, None
                break  # re-seek past everything under the common prefix
            else:
                if len(rows) < BATCH:
                    return


def _page(items: list[ObjectVersion], prefixes: list[str], last: ObjectVersion | str | None) -> VersionPage:
    if isinstance(last, ObjectVersion):
        return VersionPage(items, prefixes, True, last.key, last.version_id)
    return VersionPage(items, prefixes, True, last or "", "")
