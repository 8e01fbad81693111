"""Applying a `Batch` (core/mutations.py) to SQLite: preconditions, then mutations, then events.

Runs on the writer thread inside the savepoint `SqliteMeta` gives each queued write, so a
batch is all-or-nothing while group commit still covers many batches with one fsync. Both
halves are tables from record type to one small function, as the rest of the code
dispatches; a record type without an entry is a programming error (KeyError), never
silently skipped. This file and meta/tx.py are the only places that turn records into SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rucket.core import mutations as m
from rucket.core.model import ObjectVersion
from rucket.meta import accounts
from rucket.meta import iam as iam_sql
from rucket.meta import kms as kms_sql
from rucket.meta import lock as lock_sql
from rucket.meta.tx import Tx


class _Run:
    """One batch's state: stored versions and the blobs it may have freed."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self.versions: list[ObjectVersion] = []
        self.candidates: list[str] = []

    def version(self, bucket: str, key: str, version_id: str) -> ObjectVersion:
        v = self.tx.version(bucket, key, version_id)
        if v is None:
            raise LookupError(f"{bucket}/{key}@{version_id}: no such version (a missing precondition?)")
        return v


def _lock_is(tx: Tx, p: m.LockIs) -> bool:
    v = tx.version(p.bucket, p.key, p.version_id)
    return (lock_sql.read_tx(tx, v.row_id) if v is not None else None) == p.lock


def _latest_is(tx: Tx, p: m.LatestIs) -> bool:
    cur = tx.latest(p.bucket, p.key)
    return cur is None if p.version_id is None else cur is not None and (cur.version_id, cur.hlc) == (
        p.version_id, p.hlc)


def _version_is(tx: Tx, p: m.VersionIs) -> bool:
    cur = tx.version(p.bucket, p.key, p.version_id)
    return cur is None if p.hlc is None else cur is not None and cur.hlc == p.hlc


def _upload_open(tx: Tx, p: m.UploadOpen) -> bool:
    u = tx.upload(p.upload_id)
    return u is not None and (u.bucket, u.key) == (p.bucket, p.key)


def _parts_are(tx: Tx, p: m.PartsAre) -> bool:
    stored = {n: part.blob_id for n, part in tx.upload_parts(p.upload_id).items()}
    return all(stored.get(n) == blob_id for n, blob_id in p.parts)


def _canonical_free(tx: Tx, p: m.CanonicalIdFree) -> bool:
    other = iam_sql.tx_user_by_canonical_id(tx, p.canonical_id)
    return other is None or other.name == p.owner


def _attachment_exists(tx: Tx, p: m.AttachmentExists) -> bool:
    row = tx.c.execute("SELECT 1 FROM iam_attachments WHERE user_name=? AND policy_name=?",
                       (p.user, p.policy)).fetchone()
    return (row is not None) == p.exists


def _kms_key_is(tx: Tx, p: m.KmsKeyIs) -> bool:
    key = kms_sql.tx_key(tx, p.key_id)
    return (key.versions if key is not None else -1) == p.versions


CHECKS: dict[type[Any], Callable[[Tx, Any], bool]] = {
    m.BucketIs: lambda tx, p: tx.bucket(p.name) == p.bucket,
    m.BucketExists: lambda tx, p: tx.bucket(p.name) is not None,
    m.BucketEmpty: lambda tx, p: tx.bucket_is_empty(p.name),
    m.LatestIs: _latest_is,
    m.VersionIs: _version_is,
    m.LockIs: _lock_is,
    m.UploadOpen: _upload_open,
    m.PartsAre: _parts_are,
    m.UserExists: lambda tx, p: (iam_sql.tx_user(tx, p.name) is not None) == p.exists,
    m.CanonicalIdFree: _canonical_free,
    m.KeyExists: lambda tx, p: (iam_sql.tx_key(tx, p.access_key) is not None) == p.exists,
    m.PolicyExists: lambda tx, p: iam_sql.tx_policy_exists(tx, p.name) == p.exists,
    m.PolicyUnused: lambda tx, p: not iam_sql.tx_policy_in_use(tx, p.name),
    m.AttachmentExists: _attachment_exists,
    m.KmsKeyIs: _kms_key_is,
}


def _put_bucket(run: _Run, mu: m.PutBucket) -> None:
    (run.tx.update_bucket if run.tx.bucket(mu.bucket.name) is not None else run.tx.insert_bucket)(mu.bucket)


def _delete_bucket(run: _Run, mu: m.DeleteBucket) -> None:
    run.candidates += run.tx.delete_bucket_uploads(mu.name)
    run.tx.delete_bucket(mu.name)


def _put_version(run: _Run, mu: m.PutVersion) -> None:
    stored = run.tx.insert_version(mu.version)
    if mu.inline is not None:
        run.tx.put_inline(stored.row_id, mu.inline)
    if mu.parts:
        run.tx.insert_version_parts(stored.row_id, list(mu.parts))
    run.versions.append(stored)


