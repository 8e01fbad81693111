"""A second implementation of the metadata seam (`ConfigStore`, `ObjectIndex`, `EventFeed`) in dicts.

The engine's unit tests run against it as well as against SQLite (tests/unit/engine/conftest.py):
if the engine only works on SQLite, the seam is not the whole contract. It follows the SQLite
store's observable semantics — UTF-8 byte-order listings, newest-first versions, a deleted
latest falling back to the next newest, freed-blob reporting — from the Protocol docstrings
and core/mutations.py, not from its SQL. A batch is atomic: state is copied before it
is applied through an undo log and rolled back if a mutation fails; `apply` yields to the event loop first, so
plans and applies of concurrent writes really interleave.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rucket.core import mutations as m
from rucket.core.hlc import HLC, FakeClock
from rucket.core.model import INLINE, Bucket, ListEntry, ObjectVersion
from rucket.core.multipart import PARTS, Completed, Part, Upload
from rucket.core.records import KeyRow, KeyScope, KmsKeyRow, KmsVersionRow, LockRow, UserRow
from rucket.events.log import Consumer, UnknownConsumer
from rucket.events.records import StorageEvent, decode, encode
from rucket.meta import accounts  # the pure ACL-id rewrite; the SQL beside it is not used here


@dataclass
class _State:
    buckets: dict[str, Bucket] = field(default_factory=dict)
    versions: dict[int, ObjectVersion] = field(default_factory=dict)  # by row id
    by_key: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # row ids, oldest first
    latest: dict[tuple[str, str], int] = field(default_factory=dict)
    inline: dict[int, bytes] = field(default_factory=dict)
    vparts: dict[int, list[Part]] = field(default_factory=dict)
    tags: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    locks: dict[int, LockRow] = field(default_factory=dict)
    acls: dict[int, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)
    parts: dict[str, dict[int, Part]] = field(default_factory=dict)
    completed: dict[str, tuple[Completed, int]] = field(default_factory=dict)
    users: dict[str, UserRow] = field(default_factory=dict)
    keys: dict[str, KeyRow] = field(default_factory=dict)
    scopes: dict[str, KeyScope] = field(default_factory=dict)
    policies: dict[str, tuple[str, int]] = field(default_factory=dict)
    attachments: dict[tuple[str, str], bool] = field(default_factory=dict)
    kms: dict[str, tuple[str, bool, int]] = field(default_factory=dict)
    kms_versions: dict[tuple[str, int], KmsVersionRow] = field(default_factory=dict)
    events: dict[int, tuple[Any, ...]] = field(default_factory=dict)  # by LSN, in order
    next_row: int = 1
    next_lsn: int = 1


def _blobs_of(st: _State, rid: int) -> list[str]:
    v = st.versions[rid]
    if v.blob_id == PARTS:
        return list(dict.fromkeys(p.blob_id for p in st.vparts.get(rid, []) if p.blob_id))
    return [v.blob_id] if v.blob_id and v.blob_id != INLINE else []


class MemStore:
    """Plays all three metadata roles, as `SqliteMeta` does (one atomic domain)."""

    def __init__(self, hlc: HLC | None = None, now_ms: Callable[[], int] = lambda: 0, gc_delay_ms: int = 0) -> None:
        self.st = _State()
        self.gen = 0
        self.hlc = hlc or HLC(FakeClock())
        self.now_ms, self.gc_delay_ms = now_ms, gc_delay_ms
        self.gc: dict[str, int] = {}  # blob id -> due (ms): freed blobs wait for the GC
        self.consumers: dict[str, int] = {}

    # ---- writes -------------------------------------------------------------
    async def apply(self, batch: m.Batch) -> m.Applied:
        await asyncio.sleep(0)  # let other writers plan and apply in between, as a real store would
        return self.apply_sync(batch)

    def apply_sync(self, batch: m.Batch) -> m.Applied:
        for p in batch.preconditions:
            if not CHECKS[type(p)](self, p):
                raise m.Conflict(p)
        run = _Run(self)
        counters = (self.st.next_row, self.st.next_lsn)
        try:
            for mu in batch.mutations:
                APPLY[type(mu)](run, mu)
        except BaseException:
            run.rollback()
            self.st.next_row, self.st.next_lsn = counters
            raise
        lsns = []
        for ev in batch.events:
            lsns.append(self.st.next_lsn)
            self.st.events[self.st.next_lsn] = (self.st.next_lsn, *encode(ev))
            self.st.next_lsn += 1
        self.gen += 1
        freed = tuple(b for b in dict.fromkeys(run.candidates) if not self.is_referenced(b))
        for b in freed:  # queued in the same batch, as the SQLite store's gc table
            self.gc[b] = self.now_ms() + self.gc_delay_ms
        return m.Applied(tuple(run.versions), freed, tuple(lsns))

    # ---- deferred blob GC -----------------------------------------------------
    def gc_due(self, now_ms: int, limit: int) -> list[str]:
        return sorted(b for b, due in self.gc.items() if due <= now_ms)[:limit]

    def gc_pending(self) -> set[str]:
        return set(self.gc)

    async def gc_claim(self, blob_ids: list[str]) -> list[str]:
        return self.gc_claim_sync(blob_ids)

    def gc_claim_sync(self, blob_ids: list[str]) -> list[str]:
        again = [b for b in blob_ids if b in self.gc and self.is_referenced(b)]
        for b in again:
            del self.gc[b]
        return [b for b in blob_ids if b in self.gc]

    async def gc_forget(self, blob_ids: list[str]) -> None:
        self.gc_forget_sync(blob_ids)

    def gc_forget_sync(self, blob_ids: list[str]) -> None:
        for b in blob_ids:
            self.gc.pop(b, None)

    def writer_alive(self) -> bool:
        return True

    def close(self) -> None:
        pass

    def generation(self) -> int | None:
        return self.gen

    # ---- config reads ---------------------------------------------------------
    def get_bucket(self, name: str) -> Bucket | None:
        return self.st.buckets.get(name)

    def list_buckets(self) -> list[Bucket]:
        return [self.st.buckets[n] for n in sorted(self.st.buckets)]

    def key_with_user(self, access_key: str) -> tuple[KeyRow, UserRow] | None:
        key = self.st.keys.get(access_key)
        user = self.st.users.get(key.user_name) if key else None
        return (key, user) if key and user else None

    def key_scope(self, access_key: str) -> KeyScope | None:
        return self.st.scopes.get(access_key)

    def key_scopes_of(self, user_name: str) -> dict[str, KeyScope]:
        return {ak: s for ak, s in self.st.scopes.items() if ak in self.st.keys
                and self.st.keys[ak].user_name == user_name}

    def iam_key(self, access_key: str) -> KeyRow | None:
        return self.st.keys.get(access_key)

    def user(self, name: str) -> UserRow | None:
        return self.st.users.get(name)

    def user_by_canonical_id(self, canonical_id: str) -> UserRow | None:
        return next((u for u in self.st.users.values() if u.canonical_id == canonical_id), None)

    def user_by_email(self, email: str) -> UserRow | None:
        return next((u for u in self.st.users.values() if email and u.email == email), None)

    def users(self) -> list[UserRow]:
        return [self.st.users[n] for n in sorted(self.st.users)]

    def keys_of(self, user_name: str) -> list[KeyRow]:
        return sorted((k for k in self.st.keys.values() if k.user_name == user_name),
                      key=lambda k: (k.created_ms, k.access_key))

    def policy_names_of(self, user_name: str) -> list[str]:
        return sorted(p for u, p in self.st.attachments if u == user_name)

    def policy_documents_of(self, user_name: str) -> list[str]:
        return [self.st.policies[p][0] for p in self.policy_names_of(user_name)]

    def policies(self) -> list[tuple[str, str]]:
        return [(n, self.st.policies[n][0]) for n in sorted(self.st.policies)]

    def policy(self, name: str) -> str | None:
        found = self.st.policies.get(name)
        return found[0] if found else None

    def kms_key(self, key_id: str) -> KmsKeyRow | None:
        if key_id not in self.st.kms:
            return None
        desc, enabled, created = self.st.kms[key_id]
        return KmsKeyRow(key_id, desc, enabled, created, sum(1 for k, _ in self.st.kms_versions if k == key_id))

    def kms_keys(self) -> list[KmsKeyRow]:
        return [r for n in sorted(self.st.kms) if (r := self.kms_key(n)) is not None]

    def kms_version(self, key_id: str, version: int) -> KmsVersionRow | None:
        return self.st.kms_versions.get((key_id, version))

    # ---- object reads ---------------------------------------------------------
    def _out(self, rid: int, data: bool = False) -> ObjectVersion:
        v = self.st.versions[rid]
        is_latest = self.st.latest.get((v.bucket, v.key)) == rid
        return dataclasses.replace(v, is_latest=is_latest, data=self.st.inline.get(rid) if data else None)

    def get_latest(self, bucket: str, key: str) -> ObjectVersion | None:
        rid = self.st.latest.get((bucket, key))
        return None if rid is None else self._out(rid, data=True)

    def get_version(self, bucket: str, key: str, version_id: str) -> ObjectVersion | None:
        rid = self._rid(bucket, key, version_id)
        return None if rid is None else self._out(rid)

    def _rid(self, bucket: str, key: str, version_id: str) -> int | None:
        rows = self.st.by_key.get((bucket, key), [])
        return next((r for r in rows if self.st.versions[r].version_id == version_id), None)

    def latest_owner(self, bucket: str, key: str) -> str | None:
        v = self.get_latest(bucket, key)
        return None if v is None or v.delete_marker else v.owner

    def _keys(self, bucket: str, lower: str, below: str | None, strict: bool = False) -> list[str]:
        return sorted(k for b, k in self.st.by_key if b == bucket and (k > lower if strict else k >= lower)
                      and (below is None or k < below))

    def list_latest(self, bucket: str, lower: str, below: str | None, limit: int) -> list[ListEntry]:
        out = []
        for k in self._keys(bucket, lower, below):
            v = self.st.versions[self.st.latest[(bucket, k)]]
            if not v.delete_marker:
                out.append(ListEntry(k, v.size, v.etag, v.mtime_ms, v.storage_class, v.owner))
            if len(out) == limit:
                break
        return out

    def list_versions(self, bucket: str, lower: str, below: str | None, limit: int,
                      before: tuple[int, str] | None = None) -> list[ObjectVersion]:
        """By key, newest (HLC, version id) first; with `before`, first the rest of `lower`'s versions."""
        rids: list[int] = []
        if before is not None:
            rids = [r for r in self._newest_first(bucket, lower)
                    if (self.st.versions[r].hlc, self.st.versions[r].version_id) < before]
        for k in self._keys(bucket, lower, below, strict=before is not None):
            rids += self._newest_first(bucket, k)
        return [self._out(r) for r in rids[:limit]]

    def _newest_first(self, bucket: str, key: str) -> list[int]:
        rows = self.st.by_key.get((bucket, key), [])
        return sorted(rows, key=lambda r: (self.st.versions[r].hlc, self.st.versions[r].version_id), reverse=True)

    def read_inline(self, row_id: int) -> bytes:
        return self.st.inline.get(row_id, b"")

    def get_tags(self, vid: int) -> list[tuple[str, str]]:
        return list(self.st.tags.get(vid, []))

    def get_lock(self, vid: int) -> LockRow | None:
        return self.st.locks.get(vid)

    def object_acl(self, vid: int) -> dict[str, Any] | None:
        return self.st.acls.get(vid)

    def version_parts(self, vid: int, start: int = 0, end: int | None = None) -> list[Part]:
        return [p for p in self.st.vparts.get(vid, [])
                if p.offset + p.size > start and (end is None or p.offset < end)]

    def version_parts_page(self, vid: int, after_idx: int, limit: int) -> list[Part]:
        return self.st.vparts.get(vid, [])[after_idx:after_idx + limit]

    def version_part(self, vid: int, idx: int) -> Part | None:
        parts = self.st.vparts.get(vid, [])
        return parts[idx - 1] if 1 <= idx <= len(parts) else None

    def version_parts_count(self, vid: int) -> int:
        return len(self.st.vparts.get(vid, []))

    def get_upload(self, upload_id: str) -> Upload | None:
        return self.st.uploads.get(upload_id)

    def list_upload_parts(self, upload_id: str, after_number: int, limit: int) -> list[Part]:
        parts = self.st.parts.get(upload_id, {})
        return [parts[n] for n in sorted(parts) if n > after_number][:limit]

    def list_uploads(self, bucket: str, after: tuple[str, int, str], below: str | None,
                     limit: int) -> list[Upload]:
        rows = sorted((u for u in self.st.uploads.values() if u.bucket == bucket
                       and (u.key, u.initiated_ms, u.upload_id) > after and (below is None or u.key < below)),
                      key=lambda u: (u.key, u.initiated_ms, u.upload_id))
        return rows[:limit]

    def get_completed(self, upload_id: str) -> Completed | None:
        found = self.st.completed.get(upload_id)
        return found[0] if found else None

    # ---- blob references, statistics ------------------------------------------
    def referenced_blobs(self) -> set[str]:
        out = {b for rid in self.st.versions for b in _blobs_of(self.st, rid)}
        out |= {p.blob_id for parts in self.st.parts.values() for p in parts.values() if p.blob_id}
        return out

    def blob_ids(self) -> set[str]:
        return self.referenced_blobs()

    def is_referenced(self, blob_id: str) -> bool:
        return (any(blob_id in _blobs_of(self.st, rid) for rid in self.st.versions)
                or any(p.blob_id == blob_id for parts in self.st.parts.values() for p in parts.values()))

    def versions_using(self, blob_id: str) -> list[ObjectVersion]:
        return [dataclasses.replace(self.st.versions[r], is_latest=False) for r in sorted(self.st.versions)
                if blob_id in _blobs_of(self.st, r)]

    def upload_parts_using(self, blob_id: str) -> list[tuple[str, int]]:
        return [(u, n) for u, parts in self.st.parts.items() for n, p in parts.items() if p.blob_id == blob_id]

    def inline_rows(self) -> Iterator[tuple[ObjectVersion, bytes]]:
        for rid in sorted(self.st.inline):
            yield dataclasses.replace(self.st.versions[rid], is_latest=False), self.st.inline[rid]

    def usage(self) -> list[tuple[str, int, int]]:
        out = []
        for name in sorted(self.st.buckets):
            live = [self.st.versions[r] for (b, _k), r in self.st.latest.items() if b == name]
            live = [v for v in live if not v.delete_marker]
            out.append((name, len(live), sum(v.size for v in live)))
        return out

    # ---- event feed -------------------------------------------------------------
    def last_lsn(self) -> int:
        return self.st.next_lsn - 1

    def first_lsn(self) -> int:
        return min(self.st.events, default=self.st.next_lsn)

    def rows_after(self, lsn: int, limit: int) -> list[tuple[Any, ...]]:
        return [e for n, e in self.st.events.items() if n > lsn][:limit]

    def events_after(self, lsn: int, limit: int = 1000) -> list[tuple[Any, ...]]:
        return self.rows_after(lsn, limit)

    async def register(self, name: str, from_lsn: int | None = None) -> Consumer:
        self.consumers[name] = self.last_lsn() if from_lsn is None else from_lsn
        return Consumer(name, self.consumers[name], 0, 0)

    async def checkpoint(self, name: str, lsn: int) -> Consumer:
        if name not in self.consumers:
            raise UnknownConsumer(name)
        self.consumers[name] = lsn
        return Consumer(name, lsn, 0, 0)

    async def trim(self) -> int:
        """No retention in memory: a test's feed keeps everything."""
        return 0

    retention_ms = 2**62  # nothing expires

    def list_consumers(self) -> list[Consumer]:
        return [Consumer(name, lsn, 0, 0) for name, lsn in sorted(self.consumers.items())]

    def resync_required(self, consumer: Consumer) -> bool:
        return False

    def read_for(self, name: str, limit: int) -> list[StorageEvent]:
        if name not in self.consumers:
            raise UnknownConsumer(name)
        return [decode(r) for r in self.rows_after(self.consumers[name], limit)]

    async def unregister(self, name: str) -> bool:
        return self.consumers.pop(name, None) is not None


