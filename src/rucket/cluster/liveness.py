"""Liveness through etcd leases: each node keeps `/rucket/nodes/alive/<id>` alive, all nodes read the set.

This is the failure detector's second source of "down" (cluster/failure.py): phi accrual is this
node's opinion, a lease that expired is etcd's quorum agreeing the node stopped renewing. A node
renews every ttl/3, so one lost renewal never expires it; after a pause longer than the TTL (a
SIGSTOP, a partition from the etcd majority) its key is gone and it re-grants a lease as soon as
it can reach etcd again. Leaving cleanly revokes the lease, so peers see the node gone at once
instead of after the TTL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from rucket.cluster.etcd_client import EtcdClient, EtcdUnavailable
from rucket.cluster.failure import Membership

ALIVE_PREFIX = b"/rucket/nodes/alive/"
log = logging.getLogger("rucket.cluster.liveness")


class LeaseKeeper:
    def __init__(self, client: EtcdClient, node_id: str, *, ttl_s: int = 5) -> None:
        if ttl_s < 2:
            raise ValueError("etcd grants leases of at least 2 s")
        self.client, self.node_id, self.ttl_s = client, node_id, ttl_s
        self.lease: int | None = None
        self.grants = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def key(self) -> bytes:
        return ALIVE_PREFIX + self.node_id.encode()

    async def start(self) -> None:
        """Announce this node (raises if etcd is unreachable: a node that cannot announce is not ready)."""
        await self._grant()
        self._task = asyncio.create_task(self._keep(), name=f"lease-{self.node_id}")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _grant(self) -> None:
        self.lease = await self.client.lease(self.ttl_s)
        await self.client.put(self.key, self.node_id.encode(), lease=self.lease)
        self.grants += 1

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.ttl_s / 3)
            try:
                assert self.lease is not None
                if await self.client.refresh_lease(self.lease, deadline=self.ttl_s / 3) == 0:
                    log.warning("lease of %s expired (paused or cut off longer than %d s); re-announcing",
                                self.node_id, self.ttl_s)
                    await self._grant()
            except EtcdUnavailable as exc:  # keep trying: the next round may reach a member again
                log.warning("lease refresh of %s failed: %s", self.node_id, exc)

    async def stop(self, *, revoke: bool = True) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        if revoke and self.lease is not None:
            with contextlib.suppress(EtcdUnavailable):
                await self.client.revoke_lease(self.lease, deadline=2.0)
            self.lease = None


async def alive_nodes(client: EtcdClient) -> frozenset[str]:
    """Nodes whose lease is alive right now (one linearizable range read)."""
    return frozenset(kv.key[len(ALIVE_PREFIX):].decode() for kv in await client.get_prefix(ALIVE_PREFIX))


def apply_leases(membership: Membership, alive: frozenset[str]) -> None:
    """Tell the failure detector which of its peers etcd still sees."""
    for node in membership.states():
        membership.lease(node, alive=node in alive)
