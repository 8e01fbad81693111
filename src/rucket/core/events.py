"""The event types and the event itself, shared by the writer (meta/) and the feed (events/).

They live in core so the metadata layer can stamp full records into events without importing
its peer `events/`; events/records.py re-exports them with the CRC32 encoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

# Column order of an event row, as events.records.encode writes it (after the LSN) and decode reads it.
EVENT_COLS = "lsn, hlc, type, bucket, key, version_id, payload, crc32, pg, region, record"


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
    UPLOAD_COMPLETED = "MultipartUploadCompleted"  # the upload is gone; its version came in ObjectPut


@dataclass(frozen=True)
class StorageEvent:
    type: EventType
    hlc: int
    bucket: str
    key: str | None = None
    version_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    lsn: int = 0
    pg: int = 0
    region: str = ""
    record: dict[str, Any] | None = None  # None: written by a release before full records
