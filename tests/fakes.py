"""In-memory and temp-dir fakes shared by unit tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from rucket.blobs.local import LocalBlobs
from rucket.core.hlc import HLC, FakeClock
from rucket.engine import Engine
from rucket.engine.store import Store
from rucket.placement.single import SinglePlacement
from rucket.server import sqlite_store
from tests.memstore import MemStore

METASTORES = ("sqlite", "memory")  # every implementation of the metadata seam the engine tests run on
_metastore = ["sqlite"]


@contextlib.contextmanager
def using_metastore(kind: str) -> Iterator[None]:
    """Within the block, `make_engine` builds its metadata store of `kind` (tests/unit/engine/conftest.py)."""
    assert kind in METASTORES, kind
    _metastore.append(kind)
    try:
        yield
    finally:
        _metastore.pop()


def make_store(root: Path, clock: FakeClock, *, inline_limit: int = 64 * 1024, gc_delay_ms: int = 0) -> Store:
    """The store of the current metadata kind: server.py's single-node store, or tests/memstore.py."""
    blobs = LocalBlobs(root, fsync=False)
    if _metastore[-1] == "sqlite":
        return sqlite_store(root / "meta.db", blobs, clock, gc_delay_ms=gc_delay_ms, inline_limit=inline_limit)
    hlc = HLC(clock)
    mem = MemStore(hlc, clock.now_ms, gc_delay_ms)
    return Store(config=mem, index=mem, feed=mem, blobs=blobs, clock=clock, hlc=hlc, placer=SinglePlacement(),
                 inline_limit=inline_limit, gc_delay_ms=gc_delay_ms)


def make_engine(root: Path, *, inline_limit: int = 64 * 1024, clock: FakeClock | None = None,
                gc_delay_ms: int = 0) -> Engine:
    return Engine(make_store(root, clock or FakeClock(), inline_limit=inline_limit, gc_delay_ms=gc_delay_ms))


async def chunks(*parts: bytes):  # type: ignore[no-untyped-def]
    for p in parts:
        yield p
