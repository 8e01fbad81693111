"""Deferred blob GC: bytes are freed late, and start-up recovery reads two small places only.

A batch that stops referencing a blob (overwrite, delete, abort, a replaced part) queues it
in the `gc` table in the same transaction, due `gc_delay` later. Until then a GET that
already read the old version — a multipart object streams part after part — still finds
its bytes; in a cluster the delay will also wait for every replica to see the delete. The
worker frees what is due, re-checking references first (a copy may have come to share the
blob), and trims the event log by its retention in the same loop.

With `gc_delay` 0 the engine frees right after the commit, as releases before this one
did; the queued rows then only make a crash between commit and unlink harmless.

Start-up recovery (`recover`) runs before any request, so no reader can hold an old
version: it frees every queued blob, and empties tmp/ (a temp file whose blob was linked
but never committed takes that blob with it, see blobs/local.py). No walk of every blob.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from rucket.core import faults
from rucket.engine.store import Store

BATCH = 1000
log = logging.getLogger("rucket.gc")


def reclaim(store: Store, blob_ids: Sequence[str], fault: str) -> None:
    """After a commit that freed `blob_ids`: unlink now only when no delay is configured."""
    faults.point(fault)
    if store.gc_delay_ms == 0:
        for blob_id in blob_ids:
            store.blobs.delete(blob_id)


@dataclass
class PassResult:
    freed: int = 0
    events_trimmed: int = 0


class BlobGC:
    def __init__(self, store: Store, interval_s: float = 30.0, batch: int = BATCH) -> None:
        self.s, self.interval_s, self.batch = store, interval_s, batch
        self.last_pass: PassResult | None = None

    async def free_due(self) -> int:
        """Free every blob whose delay has passed; returns how many were unlinked."""
        total = 0
        while due := self.s.index.gc_due(self.s.clock.now_ms(), self.batch):
            free = await self.s.index.gc_claim(due)
            for blob_id in free:  # unlink before forgetting: a crash in between only repeats the unlink
                self.s.blobs.delete(blob_id)
            await self.s.index.gc_forget(free)
            total += len(free)
            if len(due) < self.batch:
                break
        return total

    async def run_once(self) -> PassResult:
        result = PassResult(await self.free_due(), await self.s.feed.trim())
        self.last_pass = result
        return result

    async def run_forever(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self.interval_s)


def recover(store: Store) -> tuple[int, int]:
    """Start-up: (temp files removed, blobs freed). Reads tmp/ and the gc table only."""
    tmp_removed, orphans = store.blobs.recover(store.index.is_referenced)
    queued = sorted(store.index.gc_pending())
    for lo in range(0, len(queued), BATCH):
        free = store.index.gc_claim_sync(queued[lo:lo + BATCH])
        for blob_id in free:
            store.blobs.delete(blob_id)
        store.index.gc_forget_sync(free)
        orphans += len(free)
    return tmp_removed, orphans