# ---- preconditions ------------------------------------------------------------------
def _latest_is(s: MemStore, p: m.LatestIs) -> bool:
    cur = s.get_latest(p.bucket, p.key)
    if p.version_id is None:
        return cur is None
    return cur is not None and (cur.version_id, cur.hlc) == (p.version_id, p.hlc)


def _version_is(s: MemStore, p: m.VersionIs) -> bool:
    cur = s.get_version(p.bucket, p.key, p.version_id)
    return cur is None if p.hlc is None else cur is not None and cur.hlc == p.hlc


def _lock_is(s: MemStore, p: m.LockIs) -> bool:
    rid = s._rid(p.bucket, p.key, p.version_id)
    return (s.st.locks.get(rid) if rid is not None else None) == p.lock


def _upload_open(s: MemStore, p: m.UploadOpen) -> bool:
    u = s.st.uploads.get(p.upload_id)
    return u is not None and (u.bucket, u.key) == (p.bucket, p.key)


def _parts_are(s: MemStore, p: m.PartsAre) -> bool:
    stored = s.st.parts.get(p.upload_id, {})
    return all((stored[n].blob_id if n in stored else None) == blob for n, blob in p.parts)


CHECKS: dict[type[Any], Callable[[MemStore, Any], bool]] = {
    m.BucketIs: lambda s, p: s.st.buckets.get(p.name) == p.bucket,
    m.BucketExists: lambda s, p: p.name in s.st.buckets,
    m.BucketEmpty: lambda s, p: not any(b == p.name for b, _k in s.st.by_key),
    m.LatestIs: _latest_is,
    m.VersionIs: _version_is,
    m.LockIs: _lock_is,
    m.UploadOpen: _upload_open,
    m.PartsAre: _parts_are,
    m.UserExists: lambda s, p: (p.name in s.st.users) == p.exists,
    m.CanonicalIdFree: lambda s, p: all(u.name == p.owner for u in s.st.users.values()
                                        if u.canonical_id == p.canonical_id),
    m.KeyExists: lambda s, p: (p.access_key in s.st.keys) == p.exists,
    m.PolicyExists: lambda s, p: (p.name in s.st.policies) == p.exists,
    m.PolicyUnused: lambda s, p: all(pol != p.name for _u, pol in s.st.attachments),
    m.AttachmentExists: lambda s, p: ((p.user, p.policy) in s.st.attachments) == p.exists,
    m.KmsKeyIs: lambda s, p: (k.versions if (k := s.kms_key(p.key_id)) else -1) == p.versions,
}


