"""Rucket as a test fixture: a real server on a free port, for people who reach for moto.

    from rucket.testing import serve

    with serve() as server:
        s3 = server.client()
        s3.create_bucket(Bucket="b")

The server is a real `rucket serve` process (so tests exercise real HTTP, SigV4 and
persistence), started in dev mode on a temp directory: fsync off, gone afterwards.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class RucketServer:
    endpoint: str
    access_key: str
    secret_key: str
    data_dir: Path
    region: str = "us-east-1"
    process: subprocess.Popen[str] | None = None

    def client(self, service: str = "s3", **kwargs: Any) -> Any:
        """A boto3 client for this server (boto3 is imported only when asked for)."""
        try:
            import boto3  # type: ignore[import-untyped]
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError("RucketServer.client() needs boto3: pip install 'rucket[testing]'") from exc

        return boto3.client(service, endpoint_url=self.endpoint, region_name=self.region,
                            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key, **kwargs)

    def env(self) -> dict[str, str]:
        """Environment variables that point the AWS CLI and SDKs at this server."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_DEFAULT_REGION": self.region, "AWS_ENDPOINT_URL": self.endpoint}


def _wait_ready(endpoint: str, proc: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"rucket serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(endpoint + "/minio/health/ready", timeout=1):
                return
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"rucket serve not ready after {timeout}s")


@contextmanager
def serve(data_dir: Path | None = None, *, durable: bool = False, timeout: float = 15,
          extra_args: tuple[str, ...] = ()) -> Iterator[RucketServer]:
    """Start a server on 127.0.0.1 and a free port; stop it (and remove a temp dir) on exit."""
    own_dir = data_dir is None
    root = Path(tempfile.mkdtemp(prefix="rucket-test-")) if data_dir is None else data_dir
    key, secret = "rucket-test", secrets.token_urlsafe(24)
    env = {**os.environ, "RUCKET_ROOT_USER": key, "RUCKET_ROOT_PASSWORD": secret, "RUCKET_LOG_LEVEL": "warning"}
    cmd = [sys.executable, "-m", "rucket", "serve", "--address", "127.0.0.1:0", "--port", "0",
           "--data-dir", str(root / "data"), *(() if durable else ("--no-fsync",)), *extra_args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                            start_new_session=True)
    try:
        assert proc.stdout is not None
        match = re.search(r"listening on (http://\S+)", proc.stdout.readline())
        if match is None:
            raise RuntimeError("rucket serve did not print its endpoint")
        _wait_ready(match.group(1), proc, timeout)
        yield RucketServer(match.group(1), key, secret, root / "data", process=proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        if own_dir:
            shutil.rmtree(root, ignore_errors=True)
