"""Failure detection: phi-accrual per peer, and the node state machine up → suspect → down → out.

Phi accrual (Hayashibara et al.; Akka's implementation and defaults): instead of "no heartbeat for
N seconds", each peer's inter-arrival times are modelled as a normal distribution and
`phi = -log10(P(a heartbeat arrives later than now))`. phi 8 means the silence would happen by chance
once in 10^8: a busy network widens the distribution and raises no false alarm, a dead peer
crosses 8 about `acceptable_pause + a few std devs` after its last heartbeat (~4 s at 1 s heartbeats).

States (DESIGN.md §7), all on an injectable clock:
- UP → SUSPECT: this node's detector crosses the threshold.
- SUSPECT → DOWN: a second reporter agrees (two opinions, so one node's bad link cannot take a peer
  down) or the peer's etcd lease expired (etcd's quorum already decided it is gone).
- SUSPECT/DOWN → UP: heartbeats resume and its lease is alive; a node that flapped
  (`flap_threshold` downs within `flap_window_ms`) must stay healthy for `damp_hold_ms` first.
- DOWN → OUT after `down_out_interval_ms` (600 s, as Ceph; healing then re-creates its copies),
  unless the `noout` flag is set (upgrades) or every node of its zone (of two or more) is down:
  a whole zone going away is an outage to fix, not data to re-replicate at once (Ceph's
  mon_osd_down_out_subtree_limit).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from enum import Enum

from rucket.core.hlc import Clock


@dataclass(frozen=True)
class PhiSettings:
    """Akka's cluster failure-detector defaults."""

    threshold: float = 8.0
    max_sample_size: int = 1000
    min_std_deviation_ms: float = 100.0
    acceptable_heartbeat_pause_ms: float = 3000.0
    first_heartbeat_estimate_ms: float = 1000.0


class PhiAccrualDetector:
    """One monitored peer. Feed `heartbeat(now)`, ask `phi(now)` / `available(now)`."""

    def __init__(self, settings: PhiSettings = PhiSettings()) -> None:
        self.settings = settings
        self._intervals: deque[float] = deque(maxlen=settings.max_sample_size)
        self._sum = self._sum_sq = 0.0
        self._last: int | None = None

    def _add(self, interval: float) -> None:
        if len(self._intervals) == self._intervals.maxlen:
            old = self._intervals[0]
            self._sum, self._sum_sq = self._sum - old, self._sum_sq - old * old
        self._intervals.append(interval)
        self._sum, self._sum_sq = self._sum + interval, self._sum_sq + interval * interval

    def heartbeat(self, now_ms: int) -> None:
        if self._last is None:  # seed with the estimate so the first seconds are judged sensibly
            mean = self.settings.first_heartbeat_estimate_ms
            self._add(mean - mean / 4)
            self._add(mean + mean / 4)
        elif self.available(now_ms):  # a heartbeat after a long pause would skew the statistics: skip it
            self._add(float(now_ms - self._last))
        self._last = now_ms

    def phi(self, now_ms: int) -> float:
        if self._last is None:
            return 0.0  # never heard of: not suspected (membership decides whether it should exist)
        n = len(self._intervals)
        mean = self._sum / n
        variance = max(0.0, self._sum_sq / n - mean * mean)
        std = max(math.sqrt(variance), self.settings.min_std_deviation_ms)
        return _phi(now_ms - self._last, mean + self.settings.acceptable_heartbeat_pause_ms, std)

    def available(self, now_ms: int) -> bool:
        return self.phi(now_ms) < self.settings.threshold


def _phi(time_diff: float, mean: float, std: float) -> float:
    """Akka's logistic approximation of the normal tail: phi = -log10(e / (1 + e)), e = exp(-y(1.5976 + 0.070566 y²)).

    Akka branches on the sign of y for precision; both branches equal log10(1 + exp(-z)) with
    z = -y(...), computed here as a softplus so neither a long silence nor an early beat overflows.
    """
    y = (time_diff - mean) / std
    x = y * (1.5976 + 0.070566 * y * y)  # = -z
    softplus = x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))
    return softplus / math.log(10)


class State(Enum):
    UP = "up"
    SUSPECT = "suspect"
    DOWN = "down"
    OUT = "out"


@dataclass(frozen=True)
class Transition:
    node: str
    old: State
    new: State
    at_ms: int
    reason: str


@dataclass(frozen=True)
class MembershipSettings:
    phi: PhiSettings = PhiSettings()
    reporters_for_down: int = 2  # counting this node
    report_ttl_ms: int = 10_000  # another node's suspicion counts this long
    down_out_interval_ms: int = 600_000
    flap_threshold: int = 3
    flap_window_ms: int = 600_000
    damp_hold_ms: int = 60_000