# ---- mutations -------------------------------------------------------------------------
_ABSENT = object()


class _Run:
    """One batch: every change goes through `put`/`drop`, which log the old value for `rollback`."""

    def __init__(self, store: MemStore) -> None:
        self.s, self.st = store, store.st
        self.versions: list[ObjectVersion] = []
        self.candidates: list[str] = []
        self._undo: list[tuple[dict[Any, Any], Any, Any]] = []

    def put(self, table: dict[Any, Any], key: Any, value: Any) -> None:
        self._undo.append((table, key, table.get(key, _ABSENT)))
        table[key] = value

    def drop(self, table: dict[Any, Any], key: Any) -> Any:
        old = table.get(key, _ABSENT)
        if old is not _ABSENT:
            self._undo.append((table, key, old))
            del table[key]
        return None if old is _ABSENT else old

    def rollback(self) -> None:
        for table, key, old in reversed(self._undo):
            if old is _ABSENT:
                table.pop(key, None)
            else:
                table[key] = old

    def rid(self, bucket: str, key: str, version_id: str) -> int:
        rid = self.s._rid(bucket, key, version_id)
        if rid is None:
            raise LookupError(f"{bucket}/{key}@{version_id}: no such version")
        return rid


def _need(ok: bool) -> None:
    if not ok:
        raise LookupError("the record a mutation changes is gone")


