"""Who is in the cluster and where they listen: derived from the command line, identical on every node.

`rucket serve --cluster --node-id n1 --address 127.0.0.1:9000 --peers 127.0.0.1:9010,127.0.0.1:9020`
names every node by its S3 address. Everything else derives from those addresses (DESIGN.md §7):
the internal API listens on S3 + 1, the etcd member on S3 + 2 (client) and + 3 (peer), the offsets
overridable in rucket.toml (then on every node alike). The etcd members are the first 3 (or 5) nodes
in address order, named by address: every node computes the same initial cluster from the same
list without asking anyone, which is what lets one command per node bootstrap it.

A node's id is written into its data dir the first time; a data dir that belongs to another node id
refuses to start, so a copied or mislabelled data dir never joins as two nodes.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from rucket.cluster.etcd import MemberAddress

NODE_ID = re.compile(r"[A-Za-z0-9_]{1,32}")  # no "." or "-": blob ids carry holder ids between those
IDENTITY_FILE = "cluster-node.json"


class TopologyError(ValueError):
    """A cluster command line or data dir that cannot form a node (the message says what to fix)."""


@dataclass(frozen=True, order=True)
class Address:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Address:
        host, sep, port = text.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise TopologyError(f"expected HOST:PORT, got {text!r}")
        return cls(host, int(port))

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    def plus(self, offset: int) -> str:
        return f"{self.host}:{self.port + offset}"


@dataclass(frozen=True)
class Topology:
    node_id: str
    me: Address
    peers: tuple[Address, ...]
    expect_nodes: int
    zone: str
    secret: bytes = field(repr=False)
    internal_offset: int = 1
    etcd_client_offset: int = 2
    etcd_peer_offset: int = 3

    def __post_init__(self) -> None:
        if not NODE_ID.fullmatch(self.node_id):
            raise TopologyError(f"--node-id must be 1-32 letters, digits or _ (got {self.node_id!r})")
        if len(self.secret) < 16:
            raise TopologyError("cluster mode needs RUCKET_CLUSTER_SECRET (or cluster_secret), at least 16 bytes")
        if self.me in self.peers:
            raise TopologyError(f"--peers lists this node's own address {self.me}")
        if len(set(self.peers)) != len(self.peers):
            raise TopologyError("--peers lists an address twice")
        if self.expect_nodes < 1:
            raise TopologyError("--expect-nodes must be at least 1")
        offsets = {0, self.internal_offset, self.etcd_client_offset, self.etcd_peer_offset}
        if len(offsets) != 4:
            raise TopologyError("the internal and etcd port offsets must differ from each other and from 0")

    @property
    def nodes(self) -> tuple[Address, ...]:
        """Every node named on the command line, in address order (the same tuple on every node)."""
        return tuple(sorted((self.me, *self.peers)))

    def member_count(self) -> int:
        n = len(self.nodes)
        return 5 if n >= 5 else 3 if n >= 3 else 1

    def members(self) -> tuple[MemberAddress, ...]:
        return tuple(MemberAddress(member_name(a), a.host, a.port, self.etcd_client_offset, self.etcd_peer_offset)
                     for a in self.nodes[: self.member_count()])

    def my_member(self) -> MemberAddress | None:
        name = member_name(self.me)
        return next((m for m in self.members() if m.name == name), None)

    def etcd_endpoints(self) -> list[str]:
        return [a.plus(self.etcd_client_offset) for a in self.nodes[: self.member_count()]]

    def internal(self, address: Address) -> str:
        return address.plus(self.internal_offset)


def member_name(address: Address) -> str:
    """etcd member name of the node at `address` (stable: the address is the node's identity on the wire)."""
    return "m-" + re.sub(r"[^A-Za-z0-9]", "-", str(address))


def claim_identity(data_dir: Path, node_id: str) -> None:
    """Record `node_id` in the data dir, or refuse a data dir that already belongs to another node."""
    path = data_dir / IDENTITY_FILE
    try:
        recorded = json.loads(path.read_text())["node_id"]
    except FileNotFoundError:
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"node_id": node_id}) + "\n")
        os.replace(tmp, path)
        return
    except (ValueError, KeyError) as exc:
        raise TopologyError(f"{path} is damaged: {exc!r}") from exc
    if recorded != node_id:
        raise TopologyError(f"{data_dir} belongs to node {recorded!r}, not {node_id!r}: a data dir never changes node")
