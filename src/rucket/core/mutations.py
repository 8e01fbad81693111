"""Writes as data: the records a metadata batch carries, its preconditions, and its outcome.

The engine reads what it needs, decides, then hands the store a `Batch`: full record images
to write (`Mutation`), facts that must still hold when it is applied (`Precondition`), and
the events that describe it. A store applies the whole batch atomically or applies nothing
and raises `Conflict` naming the first precondition that failed; the engine then re-reads
and retries, or answers 409/412. SQLite applies a batch in one savepoint of its group
commit; etcd would apply it as one `Txn` whose compares are the preconditions. Nothing here
names a table, a row id or a connection, so the same batch means the same on any store and
can be replayed from the event log.

Versions are addressed by (bucket, key, version id) — never by a store's row id, which a
new version does not have yet and which means nothing on another node. `hlc` identifies one
write of a version id: a replaced "null" version keeps its id but not its HLC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rucket.core.events import StorageEvent
from rucket.core.model import Bucket, ObjectVersion
from rucket.core.multipart import Completed, Part, Upload
from rucket.core.records import KeyRow, KeyScope, KmsVersionRow, LockRow, UserRow


# ---- mutations: configuration (ConfigStore) ------------------------------------------
@dataclass(frozen=True)
class PutBucket:
    """Create or replace a bucket record (its whole image: versioning, lock flag, config)."""

    bucket: Bucket


@dataclass(frozen=True)
class DeleteBucket:
    """Remove a bucket; its uploads in progress go with it (their part blobs become free)."""

    name: str


@dataclass(frozen=True)
class PutUser:
    """Create a user, or update its ids and names (the creation time of an existing user stays)."""

    user: UserRow


@dataclass(frozen=True)
class DeleteUser:
    """Remove a user with its access keys and policy attachments."""

    name: str


@dataclass(frozen=True)
class AdoptMembers:
    """Give what the users of `sources` own (buckets, versions, uploads, ACL owner/grantee ids) to
    `account`: IAM users act inside the root's account (data dirs from before accounts)."""

    sources: tuple[str, ...]
    account: str


@dataclass(frozen=True)
class PutKey:
    key: KeyRow


@dataclass(frozen=True)
class PutKeyScope:
    """Set a key's expiry / service-account policy (it goes with its key)."""

    scope: KeyScope


@dataclass(frozen=True)
class DeleteKey:
    access_key: str


@dataclass(frozen=True)
class PutPolicy:
    """Create an identity policy or replace its document (the creation time of an existing one stays)."""

    name: str
    document: str
    created_ms: int


@dataclass(frozen=True)
class DeletePolicy:
    name: str


@dataclass(frozen=True)
class PutAttachment:
    user: str
    policy: str


@dataclass(frozen=True)
class DeleteAttachment:
    user: str
    policy: str


@dataclass(frozen=True)
class PutKmsKey:
    key_id: str
    description: str
    enabled: bool
    created_ms: int


@dataclass(frozen=True)
class PutKmsVersion:
    version: KmsVersionRow


# ---- mutations: objects (ObjectIndex) -----------------------------------------------
@dataclass(frozen=True)
class PutVersion:
    """A new version (or delete marker) that becomes the key's latest: the full record, its inline
    bytes or its ordered parts. Its `row_id` is ignored (the store assigns its own)."""

    version: ObjectVersion
    inline: bytes | None = None
    parts: tuple[Part, ...] = ()


@dataclass(frozen=True)
class DeleteVersion:
    """Remove a version if it exists (a no-op otherwise); if it was the latest, the next newest
    becomes latest. With its tags, lock and ACL records."""

    bucket: str
    key: str
    version_id: str


@dataclass(frozen=True)
class PutTags:
    """Replace a version's tag set (empty: remove it)."""

    bucket: str
    key: str
    version_id: str
    tags: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PutLock:
    """Replace a version's Object Lock state (retention, legal hold) set after its write."""

    bucket: str
    key: str
    version_id: str
    lock: LockRow


@dataclass(frozen=True)
class PutObjectAcl:
    bucket: str
    key: str
    version_id: str
    acl: dict[str, Any]


@dataclass(frozen=True)
class PutUpload:
    upload: Upload


@dataclass(frozen=True)
class DeleteUpload:
    """Forget an upload and its parts (blobs no completed version uses become free)."""

    upload_id: str


@dataclass(frozen=True)
class PutPart:
    """Store or replace one part of an upload in progress."""

    upload_id: str
    part: Part


