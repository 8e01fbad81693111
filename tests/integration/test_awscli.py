"""The aws CLI, unmodified: mb, cp, ls, sync, rm."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.server import ServerProcess

AWS = shutil.which("aws", path=str(Path(sys.executable).parent)) or shutil.which("aws")


def aws(server: ServerProcess, *args: str) -> str:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": server.access_key, "AWS_SECRET_ACCESS_KEY": server.secret_key,
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    assert AWS is not None, "aws CLI is a dev dependency"
    out = subprocess.run([AWS, "--endpoint-url", server.endpoint, *args], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.timeout(300)
def test_aws_cli_cp_sync_ls(server: ServerProcess, tmp_path: Path) -> None:
    name = f"cli-{uuid.uuid4().hex[:12]}"
    aws(server, "s3", "mb", f"s3://{name}")
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"alpha")
    (src / "sub" / "b.bin").write_bytes(os.urandom(300_000))
    aws(server, "s3", "cp", str(src / "a.txt"), f"s3://{name}/a.txt")
    aws(server, "s3", "sync", str(src), f"s3://{name}/tree")
    listing = aws(server, "s3", "ls", "--recursive", f"s3://{name}")
    assert "a.txt" in listing and "tree/sub/b.bin" in listing
    dst = tmp_path / "dst"
    aws(server, "s3", "sync", f"s3://{name}/tree", str(dst))
    assert (dst / "sub" / "b.bin").read_bytes() == (src / "sub" / "b.bin").read_bytes()
    assert "tree/sub/b.bin" not in aws(server, "s3", "sync", str(src), f"s3://{name}/tree")  # nothing to do
    aws(server, "s3", "rm", "--recursive", f"s3://{name}")
    aws(server, "s3", "rb", f"s3://{name}")
