"""Object writes, reads and deletes, with S3 versioning semantics.

The write order is the durability contract: bytes durable (blob fsync'd and renamed, or
held for an inline row) → one metadata transaction that adds the version row, moves the
`latest` pointer and appends the event → only then the caller answers 200. Blobs that a
committed transaction made unreachable are unlinked afterwards; a crash in between leaves
orphans for start-up recovery, never a dangling reference.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rucket.blobs.base import WrittenBlob
from rucket.blobs.integrity import primed
from rucket.core import checksums, errors, faults, ids, names
from rucket.core.model import INLINE, NULL_VERSION, Bucket, ObjectVersion
from rucket.core.multipart import PARTS, Part
from rucket.core.mutations import (
    BucketExists,
    DeleteVersion,
    LatestIs,
    LockIs,
    Mutation,
    Precondition,
    PutVersion,
    VersionIs,
)
from rucket.engine import gc, sealed, writes
from rucket.engine.encryption import DataKey
from rucket.engine.lock import check_delete, state_of
from rucket.engine.parts import part_span, read_parts
from rucket.engine.store import Store
from rucket.engine.tagging import tag_writes
from rucket.engine.writes import Plan
from rucket.events.records import EventType, StorageEvent

Verifier = Callable[[WrittenBlob], dict[str, str]]  # raises on a bad digest, returns checksums to store


@dataclass
class PutSpec:
    owner: str
    headers: dict[str, str] = field(default_factory=dict)
    user_meta: dict[str, str] = field(default_factory=dict)
    checksum_algorithms: tuple[str, ...] = ()
    verify: Verifier | None = None
    if_match: str | None = None  # conditional write: the current ETag must match
    if_none_match: str | None = None  # conditional write: `If-None-Match: *` (or ETags: none may match)
    storage_class: str = "STANDARD"
    extra: dict[str, object] = field(default_factory=dict)
    tags: tuple[tuple[str, str], ...] = ()  # x-amz-tagging: a separate record, see engine/tagging.py
    sse: DataKey | None = None  # server-side encryption: the new version's data key (engine/encryption.py)


@dataclass(frozen=True)
class DeleteIf:
    """Conditional DeleteObject: If-Match, x-amz-if-match-last-modified-time, x-amz-if-match-size.

    Checked against the version the delete acts on (a delete marker too); when there is none
    the delete is a no-op that succeeds, as S3 answers 204 for absent keys."""

    etag: str | None = None
    mtime_ms: int | None = None
    size: int | None = None

    def holds(self, v: ObjectVersion) -> bool:
        return ((self.etag is None or etag_matches(self.etag, v.etag))
                and (self.mtime_ms is None or self.mtime_ms // 1000 == v.mtime_ms // 1000)
                and (self.size is None or self.size == v.size))


@dataclass(frozen=True)
class DeleteResult:
    version_id: str | None
    delete_marker: bool


def check_write_conditions(current: ObjectVersion | None, spec: PutSpec) -> None:
    live = current is not None and not current.delete_marker
    if spec.if_none_match is not None and current is not None and live \
            and etag_matches(spec.if_none_match, current.etag):
        raise errors.PreconditionFailed("If-None-Match")
    if spec.if_match is not None and (not live or not etag_matches(spec.if_match, current.etag if current else "")):
        raise (errors.PreconditionFailed if live else errors.KeyNotFound)("If-Match")


def same_version(a: ObjectVersion | None, b: ObjectVersion) -> bool:
    """A replaced "null" version keeps its id, so the HLC of the write is compared too."""
    return a is not None and (a.version_id, a.hlc) == (b.version_id, b.hlc)


def etag_matches(condition: str, etag: str) -> bool:
    wanted = [c.strip() for c in condition.split(",")]
    return "*" in wanted or etag in wanted or etag.strip('"') in (w.strip('"') for w in wanted)


class Objects:
    def __init__(self, store: Store) -> None:
        self.s = store

    # ---- write --------------------------------------------------------------
    async def put(self, bucket_name: str, key: str, body: AsyncIterable[bytes], spec: PutSpec,
                  known: Bucket | None = None) -> ObjectVersion:
        """`known`: the bucket record the caller already resolved (the write still pins that the
        bucket exists when it is applied)."""
        names.validate_key(key)
        bucket = known if known is not None and known.name == bucket_name else self._bucket(bucket_name)
        if spec.if_match is not None or spec.if_none_match:  # fail before reading the body
            check_write_conditions(self.s.index.get_latest(bucket_name, key), spec)
        hashers = {"MD5": checksums.md5(), **{a: checksums.new(a) for a in spec.checksum_algorithms}}
        writer = sealed.writer(self.s.blobs, hashers, self.s.inline_limit, spec.sse)
        try:
            async for chunk in body:
                await writer.write(chunk)
            written = await writer.finish()
        except BaseException:
            writer.abort()
            raise
        try:
            stored = spec.verify(written) if spec.verify else {}
            version = self._new_version(bucket_name, key, bucket.versioning_of(key), written, spec, stored)
            committed, applied = await writes.run(
                self.s.index.apply, lambda: self.put_plan(version, spec, written.inline), writes.explain)
        except BaseException:
            if written.blob_id:
                self.s.blobs.delete(written.blob_id)
            raise
        if written.blob_id:
            self.s.blobs.settle(written.blob_id)
        self._reclaim(applied.freed)
        return committed

    def _new_version(self, bucket: str, key: str, versioning: str, w: WrittenBlob, spec: PutSpec,
                     stored: dict[str, str]) -> ObjectVersion:
        now = self.s.clock.now_ms()
        return ObjectVersion(
            bucket=bucket, key=key, row_id=0,
            version_id=ids.version_id(now) if versioning == "Enabled" else NULL_VERSION,
            size=w.size, etag=sealed.etag_of(w, spec.sse), mtime_ms=now, hlc=self.s.hlc.now(),
            owner=spec.owner, blob_id=INLINE if w.inline is not None else w.blob_id,
            storage_class=spec.storage_class, headers=spec.headers, user_meta=spec.user_meta,
            checksums=stored,
            extra={"pg": self.s.placer.place(bucket, key).pg, **spec.extra, **sealed.extra_of(spec.sse)})

    def put_plan(self, v: ObjectVersion, spec: PutSpec, inline: bytes | None = None,
                 parts: Sequence[Part] = (), tags: Sequence[tuple[str, str]] | None = None) -> Plan[ObjectVersion]:
        """The batch that makes `v` the key's latest version; also the core of CompleteMultipartUpload's
        and CopyObject's plans, which add their own records and preconditions. A conditional write pins
        the latest version it was checked against, so exactly one of two racing writers wins."""
        plan: Plan[ObjectVersion] = Plan(preconditions=[BucketExists(v.bucket)], result=lambda a: a.versions[0])
        if spec.if_match is not None or spec.if_none_match is not None:
            current = self.s.index.get_latest(v.bucket, v.key)
            check_write_conditions(current, spec)
            plan.preconditions.append(latest_is(v.bucket, v.key, current))
        if v.version_id == NULL_VERSION:  # unversioned/suspended writes replace the "null" version
            plan.mutations.append(DeleteVersion(v.bucket, v.key, NULL_VERSION))
        plan.mutations.append(PutVersion(v, inline, tuple(parts)))
        plan.events.append(StorageEvent(EventType.OBJECT_PUT, v.hlc, v.bucket, v.key, v.version_id,
                                        {"size": v.size, "etag": v.etag, "blob": v.blob_id}))
        tag_set = spec.tags if tags is None else tags
        if tag_set:
            tag_writes(plan, v, tag_set)
        return plan

    def _reclaim(self, blob_ids: Sequence[str]) -> None:
        gc.reclaim(self.s, blob_ids, "object.before_reclaim")

    # ---- read ---------------------------------------------------------------
    def _bucket(self, name: str) -> Bucket:
        bucket = self.s.config.get_bucket(name)
        if bucket is None:
            raise errors.BucketNotFound(name)
        return bucket

    def head(self, bucket: str, key: str, version_id: str | None = None, *, known: Bucket | None = None,
             read: Callable[[str, str, str | None], ObjectVersion | None] | None = None) -> ObjectVersion:
        """The version a GET would return; delete markers are returned, the caller decides.
        `known`: the bucket record already resolved; `read`: how the caller reads versions (the
        request path shares one read between authorization and the handler)."""
        if known is None or known.name != bucket:
            self._bucket(bucket)
        v = (read or self.find)(bucket, key, version_id)
        if v is None:
            raise errors.VersionNotFound(version_id) if version_id is not None else errors.KeyNotFound(key)
        return v

    def find(self, bucket: str, key: str, version_id: str | None = None) -> ObjectVersion | None:
        """The version (latest when `version_id` is None) or None; no bucket check (authorization's read)."""
        return (self.s.index.get_version(bucket, key, version_id) if version_id
                else self.s.index.get_latest(bucket, key))

    def latest_owner(self, bucket: str, key: str) -> str | None:
        """Owner of the current live version (None: absent or a delete marker): one index row."""
        return self.s.index.latest_owner(bucket, key)

    def part_span(self, v: ObjectVersion, idx: int) -> tuple[Part, int] | None:
        """GET ?partNumber=: the `idx`-th part (1-based) and the part count; None if absent."""
        return part_span(self.s, v, idx)

    async def open(self, v: ObjectVersion, start: int, end: int, dk: DataKey | None = None) -> AsyncIterator[bytes]:
        """`read`, started: a blob failing its checksum before the first byte raises here (a 500),
        not in the middle of a 200 (blobs/integrity.py)."""
        return await primed(self.read(v, start, end, dk))

    def blob_path(self, v: ObjectVersion) -> Path | None:
        """The file a whole-object GET may send unverified (pathsend): only a recently verified blob,
        never an encrypted one (the file is ciphertext)."""
        if sealed.encrypted(v):
            return None
        if v.blob_id in (None, INLINE, PARTS) or not self.s.blobs.trusted(v.blob_id):
            return None
        return self.s.blobs.path(v.blob_id)

    async def read(self, v: ObjectVersion, start: int, end: int, dk: DataKey | None = None) -> AsyncIterator[bytes]:
        """`dk`: an encrypted version's data key (engine/encryption.py); without it such reads fail closed."""
        if dk is not None or sealed.encrypted(v):
            async for chunk in sealed.read_version(self.s, v, start, end, dk):
                yield chunk
            return
        if v.blob_id == INLINE:
            data = v.data if v.data is not None else self.s.index.read_inline(v.row_id)
            yield data[start:end]
            return
        if v.blob_id is None or start >= end:
            return
        reader = read_parts(self.s, v, start, end) if v.blob_id == PARTS else self.s.blobs.read(v.blob_id, start, end)
        async for chunk in reader:
            yield chunk

    # ---- delete -------------------------------------------------------------
    async def delete(self, bucket_name: str, key: str, version_id: str | None = None,
                     cond: DeleteIf | None = None, if_latest: ObjectVersion | None = None,
                     bypass_governance: bool = False) -> DeleteResult:
        """`if_latest`: act only if that version is still the key's latest (lifecycle decided on it)."""
        names.validate_key(key)
        bucket = self._bucket(bucket_name)
        hlc, now = self.s.hlc.now(), self.s.clock.now_ms()

        def plan() -> Plan[DeleteResult]:
            pre: list[Precondition] = []
            if if_latest is not None:
                if not same_version(self.s.index.get_latest(bucket_name, key), if_latest):
                    raise errors.PreconditionFailed("the key changed since it was evaluated")
                pre.append(LatestIs(bucket_name, key, if_latest.version_id, if_latest.hlc))
            if cond is not None:
                target = (self.s.index.get_version(bucket_name, key, version_id) if version_id
                          else self.s.index.get_latest(bucket_name, key))
                if target is None:
                    return Plan(done=DeleteResult(version_id, False))
                if not cond.holds(target):
                    raise errors.PreconditionFailed("If-Match")
                pre.append(VersionIs(bucket_name, key, target.version_id, target.hlc) if version_id
                           else latest_is(bucket_name, key, target))
            faults.point("object.delete.txn")
            if version_id is not None:
                p = self._delete_version(bucket, key, version_id, hlc, now, bypass_governance)
            elif bucket.versioning == "":
                p = Plan(mutations=[DeleteVersion(bucket_name, key, NULL_VERSION)],
                         events=[StorageEvent(EventType.OBJECT_DELETED, hlc, bucket_name, key, NULL_VERSION)],
                         done=DeleteResult(None, False))
            else:
                p = self._add_marker(bucket_name, key, bucket.versioning_of(key), hlc, now)
            p.preconditions[:0] = pre
            return p

        result, applied = await writes.run(self.s.index.apply, plan)
        self._reclaim(applied.freed)
        return result

    def _delete_version(self, bucket: Bucket, key: str, version_id: str, hlc: int, now: int,
                        bypass: bool) -> Plan[DeleteResult]:
        """Pins the version and its lock record: Object Lock is checked against what is removed."""
        v = self.s.index.get_version(bucket.name, key, version_id)
        if v is None:
            return Plan(done=DeleteResult(version_id, False))  # S3 answers 204 for an absent version
        row = self.s.index.get_lock(v.row_id)
        if bucket.object_lock and not v.delete_marker:
            check_delete(state_of(v, row), now, bypass)
        return Plan(mutations=[DeleteVersion(bucket.name, key, version_id)],
                    preconditions=[VersionIs(bucket.name, key, version_id, v.hlc),
                                   LockIs(bucket.name, key, version_id, row)],
                    events=[StorageEvent(EventType.VERSION_DELETED, hlc, bucket.name, key, version_id)],
                    done=DeleteResult(version_id, v.delete_marker))

    @staticmethod
    def _add_marker(bucket: str, key: str, versioning: str, hlc: int, now: int) -> Plan[DeleteResult]:
        enabled = versioning == "Enabled"
        marker = ObjectVersion(bucket=bucket, key=key, row_id=0,
                               version_id=ids.version_id(now) if enabled else NULL_VERSION,
                               size=0, etag="", mtime_ms=now, hlc=hlc, owner="", delete_marker=True)
        drop: list[Mutation] = [] if enabled else [DeleteVersion(bucket, key, NULL_VERSION)]
        return Plan(mutations=[*drop, PutVersion(marker)],
                    events=[StorageEvent(EventType.DELETE_MARKER, hlc, bucket, key, marker.version_id)],
                    done=DeleteResult(marker.version_id, True))


def latest_is(bucket: str, key: str, current: ObjectVersion | None) -> LatestIs:
    """The precondition "the latest of key is still `current`" (None: the key has no version)."""
    return LatestIs(bucket, key, None if current is None else current.version_id,
                    0 if current is None else current.hlc)
