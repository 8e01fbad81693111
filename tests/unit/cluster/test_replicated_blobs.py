"""Replicated blob store pieces without a cluster: holder ids in blob ids, read order, the quorum wait,
and a write/read through real internal API servers of three in-process "nodes"."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from rucket.blobs.local import LocalBlobs
from rucket.cluster import wire
from rucket.cluster.blobs import DURABILITY, BlobRoutes, ReplicatedBlobs, holders_of, quorum_gather
from rucket.cluster.internal import InternalApi, PeerClient
from rucket.cluster.signing import Signer, Verifier
from rucket.core.checksums import md5
from rucket.core.errors import Unavailable
from rucket.core.hlc import HLC, SystemClock

SECRET = b"0123456789abcdef0123"


def test_blob_ids_name_their_holders() -> None:
    assert holders_of("ab" * 16 + ".n1.n2.n3-00ff00ff00ff00ff") == ("n1", "n2", "n3")
    assert holders_of("ab" * 16 + "-00ff00ff00ff00ff") == ()  # a single-node blob


def test_quorum_gather_stops_waiting_for_stragglers() -> None:
    async def run() -> list[object]:
        async def fast(v: int) -> int:
            return v

        async def stuck() -> int:
            await asyncio.Event().wait()
            return 0

        return await quorum_gather([fast(1), stuck(), fast(2)], 2, timeout=30, grace=0.05)

    ok1, slow, ok2 = asyncio.run(run())
    assert (ok1, ok2) == (1, 2) and isinstance(slow, TimeoutError)


class Fleet:
    """Three nodes' LocalBlobs behind real internal API servers; node i's view of the others."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ids = ["n1", "n2", "n3"]
        self.locals = {n: LocalBlobs(root / n) for n in self.ids}
        self.addresses: dict[str, str] = {}
        self.down: set[str] = set()
        self.servers: list[wire.Server] = []

    async def start(self) -> None:
        clock = SystemClock()
        for n in self.ids:
            api = InternalApi(Verifier(SECRET, clock), HLC(clock))
            BlobRoutes(self.locals[n]).install(api)
            server = wire.Server(api)
            await server.start("127.0.0.1", 0)
            self.servers.append(server)
            self.addresses[n] = f"127.0.0.1:{server.port}"

    def store(self, me: str) -> ReplicatedBlobs:
        fleet = self

        class View:
            node_id = me

            def holders_for(self, pg_key: str) -> tuple[str, ...]:
                return tuple(fleet.ids)

            def reachable(self, node_id: str) -> bool:
                return node_id not in fleet.down

            def internal_of(self, node_id: str) -> str | None:
                return fleet.addresses[node_id]

            def zone_of(self, node_id: str) -> str:
                return "z"

        return ReplicatedBlobs(self.locals[me], View(), PeerClient(Signer(SECRET, me, SystemClock())))

    async def stop(self) -> None:
        for s in self.servers:
            await s.stop()


async def _put(store: ReplicatedBlobs, body: bytes) -> str:
    w = store.writer({"MD5": md5()}, 1024)
    for i in range(0, len(body), 100_000):
        await w.write(body[i:i + 100_000])
    written = await w.finish()
    assert written.blob_id is not None
    return written.blob_id


def test_write_goes_to_every_holder_and_reads_fall_back(tmp_path: Path) -> None:
    async def run() -> None:
        fleet = Fleet(tmp_path)
        await fleet.start()
        body = os.urandom(3_000_000)
        n1 = fleet.store("n1")
        blob_id = await _put(n1, body)
        for n in fleet.ids:
            assert fleet.locals[n].path(blob_id).read_bytes() == body
        fleet.locals["n1"].path(blob_id).unlink()
        assert b"".join([c async for c in n1.read(blob_id, 0, len(body))]) == body
        assert b"".join([c async for c in n1.read(blob_id, 10, 2_000_000)]) == body[10:2_000_000]
        await fleet.stop()

    asyncio.run(run())


def test_durable_write_without_every_holder_fails_and_keeps_nothing(tmp_path: Path) -> None:
    async def run() -> None:
        fleet = Fleet(tmp_path)
        await fleet.start()
        fleet.down.add("n3")
        n1 = fleet.store("n1")
        DURABILITY.set("durable")
        with pytest.raises(Unavailable):
            await _put(n1, os.urandom(2_000_000))
        DURABILITY.set("replicated")
        blob_id = await _put(n1, os.urandom(2_000_000))
        assert not fleet.locals["n3"].path(blob_id).exists() and fleet.locals["n2"].path(blob_id).exists()
        await asyncio.sleep(0.2)  # the background deletes of the refused write's copies
        assert sorted(fleet.locals["n1"].files()) == [blob_id] == sorted(fleet.locals["n2"].files())
        await fleet.stop()

    asyncio.run(run())
