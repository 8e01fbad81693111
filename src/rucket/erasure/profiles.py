"""Which redundancy a cluster of a given size uses: Reed-Solomon k+m, or 3x replication.

The rule (issue 17): never a profile that survives fewer node losses than 3x replication would
(2 losses), and each shard on its own node. Below 12 nodes 8+4 does not fit, so the table steps down
while keeping m >= 2 and the storage overhead at 1.5x where it can:

| nodes  | profile | width | overhead | node losses survived |
|--------|---------|-------|----------|----------------------|
| >= 12  | RS 8+4  | 12    | 1.50x    | 4                    |
| 9-11   | RS 6+3  | 9     | 1.50x    | 3                    |
| 6-8    | RS 4+2  | 6     | 1.50x    | 2                    |
| 4-5    | RS 2+2  | 4     | 2.00x    | 2                    |
| 1-3    | 3x rep. | <= 3  | 3.00x    | nodes - 1 (<= 2)     |

Zones: placement spreads a PG's shards evenly over zones (at most ceil(width / zones) per zone),
so losing a zone loses that many shards. A profile is only chosen if it also survives the loss of
one whole zone when there are two or more zones; otherwise the next row is tried (12 nodes in 2 zones
-> 2+2: 6 shards of 8+4 would sit in each zone). 8+4 over 3 zones (4 shards each) survives one zone;
3x replication over 3 zones would survive two: that is the price of 1.5x instead of 3x storage, and
`describe()` says so where the profile is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

REPLICAS = 3


@dataclass(frozen=True)
class Profile:
    """k data + m parity shards; `replicated` means k=1 full copies (m = copies - 1), no coding."""

    k: int
    m: int
    replicated: bool = False

    @property
    def width(self) -> int:
        return self.k + self.m

    @property
    def overhead(self) -> float:
        return self.width / self.k

    @property
    def name(self) -> str:
        return f"replicated-{self.width}x" if self.replicated else f"rs-{self.k}+{self.m}"

    def node_losses_survived(self) -> int:
        return self.m

    def zone_losses_survived(self, zones: int) -> int:
        """Whole zones that may fail at once with shards spread at most ceil(width / zones) per zone."""
        if zones <= 1:
            return 0
        per_zone = -(-self.width // zones)
        return min(zones - 1, self.m // per_zone)


EC_TABLE: tuple[tuple[int, Profile], ...] = (  # (minimum nodes, profile), best first
    (12, Profile(8, 4)),
    (9, Profile(6, 3)),
    (6, Profile(4, 2)),
    (4, Profile(2, 2)),
)


def replication(nodes: int) -> Profile:
    copies = max(1, min(REPLICAS, nodes))
    return Profile(1, copies - 1, replicated=True)


def choose_profile(nodes: int, zones: int = 1) -> Profile:
    """The strongest-fitting erasure profile for `nodes` in `zones` failure domains, else replication."""
    if nodes <= 0:
        raise ValueError("a cluster has at least one node")
    baseline = replication(nodes).node_losses_survived()
    for minimum, profile in EC_TABLE:
        if nodes < minimum or profile.node_losses_survived() < baseline:
            continue
        if zones >= 2 and profile.zone_losses_survived(zones) < 1:
            continue
        return profile
    return replication(nodes)


def describe(profile: Profile, nodes: int, zones: int) -> str:
    """One line for `rucket admin cluster status`: what the data survives, in plain words."""
    survives = f"survives {profile.node_losses_survived()} node loss(es)"
    if zones >= 2:
        survives += f", {profile.zone_losses_survived(zones)} of {zones} zone(s)"
    return f"{profile.name} ({profile.overhead:.2f}x storage) on {nodes} node(s): {survives}"
