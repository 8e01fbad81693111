"""Bucket lifecycle: create, look up, list, delete, and configuration updates."""

from __future__ import annotations

import dataclasses
from typing import Any

from rucket.core import errors, names
from rucket.core.model import Bucket
from rucket.engine.store import Store, emit
from rucket.events.records import EventType, StorageEvent
from rucket.meta.tx import Tx


class Buckets:
    def __init__(self, store: Store) -> None:
        self.s = store

    def get(self, name: str) -> Bucket:
        bucket = self.s.meta.get_bucket(name)
        if bucket is None:
            raise errors.BucketNotFound(name)
        return bucket

    def list(self, owner: str | None = None) -> list[Bucket]:
        return [b for b in self.s.meta.list_buckets() if owner is None or b.owner == owner]

    async def create(self, name: str, owner: str, *, region: str | None = None,
                     object_lock: bool = False, config: dict[str, Any] | None = None) -> Bucket:
        """`config`: sub-resources set at creation (x-amz-acl, x-amz-object-ownership), in the same commit."""
        names.validate_bucket_name(name)
        hlc = self.s.hlc.now()
        bucket = Bucket(name, owner, self.s.clock.now_ms(), region or self.s.region,
                        versioning="Enabled" if object_lock else "", object_lock=object_lock, config=dict(config or {}))

        def txn(tx: Tx) -> Bucket:
            existing = tx.bucket(name)
            if existing is not None:
                raise (errors.BucketAlreadyOwnedByYou if existing.owner == owner else errors.BucketAlreadyExists)(name)
            tx.insert_bucket(bucket)
            emit(tx, StorageEvent(EventType.BUCKET_CREATED, hlc, name, payload={"owner": owner}))
            return bucket

        return await self.s.meta.write(txn)

    async def delete(self, name: str) -> None:
        hlc = self.s.hlc.now()

        def txn(tx: Tx) -> list[str]:
            if tx.bucket(name) is None:
                raise errors.BucketNotFound(name)
            if not tx.bucket_is_empty(name):
                raise errors.BucketNotEmpty(name)
            orphans = tx.delete_bucket_uploads(name)  # uploads in progress go with the bucket, as on S3
            tx.delete_bucket(name)
            emit(tx, StorageEvent(EventType.BUCKET_DELETED, hlc, name))
            return orphans

        for blob_id in await self.s.meta.write(txn):  # unlinked only once the delete committed
            self.s.blobs.delete(blob_id)

    async def update(self, name: str, *, versioning: str | None = None,
                     config: dict[str, Any] | None = None) -> Bucket:
        """Change versioning and/or config sub-resources (a value of None in `config` removes it)."""
        hlc = self.s.hlc.now()

        def txn(tx: Tx) -> Bucket:
            bucket = tx.bucket(name)
            if bucket is None:
                raise errors.BucketNotFound(name)
            merged = dict(bucket.config)
            for k, v in (config or {}).items():
                if v is None:
                    merged.pop(k, None)
                else:
                    merged[k] = v
            new = dataclasses.replace(bucket, versioning=versioning or bucket.versioning, config=merged)
            tx.update_bucket(new)
            emit(tx, StorageEvent(EventType.BUCKET_CONFIG, hlc, name,
                                  payload={"versioning": new.versioning, "keys": sorted(config or {})}))
            return new

        return await self.s.meta.write(txn)
