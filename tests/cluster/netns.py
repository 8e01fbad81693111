"""Hosts in network namespaces for cluster tests: real partitions without Docker.

`Lab(n)` creates n namespaces `rk-<pid>-h<i>`, each with one veth (`eth0`, 10.250.<x>.<i>/24) plugged
into a bridge `rk<pid>br` in the root namespace, which also gets .254 so the test process can reach
every host directly. Faults are real kernel state: iptables DROP inside a host (both ways or one way)
and `ip link set down` on its veth; nothing is simulated.

Cleanup is guaranteed three ways: the context manager's `__exit__` (kills every process started in a
host, deletes namespaces and the bridge), an `atexit` hook for interpreter exits that skip it, and a
sweep at start-up that removes leftovers of test runs whose process is gone (a kill -9 of pytest).
Needs root (CI runs as root); `require_root()` skips otherwise.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

import pytest

PREFIX = "rk-"
_COUNTER = itertools.count()


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root (CI runs as root)")


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=check, capture_output=True, text=True, timeout=30)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_pids_in(ns: str) -> None:
    pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)


def sweep_stale() -> None:
    """Remove namespaces and bridges left by test runs whose pytest process no longer exists."""
    for line in sh("ip", "netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        parts = name.split("-")
        if name.startswith(PREFIX) and len(parts) >= 3 and parts[1].isdigit() and not _pid_alive(int(parts[1])):
            _kill_pids_in(name)
            sh("ip", "netns", "del", name, check=False)
    for line in sh("ip", "-o", "link", "show", "type", "bridge", check=False).stdout.splitlines():
        dev = line.split(":")[1].strip().split("@")[0]
        digits = dev.partition("b")[2]
        if dev.startswith("rk") and digits.isdigit() and not _pid_alive(int(digits)):
            sh("ip", "link", "del", dev, check=False)


@dataclass
class Host:
    name: str  # the netns name
    ip: str
    lab: Lab
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return sh("ip", "netns", "exec", self.name, *argv, check=check)

    def spawn(self, argv: Sequence[str], *, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start a process inside this host (the Popen pid is the process itself: `ip netns exec` execs)."""
        log.parent.mkdir(parents=True, exist_ok=True)
        out: IO[bytes] = log.open("ab")
        try:
            proc = subprocess.Popen(["ip", "netns", "exec", self.name, *argv], stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        finally:
            out.close()
        self.procs.append(proc)
        return proc

    def kill_all(self, timeout: float = 5.0) -> None:
        """SIGKILL every process of this host (started here or forked from one) and wait until none is left."""
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        _kill_pids_in(self.name)
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=timeout)
        self.procs.clear()
        if not wait_until(lambda: not sh("ip", "netns", "pids", self.name, check=False).stdout.split(),
                          timeout):
            raise RuntimeError(f"processes of {self.name} survive SIGKILL")

    def iptables(self, *rule: str) -> None:
        self.run("iptables", "-w", *rule)

    def drop_from(self, other: Host) -> None:
        """Packets from `other` never arrive here (one way: we can still send to it)."""
        self.iptables("-A", "INPUT", "-s", other.ip, "-j", "DROP")

    def drop_to(self, other: Host) -> None:
        self.iptables("-A", "OUTPUT", "-d", other.ip, "-j", "DROP")

    def link(self, up: bool) -> None:
        self.run("ip", "link", "set", "eth0", "up" if up else "down")

    def heal(self) -> None:
        self.iptables("-F")
        self.link(True)


class Lab:
    """N hosts on one bridge. Use as a context manager; everything is removed on exit, even on failure."""

    def __init__(self, count: int) -> None:
        require_root()
        if not 1 <= count <= 9:
            raise ValueError("1..9 hosts (interface names must stay within 15 characters)")
        pid, n = os.getpid(), next(_COUNTER) % 10
        self.tag = f"{n}{pid}"  # names: rk-<pid>-<n>h<i> (netns), rk<n>b<pid> (bridge), rk<n><pid>h<i>[p] (veth)
        self.bridge = f"rk{n}b{pid}"
        self.prefix = f"10.250.{100 + (pid * 10 + n) % 150}"
        self.gateway = f"{self.prefix}.254"
        self.hosts = [Host(f"{PREFIX}{pid}-{n}h{i}", f"{self.prefix}.{i}", self) for i in range(1, count + 1)]
        self._closed = False

    def __enter__(self) -> Lab:
        sweep_stale()
        atexit.register(self.close)
        try:
            self._create()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _create(self) -> None:
        sh("ip", "link", "add", self.bridge, "type", "bridge")
        sh("ip", "addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        sh("ip", "link", "set", self.bridge, "up")
        for i, host in enumerate(self.hosts, start=1):
            outside, inside = f"rk{self.tag}h{i}", f"rk{self.tag}h{i}p"
            sh("ip", "netns", "add", host.name)
            sh("ip", "link", "add", outside, "type", "veth", "peer", "name", inside)
            sh("ip", "link", "set", inside, "netns", host.name)
            sh("ip", "link", "set", outside, "master", self.bridge)
            sh("ip", "link", "set", outside, "up")
            host.run("ip", "link", "set", inside, "name", "eth0")
            host.run("ip", "addr", "add", f"{host.ip}/24", "dev", "eth0")
            host.run("ip", "link", "set", "eth0", "up")
            host.run("ip", "link", "set", "lo", "up")

    def partition(self, side: Sequence[Host], *, one_way: bool = False) -> None:
        """Cut `side` off from every other host: both ways, or only other → side when `one_way`."""
        rest = [h for h in self.hosts if h not in side]
        for a in side:
            for b in rest:
                a.drop_from(b)
                if not one_way:
                    a.drop_to(b)

    def heal(self) -> None:
        for host in self.hosts:
            host.heal()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for host in self.hosts:
            with contextlib.suppress(RuntimeError):
                host.kill_all()
            sh("ip", "netns", "del", host.name, check=False)
        sh("ip", "link", "del", self.bridge, check=False)
        with contextlib.suppress(Exception):
            atexit.unregister(self.close)


def namespaces() -> list[str]:
    return [line.split()[0] for line in sh("ip", "netns", "list", check=False).stdout.splitlines() if line.split()]


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll a real condition of real processes (no fake clock can advance another process)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return False
