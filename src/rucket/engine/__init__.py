"""The storage engine: buckets, objects and listing over meta/, blobs/, events/ and placement/."""

from __future__ import annotations

from typing import Any

from rucket.core.model import ListPage
from rucket.engine import gc
from rucket.engine.acl import Acls
from rucket.engine.bucket_config import BucketConfig
from rucket.engine.buckets import Buckets
from rucket.engine.copy import Copier
from rucket.engine.encryption import Encryption
from rucket.engine.feed import Feed
from rucket.engine.listing import ListQuery, list_objects
from rucket.engine.lock import ObjectLock
from rucket.engine.multipart import Multipart
from rucket.engine.objects import Objects
from rucket.engine.scrub import IntegrityStats
from rucket.engine.store import Store
from rucket.engine.tagging import Tagging
from rucket.engine.versioning import Versioning


class Engine:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.buckets = Buckets(store)
        self.objects = Objects(store)
        self.multipart = Multipart(store, self.objects)
        self.copier = Copier(store, self.objects, self.multipart)
        self.encryption = Encryption(store)  # SSE data keys and the built-in KMS
        self.versioning = Versioning(store, self.buckets)
        self.tagging = Tagging(store)
        self.bucket_config = BucketConfig(self.buckets)
        self.lock = ObjectLock(store)
        self.acls = Acls(store)
        self.feed = Feed(store)  # the event feed and its consumers (admin API)

    # ---- what s3/ and admin/ read besides the resources (they never reach into `store`) ----
    def now_ms(self) -> int:
        return self.store.clock.now_ms()

    def generation(self) -> int | None:
        """Changes with every metadata commit; None when reads must not be cached (s3/policy.py)."""
        return self.store.index.generation()

    def usage(self) -> list[tuple[str, int, int]]:
        """(bucket, live objects, bytes) per bucket."""
        return self.store.index.usage()

    def last_lsn(self) -> int:
        return self.store.feed.last_lsn()

    def first_lsn(self) -> int:
        """The oldest LSN retention kept."""
        return self.store.feed.first_lsn()

    def events_after(self, lsn: int, limit: int) -> list[tuple[Any, ...]]:
        """Encoded event records after `lsn` (rucket.events.records.decode reads them)."""
        return self.store.feed.rows_after(lsn, limit)

    def integrity_stats(self) -> IntegrityStats:
        return self.store.blobs.stats  # type: ignore[no-any-return]

    def list_objects(self, q: ListQuery) -> ListPage:
        self.buckets.get(q.bucket)
        return list_objects(self.store.index, q)

    def recover(self) -> tuple[int, int]:
        """Start-up: empty tmp/ and free the blobs queued for GC (engine/gc.py); no walk of every blob."""
        return gc.recover(self.store)

    def close(self) -> None:
        self.store.index.close()
