"""Object and bucket tags: the AWS limits, and the tag records attached to versions.

Tags are the one part of a version that may change after it is written (with retention and
legal hold), so they live in a separate record keyed by the version's row id and every change
appends an event. `tag_writes` is the entry point for any write path that creates a version
with tags (PutObject's `x-amz-tagging`, CopyObject, CompleteMultipartUpload): it adds to the
plan that inserts the version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rucket.core import errors
from rucket.core.model import ObjectVersion
from rucket.core.mutations import PutTags, VersionIs
from rucket.engine import writes
from rucket.engine.store import Store
from rucket.engine.writes import Plan, version_gone
from rucket.events.records import EventType, StorageEvent

Tags = list[tuple[str, str]]
MAX_OBJECT_TAGS = 10
MAX_BUCKET_TAGS = 50
MAX_KEY_CHARS = 128
MAX_VALUE_CHARS = 256


def validate_tags(tags: Sequence[tuple[str, str]], limit: int = MAX_OBJECT_TAGS) -> Tags:
    """The documented limits: count, key 1..128 and value 0..256 characters, unique keys."""
    if len(tags) > limit:
        raise errors.InvalidTag(f"Object tags cannot be greater than {limit}")
    seen: set[str] = set()
    for key, value in tags:
        if not 1 <= len(key) <= MAX_KEY_CHARS:
            raise errors.InvalidTag("The TagKey you have provided is invalid")
        if len(value) > MAX_VALUE_CHARS:
            raise errors.InvalidTag("The TagValue you have provided is invalid")
        if key.lower().startswith("aws:"):
            raise errors.InvalidTag("System tags cannot be added/updated by requester")
        if key in seen:
            raise errors.InvalidTag("Cannot provide multiple Tags with the same key")
        seen.add(key)
    return sorted(tags)  # S3 answers a tag set sorted by key


def tag_writes(plan: Plan[Any], v: ObjectVersion, tags: Sequence[tuple[str, str]], hlc: int | None = None) -> None:
    """Add "version `v` has this tag set" (validated here too) and its event to a write's plan."""
    clean = validate_tags(tags)
    plan.mutations.append(PutTags(v.bucket, v.key, v.version_id, tuple(clean)))
    plan.events.append(StorageEvent(EventType.OBJECT_TAGS, v.hlc if hlc is None else hlc, v.bucket, v.key,
                                    v.version_id, {"tags": [list(t) for t in clean]}))


class Tagging:
    def __init__(self, store: Store) -> None:
        self.s = store

    # ---- objects ------------------------------------------------------------
    def get(self, v: ObjectVersion) -> Tags:
        return self.s.index.get_tags(v.row_id)

    def count(self, v: ObjectVersion) -> int:
        return 0 if v.delete_marker else len(self.s.index.get_tags(v.row_id))

    async def put(self, v: ObjectVersion, tags: Sequence[tuple[str, str]]) -> None:
        """Replace the tag set of version `v` (resolved by the caller; never a delete marker)."""
        plan: Plan[None] = Plan(preconditions=[VersionIs(v.bucket, v.key, v.version_id, v.hlc)])
        tag_writes(plan, v, tags, self.s.hlc.now())
        await writes.run(self.s.index.apply, lambda: plan, version_gone)

    async def delete(self, v: ObjectVersion) -> None:
        await self.put(v, [])

    # ---- buckets (a config sub-resource, changed through Buckets.update) ----
    @staticmethod
    def validate_bucket(tags: Sequence[tuple[str, str]]) -> list[list[str]]:
        return [list(t) for t in validate_tags(tags, MAX_BUCKET_TAGS)]
