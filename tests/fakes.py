"""In-memory and temp-dir fakes shared by unit tests."""

from __future__ import annotations

from pathlib import Path

from rucket.blobs.local import LocalBlobs
from rucket.core.hlc import HLC, FakeClock
from rucket.engine import Engine
from rucket.engine.store import Store
from rucket.meta.sqlite import SqliteMeta
from rucket.placement.single import SinglePlacement


def make_engine(root: Path, *, inline_limit: int = 64 * 1024, clock: FakeClock | None = None) -> Engine:
    clock = clock or FakeClock()
    meta = SqliteMeta(root / "meta.db")
    store = Store(config=meta, index=meta, feed=meta, blobs=LocalBlobs(root, fsync=False), clock=clock,
                  hlc=HLC(clock), placer=SinglePlacement(), inline_limit=inline_limit)
    return Engine(store)


async def chunks(*parts: bytes):  # type: ignore[no-untyped-def]
    for p in parts:
        yield p