def _delete_version(run: _Run, mu: m.DeleteVersion) -> None:
    v = run.tx.version(mu.bucket, mu.key, mu.version_id)
    if v is not None:
        run.candidates += run.tx.delete_version(v)


def _put_part(run: _Run, mu: m.PutPart) -> None:
    old = run.tx.put_part(mu.upload_id, mu.part)
    if old:
        run.candidates.append(old)


def _put_kms_key(run: _Run, mu: m.PutKmsKey) -> None:
    run.tx.c.execute("INSERT INTO kms_keys VALUES (?,?,?,?) ON CONFLICT(key_id) DO UPDATE SET "
                     "description=excluded.description, enabled=excluded.enabled",
                     (mu.key_id, mu.description, int(mu.enabled), mu.created_ms))


def _put_kms_version(run: _Run, mu: m.PutKmsVersion) -> None:
    v = mu.version
    kms_sql.tx_add_version(run.tx, v.key_id, v.version, v.material, v.created_ms)


def _delete_part(run: _Run, mu: m.DeletePart) -> None:
    where, args = "FROM upload_parts WHERE upload_id=? AND part_number=?", (mu.upload_id, mu.number)
    row = run.tx.c.execute(f"SELECT blob_id {where}", args).fetchone()
    run.tx.c.execute(f"DELETE {where}", args)
    if row and row[0]:
        run.candidates.append(row[0])


def _drop_events(run: _Run, mu: m.DropEvents) -> None:
    run.tx.c.executemany("DELETE FROM events WHERE lsn=?", [(n,) for n in mu.lsns])


def _adopt_members(run: _Run, mu: m.AdoptMembers) -> None:
    accounts.tx_adopt(run.tx, iam_sql.tx_canonical_ids(run.tx, mu.sources), mu.account)


def _require(tx: Tx, ok: bool) -> None:
    if not ok:
        raise LookupError("the record a mutation changes is gone (a missing precondition?)")


APPLY: dict[type[Any], Callable[[_Run, Any], None]] = {
    m.PutBucket: _put_bucket,
    m.DeleteBucket: _delete_bucket,
    m.PutUser: lambda run, mu: iam_sql.tx_upsert_user(run.tx, mu.user),
    m.DeleteUser: lambda run, mu: _require(run.tx, iam_sql.tx_delete_user(run.tx, mu.name)),
    m.AdoptMembers: _adopt_members,
    m.PutKey: lambda run, mu: iam_sql.tx_put_key(run.tx, mu.key),
    m.PutKeyScope: lambda run, mu: iam_sql.tx_put_key_scope(run.tx, mu.scope),
    m.DeleteKey: lambda run, mu: _require(run.tx, iam_sql.tx_delete_key(run.tx, mu.access_key)),
    m.PutPolicy: lambda run, mu: iam_sql.tx_put_policy(run.tx, mu.name, mu.document, mu.created_ms),
    m.DeletePolicy: lambda run, mu: _require(run.tx, iam_sql.tx_delete_policy(run.tx, mu.name)),
    m.PutAttachment: lambda run, mu: iam_sql.tx_attach(run.tx, mu.user, mu.policy),
    m.DeleteAttachment: lambda run, mu: _require(run.tx, iam_sql.tx_detach(run.tx, mu.user, mu.policy)),
    m.PutKmsKey: _put_kms_key,
    m.PutKmsVersion: _put_kms_version,
    m.PutVersion: _put_version,
    m.DeleteVersion: _delete_version,
    m.PutTags: lambda run, mu: run.tx.put_tags(run.version(mu.bucket, mu.key, mu.version_id).row_id,
                                               list(mu.tags)),
    m.PutLock: lambda run, mu: lock_sql.write(run.tx, run.version(mu.bucket, mu.key, mu.version_id).row_id,
                                              mu.lock),
    m.PutObjectAcl: lambda run, mu: iam_sql.tx_put_object_acl(
        run.tx, run.version(mu.bucket, mu.key, mu.version_id).row_id, mu.acl),
    m.PutUpload: lambda run, mu: run.tx.insert_upload(mu.upload),
    m.DeleteUpload: lambda run, mu: run.candidates.extend(run.tx.delete_upload(mu.upload_id)),
    m.PutPart: _put_part,
    m.DeletePart: _delete_part,
    m.PutCompleted: lambda run, mu: run.tx.record_completed(mu.completed, mu.completed_ms, mu.keep_ms),
    m.DropEvents: _drop_events,
}


def apply_batch(tx: Tx, batch: m.Batch) -> m.Applied:
    """Check every precondition first (raising `Conflict` with the first that fails), then apply."""
    for p in batch.preconditions:
        if not CHECKS[type(p)](tx, p):
            raise m.Conflict(p)
    run = _Run(tx)
    for mu in batch.mutations:
        APPLY[type(mu)](run, mu)
    lsns = tuple(tx.append_event(e) for e in batch.events)
    freed = tuple(b for b in dict.fromkeys(run.candidates) if not tx.blob_in_use(b))
    tx.free_later(list(freed))  # the gc table, in this transaction: engine/gc.py frees them after the delay
    return m.Applied(tuple(run.versions), freed, lsns)
