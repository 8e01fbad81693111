"""Bucket lifecycle: create, look up, list, delete, and configuration updates."""

from __future__ import annotations

import dataclasses
from typing import Any

from rucket.core import errors, names
from rucket.core.model import Bucket
from rucket.core.mutations import BucketEmpty, BucketExists, BucketIs, Conflict, DeleteBucket, PutBucket
from rucket.engine import gc, writes
from rucket.engine.store import Store
from rucket.engine.writes import Plan
from rucket.events.records import EventType, StorageEvent


class Buckets:
    def __init__(self, store: Store) -> None:
        self.s = store

    def get(self, name: str) -> Bucket:
        bucket = self.s.config.get_bucket(name)
        if bucket is None:
            raise errors.BucketNotFound(name)
        return bucket

    def find(self, name: str) -> Bucket | None:
        """The bucket record, or None (authorization decides on a missing bucket itself)."""
        return self.s.config.get_bucket(name)

    def list(self, owner: str | None = None) -> list[Bucket]:
        return [b for b in self.s.config.list_buckets() if owner is None or b.owner == owner]

    async def create(self, name: str, owner: str, *, region: str | None = None,
                     object_lock: bool = False, config: dict[str, Any] | None = None) -> Bucket:
        """`config`: sub-resources set at creation (x-amz-acl, x-amz-object-ownership), in the same commit."""
        names.validate_bucket_name(name)
        hlc = self.s.hlc.now()
        bucket = Bucket(name, owner, self.s.clock.now_ms(), region or self.s.region,
                        versioning="Enabled" if object_lock else "", object_lock=object_lock, config=dict(config or {}))

        def plan() -> Plan[Bucket]:
            existing = self.s.config.get_bucket(name)
            if existing is not None:
                raise (errors.BucketAlreadyOwnedByYou if existing.owner == owner else errors.BucketAlreadyExists)(name)
            return Plan(mutations=[PutBucket(bucket)], preconditions=[BucketIs(name, None)],
                        events=[StorageEvent(EventType.BUCKET_CREATED, hlc, name, payload={"owner": owner})],
                        done=bucket)

        created, _ = await writes.run(self.s.config.apply, plan)  # lost a race: re-plan answers "exists"
        return created

    async def delete(self, name: str) -> None:
        hlc = self.s.hlc.now()

        def explain(c: Conflict) -> Exception | None:
            return (errors.BucketNotFound if isinstance(c.failed, BucketExists) else errors.BucketNotEmpty)(name)

        plan: Plan[None] = Plan(mutations=[DeleteBucket(name)],  # uploads in progress go with it, as on S3
                                preconditions=[BucketExists(name), BucketEmpty(name)],
                                events=[StorageEvent(EventType.BUCKET_DELETED, hlc, name)])
        _, applied = await writes.run(self.s.config.apply, lambda: plan, explain)
        gc.reclaim(self.s, applied.freed, "bucket.before_reclaim")  # only once the delete committed

    async def update(self, name: str, *, versioning: str | None = None,
                     config: dict[str, Any] | None = None) -> Bucket:
        """Change versioning and/or config sub-resources (a value of None in `config` removes it).
        Applied on the record as read; a concurrent change to the same bucket makes it re-read."""
        hlc = self.s.hlc.now()

        def plan() -> Plan[Bucket]:
            bucket = self.get(name)
            merged = dict(bucket.config)
            for k, v in (config or {}).items():
                if v is None:
                    merged.pop(k, None)
                else:
                    merged[k] = v
            new = dataclasses.replace(bucket, versioning=versioning or bucket.versioning, config=merged)
            return Plan(mutations=[PutBucket(new)], preconditions=[BucketIs(name, bucket)],
                        events=[StorageEvent(EventType.BUCKET_CONFIG, hlc, name,
                                             payload={"versioning": new.versioning, "keys": sorted(config or {})})],
                        done=new)

        updated, _ = await writes.run(self.s.config.apply, plan)
        return updated
