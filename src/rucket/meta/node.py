"""What the metadata writer stamps on every mutation of this node.

One HLC per node (seeded from disk, re-seeded from the log at every batch so several worker
processes share one clock through the database), the placement group of a key, the region
this node belongs to, and how long a freed blob waits for the GC. The composition root fills
it through `Store`; the defaults serve a bare `SqliteMeta` in tests and tools.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from rucket.core.events import StorageEvent
from rucket.core.hlc import HLC, SystemClock

Append = Callable[[sqlite3.Connection, StorageEvent], int]  # events.log.append: writes the row, returns the LSN


def _pg0(bucket: str, key: str) -> int:
    return 0


def _unbound(conn: sqlite3.Connection, ev: StorageEvent) -> int:
    raise RuntimeError("SqliteMeta.bind(Node(append=...)) must run before the first event is written")


@dataclass
class Node:
    hlc: HLC = field(default_factory=lambda: HLC(SystemClock()))
    now_ms: Callable[[], int] = field(default_factory=lambda: SystemClock().now_ms)
    pg_of: Callable[[str, str], int] = _pg0
    region: str = ""
    gc_delay_ms: int = 0
    append: Append = _unbound
