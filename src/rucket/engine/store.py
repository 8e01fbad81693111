"""The engine's dependencies, built once by the composition root and shared by every part."""

from __future__ import annotations

from dataclasses import dataclass

from rucket.blobs.local import LocalBlobs
from rucket.core.hlc import HLC, Clock
from rucket.events import log
from rucket.events.log import DEFAULT_RETENTION_MS, SqliteFeed
from rucket.meta.node import Node
from rucket.meta.sqlite import SqliteMeta
from rucket.placement.base import Placer


@dataclass
class Store:
    meta: SqliteMeta
    blobs: LocalBlobs
    clock: Clock
    hlc: HLC
    placer: Placer
    region: str = "us-east-1"
    inline_limit: int = 64 * 1024
    lifecycle_day_ms: int = 86_400_000  # a lifecycle "day"; RUCKET_LIFECYCLE_TIME_SCALE shortens it
    master_key: str = ""  # configured base64 master key; "" = data/master.key (engine/secrets.py)
    gc_delay_ms: int = 0  # how long a freed blob stays for readers that already hold its version (engine/gc.py)
    feed_retention_ms: int = DEFAULT_RETENTION_MS  # events/log.py

    def __post_init__(self) -> None:
        self.meta.bind(Node(self.hlc, self.clock.now_ms, lambda b, k: self.placer.place(b, k).pg, self.region,
                            self.gc_delay_ms, log.append))
        self.feed: SqliteFeed = SqliteFeed.over(self.meta, self.clock, self.feed_retention_ms)