def _put_bucket(run: _Run, mu: m.PutBucket) -> None:
    old = run.st.buckets.get(mu.bucket.name)
    b = mu.bucket if old is None else dataclasses.replace(old, versioning=mu.bucket.versioning,
                                                         object_lock=mu.bucket.object_lock, config=mu.bucket.config)
    run.put(run.st.buckets, b.name, copy.deepcopy(b))


def _delete_bucket(run: _Run, mu: m.DeleteBucket) -> None:
    for uid in [u.upload_id for u in run.st.uploads.values() if u.bucket == mu.name]:
        _delete_upload(run, m.DeleteUpload(uid))
    run.drop(run.st.buckets, mu.name)


def _put_user(run: _Run, mu: m.PutUser) -> None:
    old = run.st.users.get(mu.user.name)
    user = mu.user if old is None else dataclasses.replace(mu.user, created_ms=old.created_ms)
    run.put(run.st.users, mu.user.name, user)


def _delete_user(run: _Run, mu: m.DeleteUser) -> None:
    _need(mu.name in run.st.users)
    run.drop(run.st.users, mu.name)
    for ak in [k for k, v in run.st.keys.items() if v.user_name == mu.name]:
        run.drop(run.st.keys, ak)
        run.drop(run.st.scopes, ak)
    for a in [a for a in run.st.attachments if a[0] == mu.name]:
        run.drop(run.st.attachments, a)


