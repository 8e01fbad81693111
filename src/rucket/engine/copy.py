"""CopyObject and UploadPartCopy.

Blobs are immutable, so CopyObject never copies bytes: the new version references the
source's blob (or, for a multipart source, its part blobs), and every reclaim decision asks
the store, which counts all references. The source is pinned by a precondition of the
copy's batch, so a concurrent delete either happens before (the copy fails with NoSuchKey)
or after (the blob is still referenced by the copy and stays). Only inline sources are
copied by value (they are small and live in the metadata row). UploadPartCopy streams the
source range into a new part blob in 1 MiB steps; memory stays flat whatever the size.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

from rucket.core import checksums, errors, faults, ids, names
from rucket.core.model import INLINE, NULL_VERSION, ObjectVersion
from rucket.core.multipart import PARTS, Part
from rucket.core.mutations import Conflict, VersionIs
from rucket.engine import sealed, writes
from rucket.engine.encryption import DataKey
from rucket.engine.multipart import Multipart
from rucket.engine.objects import Objects, PutSpec
from rucket.engine.store import Store
from rucket.engine.tagging import Tagging
from rucket.engine.writes import Plan


@dataclass(frozen=True)
class CopyOptions:
    copy_tags: bool = True  # x-amz-tagging-directive COPY (REPLACE: the tags in PutSpec)
    checksum_algorithm: str = ""  # x-amz-checksum-algorithm: the copy's checksum, computed if the source lacks it


class Copier:
    def __init__(self, store: Store, objects: Objects, multipart: Multipart) -> None:
        self.s = store
        self.objects = objects
        self.multipart = multipart

    def source(self, bucket: str, key: str, version_id: str | None) -> ObjectVersion:
        """The version to copy; a delete marker is no source (404, or 400 when named by version id)."""
        v = self.objects.head(bucket, key, version_id)
        if v.delete_marker:
            if version_id is not None:
                raise errors.InvalidRequest("The source of a copy request may not specifically refer to a "
                                            "delete marker by version id.")
            raise errors.KeyNotFound(key)
        return v

    async def copy_object(self, src: ObjectVersion, bucket: str, key: str, spec: PutSpec,
                          opts: CopyOptions = CopyOptions(), src_dk: DataKey | None = None) -> ObjectVersion:
        """`src_dk`: the source's data key when it is encrypted; `spec.sse`: the copy's (the source's
        key rewrapped when both are encrypted, so the bytes are shared - engine/sealed.py)."""
        names.validate_key(key)
        dest = self.objects._bucket(bucket)
        etag = sealed.shared_etag(src, src_dk, spec.sse)
        if etag is None:
            return await self._reencode(src, bucket, key, spec, opts, src_dk)
        sums = await self._checksums(src, opts.checksum_algorithm, src_dk)
        inline = (src.data if src.data is not None else self.s.index.read_inline(src.row_id)) \
            if src.blob_id == INLINE else None
        now = self.s.clock.now_ms()
        extra = {"pg": self.s.placer.place(bucket, key).pg, **spec.extra, **sealed.extra_of(spec.sse)}
        if "checksum_type" in src.extra and sums == src.checksums:
            extra["checksum_type"] = src.extra["checksum_type"]
        v = ObjectVersion(
            bucket=bucket, key=key, row_id=0,
            version_id=ids.version_id(now) if dest.versioning_of(key) == "Enabled" else NULL_VERSION,
            size=src.size, etag=etag, mtime_ms=now, hlc=self.s.hlc.now(), owner=spec.owner,
            blob_id=src.blob_id, storage_class=spec.storage_class, headers=spec.headers,
            user_meta=spec.user_meta, checksums=sums, extra=extra)
        committed, applied = await writes.run(self.s.index.apply, lambda: self._plan(src, v, inline, spec, opts),
                                              self._explain)
        self.objects._reclaim(applied.freed)
        return committed

    def _plan(self, src: ObjectVersion, v: ObjectVersion, inline: bytes | None, spec: PutSpec,
              opts: CopyOptions) -> Plan[ObjectVersion]:
        """The copy shares the source's blobs (its parts are copied into the new record), pinned by
        a precondition that the source version is still there when the copy is applied."""
        parts = self.s.index.version_parts(src.row_id) if src.blob_id == PARTS else []
        tags = list(spec.tags) or (self.s.index.get_tags(src.row_id) if opts.copy_tags else [])
        faults.point("copy.txn")
        plan = self.objects.put_plan(v, spec, inline, parts, tags)
        plan.preconditions.append(VersionIs(src.bucket, src.key, src.version_id, src.hlc))
        return plan

    @staticmethod
    def _explain(c: Conflict) -> Exception | None:
        if isinstance(c.failed, VersionIs):
            return errors.KeyNotFound(c.failed.key)  # the source was deleted or replaced meanwhile
        return writes.explain(c)

    async def _reencode(self, src: ObjectVersion, bucket: str, key: str, spec: PutSpec, opts: CopyOptions,
                        src_dk: DataKey | None) -> ObjectVersion:
        """Plaintext to ciphertext or back (or a C/KMS source to SSE-S3, whose MD5 ETag must be
        computed): the bytes change, so the source is streamed into a new blob like a PUT body,
        with its checksum algorithms (recomputed over the whole object) and its tags."""
        algs = tuple(sorted(set(src.checksums) | ({opts.checksum_algorithm} - {""})))
        tags = tuple(Tagging(self.s).get(src)) if opts.copy_tags else spec.tags
        put = replace(spec, checksum_algorithms=algs, tags=tags,
                      verify=lambda w: {a: checksums.b64(w.digests[a]) for a in algs})
        return await self.objects.put(bucket, key, self._read(src, 0, src.size, src_dk), put)

    async def _checksums(self, src: ObjectVersion, algorithm: str, dk: DataKey | None = None) -> dict[str, str]:
        """The source's checksums, or a fresh one of the requested algorithm (read, never rewritten)."""
        if not algorithm or algorithm in src.checksums:
            return dict(src.checksums) if not algorithm else {algorithm: src.checksums[algorithm]}
        h = checksums.new(algorithm)
        async for chunk in self._read(src, 0, src.size, dk):
            h.update(chunk)
        return {algorithm: checksums.b64(h.digest())}

    async def _read(self, src: ObjectVersion, start: int, end: int, dk: DataKey | None = None) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.objects.read(src, start, end, dk):
                yield chunk
        except FileNotFoundError as exc:  # the source was deleted (and reclaimed) while we read it
            raise errors.KeyNotFound(src.key) from exc

    async def copy_part(self, src: ObjectVersion, start: int, end: int, bucket: str, key: str, upload_id: str,
                        number: int, src_dk: DataKey | None = None, dk: DataKey | None = None) -> Part:
        """UploadPartCopy: bytes [start, end) of the source (opened with `src_dk`) become part `number`
        (sealed with the upload's `dk`)."""
        upload = self.multipart.get(bucket, key, upload_id)
        return await self.multipart.store_part(upload, number, self._read(src, start, end, src_dk), dk=dk)
