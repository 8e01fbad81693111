"""Lease keepers on a real etcd: renewed keys stay, a stopped node's key expires, a clean leave is instant."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from tests.unit.cluster.solo import solo_etcd

from rucket.cluster.etcd_client import EtcdClient
from rucket.cluster.failure import Membership, State
from rucket.cluster.liveness import LeaseKeeper, alive_nodes, apply_leases
from rucket.core.hlc import FakeClock

PORT = 9780  # etcd client 9782, peer 9783


async def _announce_renew_expire_and_leave(client: EtcdClient) -> None:
    keepers = [LeaseKeeper(client, node, ttl_s=2) for node in ("n1", "n2", "n3")]
    try:
        for keeper in keepers:
            await keeper.start()
        await asyncio.sleep(3)  # longer than the TTL: only renewals keep them
        assert await alive_nodes(client) == {"n1", "n2", "n3"}
        await keepers[1].stop(revoke=False)  # n2 "crashes": no revoke, its lease runs out
        await keepers[2].stop()  # n3 leaves cleanly: gone at once
        assert await alive_nodes(client) == {"n1", "n2"}
        await asyncio.sleep(3.5)
        assert await alive_nodes(client) == {"n1"}
        assert keepers[0].running and keepers[0].grants == 1
        membership = Membership("n1", "z", FakeClock())
        for node in ("n2", "n3"):
            membership.add(node, "z")
        apply_leases(membership, await alive_nodes(client))
        assert [t.new for t in membership.tick()] == [State.SUSPECT, State.SUSPECT]
        assert [t.new for t in membership.tick()] == [State.DOWN, State.DOWN]  # lease expiry suffices
    finally:
        for keeper in keepers:
            await keeper.stop()


async def _re_announce(client: EtcdClient) -> None:
    keeper = LeaseKeeper(client, "n1", ttl_s=2)
    try:
        await keeper.start()
        assert keeper.lease is not None
        await client.revoke_lease(keeper.lease)  # as if paused past the TTL
        assert await alive_nodes(client) == frozenset()
        for _ in range(40):
            if await alive_nodes(client) == {"n1"}:
                break
            await asyncio.sleep(0.1)
        assert await alive_nodes(client) == {"n1"} and keeper.grants == 2
    finally:
        await keeper.stop()


@pytest.mark.parametrize("scenario", [_announce_renew_expire_and_leave, _re_announce],
                         ids=["announce-renew-expire-leave", "re-announce-after-expiry"])
def test_lease_keepers(tmp_path: Path, scenario: Callable[[EtcdClient], Awaitable[None]]) -> None:
    async def run() -> None:
        async with solo_etcd(tmp_path, PORT) as (_, client):
            await scenario(client)

    asyncio.run(run())


def test_ttl_below_etcd_minimum_is_refused() -> None:
    with pytest.raises(ValueError):
        LeaseKeeper(EtcdClient(["127.0.0.1:1"]), "n1", ttl_s=1)