def _adopt_members(run: _Run, mu: m.AdoptMembers) -> None:
    """As meta/accounts.tx_adopt: owners and ACL owner/grantee ids of the members become the account's."""
    old = frozenset(u.canonical_id for u in run.st.users.values() if u.source in mu.sources) - {mu.account, ""}
    if not old:
        return
    for name, b in list(run.st.buckets.items()):
        if b.owner in old:
            run.put(run.st.buckets, name, dataclasses.replace(b, owner=mu.account,
                                                              config=accounts.rewrite(b.config, old, mu.account)))
    for rid, v in list(run.st.versions.items()):
        if v.owner in old:
            run.put(run.st.versions, rid, dataclasses.replace(v, owner=mu.account,
                                                              extra=accounts.rewrite(v.extra, old, mu.account)))
    for rid, acl in list(run.st.acls.items()):
        run.put(run.st.acls, rid, accounts.rewrite(acl, old, mu.account))
    for uid, up in list(run.st.uploads.items()):
        if up.owner in old:
            run.put(run.st.uploads, uid, dataclasses.replace(up, owner=mu.account))


def _put_policy(run: _Run, mu: m.PutPolicy) -> None:
    old = run.st.policies.get(mu.name)
    run.put(run.st.policies, mu.name, (mu.document, old[1] if old else mu.created_ms))


