"""The namespace harness itself: hosts reach each other, and each fault really cuts what it says."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.netns import Lab, namespaces, require_root, sh, sweep_stale, wait_until

PORT = 9760
LISTEN = ("import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
          "s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(16)\nwhile True: s.accept()[0].close()")
CONNECT = "import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=0.5)"


def reaches(lab: Lab, src: int, dst: int) -> bool:
    return lab.hosts[src].run(sys.executable, "-c", CONNECT, lab.hosts[dst].ip, str(PORT), check=False).returncode == 0


@pytest.fixture(scope="module")
def lab3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    require_root()
    log = Path(tmp_path_factory.mktemp("netns")) / "listen.log"
    with Lab(3) as lab:
        for host in lab.hosts:
            host.spawn([sys.executable, "-c", LISTEN, str(PORT)], log=log)
        assert wait_until(lambda: all(reaches(lab, a, b) for a in range(3) for b in range(3) if a != b), 10)
        yield lab


def test_partition_both_ways_cuts_both_directions_and_heal_restores(lab3: Lab) -> None:
    lab3.partition([lab3.hosts[0]])
    try:
        assert not reaches(lab3, 0, 1) and not reaches(lab3, 1, 0)
        assert reaches(lab3, 1, 2)  # the majority still talks
    finally:
        lab3.heal()
    assert reaches(lab3, 0, 1) and reaches(lab3, 1, 0)


def test_one_way_partition_drops_only_incoming(lab3: Lab) -> None:
    lab3.partition([lab3.hosts[0]], one_way=True)
    try:
        assert not reaches(lab3, 1, 0)  # SYNs to h1 are dropped
        assert not reaches(lab3, 0, 1)  # h1's SYN arrives but the SYN-ACK back is dropped: TCP cannot complete
        assert reaches(lab3, 1, 2)
    finally:
        lab3.heal()
    assert reaches(lab3, 1, 0)


def test_link_down_isolates_the_host(lab3: Lab) -> None:
    lab3.hosts[2].link(False)
    try:
        assert not reaches(lab3, 0, 2) and not reaches(lab3, 2, 0)
    finally:
        lab3.hosts[2].heal()
    assert wait_until(lambda: reaches(lab3, 0, 2), 5)


def test_close_removes_namespaces_bridge_and_processes(tmp_path: Path) -> None:
    require_root()
    lab = Lab(2)
    with pytest.raises(RuntimeError), lab:
        proc = lab.hosts[0].spawn([sys.executable, "-c", "import time; time.sleep(60)"], log=tmp_path / "l")
        assert all(h.name in namespaces() for h in lab.hosts)
        raise RuntimeError("a failing test body")
    assert not any(h.name in namespaces() for h in lab.hosts)
    assert proc.poll() is not None
    assert lab.bridge not in {p.name for p in Path("/sys/class/net").iterdir()}


def test_sweep_removes_what_a_killed_test_run_left_behind() -> None:
    require_root()
    dead = next(pid for pid in range(4_000_000, 4_100_000) if not Path(f"/proc/{pid}").exists())
    ns, bridge = f"rk-{dead}-0h1", f"rk0b{dead}"
    sh("ip", "netns", "add", ns)
    sh("ip", "link", "add", bridge, "type", "bridge")
    try:
        sweep_stale()
        assert ns not in namespaces()
        assert bridge not in {p.name for p in Path("/sys/class/net").iterdir()}
    finally:
        sh("ip", "netns", "del", ns, check=False)
        sh("ip", "link", "del", bridge, check=False)
