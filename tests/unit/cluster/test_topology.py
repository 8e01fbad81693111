"""The cluster command line as a topology: identical member sets on every node, bad lines refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from rucket.cluster.topology import Address, Topology, TopologyError, claim_identity, member_name

SECRET = b"0123456789abcdef0123"
ADDRS = [Address("127.0.0.1", p) for p in (9000, 9010, 9020, 9030)]


def topo(i: int, n: int = 3, **kw: object) -> Topology:
    me = ADDRS[i]
    return Topology(f"n{i + 1}", me, tuple(a for a in ADDRS[:n] if a != me), n, "z", SECRET, **kw)  # type: ignore[arg-type]


def test_every_node_computes_the_same_members_and_endpoints() -> None:
    views = [topo(i) for i in range(3)]
    assert len({v.members() for v in views}) == 1
    assert [m.name for m in views[0].members()] == [member_name(a) for a in ADDRS[:3]]
    assert views[0].etcd_endpoints() == ["127.0.0.1:9002", "127.0.0.1:9012", "127.0.0.1:9022"]
    assert all(v.my_member() is not None for v in views)


def test_a_fourth_node_is_an_etcd_client() -> None:
    assert topo(3, 4).my_member() is None and len(topo(3, 4).members()) == 3


def test_offsets_move_every_port() -> None:
    t = topo(0, internal_offset=5, etcd_client_offset=6, etcd_peer_offset=7)
    assert t.internal(t.me) == "127.0.0.1:9005"
    assert t.members()[0].client_url == "http://127.0.0.1:9006" and t.members()[0].peer_url == "http://127.0.0.1:9007"


@pytest.mark.parametrize("change, message", [
    ({"secret": b"short"}, "RUCKET_CLUSTER_SECRET"),
    ({"node_id": "n-1"}, "--node-id"),
    ({"expect_nodes": 0}, "--expect-nodes"),
    ({"peers": (ADDRS[0],)}, "own address"),
    ({"peers": (ADDRS[1], ADDRS[1])}, "twice"),
])
def test_bad_command_lines_are_refused(change: dict[str, object], message: str) -> None:
    fields = {"node_id": "n1", "me": ADDRS[0], "peers": (ADDRS[1],), "expect_nodes": 2, "zone": "z",
              "secret": SECRET, **change}
    with pytest.raises(TopologyError, match=message):
        Topology(**fields)  # type: ignore[arg-type]


def test_address_parse() -> None:
    assert Address.parse(" 10.0.0.1:9000") == Address("10.0.0.1", 9000)
    for bad in ("10.0.0.1", ":9000", "h:0", "h:x"):
        with pytest.raises(TopologyError):
            Address.parse(bad)


def test_a_data_dir_never_changes_node(tmp_path: Path) -> None:
    claim_identity(tmp_path, "n1")
    claim_identity(tmp_path, "n1")
    with pytest.raises(TopologyError, match="belongs to node 'n1'"):
        claim_identity(tmp_path, "n2")
