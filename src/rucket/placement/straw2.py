"""straw2 placement: key → PG → ordered node set, with zones as failure domains.

`pg = xxh3_64(bucket/key) mod pg_count`; pg_count (1024) is fixed at bootstrap, so a key never changes
PG. A PG's nodes come from one straw2 ranking over all nodes: each node draws
`ln(u) / weight` with `u` a 16-bit hash of (pg, node) and the integer logarithm of `crush_ln`
(no float: every node must compute the same table). The draw of a node depends only on the PG and
that node, which is what makes straw2 move the minimum: adding a node can only steal PGs it now wins,
removing one only hands out the PGs it held.

Failure domains: nodes are taken in ranking order while their zone holds fewer than
`cap = ceil(width / zones)` members of the set (1 when there are at least `width` zones). Taking
"the best remaining node whose zone still has room" is greedy over a partition matroid, so removing
a member replaces exactly that member and leaves the others (same order of the rest) untouched, and
an unchosen node never matters. Picking the zone by its best node is, for straw2's exponential draws,
the same distribution as a two-level CRUSH rule with zone weight = the sum of its nodes' weights,
so zones fill in proportion to their weight without a second hash level.

If the caps cannot fill the set (a zone with too few nodes), the remaining slots are filled in
ranking order ignoring caps: a smaller failure-domain guarantee, never a shorter set.

The table is built once per map epoch (`PlacementTable.build`) and is a pure function of the map.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import xxhash

from rucket.placement.base import Placement
from rucket.placement.crush_ln import LN_ONE, crush_ln

PG_COUNT = 1024
WEIGHT_ONE = 0x10000  # weights are 16.16 fixed point, as in CRUSH: 0x10000 = 1.0


@dataclass(frozen=True, order=True)
class Node:
    """One storage node of the map. `weight` is 16.16 fixed point (0 = holds nothing, e.g. draining)."""

    id: str
    zone: str
    weight: int = WEIGHT_ONE

    def __post_init__(self) -> None:
        if not self.id or "/" in self.id:
            raise ValueError(f"bad node id {self.id!r}")
        if not 0 <= self.weight < 1 << 32:
            raise ValueError(f"node {self.id}: weight must be in [0, 2^32)")


@dataclass(frozen=True)
class ClusterMap:
    """The placement-relevant part of the cluster map at one epoch."""

    epoch: int
    nodes: tuple[Node, ...]
    pg_count: int = PG_COUNT

    def __post_init__(self) -> None:
        ids = [n.id for n in self.nodes]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate node id in cluster map")
        if self.pg_count <= 0:
            raise ValueError("pg_count must be positive")
        object.__setattr__(self, "nodes", tuple(sorted(self.nodes)))  # order of input never matters

    def zones(self) -> frozenset[str]:
        """Failure domains that can hold data (a zone with only zero-weight nodes does not count)."""
        return frozenset(n.zone for n in self.nodes if n.weight > 0)

    def without(self, node_id: str) -> ClusterMap:
        return ClusterMap(self.epoch + 1, tuple(n for n in self.nodes if n.id != node_id), self.pg_count)

    def with_node(self, node: Node) -> ClusterMap:
        return ClusterMap(self.epoch + 1, (*self.nodes, node), self.pg_count)


def pg_of(bucket: str, key: str, pg_count: int = PG_COUNT) -> int:
    """The placement group of an object: fixed for the life of the cluster (pg_count never changes)."""
    return xxhash.xxh3_64_intdigest(f"{bucket}/{key}".encode()) % pg_count


def draw(pg: int, node: Node) -> int:
    """straw2 draw of `node` for `pg`: larger wins. ln(u) ≤ 0, so a heavier node has a less negative draw."""
    if node.weight == 0:
        return -(1 << 63)
    u = xxhash.xxh3_64_intdigest(b"%d/%s" % (pg, node.id.encode())) & 0xFFFF
    ln = crush_ln(u) - LN_ONE
    return -((-ln) // node.weight)  # truncate toward zero, as Ceph's div64_s64


def rank(pg: int, nodes: Iterable[Node]) -> list[Node]:
    """All nodes, best first. Ties (16-bit draws collide) go to the smaller node id, on every node."""
    return sorted(nodes, key=lambda n: (-draw(pg, n), n.id))


def choose(pg: int, nodes: Sequence[Node], width: int) -> tuple[str, ...]:
    """The ordered node set of `pg`: greedy over the ranking under per-zone caps, then fill if short."""
    eligible = [n for n in nodes if n.weight > 0]
    width = min(width, len(eligible))
    zones = {n.zone for n in eligible}
    if width == 0:
        return ()
    cap = -(-width // len(zones))
    ranked = rank(pg, eligible)
    chosen: list[str] = []
    per_zone: dict[str, int] = {}
    for node in ranked:
        if len(chosen) == width:
            break
        if per_zone.get(node.zone, 0) < cap:
            chosen.append(node.id)
            per_zone[node.zone] = per_zone.get(node.zone, 0) + 1
    taken = set(chosen)
    chosen.extend(n.id for n in ranked if n.id not in taken)
    return tuple(chosen[:width])


@dataclass(frozen=True)
class PlacementTable:
    """PG → ordered node ids for one map epoch and one set width (3 for replication, k+m for EC)."""

    epoch: int
    width: int
    pgs: tuple[tuple[str, ...], ...]
    _index: dict[str, frozenset[int]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, cmap: ClusterMap, width: int) -> PlacementTable:
        if width <= 0:
            raise ValueError("width must be positive")
        return cls(cmap.epoch, width, tuple(choose(pg, cmap.nodes, width) for pg in range(cmap.pg_count)))

    @property
    def pg_count(self) -> int:
        return len(self.pgs)

    def nodes_of(self, pg: int) -> tuple[str, ...]:
        return self.pgs[pg]

    def pgs_of(self, node_id: str) -> frozenset[int]:
        """PGs that have a copy on `node_id` (memoised: healing asks this for every node)."""
        if node_id not in self._index:
            self._index[node_id] = frozenset(pg for pg, ids in enumerate(self.pgs) if node_id in ids)
        return self._index[node_id]

    def copies(self) -> frozenset[tuple[int, str]]:
        """Every (pg, node) copy: the unit of data movement between two tables."""
        return frozenset((pg, node) for pg, ids in enumerate(self.pgs) for node in ids)


def moved(old: PlacementTable, new: PlacementTable) -> frozenset[tuple[int, str]]:
    """Copies the new table places where the old one had none: what a rebalance must write."""
    if old.pg_count != new.pg_count:
        raise ValueError("tables of different pg_count are not comparable")
    return new.copies() - old.copies()


@dataclass(frozen=True)
class Straw2Placer:
    """The `Placer` of a cluster: bucket/key → its PG and that PG's ordered node set at this epoch."""

    table: PlacementTable

    def place(self, bucket: str, key: str) -> Placement:
        pg = pg_of(bucket, key, self.table.pg_count)
        return Placement(pg=pg, devices=self.table.nodes_of(pg))
