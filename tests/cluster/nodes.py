"""Real `rucket serve --cluster` nodes for the cluster tests: start, wait, kill -9, restart, ask.

Each node is the contract command line (issue 16) in its own process group, with its own data dir
and a block of 4 ports (S3, internal = +1, etcd client = +2, etcd peer = +3). Killing a node means
the whole node: the server's process group and its etcd member (which runs in its own session, as
a ^C must not kill it mid-write; its pid is in the data dir).
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.server import ROOT_KEY, ROOT_SECRET

SECRET = "cluster-test-secret-0123456789"


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_blocks(count: int, width: int = 4) -> list[int]:
    """`count` S3 ports, each followed by `width - 1` free ports (random: parallel runs do not collide)."""
    found: list[int] = []
    while len(found) < count:
        base = random.randrange(30_000, 60_000, 10)
        if all(_free(base + i) for i in range(width)) and base not in found:
            found.append(base)
    return found


@dataclass
class Node:
    node_id: str
    port: int
    data_dir: Path
    peers: list[str]
    expect: int
    zone: str = "default"
    secret: str = SECRET
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[str] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        return f"http://{self.address}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "rucket", "serve", "--cluster", "--node-id", self.node_id, "--address",
                self.address, "--data-dir", str(self.data_dir), "--peers", ",".join(self.peers), "--expect-nodes",
                str(self.expect), "--zone", self.zone]

    def start(self) -> None:
        env = {**os.environ, "RUCKET_ROOT_USER": ROOT_KEY, "RUCKET_ROOT_PASSWORD": ROOT_SECRET,
               "RUCKET_CLUSTER_SECRET": self.secret, "RUCKET_LOG_LEVEL": "info", "RUCKET_GC_DELAY": "0",
               "RUCKET_SCRUB_INTERVAL": "0", **self.env}
        log = open(self.data_dir.parent / f"{self.node_id}.log", "a")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=log, text=True, env=env,
                                     start_new_session=True)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def etcd_pid(self) -> int | None:
        try:
            pid = int((self.data_dir / "etcd.pid").read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return None
        return pid if str(self.data_dir).encode() in cmdline else None

    def kill9(self) -> None:
        """The whole node dies at once: server, worker and etcd member."""
        etcd = self.etcd_pid()
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        if etcd is not None:
            os.kill(etcd, signal.SIGKILL)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        etcd = self.etcd_pid()
        if etcd is not None:  # a node killed earlier may have left its member running
            os.kill(etcd, signal.SIGKILL)

    def health(self, which: str) -> int:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/minio/health/{which}", timeout=3) as r:
                return int(r.status)
        except urllib.error.HTTPError as err:
            return int(err.code)
        except OSError:
            return 0

    def admin(self, path: str) -> tuple[int, Any]:
        from rucket.cli_admin import signed_request

        return signed_request(self.endpoint, ROOT_KEY, ROOT_SECRET, "us-east-1", "GET", f"/_rucket/admin{path}")

    def status(self) -> dict[str, Any]:
        code, out = self.admin("/cluster")
        assert code == 200, out
        return dict(out)

    def client(self, **config: Any) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=ROOT_KEY, aws_secret_access_key=ROOT_SECRET,
                            config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=60,
                                          **config))

    def log(self) -> str:
        return (self.data_dir.parent / f"{self.node_id}.log").read_text(errors="replace")


def until(probe: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> float:
    """Seconds until `probe()` holds (real processes: there is no clock to advance); bounded."""
    start = time.monotonic()
    while not probe():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(interval)
    return time.monotonic() - start


class Cluster:
    def __init__(self, root: Path, size: int = 3, *, zones: list[str] | None = None) -> None:
        ports = port_blocks(size)
        addresses = [f"127.0.0.1:{p}" for p in ports]
        self.nodes = [Node(f"n{i + 1}", port, root / f"d{i + 1}", [a for a in addresses if a != addresses[i]], size,
                           zone=(zones[i] if zones else "default")) for i, port in enumerate(ports)]

    def start(self, timeout: float = 90) -> None:
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            self.wait_ready(node, timeout)

    def wait_ready(self, node: Node, timeout: float = 90) -> float:
        def ready() -> bool:
            assert node.alive(), f"{node.node_id} exited with {node.proc.returncode if node.proc else None}:\n" \
                                 f"{node.log()[-3000:]}"
            return node.health("ready") == 200

        return until(ready, timeout, f"{node.node_id} ready")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def by_id(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.node_id == node_id)


@contextmanager
def running(root: Path, size: int = 3, **kwargs: Any) -> Iterator[Cluster]:
    cluster = Cluster(root, size, **kwargs)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def states(status: dict[str, Any]) -> dict[str, str]:
    return {n["id"]: n["state"] for n in status["nodes"]}


def dump(status: dict[str, Any]) -> str:
    return json.dumps(status, indent=1)
