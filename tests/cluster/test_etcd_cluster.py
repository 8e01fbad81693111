"""Three etcd members, each supervised by rucket.cluster and alone in its network namespace.

Real processes and real faults: kill -9 of the leader (its supervisor restarts it), SIGSTOP of the
leader, a member partitioned away with iptables or its link set down (the majority keeps writing,
the member catches up after the heal), a member with the wrong cluster secret, and bootstraps in
random start order that must each form exactly one cluster.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from rucket.cluster.etcd_client import EtcdClient, EtcdUnavailable
from tests.cluster.netns import Host, Lab, require_root, sh

S3_PORT = 9750  # every host has its own address, so all use the same ports: etcd client 9752, peer 9753
SECRET = "cluster-test-secret-0123456789"
pytestmark = pytest.mark.timeout(120)


class Members:
    """The three supervised members of one bootstrap, with clients pinned to each and one that rotates."""

    def __init__(self, lab: Lab, root: Path) -> None:
        self.lab, self.root = lab, root
        self.names = [f"n{i}" for i in range(1, len(lab.hosts) + 1)]
        self.endpoints = [f"{h.ip}:{S3_PORT + 2}" for h in lab.hosts]

    def start(self, host: Host, name: str, secret: str = SECRET) -> None:
        spec = [f"--member={n}={h.ip}:{S3_PORT}" for n, h in zip(self.names, self.lab.hosts, strict=True)]
        env = {**os.environ, "RUCKET_CLUSTER_SECRET": secret}
        host.spawn([sys.executable, "-m", "rucket.cluster", "member", f"--name={name}",
                    f"--data-dir={self.root / name}", *spec], log=self.root / f"{name}.supervisor.log", env=env)

    def client(self, *, pinned: int | None = None, deadline: float = 5.0) -> EtcdClient:
        endpoints = self.endpoints if pinned is None else [self.endpoints[pinned]]
        return EtcdClient(endpoints, deadline=deadline, attempt_timeout=0.5)

    def host_of(self, name: str) -> Host:
        return self.lab.hosts[self.names.index(name)]


def etcd_pid(host: Host) -> int | None:
    for pid in sh("ip", "netns", "pids", host.name).stdout.split():
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "etcd":
                return int(pid)
        except FileNotFoundError:
            continue
    return None


async def until(probe: Any, timeout: float) -> float:
    """Seconds until `probe()` succeeds (a real cluster: poll it, there is no clock to advance)."""
    start = time.monotonic()
    while True:
        try:
            if await probe():
                return time.monotonic() - start
        except EtcdUnavailable:
            pass
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout}s")
        await asyncio.sleep(0.05)


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    require_root()
    with Lab(3) as it:
        yield it


def stop_all(lab: Lab) -> None:
    for host in lab.hosts:
        host.kill_all()


async def _faults(m: Members, report: dict[str, float]) -> None:
    rotating = m.client(deadline=15.0)
    await until(lambda: rotating.put(b"boot", b"1"), 20)
    assert await rotating.member_names() == m.names

    # kill -9 the leader's etcd: writes must work again through the others; its supervisor restarts it
    leader = (await rotating.status()).leader
    assert leader is not None
    victim = m.host_of(leader)
    old_pid = etcd_pid(victim)
    assert old_pid is not None
    os.kill(old_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    await until(lambda: rotating.put(b"after-kill", b"1", deadline=1.0), 15)
    report["leader_kill_to_write_s"] = time.monotonic() - killed_at
    revived = m.client(pinned=m.names.index(leader), deadline=1.0)
    await until(lambda: _has(revived, b"after-kill", serializable=True), 15)
    assert etcd_pid(victim) not in (None, old_pid)  # restarted by the supervisor, caught up

    # partition one member away (both ways): the majority keeps writing, the minority cannot
    lonely = m.lab.hosts[2]
    m.lab.partition([lonely])
    minority = m.client(pinned=2, deadline=1.5)
    try:
        await until(lambda: rotating.put(b"during-0", b"x", deadline=2.0), 15)
        for i in range(1, 20):
            await rotating.put(b"during-%d" % i, b"x")
        with pytest.raises(EtcdUnavailable):
            await minority.get(b"during-0")  # linearizable read needs the quorum it cannot reach
    finally:
        m.lab.heal()
    report["catch_up_s"] = await until(lambda: _has(minority, b"during-19", serializable=True), 20)
    for client in (rotating, revived, minority):
        await client.close()


async def _has(client: EtcdClient, key: bytes, *, serializable: bool) -> bool:
    return await client.get(key, serializable=serializable, deadline=1.0) is not None


def run_cluster(lab: Lab, root: Path, scenario: Callable[[Members, dict[str, float]], Coroutine[Any, Any, None]],
                record_property: Any) -> dict[str, float]:
    """Start the three members, run `scenario`, kill everything (also on failure), record its numbers."""
    m = Members(lab, root)
    for host, name in zip(lab.hosts, m.names, strict=True):
        m.start(host, name)
    report: dict[str, float] = {}
    try:
        asyncio.run(scenario(m, report))
    finally:
        stop_all(lab)
    for key, value in report.items():
        record_property(key, round(value, 3))
    return report


def test_three_members_survive_leader_kill_and_partition(lab: Lab, tmp_path: Path,
                                                         record_property: Any) -> None:
    report = run_cluster(lab, tmp_path, _faults, record_property)
    print(f"\nleader kill -9 → writes again after {report['leader_kill_to_write_s']:.2f}s; "
          f"partitioned member caught up {report['catch_up_s']:.2f}s after heal")
    assert report["leader_kill_to_write_s"] < 10


async def _pause_and_link_down(m: Members, report: dict[str, float]) -> None:
    rotating = m.client(deadline=15.0)
    await until(lambda: rotating.put(b"boot", b"1"), 20)
    leader = (await rotating.status()).leader
    assert leader is not None
    paused = etcd_pid(m.host_of(leader))
    assert paused is not None
    os.kill(paused, signal.SIGSTOP)  # alive but silent (a GC pause, a hung disk): not restarted
    stopped_at = time.monotonic()
    try:
        await until(lambda: rotating.put(b"while-paused", b"1", deadline=1.0), 15)
        report["leader_pause_to_write_s"] = time.monotonic() - stopped_at
    finally:
        os.kill(paused, signal.SIGCONT)
    woken = m.client(pinned=m.names.index(leader), deadline=1.0)
    await until(lambda: _has(woken, b"while-paused", serializable=True), 15)
    assert etcd_pid(m.host_of(leader)) == paused  # resumed, not restarted

    downed = m.lab.hosts[0]
    downed.link(False)  # the cable, not a firewall: also cuts the test's own route to it
    try:
        await until(lambda: rotating.put(b"link-0", b"x", deadline=2.0), 15)
        for i in range(1, 10):
            await rotating.put(b"link-%d" % i, b"x")
    finally:
        downed.heal()
    back = m.client(pinned=0, deadline=1.0)
    await until(lambda: _has(back, b"link-9", serializable=True), 20)
    for client in (rotating, woken, back):
        await client.close()


def test_paused_leader_and_a_downed_link(lab: Lab, tmp_path: Path, record_property: Any) -> None:
    report = run_cluster(lab, tmp_path, _pause_and_link_down, record_property)
    print(f"\nleader SIGSTOP → writes again after {report['leader_pause_to_write_s']:.2f}s")
    assert report["leader_pause_to_write_s"] < 10


async def _one_cluster(m: Members) -> None:
    clients = [m.client(pinned=i, deadline=15.0) for i in range(len(m.names))]
    ids = set()
    for i, client in enumerate(clients):
        raw = await until(lambda c=client, i=i: c.call("put", lambda e: e.put(b"hello-%d" % i, b"1")), 20)
        assert raw >= 0
        put = await client.call("put", lambda e: e.put(b"probe", b"1"))
        ids.add(put.header.cluster_id)
        assert await client.member_names() == m.names
    assert len(ids) == 1, f"members formed {len(ids)} clusters"
    assert await clients[0].get(b"hello-2") is not None  # written via the third member
    for client in clients:
        await client.close()


def test_bootstrap_in_random_start_order_forms_one_cluster(lab: Lab, tmp_path: Path) -> None:
    rnd = random.Random(int(os.environ.get("RUCKET_BOOTSTRAP_SEED", "1604")))
    for round_ in range(int(os.environ.get("RUCKET_BOOTSTRAP_ROUNDS", "3"))):  # 20 for issue 16's long run
        m = Members(lab, tmp_path / f"round{round_}")
        order = rnd.sample(range(len(lab.hosts)), len(lab.hosts))
        try:
            for i in order:
                m.start(lab.hosts[i], m.names[i])
                time.sleep(rnd.uniform(0, 0.8))
            asyncio.run(_one_cluster(m))
        finally:
            stop_all(lab)


async def _refused(m: Members) -> None:
    good, stranger = m.client(pinned=0, deadline=20.0), m.client(pinned=2, deadline=3.0)
    await until(lambda: good.put(b"k", b"v", deadline=2.0), 20)
    started = {member.name: member.started for member in await good.members()}
    assert started == {"n1": True, "n2": True, "n3": False}  # n3 is configured but never joined
    with pytest.raises(EtcdUnavailable):
        await stranger.put(b"k", b"evil")
    assert (await good.get(b"k")).value == b"v"  # type: ignore[union-attr]
    for client in (good, stranger):
        await client.close()


def test_member_with_the_wrong_secret_is_refused_and_logged(lab: Lab, tmp_path: Path) -> None:
    m = Members(lab, tmp_path)
    m.start(lab.hosts[0], "n1")
    m.start(lab.hosts[1], "n2")
    m.start(lab.hosts[2], "n3", secret="not-the-cluster-secret-at-all")
    try:
        asyncio.run(_refused(m))
    finally:
        stop_all(lab)
    assert "mismatch" in (tmp_path / "n3" / "etcd.log").read_text()  # etcd: cluster ID mismatch
