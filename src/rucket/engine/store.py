"""The engine's dependencies, built once by the composition root and shared by every part.

Only Protocols (DESIGN.md §6): which metadata store, event feed or blob store sits behind
them is decided in server.py (SQLite, its event log, local files) or a test
(tests/memstore.py), never here.
"""

from __future__ import annotations

from dataclasses import dataclass

from rucket.blobs.base import BlobStore
from rucket.core.hlc import HLC, Clock
from rucket.meta.base import ConfigStore, EventFeed, ObjectIndex
from rucket.placement.base import Placer


@dataclass
class Store:
    config: ConfigStore
    index: ObjectIndex
    feed: EventFeed
    blobs: BlobStore
    clock: Clock
    hlc: HLC
    placer: Placer
    region: str = "us-east-1"
    inline_limit: int = 64 * 1024
    lifecycle_day_ms: int = 86_400_000  # a lifecycle "day"; RUCKET_LIFECYCLE_TIME_SCALE shortens it
    master_key: str = ""  # configured base64 master key; "" = data/master.key (engine/secrets.py)
    kms_default_key: str = ""  # KMS key of aws:kms writes that name none (config kms_default_key)
    gc_delay_ms: int = 0  # how long a freed blob stays for readers that already hold its version (engine/gc.py)
