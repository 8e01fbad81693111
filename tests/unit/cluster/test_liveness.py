"""Lease keepers on a real etcd: renewed keys stay, a stopped node's key expires, a clean leave is instant."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rucket.cluster.etcd import EtcdSupervisor, MemberAddress, MemberConfig
from rucket.cluster.etcd_client import EtcdClient
from rucket.cluster.failure import Membership, State
from rucket.cluster.liveness import LeaseKeeper, alive_nodes, apply_leases
from rucket.core.hlc import FakeClock

PORT = 9780  # etcd client 9782, peer 9783


def test_keepers_announce_renew_expire_and_leave(tmp_path: Path) -> None:
    me = MemberAddress("solo", "127.0.0.1", PORT)
    supervisor = EtcdSupervisor(MemberConfig(me, (me,), tmp_path, b"y" * 16))

    async def scenario() -> None:
        await supervisor.start()
        client = EtcdClient([f"127.0.0.1:{PORT + 2}"], deadline=10.0, attempt_timeout=2.0)
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
            await client.close()
            await supervisor.stop()

    asyncio.run(scenario())


def test_keeper_re_announces_after_its_lease_expired(tmp_path: Path) -> None:
    me = MemberAddress("solo", "127.0.0.1", PORT)
    supervisor = EtcdSupervisor(MemberConfig(me, (me,), tmp_path, b"y" * 16))

    async def scenario() -> None:
        await supervisor.start()
        client = EtcdClient([f"127.0.0.1:{PORT + 2}"], deadline=10.0, attempt_timeout=2.0)
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
            await client.close()
            await supervisor.stop()

    asyncio.run(scenario())


def test_ttl_below_etcd_minimum_is_refused() -> None:
    with pytest.raises(ValueError):
        LeaseKeeper(EtcdClient(["127.0.0.1:1"]), "n1", ttl_s=1)
