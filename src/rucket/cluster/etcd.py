"""Run and supervise the node's etcd member (Debian etcd-server 3.4.23): metadata consensus we do not write.

Each of the first 3 (or 5) nodes of a cluster runs one member. Its ports derive from the node's S3
port (DESIGN.md §7): internal API = S3 + 1, etcd client = S3 + 2, etcd peer = S3 + 3. Its data lives
in `<data-dir>/etcd`, so the member and the node's blobs live and die together; a data dir that
already holds a member restarts it and never bootstraps again (etcd ignores the `--initial-*` flags
then, which is exactly the rule we want).

The initial-cluster token is derived from the cluster secret: two clusters (or a node configured with
the wrong secret) get different tokens, so etcd refuses to mix their members instead of silently
joining them. The secret itself never reaches etcd's command line.

The supervisor restarts a member that dies with a capped exponential backoff (reset after a healthy
run), so a crash loop cannot spin the CPU and a one-off kill costs well under a second. etcd runs in
its own session (a ^C to the server must not kill it mid-write), so a kill -9 of the node leaves it
orphaned; the supervisor writes `etcd.pid` and, on start, kills an orphan still running on this data
dir before starting its own (two members on one data dir would fight over the ports and the WAL).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("rucket.cluster.etcd")

ETCD_BINARY = "/usr/bin/etcd"
CLIENT_OFFSET, PEER_OFFSET = 2, 3  # etcd client / peer port = S3 port + offset
_TOKEN_LABEL = b"rucket etcd initial-cluster-token v1"


def cluster_token(secret: bytes) -> str:
    """etcd's --initial-cluster-token from the cluster secret (HMAC, so the secret cannot be recovered)."""
    if len(secret) < 16:
        raise ValueError("the cluster secret must be at least 16 bytes")
    return "rucket-" + hmac.new(secret, _TOKEN_LABEL, hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class MemberAddress:
    """Where a member listens: derived from its node's S3 address (host, port)."""

    name: str
    host: str
    s3_port: int
    client_offset: int = CLIENT_OFFSET  # rucket.toml may move them (the same on every node)
    peer_offset: int = PEER_OFFSET

    @property
    def client_url(self) -> str:
        return f"http://{self.host}:{self.s3_port + self.client_offset}"

    @property
    def peer_url(self) -> str:
        return f"http://{self.host}:{self.s3_port + self.peer_offset}"


@dataclass(frozen=True)
class MemberConfig:
    """Everything one etcd member needs; `argv()` is a pure function of it."""

    me: MemberAddress
    members: tuple[MemberAddress, ...]  # the initial cluster, including `me`
    node_data_dir: Path
    secret: bytes = field(repr=False)
    binary: str = ETCD_BINARY
    heartbeat_ms: int = 100  # etcd defaults: a leader loss is noticed after ~1 s
    election_ms: int = 1000

    def __post_init__(self) -> None:
        if self.me not in self.members:
            raise ValueError("a member must be part of its initial cluster")
        if len({m.name for m in self.members}) != len(self.members):
            raise ValueError("member names must be unique")

    @property
    def data_dir(self) -> Path:
        return self.node_data_dir / "etcd"

    def bootstrapped(self) -> bool:
        """True once etcd wrote its member directory: from then on it restarts, never re-bootstraps."""
        return (self.data_dir / "member" / "wal").is_dir()

    @property
    def pid_file(self) -> Path:
        return self.node_data_dir / "etcd.pid"

    def argv(self) -> list[str]:
        initial = ",".join(f"{m.name}={m.peer_url}" for m in self.members)
        local = f"http://127.0.0.1:{self.me.s3_port + self.me.client_offset}"
        listen_clients = self.me.client_url if self.me.host == "127.0.0.1" else f"{self.me.client_url},{local}"
        return [
            self.binary,
            f"--name={self.me.name}",
            f"--data-dir={self.data_dir}",
            f"--listen-client-urls={listen_clients}",
            f"--advertise-client-urls={self.me.client_url}",
            f"--listen-peer-urls={self.me.peer_url}",
            f"--initial-advertise-peer-urls={self.me.peer_url}",
            f"--initial-cluster={initial}",
            f"--initial-cluster-token={cluster_token(self.secret)}",
            "--initial-cluster-state=new",
            f"--heartbeat-interval={self.heartbeat_ms}",
            f"--election-timeout={self.election_ms}",
            "--logger=zap",
            "--log-outputs=stderr",
        ]


def next_backoff(previous: float, ran_for: float, *, first: float = 0.2, cap: float = 10.0,
                 healthy_after: float = 30.0) -> float:
    """Delay before the next restart: doubles while the member keeps dying young, resets after a good run."""
    if ran_for >= healthy_after or previous <= 0:
        return first
    return min(cap, previous * 2)


async def _spawn(argv: Sequence[str], log_path: Path) -> asyncio.subprocess.Process:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as out:  # the child keeps its own descriptor; ours closes right away
        return await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL, stdout=out,
                                                    stderr=out, start_new_session=True)


