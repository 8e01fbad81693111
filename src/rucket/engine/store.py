"""The engine's dependencies, built once by the composition root and shared by every part."""

from __future__ import annotations

from dataclasses import dataclass

from rucket.blobs.local import LocalBlobs
from rucket.core.hlc import HLC, Clock
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