@dataclass(frozen=True)
class DeletePart:
    upload_id: str
    number: int


@dataclass(frozen=True)
class PutCompleted:
    """Remember a completed upload's answer for `keep_ms` (a retried Complete gets it again);
    older answers are dropped."""

    completed: Completed
    completed_ms: int
    keep_ms: int


@dataclass(frozen=True)
class DropEvents:
    """Remove damaged event records (`rucket fsck --repair` only)."""

    lsns: tuple[int, ...]


Mutation = (PutBucket | DeleteBucket | PutUser | DeleteUser | AdoptMembers | PutKey | PutKeyScope | DeleteKey
            | PutPolicy | DeletePolicy
            | PutAttachment | DeleteAttachment | PutKmsKey | PutKmsVersion | PutVersion | DeleteVersion | PutTags
            | PutLock | PutObjectAcl | PutUpload | DeleteUpload | PutPart | DeletePart | PutCompleted | DropEvents)


# ---- preconditions ------------------------------------------------------------------
@dataclass(frozen=True)
class BucketIs:
    """The bucket record is exactly `bucket` (None: no such bucket)."""

    name: str
    bucket: Bucket | None


@dataclass(frozen=True)
class BucketExists:
    name: str


@dataclass(frozen=True)
class BucketEmpty:
    """No version (nor delete marker) of any key in the bucket."""

    name: str


@dataclass(frozen=True)
class LatestIs:
    """The key's latest version is (version_id, hlc); version_id None: the key has no version at all."""

    bucket: str
    key: str
    version_id: str | None
    hlc: int = 0


@dataclass(frozen=True)
class VersionIs:
    """Version `version_id` of the key is the one written at `hlc` (None: it does not exist)."""

    bucket: str
    key: str
    version_id: str
    hlc: int | None


@dataclass(frozen=True)
class LockIs:
    """The version's Object Lock record is `lock` (None: never changed since the write)."""

    bucket: str
    key: str
    version_id: str
    lock: LockRow | None


@dataclass(frozen=True)
class UploadOpen:
    """Upload `upload_id` of bucket/key is in progress (not completed, aborted or unknown)."""

    upload_id: str
    bucket: str
    key: str


@dataclass(frozen=True)
class PartsAre:
    """Each listed part of the upload is stored with that blob (parts not listed may be anything)."""

    upload_id: str
    parts: tuple[tuple[int, str | None], ...]  # (part number, blob id)


@dataclass(frozen=True)
class UserExists:
    name: str
    exists: bool = True


@dataclass(frozen=True)
class CanonicalIdFree:
    """No user but `owner` (by name; "" for none) has this canonical id."""

    canonical_id: str
    owner: str = ""


@dataclass(frozen=True)
class KeyExists:
    access_key: str
    exists: bool = True


@dataclass(frozen=True)
class PolicyExists:
    name: str
    exists: bool = True


@dataclass(frozen=True)
class PolicyUnused:
    """The policy is attached to no user."""

    name: str


@dataclass(frozen=True)
class AttachmentExists:
    user: str
    policy: str
    exists: bool = True


@dataclass(frozen=True)
class KmsKeyIs:
    """The KMS key has exactly `versions` versions of material (-1: no such key)."""

    key_id: str
    versions: int


Precondition = (BucketIs | BucketExists | BucketEmpty | LatestIs | VersionIs | LockIs | UploadOpen | PartsAre
                | UserExists | CanonicalIdFree | KeyExists | PolicyExists | PolicyUnused | AttachmentExists
                | KmsKeyIs)


# ---- batch and outcome --------------------------------------------------------------
@dataclass(frozen=True)
class Batch:
    """Applied atomically: every precondition holds, then every mutation in order, then the events."""

    mutations: tuple[Mutation, ...]
    preconditions: tuple[Precondition, ...] = ()
    events: tuple[StorageEvent, ...] = ()  # the store stamps each with its full record


@dataclass(frozen=True)
class Applied:
    """`versions`: each PutVersion as stored (with the store's row id), in batch order. `freed`: blobs
    that were referenced before the batch and no longer are (the engine reclaims them after the
    commit). `lsns`: the LSNs of the batch's events."""

    versions: tuple[ObjectVersion, ...] = ()
    freed: tuple[str, ...] = ()
    lsns: tuple[int, ...] = field(default=())


class Conflict(Exception):
    """A precondition of a batch did not hold; nothing of the batch was applied."""

    def __init__(self, failed: Precondition) -> None:
        super().__init__(f"precondition failed: {failed!r}")
        self.failed = failed
