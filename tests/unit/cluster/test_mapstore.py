"""The cluster map in etcd: canonical encoding, bootstrap once, compare-and-swap proposals."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from tests.unit.cluster.solo import solo_config

from rucket.cluster.etcd import EtcdSupervisor
from rucket.cluster.etcd_client import EtcdClient
from rucket.cluster.mapstore import MapStore, StaleMap, decode, encode
from rucket.placement.straw2 import ClusterMap, Node

PORT = 9790  # etcd client 9792, peer 9793
THREE = ClusterMap(1, (Node("n1", "z1"), Node("n2", "z2"), Node("n3", "z3", 0x20000)))


def test_encoding_is_canonical_and_round_trips() -> None:
    shuffled = ClusterMap(1, tuple(reversed(THREE.nodes)))
    assert encode(shuffled) == encode(THREE)
    assert decode(encode(THREE)) == THREE
    with pytest.raises(ValueError):
        decode(b'{"format": 2}')


@pytest.fixture(scope="module")
def etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    supervisor = EtcdSupervisor(solo_config(Path(tmp_path_factory.mktemp("etcd")), PORT))
    loop = asyncio.new_event_loop()
    loop.run_until_complete(supervisor.start())
    yield f"127.0.0.1:{PORT + 2}"
    loop.run_until_complete(supervisor.stop())
    loop.close()


def run(endpoint: str, key: bytes, scenario: Callable[[MapStore], Awaitable[None]]) -> None:
    async def go() -> None:
        client = EtcdClient([endpoint], deadline=15.0, attempt_timeout=2.0)
        try:
            await scenario(MapStore(client, key))
        finally:
            await client.close()

    asyncio.run(go())


def test_bootstrap_stores_the_first_map_once(etcd: str) -> None:
    async def scenario(store: MapStore) -> None:
        assert await store.load() is None
        first = await store.bootstrap(THREE)
        assert first.cmap == THREE
        other = ClusterMap(1, (Node("x1", "z1"),))
        assert (await store.bootstrap(other)).cmap == THREE  # a second bootstrap never replaces it
        with pytest.raises(ValueError):
            await store.bootstrap(THREE.with_node(Node("n4", "z1")))

    run(etcd, b"/test/bootstrap", scenario)


def test_concurrent_proposals_from_one_base_have_exactly_one_winner(etcd: str) -> None:
    async def scenario(store: MapStore) -> None:
        base = await store.bootstrap(THREE)
        a, b = THREE.with_node(Node("n4", "z1")), THREE.without("n2")
        results = await asyncio.gather(store.propose(base, a), store.propose(base, b), return_exceptions=True)
        winners = [r for r in results if not isinstance(r, BaseException)]
        assert len(winners) == 1 and sum(isinstance(r, StaleMap) for r in results) == 1
        current = await store.load()
        assert current is not None and current.cmap == winners[0].cmap and current.cmap.epoch == 2
        with pytest.raises(StaleMap):
            await store.propose(base, a)  # the loser re-reads and recomputes instead
        nxt = await store.propose(current, current.cmap.with_node(Node("n5", "z2")))
        assert nxt.cmap.epoch == 3 and nxt.revision > current.revision

    run(etcd, b"/test/propose", scenario)


def test_a_proposal_must_be_the_next_epoch(etcd: str) -> None:
    async def scenario(store: MapStore) -> None:
        base = await store.bootstrap(THREE)
        skipping = ClusterMap(5, THREE.nodes)
        with pytest.raises(ValueError):
            await store.propose(base, skipping)

    run(etcd, b"/test/epoch", scenario)
