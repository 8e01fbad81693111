"""Object writes, reads and deletes, with S3 versioning semantics.

The write order is the durability contract: bytes durable (blob fsync'd and renamed, or
held for an inline row) → one metadata transaction that adds the version row, moves the
`latest` pointer and appends the event → only then the caller answers 200. Blobs that a
committed transaction made unreachable are unlinked afterwards; a crash in between leaves
orphans for start-up recovery, never a dangling reference.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from rucket.blobs.base import WrittenBlob
from rucket.core import checksums, errors, faults, ids, names
from rucket.core.model import INLINE, NULL_VERSION, ObjectVersion
from rucket.core.multipart import PARTS
from rucket.engine import sealed
from rucket.engine.encryption import DataKey
from rucket.engine.lock import guard_delete
from rucket.engine.parts import read_parts
from rucket.engine.store import Store, emit
from rucket.engine.tagging import attach_tags
from rucket.events.records import EventType, StorageEvent
from rucket.meta.tx import Tx

Verifier = Callable[[WrittenBlob], dict[str, str]]  # raises on a bad digest, returns checksums to store
AfterInsert = Callable[[Tx, ObjectVersion], None]  # more rows for the new version, same transaction


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
    """Row ids can be reused (a replaced "null" version), so the HLC of the write is compared too."""
    return a is not None and (a.row_id, a.hlc) == (b.row_id, b.hlc)


def etag_matches(condition: str, etag: str) -> bool:
    wanted = [c.strip() for c in condition.split(",")]
    return "*" in wanted or etag in wanted or etag.strip('"') in (w.strip('"') for w in wanted)


class Objects:
    def __init__(self, store: Store) -> None:
        self.s = store

    # ---- write --------------------------------------------------------------
    async def put(self, bucket_name: str, key: str, body: AsyncIterable[bytes], spec: PutSpec) -> ObjectVersion:
        names.validate_key(key)
        bucket = self._bucket(bucket_name)
        if spec.if_match is not None or spec.if_none_match:  # fail before reading the body
            check_write_conditions(self.s.meta.get_latest(bucket_name, key), spec)
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
            committed, dropped = await self.s.meta.write(lambda tx: self._commit_put(tx, version, written, spec))
        except BaseException:
            if written.blob_id:
                self.s.blobs.delete(written.blob_id)
            raise
        self._reclaim(dropped)
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

    def _commit_put(self, tx: Tx, v: ObjectVersion, w: WrittenBlob, spec: PutSpec,
                    after_insert: AfterInsert | None = None) -> tuple[ObjectVersion, list[str]]:
        """Also the commit of CompleteMultipartUpload and CopyObject (`after_insert` adds their rows)."""
        if tx.bucket(v.bucket) is None:
            raise errors.BucketNotFound(v.bucket)
        if spec.if_match is not None or spec.if_none_match is not None:  # atomic with the write: one winner
            check_write_conditions(tx.latest(v.bucket, v.key), spec)
        dropped = self._drop_null(tx, v.bucket, v.key) if v.version_id == NULL_VERSION else []
        stored = tx.insert_version(v)
        if w.inline is not None:
            tx.put_inline(stored.row_id, w.inline)
        if after_insert is not None:
            after_insert(tx, stored)
        emit(tx, StorageEvent(EventType.OBJECT_PUT, v.hlc, v.bucket, v.key, v.version_id,
                              {"size": v.size, "etag": v.etag, "blob": v.blob_id}))
        if spec.tags:
            attach_tags(tx, stored, spec.tags)
        return stored, [b for b in dropped if not tx.blob_in_use(b)]  # a copy may share the replaced blobs

    @staticmethod
    def _drop_null(tx: Tx, bucket: str, key: str) -> list[str]:
        """Unversioned/suspended writes replace the "null" version; returns blobs to reclaim."""
        old = tx.version(bucket, key, NULL_VERSION)
        if old is None:
            return []
        return tx.delete_version(old)

    def _reclaim(self, blob_ids: list[str]) -> None:
        faults.point("object.before_reclaim")
        for blob_id in blob_ids:
            self.s.blobs.delete(blob_id)

    # ---- read ---------------------------------------------------------------
    def _bucket(self, name: str):  # type: ignore[no-untyped-def]
        bucket = self.s.meta.get_bucket(name)
        if bucket is None:
            raise errors.BucketNotFound(name)
        return bucket

    def head(self, bucket: str, key: str, version_id: str | None = None) -> ObjectVersion:
        """The version a GET would return; delete markers are returned, the caller decides."""
        self._bucket(bucket)
        if version_id is not None:
            v = self.s.meta.get_version(bucket, key, version_id)
            if v is None:
                raise errors.VersionNotFound(version_id)
            return v
        v = self.s.meta.get_latest(bucket, key)
        if v is None:
            raise errors.KeyNotFound(key)
        return v

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
            data = v.data if v.data is not None else self.s.meta.read_inline(v.row_id)
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

        def txn(tx: Tx) -> tuple[DeleteResult, list[str]]:
            if if_latest is not None and not same_version(tx.latest(bucket_name, key), if_latest):
                raise errors.PreconditionFailed("the key changed since it was evaluated")
            if cond is not None:
                target = tx.version(bucket_name, key, version_id) if version_id else tx.latest(bucket_name, key)
                if target is None:
                    return DeleteResult(version_id, False), []
                if not cond.holds(target):
                    raise errors.PreconditionFailed("If-Match")
            faults.point("object.delete.txn")
            if version_id is not None:
                guard_delete(tx, bucket_name, key, version_id, now, bypass_governance)  # Object Lock
                return self._delete_version(tx, bucket_name, key, version_id, hlc)
            if bucket.versioning == "":
                dropped = self._drop_null(tx, bucket_name, key)
                emit(tx, StorageEvent(EventType.OBJECT_DELETED, hlc, bucket_name, key, NULL_VERSION))
                return DeleteResult(None, False), dropped
            return self._add_marker(tx, bucket_name, key, bucket.versioning_of(key), hlc, now)

        result, dropped = await self.s.meta.write(txn)
        self._reclaim(dropped)
        return result

    def _delete_version(self, tx: Tx, bucket: str, key: str, version_id: str,
                        hlc: int) -> tuple[DeleteResult, list[str]]:
        v = tx.version(bucket, key, version_id)
        if v is None:
            return DeleteResult(version_id, False), []  # S3 answers 204 for an absent version
        orphans = tx.delete_version(v)
        emit(tx, StorageEvent(EventType.VERSION_DELETED, hlc, bucket, key, version_id))
        return DeleteResult(version_id, v.delete_marker), orphans

    def _add_marker(self, tx: Tx, bucket: str, key: str, versioning: str, hlc: int,
                    now: int) -> tuple[DeleteResult, list[str]]:
        enabled = versioning == "Enabled"
        dropped = [] if enabled else self._drop_null(tx, bucket, key)
        marker = ObjectVersion(bucket=bucket, key=key, row_id=0,
                               version_id=ids.version_id(now) if enabled else NULL_VERSION,
                               size=0, etag="", mtime_ms=now, hlc=hlc, owner="", delete_marker=True)
        tx.insert_version(marker)
        emit(tx, StorageEvent(EventType.DELETE_MARKER, hlc, bucket, key, marker.version_id))
        return DeleteResult(marker.version_id, True), dropped