@dataclass
class _Peer:
    zone: str
    detector: PhiAccrualDetector
    state: State = State.UP
    lease_alive: bool = True
    since_ms: int = 0  # entered the current state
    healthy_since_ms: int | None = None
    downs: deque[int] = field(default_factory=deque)
    reports: dict[str, int] = field(default_factory=dict)  # reporter → when it last said "suspect"


class Membership:
    """This node's view of its peers. `tick()` applies the rules and returns what changed."""

    def __init__(self, me: str, zone: str, clock: Clock, settings: MembershipSettings = MembershipSettings()) -> None:
        self.me, self.zone, self.clock, self.settings = me, zone, clock, settings
        self.noout = False
        self._peers: dict[str, _Peer] = {}

    def add(self, node: str, zone: str) -> None:
        if node == self.me:
            raise ValueError("a node does not monitor itself")
        now = self.clock.now_ms()
        peer = _Peer(zone, PhiAccrualDetector(self.settings.phi), since_ms=now)
        peer.detector.heartbeat(now)  # a newly added peer gets the same grace as after a heartbeat
        self._peers[node] = peer

    def state(self, node: str) -> State:
        return self._peers[node].state

    def states(self) -> dict[str, State]:
        return {node: peer.state for node, peer in sorted(self._peers.items())}

    def phi(self, node: str) -> float:
        return self._peers[node].detector.phi(self.clock.now_ms())

    def heartbeat(self, node: str) -> None:
        self._peers[node].detector.heartbeat(self.clock.now_ms())

    def report(self, reporter: str, node: str, *, suspect: bool) -> None:
        """Another node's opinion of `node` (gossiped); only suspicions are counted, and only for a while."""
        reports = self._peers[node].reports
        if suspect:
            reports[reporter] = self.clock.now_ms()
        else:
            reports.pop(reporter, None)

    def lease(self, node: str, *, alive: bool) -> None:
        self._peers[node].lease_alive = alive

    def suspects(self) -> list[str]:
        """What this node reports to the others."""
        return [n for n, p in sorted(self._peers.items()) if p.state is not State.UP or not self._fine(p)]

    def tick(self) -> list[Transition]:
        now = self.clock.now_ms()
        changes: list[Transition] = []
        for node in sorted(self._peers):
            change = self._step(node, self._peers[node], now)
            if change is not None:
                changes.append(change)
        return changes

    def _fine(self, peer: _Peer) -> bool:
        return peer.detector.available(self.clock.now_ms()) and peer.lease_alive

    def _step(self, node: str, peer: _Peer, now: int) -> Transition | None:
        fine = self._fine(peer)
        if not fine:
            peer.healthy_since_ms = None
        elif peer.healthy_since_ms is None:
            peer.healthy_since_ms = now
        if peer.state is State.UP:
            return None if fine else self._move(node, peer, State.SUSPECT, now, self._why(peer, now))
        if fine:
            return self._maybe_up(node, peer, now)
        if peer.state is State.SUSPECT and (not peer.lease_alive or self._reporters(peer, now) >= self.settings.
                                            reporters_for_down):
            peer.downs.append(now)
            return self._move(node, peer, State.DOWN, now, self._why(peer, now))
        if peer.state is State.DOWN and now - peer.since_ms >= self.settings.down_out_interval_ms:
            if self.noout or self._whole_zone_down(peer.zone):
                return None
            return self._move(node, peer, State.OUT, now, "down_out_interval elapsed")
        return None

    def _maybe_up(self, node: str, peer: _Peer, now: int) -> Transition | None:
        while peer.downs and peer.downs[0] < now - self.settings.flap_window_ms:
            peer.downs.popleft()
        damped = len(peer.downs) >= self.settings.flap_threshold
        healthy_for = now - (now if peer.healthy_since_ms is None else peer.healthy_since_ms)
        if damped and healthy_for < self.settings.damp_hold_ms:
            return None
        reason = f"healthy again (damped {healthy_for} ms)" if damped else "heartbeats resumed"
        return self._move(node, peer, State.UP, now, reason)

    def _reporters(self, peer: _Peer, now: int) -> int:
        others = sum(1 for at in peer.reports.values() if now - at <= self.settings.report_ttl_ms)
        return others + 1  # this node suspects it too (we only get here when it does)

    def _why(self, peer: _Peer, now: int) -> str:
        if not peer.lease_alive:
            return "etcd lease expired"
        return f"phi {peer.detector.phi(now):.1f}, {self._reporters(peer, now)} reporter(s)"

    def _whole_zone_down(self, zone: str) -> bool:
        """Every node of a zone of two or more is down (a zone of one node is just that node)."""
        members = [p for p in self._peers.values() if p.zone == zone]
        if zone == self.zone or len(members) < 2:
            return False
        return all(p.state in (State.DOWN, State.OUT) for p in members)

    def _move(self, node: str, peer: _Peer, new: State, now: int, reason: str) -> Transition:
        old, peer.state, peer.since_ms = peer.state, new, now
        return Transition(node, old, new, now, reason)
