"""The event feed as the admin API and consumers see it: the engine's door to `Store.feed`.

Readers page by LSN; named consumers (replicators, notification senders) register, read what
they have not processed and move their checkpoint; one gone longer than the retention gets
ResyncRequired (events/log.py explains the rules). s3/ and admin/ never reach the store.
"""

from __future__ import annotations

from rucket.engine.store import Store
from rucket.events.log import Consumer
from rucket.events.records import StorageEvent


class Feed:
    """Consumers; paging by LSN is Engine.last_lsn / first_lsn / events_after."""

    def __init__(self, store: Store) -> None:
        self.s = store

    @property
    def retention_ms(self) -> int:
        return int(self.s.feed.retention_ms)

    def consumers(self) -> list[tuple[Consumer, bool]]:
        """Every consumer with its resync flag."""
        return [(c, self.s.feed.resync_required(c)) for c in self.s.feed.list_consumers()]

    def pending(self, name: str, limit: int) -> list[StorageEvent]:
        """What consumer `name` has not processed yet (UnknownConsumer, ResyncRequired)."""
        return self.s.feed.read_for(name, limit)

    async def register(self, name: str, from_lsn: int | None = None) -> tuple[Consumer, bool]:
        c = await self.s.feed.register(name, from_lsn)
        return c, self.s.feed.resync_required(c)

    async def checkpoint(self, name: str, lsn: int) -> tuple[Consumer, bool]:
        c = await self.s.feed.checkpoint(name, lsn)
        return c, self.s.feed.resync_required(c)

    async def unregister(self, name: str) -> bool:
        return await self.s.feed.unregister(name)