def _put_scope(run: _Run, mu: m.PutKeyScope) -> None:
    _need(mu.scope.access_key in run.st.keys)  # a foreign key, as SQLite enforces
    run.put(run.st.scopes, mu.scope.access_key, mu.scope)


def _must_drop(run: _Run, table: dict[Any, Any], key: Any) -> None:
    _need(key in table)
    run.drop(table, key)


def _attach(run: _Run, mu: m.PutAttachment) -> None:
    _need(mu.policy in run.st.policies and mu.user in run.st.users)  # foreign keys, as SQLite enforces
    run.put(run.st.attachments, (mu.user, mu.policy), True)


def _put_kms_key(run: _Run, mu: m.PutKmsKey) -> None:
    old = run.st.kms.get(mu.key_id)
    run.put(run.st.kms, mu.key_id, (mu.description, mu.enabled, old[2] if old else mu.created_ms))


def _put_kms_version(run: _Run, mu: m.PutKmsVersion) -> None:
    k = (mu.version.key_id, mu.version.version)
    _need(k not in run.st.kms_versions and k[0] in run.st.kms)
    run.put(run.st.kms_versions, k, mu.version)


def _put_version(run: _Run, mu: m.PutVersion) -> None:
    v, st = mu.version, run.st
    _need(run.s._rid(v.bucket, v.key, v.version_id) is None)  # (bucket, key, version id) is unique
    k = (v.bucket, v.key)
    prev = max((st.versions[r].hlc for r in st.by_key.get(k, [])), default=None)
    if prev is not None and v.hlc <= prev:  # a key's HLCs strictly increase: "latest" is the highest
        v = dataclasses.replace(v, hlc=run.s.hlc.after(prev))
    rid = st.next_row
    st.next_row += 1
    extra = json.loads(json.dumps(v.extra))  # what a stored record reads back as
    stored = dataclasses.replace(v, row_id=rid, is_latest=True, extra=extra, data=None)
    run.put(st.versions, rid, stored)
    run.put(st.by_key, k, [*st.by_key.get(k, []), rid])
    run.put(st.latest, k, rid)
    if mu.inline is not None:
        run.put(st.inline, rid, mu.inline)
    if mu.parts:
        run.put(st.vparts, rid, [dataclasses.replace(p, mtime_ms=0) for p in mu.parts])
    run.versions.append(dataclasses.replace(stored, data=v.data))


