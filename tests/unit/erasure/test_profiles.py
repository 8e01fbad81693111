"""The profile table: never weaker than 3x replication in node losses, one zone loss when zoned."""

from __future__ import annotations

import pytest

from rucket.erasure.profiles import EC_TABLE, Profile, choose_profile, describe, replication


@pytest.mark.parametrize(("nodes", "zones", "expected"), [
    pytest.param(12, 1, "rs-8+4", id="12-nodes"),
    pytest.param(20, 1, "rs-8+4", id="more-nodes-same-profile"),
    pytest.param(12, 3, "rs-8+4", id="3-zones-of-4"),
    pytest.param(11, 1, "rs-6+3", id="11-nodes"),
    pytest.param(9, 3, "rs-6+3", id="9-nodes-3-zones"),
    pytest.param(8, 1, "rs-4+2", id="8-nodes"),
    pytest.param(6, 3, "rs-4+2", id="6-nodes-3-zones"),
    pytest.param(5, 1, "rs-2+2", id="5-nodes"),
    pytest.param(12, 2, "rs-2+2", id="two-zones-need-half-the-width-as-parity"),
    pytest.param(3, 1, "replicated-3x", id="3-nodes"),
    pytest.param(2, 1, "replicated-2x", id="2-nodes"),
    pytest.param(1, 1, "replicated-1x", id="laptop"),
])
def test_choose_profile_table(nodes: int, zones: int, expected: str) -> None:
    assert choose_profile(nodes, zones).name == expected


@pytest.mark.parametrize("nodes", range(1, 25))
@pytest.mark.parametrize("zones", [1, 2, 3, 4, 6])
def test_never_weaker_than_replication_and_fits(nodes: int, zones: int) -> None:
    if zones > nodes:
        return
    profile = choose_profile(nodes, zones)
    assert profile.width <= nodes  # one shard per node
    assert profile.node_losses_survived() >= replication(nodes).node_losses_survived()
    if zones >= 2 and not profile.replicated:
        assert profile.zone_losses_survived(zones) >= 1


def test_overheads_and_zone_arithmetic() -> None:
    assert [p.overhead for _, p in EC_TABLE] == [1.5, 1.5, 1.5, 2.0]
    assert Profile(8, 4).zone_losses_survived(3) == 1  # 4 shards per zone, m = 4
    assert Profile(8, 4).zone_losses_survived(12) == 4
    assert replication(3).zone_losses_survived(3) == 2
    assert "survives 4 node loss(es), 1 of 3 zone(s)" in describe(Profile(8, 4), 12, 3)
    with pytest.raises(ValueError):
        choose_profile(0)
