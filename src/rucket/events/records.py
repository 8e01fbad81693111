"""StorageEvent: the record every mutation appends to the event log, with a CRC32.

The log is the outbox for replication, notifications, audit and the conflict log; the
CRC lets a reader stop at the first damaged record instead of replaying garbage.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class EventType(Enum):
    BUCKET_CREATED = "BucketCreated"
    BUCKET_DELETED = "BucketDeleted"
    BUCKET_CONFIG = "BucketConfigChanged"
    OBJECT_PUT = "ObjectPut"
    OBJECT_DELETED = "ObjectDeleted"
    DELETE_MARKER = "DeleteMarkerCreated"
    VERSION_DELETED = "VersionDeleted"
    OBJECT_ACL = "ObjectAclChanged"
    IAM_CHANGED = "IamChanged"  # users, keys, identity policies (bucket "")
    OBJECT_TAGS = "ObjectTagsChanged"
    KMS_CHANGED = "KmsKeyChanged"  # built-in KMS key created / rotated (bucket ""): engine/kms.py
    OBJECT_LOCK = "ObjectLockChanged"  # retention / legal hold after the write: engine/lock.py
    UPLOAD_CREATED = "MultipartUploadCreated"  # multipart: engine/multipart.py
    PART_UPLOADED = "MultipartPartUploaded"
    UPLOAD_ABORTED = "MultipartUploadAborted"


@dataclass(frozen=True)
class StorageEvent:
    type: EventType
    hlc: int
    bucket: str
    key: str | None = None
    version_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    lsn: int = 0


class CorruptEvent(Exception):
    """A record's CRC does not match: the log is damaged from this LSN on."""


def _crc(hlc: int, etype: str, bucket: str, key: str | None, version_id: str | None, payload: str) -> int:
    body = "\x00".join((str(hlc), etype, bucket, key or "", version_id or "", payload))
    return zlib.crc32(body.encode("utf-8"))


def encode(ev: StorageEvent) -> tuple[Any, ...]:
    payload = json.dumps(ev.payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    crc = _crc(ev.hlc, ev.type.value, ev.bucket, ev.key, ev.version_id, payload)
    return (ev.hlc, ev.type.value, ev.bucket, ev.key, ev.version_id, payload, crc)


def decode(row: tuple[Any, ...]) -> StorageEvent:
    lsn, hlc, etype, bucket, key, version_id, payload, crc = row
    if _crc(hlc, etype, bucket, key, version_id, payload) != crc:
        raise CorruptEvent(f"event LSN {lsn} fails its CRC32 check")
    return StorageEvent(EventType(etype), hlc, bucket, key, version_id, json.loads(payload), lsn)
