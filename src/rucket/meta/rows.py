"""Row <-> record conversion, in one place so the column order is written down once."""

from __future__ import annotations

import json
from typing import Any

from rucket.core.model import Bucket, ObjectVersion

VERSION_COLS = ("v.id, v.bucket, v.key, v.version_id, v.delete_marker, v.blob_id, v.size, v.etag, "
                "v.mtime_ms, v.hlc, v.owner, v.storage_class, v.attrs")


def bucket_from_row(row: tuple[Any, ...]) -> Bucket:
    name, owner, created_ms, region, versioning, object_lock, config = row
    return Bucket(name, owner, created_ms, region, versioning, bool(object_lock), json.loads(config))


def version_from_row(row: tuple[Any, ...], *, is_latest: bool, data: bytes | None = None) -> ObjectVersion:
    (row_id, bucket, key, version_id, dm, blob_id, size, etag, mtime_ms, hlc, owner, sclass, attrs) = row
    a = json.loads(attrs)
    return ObjectVersion(
        bucket=bucket, key=key, version_id=version_id, row_id=row_id, size=size, etag=etag,
        mtime_ms=mtime_ms, hlc=hlc, owner=owner, blob_id=blob_id, delete_marker=bool(dm),
        is_latest=is_latest, storage_class=sclass, headers=a.get("h", {}), user_meta=a.get("m", {}),
        checksums=a.get("c", {}), extra=a.get("x", {}), data=data)


def attrs_json(v: ObjectVersion) -> str:
    a: dict[str, Any] = {}
    for name, value in (("h", v.headers), ("m", v.user_meta), ("c", v.checksums), ("x", v.extra)):
        if value:
            a[name] = value
    return json.dumps(a, separators=(",", ":"), ensure_ascii=False)
