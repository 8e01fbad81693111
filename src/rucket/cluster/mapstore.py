"""The cluster map in etcd: one key, changed only by compare-and-swap, epoch + 1 per change.

Every node builds its placement table from the map it reads here (placement/straw2.py), so the map
must have exactly one history: a change is proposed against the map it was computed from and lands
only if nobody changed the map in between (etcd `Txn` comparing the key's mod revision). Two admins
adding nodes at once: one wins, the other re-reads and retries. The encoding is canonical (sorted
keys and nodes), so "is the stored map the one I proposed" is a byte comparison, which is how an
`EtcdUncertain` proposal is resolved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from rucket.cluster.etcd_client import EtcdClient, EtcdUncertain
from rucket.placement.straw2 import ClusterMap, Node

MAP_KEY = b"/rucket/cluster/map"
FORMAT = 1


class StaleMap(Exception):
    """The proposal was computed from a map that is no longer current: re-read and recompute."""


def encode(cmap: ClusterMap) -> bytes:
    nodes = [{"id": n.id, "zone": n.zone, "weight": n.weight} for n in cmap.nodes]
    doc = {"format": FORMAT, "epoch": cmap.epoch, "pg_count": cmap.pg_count, "nodes": nodes}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def decode(raw: bytes) -> ClusterMap:
    doc = json.loads(raw)
    if doc.get("format") != FORMAT:
        raise ValueError(f"cluster map format {doc.get('format')!r} is not {FORMAT}: upgrade this node first")
    nodes = tuple(Node(n["id"], n["zone"], int(n["weight"])) for n in doc["nodes"])
    return ClusterMap(int(doc["epoch"]), nodes, int(doc["pg_count"]))


@dataclass(frozen=True)
class Versioned:
    cmap: ClusterMap
    revision: int  # etcd mod revision of the key: what a proposal compares against


class MapStore:
    def __init__(self, client: EtcdClient, key: bytes = MAP_KEY) -> None:
        self.client, self.key = client, key

    async def load(self) -> Versioned | None:
        kv = await self.client.get(self.key)
        return None if kv is None else Versioned(decode(kv.value), kv.mod_revision)

    async def bootstrap(self, cmap: ClusterMap) -> Versioned:
        """Store the first map unless one exists; either way return the map in force."""
        if cmap.epoch != 1:
            raise ValueError("the first cluster map has epoch 1")
        ops = self.client.ops
        await self._swap([ops.version(self.key) == 0], cmap)
        current = await self.load()
        assert current is not None
        return current

    async def propose(self, base: Versioned, new: ClusterMap) -> Versioned:
        """Replace `base` by `new` (epoch base + 1) atomically, or raise StaleMap."""
        if new.epoch != base.cmap.epoch + 1 or new.pg_count != base.cmap.pg_count:
            raise ValueError("a new map has the next epoch and the same pg_count")
        if not await self._swap([self.client.ops.mod(self.key) == base.revision], new):
            raise StaleMap(f"map changed since revision {base.revision}")
        current = await self.load()
        assert current is not None
        return current

    async def _swap(self, compare: list[object], cmap: ClusterMap) -> bool:
        raw = encode(cmap)
        try:
            ok, _ = await self.client.txn(list(compare), [self.client.ops.put(self.key, raw)])
            return ok
        except EtcdUncertain:
            kv = await self.client.get(self.key)  # did our write land before the connection broke?
            return kv is not None and kv.value == raw
