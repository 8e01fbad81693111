"""Multipart uploads: create, upload parts, complete, abort, list.

Each part is written like a PutObject body (BlobWriter: fsync'd and renamed before the
part row commits), always as a blob file. Completing is ONE metadata batch, planned on
the part list it checked and pinned on it by preconditions: it inserts the version
(blob_id = PARTS) with its ordered parts, carries the conditional-write precondition,
drops the upload and records the answer for a retried Complete; no part byte is read or
copied again. Blobs of parts the completed object does not use, of an aborted upload and
of a replaced part are unlinked only after their batch commits (a crash in between leaves
orphans for start-up recovery).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise

from rucket.blobs.base import WrittenBlob
from rucket.core import checksums, errors, faults, ids, names
from rucket.core.model import NULL_VERSION, Bucket, ObjectVersion
from rucket.core.multipart import (
    MAX_PARTS,
    MIN_PART_SIZE,
    PARTS,
    Completed,
    Part,
    Upload,
    default_type,
    multipart_etag,
    object_checksum,
    same_checksum,
    type_allowed,
    with_offsets,
)
from rucket.core.mutations import (
    BucketExists,
    Conflict,
    DeleteUpload,
    PartsAre,
    PutCompleted,
    PutPart,
    PutUpload,
    UploadOpen,
)
from rucket.engine import gc, sealed, writes
from rucket.engine.encryption import DataKey
from rucket.engine.listing import resume_point, successor
from rucket.engine.objects import Objects, PutSpec, Verifier
from rucket.engine.store import Store
from rucket.engine.writes import Plan
from rucket.events.records import EventType, StorageEvent

COMPLETED_KEEP_MS = 24 * 3600 * 1000  # how long a retried Complete still gets the first answer
BATCH = 1000


@dataclass(frozen=True)
class PartRef:
    """One <Part> of a CompleteMultipartUpload request."""

    number: int
    etag: str
    checksums: Mapping[str, str] = field(default_factory=dict)


@dataclass
class CompleteSpec:
    if_match: str | None = None
    if_none_match: str | None = None
    checksums: Mapping[str, str] = field(default_factory=dict)  # x-amz-checksum-<alg>: the expected result
    object_size: int | None = None  # x-amz-mp-object-size


class Multipart:
    def __init__(self, store: Store, objects: Objects, *, min_part_size: int = MIN_PART_SIZE) -> None:
        self.s = store
        self.objects = objects
        self.min_part_size = min_part_size  # lowered by unit tests so thousands of parts stay small

    def _bucket(self, name: str) -> Bucket:
        bucket = self.s.config.get_bucket(name)
        if bucket is None:
            raise errors.BucketNotFound(name)
        return bucket

    def find(self, upload_id: str) -> Upload | None:
        return self.s.index.get_upload(upload_id)

    def get(self, bucket: str, key: str, upload_id: str) -> Upload:
        self._bucket(bucket)
        upload = self.s.index.get_upload(upload_id)
        if upload is None or (upload.bucket, upload.key) != (bucket, key):
            raise errors.NoSuchUpload(upload_id)
        return upload

    # ---- create -------------------------------------------------------------
    async def create(self, bucket: str, key: str, template: Upload) -> Upload:
        """`template` carries owner, headers, metadata, checksum choice, tags; ids and time are set here."""
        names.validate_key(key)
        self._bucket(bucket)
        alg, ctype = template.checksum_algorithm, template.checksum_type
        if ctype and not alg:
            raise errors.InvalidRequest("x-amz-checksum-type requires x-amz-checksum-algorithm")
        if alg:
            ctype = ctype or default_type(alg)
            if not type_allowed(alg, ctype):
                raise errors.InvalidRequest(f"The {alg} algorithm does not support the {ctype} checksum type")
        upload = replace(template, upload_id=ids.upload_id(), bucket=bucket, key=key,
                         initiated_ms=self.s.clock.now_ms(), checksum_type=ctype)
        hlc = self.s.hlc.now()
        plan: Plan[None] = Plan(
            mutations=[PutUpload(upload)], preconditions=[BucketExists(bucket)],
            events=[StorageEvent(EventType.UPLOAD_CREATED, hlc, bucket, key, None, {"upload": upload.upload_id})])
        await writes.run(self.s.index.apply, lambda: plan, writes.explain)
        return upload

    # ---- parts ----------------------------------------------------------------
    async def upload_part(self, bucket: str, key: str, upload_id: str, number: int, body: AsyncIterable[bytes],
                          algorithms: tuple[str, ...] = (), verify: Verifier | None = None,
                          dk: DataKey | None = None) -> Part:
        """`dk`: the upload's data key when it is encrypted (engine/encryption.py; the handler opened it)."""
        upload = self.get(bucket, key, upload_id)  # NoSuchUpload before any byte of the body is read
        return await self.store_part(upload, number, body, algorithms, verify, dk)

    async def store_part(self, upload: Upload, number: int, body: AsyncIterable[bytes],
                         algorithms: tuple[str, ...] = (), verify: Verifier | None = None,
                         dk: DataKey | None = None) -> Part:
        """Write a part blob (also UploadPartCopy's path), then record it in one transaction. An
        encrypted upload's parts are sealed under its one data key, each blob with its own nonce
        prefix (blobs/crypto.py); sizes, offsets and checksums stay those of the plaintext."""
        algs = tuple(sorted({*algorithms, upload.checksum_algorithm} - {""}))
        written = await self._write_blob(body, algs, dk)
        try:
            if verify is not None:
                verify(written)
            part = Part(number, written.size, sealed.etag_of(written, dk), written.blob_id,
                        self.s.clock.now_ms(), {a: checksums.b64(written.digests[a]) for a in algs})
            plan: Plan[None] = Plan(  # aborted or completed while the body streamed: NoSuchUpload
                mutations=[PutPart(upload.upload_id, part)],
                preconditions=[UploadOpen(upload.upload_id, upload.bucket, upload.key)],
                events=[StorageEvent(EventType.PART_UPLOADED, self.s.hlc.now(), upload.bucket, upload.key, None,
                                     {"upload": upload.upload_id, "part": part.number, "size": part.size,
                                      "blob": part.blob_id})])
            _, applied = await writes.run(self.s.index.apply, lambda: plan, _no_such_upload)
        except BaseException:
            if written.blob_id:
                self.s.blobs.delete(written.blob_id)
            raise
        if written.blob_id:
            self.s.blobs.settle(written.blob_id)
        self._reclaim(applied.freed)  # the part this one replaced
        return part

    async def _write_blob(self, body: AsyncIterable[bytes], algorithms: tuple[str, ...],
                          dk: DataKey | None = None) -> WrittenBlob:
        hashers = {"MD5": checksums.md5(), **{a: checksums.new(a) for a in algorithms}}
        writer = sealed.writer(self.s.blobs, hashers, -1, dk)  # parts are always files: versions reference them
        try:
            async for chunk in body:
                await writer.write(chunk)
            return await writer.finish()
        except BaseException:
            writer.abort()
            raise

    def _reclaim(self, blob_ids: Sequence[str]) -> None:
        gc.reclaim(self.s, blob_ids, "multipart.before_reclaim")

    # ---- complete -------------------------------------------------------------
    async def complete(self, bucket: str, key: str, upload_id: str, refs: Sequence[PartRef],
                       spec: CompleteSpec) -> ObjectVersion:
        """One batch inserts the version with its part list, drops the upload and records the answer;
        it is pinned on the upload being open with exactly the parts that were checked."""
        names.validate_key(key)
        self._bucket(bucket)
        now, hlc = self.s.clock.now_ms(), self.s.hlc.now()

        def plan() -> Plan[ObjectVersion]:
            faults.point("multipart.complete.txn")
            upload = self.s.index.get_upload(upload_id)
            if upload is None or (upload.bucket, upload.key) != (bucket, key):
                return Plan(done=self._completed_before(bucket, key, upload_id))
            stored = {p.number: p for p in self.s.index.list_upload_parts(upload_id, 0, MAX_PARTS + 1)}
            chosen = self._check_parts(upload, refs, stored, spec)
            version = self._version(upload, chosen, now, hlc)
            put = PutSpec(owner=upload.owner, if_match=spec.if_match, if_none_match=spec.if_none_match,
                          tags=upload.tags)
            p = self.objects.put_plan(version, put, parts=chosen)
            p.preconditions += [UploadOpen(upload_id, bucket, key),
                                PartsAre(upload_id, tuple((c.number, c.blob_id) for c in chosen))]
            p.mutations += [DeleteUpload(upload_id),
                            PutCompleted(Completed(upload_id, bucket, key, version.version_id, version.etag),
                                         now, COMPLETED_KEEP_MS)]
            p.events.append(StorageEvent(EventType.UPLOAD_COMPLETED, hlc, bucket, key, version.version_id,
                                         {"upload": upload_id}))
            return p

        committed, applied = await writes.run(self.s.index.apply, plan, writes.explain)
        self._reclaim(applied.freed)  # parts the object does not use, the "null" version it replaced
        return committed

    def _completed_before(self, bucket: str, key: str, upload_id: str) -> ObjectVersion:
        """A retried Complete of an upload that already completed gets the version it made."""
        done = self.s.index.get_completed(upload_id)
        v = (self.s.index.get_version(bucket, key, done.version_id)
             if done and (done.bucket, done.key) == (bucket, key) else None)
        if done is None or v is None or v.etag != done.etag:
            raise errors.NoSuchUpload(upload_id)
        return v

    def _check_parts(self, upload: Upload, refs: Sequence[PartRef], stored: Mapping[int, Part],
                     spec: CompleteSpec) -> list[Part]:
        """The S3 rules, in S3's order: part order, existence and ETag, size, checksums."""
        if any(b.number <= a.number for a, b in pairwise(refs)):
            raise errors.InvalidPartOrder("parts must be listed in ascending order")
        chosen = []
        for ref in refs:
            part = stored.get(ref.number)
            if part is None or part.etag.strip('"') != ref.etag.strip().strip('"'):
                raise errors.InvalidPart(f"part {ref.number}")
            if any(part.checksums.get(alg, value) != value for alg, value in ref.checksums.items()):
                raise errors.InvalidPart(f"part {ref.number} checksum")
            chosen.append(part)
        if any(p.size < self.min_part_size for p in chosen[:-1]):
            raise errors.EntityTooSmall("a part other than the last is below the minimum size")
        chosen = with_offsets(chosen)
        if spec.object_size is not None and spec.object_size != sum(p.size for p in chosen):
            raise errors.InvalidRequest("x-amz-mp-object-size does not match the parts")
        self._check_checksums(upload, chosen, spec)
        return chosen

    @staticmethod
    def _check_checksums(upload: Upload, chosen: Sequence[Part], spec: CompleteSpec) -> None:
        """The object checksum the client expects must be the one the parts make. Part checksums in the
        request are optional (checked against the stored ones when present), as Ceph and MinIO accept."""
        alg = upload.checksum_algorithm
        for sent_alg, sent in spec.checksums.items():
            if sent_alg != alg:
                raise errors.InvalidRequest(f"the upload was not created with the {sent_alg} checksum")
            if not same_checksum(sent, object_checksum(alg, upload.checksum_type, chosen)):
                raise errors.BadDigest(alg)

    def _version(self, upload: Upload, parts: Sequence[Part], now: int, hlc: int) -> ObjectVersion:
        bucket = self._bucket(upload.bucket)
        alg, extra = upload.checksum_algorithm, dict(upload.extra)
        sums = {alg: object_checksum(alg, upload.checksum_type, parts)} if alg else {}
        if alg:
            extra["checksum_type"] = upload.checksum_type
        return ObjectVersion(
            bucket=upload.bucket, key=upload.key, row_id=0,
            version_id=ids.version_id(now) if bucket.versioning_of(upload.key) == "Enabled" else NULL_VERSION,
            size=sum(p.size for p in parts), etag=multipart_etag(parts), mtime_ms=now, hlc=hlc, owner=upload.owner,
            blob_id=PARTS, storage_class=upload.storage_class, headers=upload.headers, user_meta=upload.user_meta,
            checksums=sums, extra={"pg": self.s.placer.place(upload.bucket, upload.key).pg, **extra})

    # ---- abort ----------------------------------------------------------------
    async def abort(self, bucket: str, key: str, upload_id: str) -> None:
        self._bucket(bucket)
        hlc = self.s.hlc.now()
        plan: Plan[None] = Plan(
            mutations=[DeleteUpload(upload_id)], preconditions=[UploadOpen(upload_id, bucket, key)],
            events=[StorageEvent(EventType.UPLOAD_ABORTED, hlc, bucket, key, None, {"upload": upload_id})])
        _, applied = await writes.run(self.s.index.apply, lambda: plan, _no_such_upload)
        self._reclaim(applied.freed)

    # ---- reads ----------------------------------------------------------------
    def list_parts(self, bucket: str, key: str, upload_id: str, marker: int,
                   max_parts: int) -> tuple[Upload, list[Part], bool]:
        upload = self.get(bucket, key, upload_id)
        parts = self.s.index.list_upload_parts(upload_id, marker, max_parts + 1)
        return upload, parts[:max_parts], len(parts) > max_parts

    def object_parts(self, v: ObjectVersion, marker: int, max_parts: int) -> tuple[list[Part], int]:
        """A page of a completed version's parts (by position) and their count; none for a plain object."""
        if v.blob_id != PARTS:
            return [], 0
        return self.s.index.version_parts_page(v.row_id, marker, max_parts), self.s.index.version_parts_count(v.row_id)

    def list_uploads(self, q: UploadsQuery) -> UploadsPage:
        """Uploads by (key, initiation time), keys under a delimiter rolled up into common prefixes."""
        self._bucket(q.bucket)
        page = UploadsPage([], [], False)
        if q.max_uploads <= 0:
            return page
        for item in self._walk_uploads(q):
            if len(page.uploads) + len(page.prefixes) == q.max_uploads:
                page.truncated = True
                break
            if isinstance(item, str):
                page.prefixes.append(item)
            else:
                page.uploads.append(item)
        return page

    def _start(self, q: UploadsQuery) -> tuple[str, int, str]:
        """The (key, initiated, id) the listing resumes strictly after."""
        if q.key_marker and q.upload_id_marker:
            marker = self.s.index.get_upload(q.upload_id_marker)
            if marker is not None and marker.key == q.key_marker and marker.bucket == q.bucket:
                return max((q.key_marker, marker.initiated_ms, marker.upload_id), (q.prefix, -1, ""))
        start = resume_point(q.prefix, q.delimiter, q.key_marker) if q.key_marker else ""
        return max(start, q.prefix), -1, ""

    def _walk_uploads(self, q: UploadsQuery) -> Iterator[Upload | str]:
        cursor = self._start(q)
        below = successor(q.prefix) if q.prefix else None
        while rows := self.s.index.list_uploads(q.bucket, cursor, below, BATCH):
            for u in rows:
                cut = u.key.find(q.delimiter, len(q.prefix)) if q.delimiter else -1
                if cut < 0:
                    yield u
                    cursor = (u.key, u.initiated_ms, u.upload_id)
                    continue
                common = u.key[: cut + len(q.delimiter)]
                yield common
                nxt = successor(common)
                if nxt is None:
                    return
                cursor = (nxt, -1, "")
                break  # re-seek past every upload under the common prefix
            else:
                if len(rows) < BATCH:
                    return


def _no_such_upload(c: Conflict) -> Exception | None:
    return errors.NoSuchUpload(c.failed.upload_id) if isinstance(c.failed, UploadOpen) else writes.explain(c)


@dataclass(frozen=True)
class UploadsQuery:
    bucket: str
    prefix: str = ""
    delimiter: str = ""
    key_marker: str = ""
    upload_id_marker: str = ""
    max_uploads: int = 1000


@dataclass
class UploadsPage:
    uploads: list[Upload]
    prefixes: list[str]
    truncated: bool
