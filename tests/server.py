"""Start and stop a real `rucket serve` process for integration and crash tests."""

from __future__ import annotations

import os
import re
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT_KEY, ROOT_SECRET = "rucketadmin", "rucketadmin-test-secret"


@dataclass
class ServerProcess:
    proc: subprocess.Popen[str] | None
    endpoint: str
    access_key: str
    secret_key: str
    data_dir: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        os.killpg(self.proc.pid, sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(timeout=timeout)

    def scrape(self, path: str = "/metrics") -> str:
        """GET /metrics signed as the root user (it is not public by default)."""
        import hashlib
        from urllib.parse import urlsplit

        from rucket.s3.auth.client import AccessKey, sign_headers

        empty = hashlib.sha256(b"").hexdigest()
        headers = sign_headers(AccessKey(self.access_key, self.secret_key), "GET", path, "",
                               urlsplit(self.endpoint).netloc, empty, int(time.time() * 1000), "us-east-1")
        req = urllib.request.Request(self.endpoint + path, headers={k: v for k, v in headers.items() if k != "host"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return str(r.read().decode())

    def children(self) -> list[int]:
        """The server's direct child processes (its granian workers), from /proc."""
        assert self.proc is not None
        found: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").glob("*/children"):
            found += [int(p) for p in task.read_text().split()]
        return found

    def kill9(self) -> None:
        """SIGKILL the whole process group: the server and its granian worker die at once."""
        self.stop(signal.SIGKILL)


def no_retry_client(server: ServerProcess) -> Any:
    """A boto3 S3 client that sends each request once: the first answer is the one under test."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30))


def _write_config(data_dir: Path, users: list[tuple[str, str]]) -> Path:
    cfg = data_dir.parent / f"{data_dir.name}-rucket.toml"
    lines = [f'[[users]]\naccess_key = "{k}"\nsecret_key = "{s}"\n' for k, s in users]
    cfg.write_text("\n".join(lines))
    return cfg


def start_server(data_dir: Path, *, users: list[tuple[str, str]] | None = None, env: dict[str, str] | None = None,
                 timeout: float = 20, extra_args: list[str] | None = None, port: int = 0,
                 ca: Path | None = None) -> ServerProcess:
    """`ca`: the CA file that signed the server's --tls-cert (the readiness probe then speaks HTTPS)."""
    cmd = [sys.executable, "-m", "rucket", "serve", "--address", "127.0.0.1:0", "--port", str(port),
           "--data-dir", str(data_dir), "--config", str(_write_config(data_dir, users or [])), *(extra_args or [])]
    # GC delay 0 (free right after the commit): most tests count blob files after an overwrite;
    # tests of the deferred GC pass RUCKET_GC_DELAY in `env`.
    full_env = {**os.environ, "RUCKET_ROOT_USER": ROOT_KEY, "RUCKET_ROOT_PASSWORD": ROOT_SECRET,
                "RUCKET_LOG_LEVEL": "warning", "RUCKET_GC_DELAY": "0", **(env or {})}
    log = open(data_dir.parent / f"{data_dir.name}-server.log", "a")  # noqa: SIM115 - owned by the process
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=full_env,
                            start_new_session=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"listening on (https?://\S+)", line)
    if not match:
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    endpoint = match.group(1)
    server = ServerProcess(proc, endpoint, ROOT_KEY, ROOT_SECRET, data_dir)
    _wait_ready(server, timeout, ssl.create_default_context(cafile=str(ca)) if ca else None)
    return server


def _wait_ready(server: ServerProcess, timeout: float, context: ssl.SSLContext | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc is not None and server.proc.poll() is not None:
            raise RuntimeError(f"server exited with {server.proc.returncode}")
        try:
            with urllib.request.urlopen(server.endpoint + "/minio/health/ready", timeout=1, context=context) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("server not ready in time")
