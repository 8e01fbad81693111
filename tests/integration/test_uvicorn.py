"""The same raw ASGI app under uvicorn: no pathsend there, so file bodies take the streaming path."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3

from rucket.config import Config
from rucket.server import CONFIG_ENV, free_port


def test_app_runs_under_uvicorn(tmp_path: Path) -> None:
    port = free_port("127.0.0.1")
    cfg = Config(address=f"127.0.0.1:{port}", data_dir=str(tmp_path / "data"), root_user="uv",
                 root_password="uv-secret", log_level="warning")
    env = {**os.environ, CONFIG_ENV: cfg.to_json()}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "rucket.server:create_app", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning"], env=env,
                            start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(endpoint + "/minio/health/ready", timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="uv",
                          aws_secret_access_key="uv-secret")
        s3.create_bucket(Bucket="uvi")
        big = os.urandom(3 * 1024 * 1024 + 5)
        s3.put_object(Bucket="uvi", Key="big", Body=big)
        assert s3.get_object(Bucket="uvi", Key="big")["Body"].read() == big
        assert s3.get_object(Bucket="uvi", Key="big", Range="bytes=1000-1999")["Body"].read() == big[1000:2000]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
