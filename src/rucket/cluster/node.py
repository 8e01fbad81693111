"""One cluster node's runtime: its etcd member, its registration, the map, heartbeats, the internal API.

`rucket serve --cluster` runs this in the server's worker (the one process that also serves S3), as
a background task started by the ASGI lifespan:

1. claim the data dir for this node id (topology.py); start and supervise the etcd member when this
   node is one of the first 3 (or 5) (etcd.py); serve the internal API on S3 + 1 (internal.py);
2. reach etcd (retrying: the other members may still be starting), compare the cluster-secret
   fingerprint stored by the first node (a node with another secret is refused and stops), register
   `/rucket/nodes/info/<id>` and keep a liveness lease (liveness.py);
3. wait until `--expect-nodes` nodes registered, then bootstrap map epoch 1 by compare-and-swap (the
   first proposal wins, everyone reads the winner); a node registered after that joins with epoch+1;
4. heartbeat every peer each second over the internal API and feed the phi-accrual detector with
   what arrives, plus etcd's lease view (failure.py): that is the up/suspect/down/out state.

`writable()` is what `GET /minio/health/cluster` answers: etcd answered within the last few seconds
and enough nodes are up for the default write quorum (2 of 3 copies).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rucket.cluster import wire
from rucket.cluster.blobs import pg_of_blob
from rucket.cluster.etcd import EtcdSupervisor, MemberConfig
from rucket.cluster.etcd_client import EtcdClient, EtcdUnavailable
from rucket.cluster.failure import Membership, MembershipSettings, State
from rucket.cluster.internal import PREFIX, InternalApi, PeerClient, PeerError, json_response, signed_json
from rucket.cluster.liveness import LeaseKeeper, alive_nodes, apply_leases
from rucket.cluster.mapstore import MapStore, StaleMap, Versioned
from rucket.cluster.signing import Signer, Verified, Verifier
from rucket.cluster.topology import Address, Topology, claim_identity, member_name
from rucket.core.errors import Unavailable
from rucket.core.hlc import HLC, Clock
from rucket.placement.straw2 import PG_COUNT, ClusterMap, Node, PlacementTable

log = logging.getLogger("rucket.cluster")
INFO_PREFIX = b"/rucket/nodes/info/"
SECRET_KEY = b"/rucket/cluster/secret-check"
_CHECK_LABEL = b"rucket cluster secret check v1"
REPLICAS = 3
ETCD_FRESH_S = 3.0  # etcd answered within this long: metadata writes are possible


class Refused(Exception):
    """This node must not join (wrong cluster secret, node id taken by another address): it stops."""


def secret_fingerprint(secret: bytes) -> str:
    return hmac.new(secret, _CHECK_LABEL, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class NodeInfo:
    id: str
    address: str  # S3 host:port
    internal: str  # internal API host:port
    zone: str
    member: str  # etcd member name if this node runs one, else ""

    def encode(self) -> bytes:
        return json.dumps(self.__dict__, sort_keys=True).encode()

    @classmethod
    def decode(cls, raw: bytes) -> NodeInfo:
        return cls(**json.loads(raw))


@dataclass
class Settings:
    heartbeat_s: float = 1.0
    lease_ttl_s: int = 5
    map_poll_s: float = 2.0
    etcd_deadline_s: float = 3.0
    membership: MembershipSettings = field(default_factory=MembershipSettings)


class ClusterNode:
    def __init__(self, topology: Topology, data_dir: Path, clock: Clock, hlc: HLC, *,
                 settings: Settings | None = None, etcd_binary: str = "/usr/bin/etcd",
                 on_refused: Callable[[str], None] | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.topology, self.data_dir, self.clock, self.hlc = topology, data_dir, clock, hlc
        self.settings = settings or Settings()
        self.on_refused = on_refused or (lambda reason: None)
        self._monotonic = monotonic
        self.membership = Membership(topology.node_id, topology.zone, clock, self.settings.membership)
        member = topology.my_member()
        self.supervisor = EtcdSupervisor(MemberConfig(member, topology.members(), data_dir, topology.secret,
                                                      binary=etcd_binary)) if member is not None else None
        self.etcd = EtcdClient(topology.etcd_endpoints(), deadline=self.settings.etcd_deadline_s,
                               attempt_timeout=1.0)
        self.maps = MapStore(self.etcd)
        self.signer = Signer(topology.secret, topology.node_id, clock)
        self.peers = PeerClient(self.signer, timeout=2.0)
        self.api = InternalApi(Verifier(topology.secret, clock), hlc)
        self.api.route("POST", "heartbeat", self._heartbeat)
        self.api.route("GET", "view", self._view)
        self.server = wire.Server(self.api)
        self.lease = LeaseKeeper(self.etcd, topology.node_id, ttl_s=self.settings.lease_ttl_s)
        self.info = NodeInfo(topology.node_id, str(topology.me), topology.internal(topology.me), topology.zone,
                             member.name if member else "")
        self.current: Versioned | None = None
        self.table: PlacementTable | None = None
        self.nodes: dict[str, NodeInfo] = {}
        self.ready = False
        self.refused_reason: str | None = None
        self._etcd_ok_at = -1e9
        self._tasks: list[asyncio.Task[None]] = []
        self._peer_suspects: dict[str, list[str]] = {}

    # ---- what the rest of the server asks ----------------------------------
    def etcd_fresh(self) -> bool:
        return self._monotonic() - self._etcd_ok_at < ETCD_FRESH_S

    def up_nodes(self) -> set[str]:
        """Nodes of the map this node sees up (itself included)."""
        if self.current is None:
            return set()
        states = self.membership.states()
        return {n.id for n in self.current.cmap.nodes
                if n.id == self.topology.node_id or states.get(n.id) is State.UP}

    def quorum(self) -> int:
        return min(2, self._width())

    def _width(self) -> int:
        return min(REPLICAS, len(self.current.cmap.nodes)) if self.current else REPLICAS

    def writable(self) -> bool:
        return self.ready and self.etcd_fresh() and len(self.up_nodes()) >= self.quorum()

    def holders(self, pg: int) -> tuple[str, ...]:
        assert self.table is not None, "no cluster map yet"
        return self.table.nodes_of(pg)

    def internal_of(self, node_id: str) -> str | None:
        info = self.nodes.get(node_id)
        return info.internal if info else None

    # ---- the replicated BlobStore's view (cluster/blobs.py Placement) ---------
    @property
    def node_id(self) -> str:
        return self.topology.node_id

    def holders_for(self, pg_key: str) -> tuple[str, ...]:
        if self.table is None:
            raise Unavailable("this node has not joined the cluster map yet")
        return self.table.nodes_of(pg_of_blob(pg_key, self.table.pg_count))

    def reachable(self, node_id: str) -> bool:
        """Worth sending to: this node, or a peer not (yet) declared down."""
        if node_id == self.topology.node_id:
            return True
        states = self.membership.states()
        return node_id in states and states[node_id] in (State.UP, State.SUSPECT)

    def zone_of(self, node_id: str) -> str:
        info = self.nodes.get(node_id)
        return info.zone if info else ""

    # ---- lifecycle ---------------------------------------------------------
    async def run(self) -> None:
        """The background task: start, then keep heartbeating and watching until cancelled."""
        try:
            await self.start()
        except Refused as exc:
            self.refused_reason = str(exc)
            log.critical("this node is refused by the cluster: %s", exc)
            self.on_refused(str(exc))
            return
        try:
            await asyncio.gather(self._heartbeat_loop(), self._watch_loop())
        finally:
            await self.stop()

    async def start(self) -> None:
        claim_identity(self.data_dir, self.topology.node_id)
        if self.supervisor is not None:
            await self.supervisor.start()
        await self.server.start(self.topology.me.host, self.topology.me.port + self.topology.internal_offset)
        await self._retry("check the cluster secret", self._check_secret)
        await self._retry("register", self._register)
        await self._retry("announce liveness", self.lease.start)
        await self._retry("form or join the cluster map", self._form_map)
        self.ready = True
        log.info("node %s joined: map epoch %d, %d nodes, etcd member %s", self.topology.node_id,
                 self._epoch(), len(self.nodes), self.info.member or "(client only)")

    async def _retry(self, what: str, step: Callable[[], Any]) -> None:
        delay = 0.2
        while True:
            try:
                await step()
                self._etcd_ok_at = self._monotonic()
                return
            except EtcdUnavailable as exc:
                log.info("waiting for etcd to %s: %s", what, exc)
            await asyncio.sleep(delay)
            delay = min(2.0, delay * 1.5)

    async def stop(self) -> None:
        self.ready = False
        for task in self._tasks:
            task.cancel()
        await self.lease.stop(revoke=True)
        await self.server.stop()
        await self.etcd.close()
        if self.supervisor is not None:
            await self.supervisor.stop()

    # ---- joining -------------------------------------------------------------
    async def _check_secret(self) -> None:
        mine = secret_fingerprint(self.topology.secret).encode()
        ops = self.etcd.ops
        with contextlib.suppress(EtcdUnavailable):  # uncertain: the read below settles it
            await self.etcd.txn([ops.version(SECRET_KEY) == 0], [ops.put(SECRET_KEY, mine)])
        stored = await self.etcd.get(SECRET_KEY)
        if stored is None:
            raise EtcdUnavailable("secret fingerprint not readable yet")
        if not hmac.compare_digest(stored.value, mine):
            raise Refused("the cluster was formed with another RUCKET_CLUSTER_SECRET")

    async def _register(self) -> None:
        key = INFO_PREFIX + self.info.id.encode()
        existing = await self.etcd.get(key)
        if existing is not None and NodeInfo.decode(existing.value).address != self.info.address:
            raise Refused(f"node id {self.info.id} is registered with address "
                          f"{NodeInfo.decode(existing.value).address}, not {self.info.address}")
        await self.etcd.put(key, self.info.encode())
        await self._load_nodes()

    async def _load_nodes(self) -> None:
        self.nodes = {i.id: i for i in (NodeInfo.decode(kv.value) for kv in await self.etcd.get_prefix(INFO_PREFIX))}

    async def _form_map(self) -> None:
        while True:
            current = await self.maps.load()
            if current is None:
                await self._load_nodes()
                if len(self.nodes) < self.topology.expect_nodes:
                    log.info("%d of %d expected nodes registered; waiting", len(self.nodes),
                             self.topology.expect_nodes)
                    await asyncio.sleep(0.5)
                    continue
                nodes = tuple(Node(i.id, i.zone) for i in self.nodes.values())
                current = await self.maps.bootstrap(ClusterMap(1, nodes, PG_COUNT))
                log.info("cluster map bootstrapped at epoch %d with %s", current.cmap.epoch,
                         [n.id for n in current.cmap.nodes])
            if all(n.id != self.info.id for n in current.cmap.nodes):
                try:
                    current = await self.maps.propose(current, current.cmap.with_node(Node(self.info.id,
                                                                                           self.info.zone)))
                except StaleMap:
                    continue
            await self._adopt(current)
            return

    async def _adopt(self, current: Versioned) -> None:
        if self.current is not None and current.cmap == self.current.cmap:
            return
        await self._load_nodes()
        width = min(REPLICAS, len(current.cmap.nodes))
        self.table = await asyncio.to_thread(PlacementTable.build, current.cmap, width)
        known = set(self.membership.states())
        for n in current.cmap.nodes:
            if n.id != self.info.id and n.id not in known:
                self.membership.add(n.id, n.zone)
        self.current = current
        log.info("cluster map epoch %d adopted", current.cmap.epoch)

    def _epoch(self) -> int:
        return self.current.cmap.epoch if self.current else 0

    # ---- heartbeats and failure detection ------------------------------------
    async def _heartbeat_loop(self) -> None:
        while True:
            doc = {"node": self.info.id, "epoch": self._epoch(), "suspects": self.membership.suspects()}
            targets = [(n, self.internal_of(n)) for n in self.membership.states()]
            await asyncio.gather(*(self._beat(n, a, doc) for n, a in targets if a), return_exceptions=True)
            await asyncio.sleep(self.settings.heartbeat_s)

    async def _beat(self, node: str, address: str, doc: dict[str, Any]) -> None:
        try:
            await self.peers.call(address, "POST", f"{PREFIX}/heartbeat", doc, timeout=self.settings.heartbeat_s)
        except PeerError as exc:
            log.debug("heartbeat to %s failed: %s", node, exc)

    async def _heartbeat(self, req: wire.Request, verified: Verified) -> wire.Response:
        doc = await signed_json(req, verified)
        sender = verified.node
        if sender in self.membership.states():
            self.membership.heartbeat(sender)
            suspects = [s for s in doc.get("suspects", []) if isinstance(s, str)]
            for other in self.membership.states():
                if other != sender:
                    self.membership.report(sender, other, suspect=other in suspects)
            self._peer_suspects[sender] = suspects
        if doc.get("epoch", 0) > self._epoch():
            asyncio.get_running_loop().create_task(self._refresh_map())
        return json_response(200, {"node": self.info.id, "epoch": self._epoch()})

    async def _refresh_map(self) -> None:
        with contextlib.suppress(EtcdUnavailable):
            current = await self.maps.load()
            if current is not None:
                await self._adopt(current)

    async def _watch_loop(self) -> None:
        last_map = self._monotonic()
        while True:
            try:
                alive = await alive_nodes(self.etcd)
                self._etcd_ok_at = self._monotonic()
                apply_leases(self.membership, alive)
                if self._monotonic() - last_map >= self.settings.map_poll_s:
                    last_map = self._monotonic()
                    await self._refresh_map()
            except EtcdUnavailable as exc:
                log.warning("etcd unreachable from %s: %s", self.info.id, exc)
            for change in self.membership.tick():
                log.warning("node %s: %s -> %s (%s)", change.node, change.old.value, change.new.value, change.reason)
            await asyncio.sleep(self.settings.heartbeat_s)

    # ---- status (admin API, `rucket admin cluster status`) -------------------
    async def _view(self, req: wire.Request, verified: Verified) -> wire.Response:
        return json_response(200, {"node": self.info.id, "states": {n: s.value for n, s in
                                                                      self.membership.states().items()}})

    async def status(self) -> dict[str, Any]:
        states = {n: s.value for n, s in self.membership.states().items()}
        states[self.info.id] = "up"
        leader: str | None = None
        members: set[str] = set()
        with contextlib.suppress(EtcdUnavailable):
            leader = (await self.etcd.status(deadline=2.0)).leader
            members = {m.name for m in await self.etcd.members(deadline=2.0) if m.started}
        nodes = []
        for node_id in sorted(set(states) | set(self.nodes)):
            info = self.nodes.get(node_id)
            member = info.member if info else ""
            role = "client" if not member else "leader" if member == leader else \
                "follower" if member in members else "unreachable"
            nodes.append({"id": node_id, "address": info.address if info else "", "zone": info.zone if info else "",
                          "state": states.get(node_id, "unknown"), "etcd": role, "etcd_member": member,
                          "pgs": len(self.table.pgs_of(node_id)) if self.table else 0})
        return {"node": self.info.id, "epoch": self._epoch(), "ready": self.ready, "writable": self.writable(),
                "etcd": {"leader": leader, "members": sorted(members), "reachable": self.etcd_fresh()},
                "nodes": nodes, "pgs": self.pg_counts(set(s for s, v in states.items() if v == "up"))}

    def pg_counts(self, up: set[str]) -> dict[str, int]:
        """clean: every holder up; degraded: some holder not up (still readable while one is);
        misplaced: copies the current map puts elsewhere (0 until healing moves data)."""
        if self.table is None:
            return {"total": 0, "clean": 0, "degraded": 0, "misplaced": 0, "unavailable": 0}
        clean = degraded = unavailable = 0
        for holders in self.table.pgs:
            live = sum(1 for h in holders if h in up)
            if live == len(holders):
                clean += 1
            elif live >= self.quorum():
                degraded += 1
            else:
                unavailable += 1
        return {"total": self.table.pg_count, "clean": clean, "degraded": degraded, "misplaced": 0,
                "unavailable": unavailable}


def topology_of(node_id: str, address: str, peers: tuple[str, ...], expect_nodes: int, zone: str, secret: str,
                internal_offset: int, etcd_client_offset: int, etcd_peer_offset: int) -> Topology:
    return Topology(node_id, Address.parse(address), tuple(Address.parse(p) for p in peers), expect_nodes, zone,
                    secret.encode(), internal_offset, etcd_client_offset, etcd_peer_offset)


__all__ = ["ClusterNode", "NodeInfo", "Refused", "Settings", "member_name", "topology_of"]
