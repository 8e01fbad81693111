"""In-memory and temp-dir fakes shared by unit tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from rucket.blobs.local import LocalBlobs
from rucket.core.hlc import HLC, FakeClock
from rucket.engine import Engine
from rucket.engine.store import Store
from rucket.meta.sqlite import SqliteMeta
from rucket.placement.single import SinglePlacement
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


def make_meta(root: Path) -> SqliteMeta | MemStore:
    return MemStore() if _metastore[-1] == "memory" else SqliteMeta(root / "meta.db")


def make_engine(root: Path, *, inline_limit: int = 64 * 1024, clock: FakeClock | None = None) -> Engine:
    clock = clock or FakeClock()
    meta = make_meta(root)
    store = Store(config=meta, index=meta, feed=meta, blobs=LocalBlobs(root, fsync=False), clock=clock,
                  hlc=HLC(clock), placer=SinglePlacement(), inline_limit=inline_limit)
    return Engine(store)


async def chunks(*parts: bytes):  # type: ignore[no-untyped-def]
    for p in parts:
        yield p