def _runs_on(pid: int, data_dir: Path) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"--data-dir={data_dir}".encode() in argv


async def reap_orphan(config: MemberConfig, *, timeout: float = 10.0) -> int | None:
    """Kill an etcd left running on this data dir by a supervisor that died; returns its pid if any."""
    try:
        pid = int(config.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    if not _runs_on(pid, config.data_dir):
        return None  # gone, or the pid now belongs to an unrelated process: never touch it
    log.warning("killing orphaned etcd member %s (pid %d) left by a previous run", config.me.name, pid)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while _runs_on(pid, config.data_dir):  # not our child: poll until the kernel has reaped it
        if time.monotonic() > deadline:
            raise RuntimeError(f"orphaned etcd pid {pid} survives SIGKILL")
        await asyncio.sleep(0.05)
    return pid


class EtcdSupervisor:
    """Keeps one etcd member running until `stop()`; `restarts` counts the deaths it repaired."""

    def __init__(self, config: MemberConfig, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.restarts = 0
        self._monotonic = monotonic
        self._proc: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._stop = asyncio.Event()  # wakes a supervisor sleeping in its restart backoff
        self._started = asyncio.Event()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    @property
    def running(self) -> bool:
        """The supervisor loop is alive (a dead loop must not let the node report ready)."""
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.config.data_dir, 0o700)  # etcd refuses a data dir others can read
        await reap_orphan(self.config)
        self._task = asyncio.create_task(self._supervise(), name=f"etcd-{self.config.me.name}")
        self._task.add_done_callback(self._ended)
        started = asyncio.create_task(self._started.wait())
        await asyncio.wait({self._task, started}, return_when=asyncio.FIRST_COMPLETED)
        started.cancel()
        if self._task.done():
            self._task.result()  # the first spawn failed (no binary, bad data dir): raise it here

    async def _supervise(self) -> None:
        backoff = 0.0
        while not self._stopping:
            began = self._monotonic()
            self._proc = await _spawn(self.config.argv(), self.config.node_data_dir / "etcd.log")
            self.config.pid_file.write_text(f"{self._proc.pid}\n")
            log.info("etcd member %s started (pid %d)", self.config.me.name, self._proc.pid)
            self._started.set()
            if self._stopping:  # stop() ran while we were spawning: it found no process to signal
                self._proc.terminate()
            code = await self._proc.wait()
            if self._stopping:
                return
            self.restarts += 1
            backoff = next_backoff(backoff, self._monotonic() - began)
            log.warning("etcd member %s exited with %s; restart %d in %.1fs", self.config.me.name, code,
                        self.restarts, backoff)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), backoff)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None and not self._stopping:
            log.error("etcd supervisor for %s died: %r; this node is not ready", self.config.me.name,
                      task.exception())

    async def stop(self, *, grace: float = 5.0) -> None:
        """SIGTERM (etcd flushes and leaves cleanly), SIGKILL after `grace` seconds."""
        self._stopping = True
        self._stop.set()
        proc = self._proc
        if proc is not None and proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), grace)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self._task is not None:
            with contextlib.suppress(Exception):  # a supervisor that died has already logged why
                await self._task


def members_from(spec: Mapping[str, tuple[str, int]]) -> tuple[MemberAddress, ...]:
    """{name: (host, s3_port)} → the initial cluster, in name order (identical on every node)."""
    return tuple(MemberAddress(name, host, port) for name, (host, port) in sorted(spec.items()))