def _delete_version(run: _Run, mu: m.DeleteVersion) -> None:
    rid = run.s._rid(mu.bucket, mu.key, mu.version_id)
    if rid is None:
        return
    st, k = run.st, (mu.bucket, mu.key)
    run.candidates += _blobs_of(st, rid)
    for table in (st.inline, st.vparts, st.tags, st.locks, st.acls, st.versions):
        run.drop(table, rid)  # type: ignore[arg-type]
    rest = [r for r in st.by_key[k] if r != rid]
    if rest:
        run.put(st.by_key, k, rest)
    else:
        run.drop(st.by_key, k)
    if st.latest.get(k) == rid:
        if rest:
            run.put(st.latest, k, run.s._newest_first(*k)[0])  # the next newest becomes latest
        else:
            run.drop(st.latest, k)


def _put_tags(run: _Run, mu: m.PutTags) -> None:
    rid = run.rid(mu.bucket, mu.key, mu.version_id)
    if mu.tags:
        run.put(run.st.tags, rid, list(mu.tags))
    else:
        run.drop(run.st.tags, rid)


def _put_upload(run: _Run, mu: m.PutUpload) -> None:
    _need(mu.upload.upload_id not in run.st.uploads)
    run.put(run.st.uploads, mu.upload.upload_id, mu.upload)
    run.put(run.st.parts, mu.upload.upload_id, {})


def _delete_upload(run: _Run, mu: m.DeleteUpload) -> None:
    parts = run.drop(run.st.parts, mu.upload_id) or {}
    run.candidates += [p.blob_id for p in parts.values() if p.blob_id]
    run.drop(run.st.uploads, mu.upload_id)


def _put_part(run: _Run, mu: m.PutPart) -> None:
    if mu.upload_id not in run.st.parts:
        run.put(run.st.parts, mu.upload_id, {})
    parts = run.st.parts[mu.upload_id]
    old = parts.get(mu.part.number)
    if old is not None and old.blob_id and old.blob_id != mu.part.blob_id:
        run.candidates.append(old.blob_id)
    run.put(parts, mu.part.number, mu.part)


def _delete_part(run: _Run, mu: m.DeletePart) -> None:
    old = run.drop(run.st.parts.get(mu.upload_id, {}), mu.number)
    if old is not None and old.blob_id:
        run.candidates.append(old.blob_id)


def _put_completed(run: _Run, mu: m.PutCompleted) -> None:
    cutoff = mu.completed_ms - mu.keep_ms
    for uid in [u for u, c in run.st.completed.items() if c[1] < cutoff]:
        run.drop(run.st.completed, uid)
    run.put(run.st.completed, mu.completed.upload_id, (mu.completed, mu.completed_ms))


def _drop_events(run: _Run, mu: m.DropEvents) -> None:
    for lsn in mu.lsns:
        run.drop(run.st.events, lsn)


APPLY: dict[type[Any], Callable[[_Run, Any], None]] = {
    m.PutBucket: _put_bucket,
    m.DeleteBucket: _delete_bucket,
    m.PutUser: _put_user,
    m.DeleteUser: _delete_user,
    m.AdoptMembers: _adopt_members,
    m.PutKey: lambda run, mu: run.put(run.st.keys, mu.key.access_key, mu.key),
    m.PutKeyScope: lambda run, mu: _put_scope(run, mu),
    m.DeleteKey: lambda run, mu: (_must_drop(run, run.st.keys, mu.access_key), run.drop(run.st.scopes, mu.access_key)),
    m.PutPolicy: _put_policy,
    m.DeletePolicy: lambda run, mu: _must_drop(run, run.st.policies, mu.name),
    m.PutAttachment: _attach,
    m.DeleteAttachment: lambda run, mu: _must_drop(run, run.st.attachments, (mu.user, mu.policy)),
    m.PutKmsKey: _put_kms_key,
    m.PutKmsVersion: _put_kms_version,
    m.PutVersion: _put_version,
    m.DeleteVersion: _delete_version,
    m.PutTags: _put_tags,
    m.PutLock: lambda run, mu: run.put(run.st.locks, run.rid(mu.bucket, mu.key, mu.version_id), mu.lock),
    m.PutObjectAcl: lambda run, mu: run.put(run.st.acls, run.rid(mu.bucket, mu.key, mu.version_id),
                                            copy.deepcopy(mu.acl)),
    m.PutUpload: _put_upload,
    m.DeleteUpload: _delete_upload,
    m.PutPart: _put_part,
    m.DeletePart: _delete_part,
    m.PutCompleted: _put_completed,
    m.DropEvents: _drop_events,
}
