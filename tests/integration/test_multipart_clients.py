"""Real clients doing multipart: boto3's TransferManager both ways (100 MiB, SHA-256 compared, server
memory measured) and the aws CLI `s3 cp` of a file large enough to go multipart."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import pytest
from boto3.s3.transfer import TransferConfig

from tests.integration.conftest import make_client
from tests.integration.test_awscli import aws
from tests.server import ServerProcess, start_server

MiB = 1024 * 1024


@pytest.mark.timeout(600)
def test_transfer_manager_100mib_sha256_and_flat_memory(tmp_path: Path) -> None:
    """boto3 upload_file/download_file (multipart both ways) on a dedicated server whose worker's
    peak RSS (VmHWM) must stay flat: bodies are streamed, never buffered."""
    server = start_server(tmp_path / "data")
    try:
        s3 = make_client(server)
        s3.create_bucket(Bucket="tm-bucket")
        src, dst = tmp_path / "src.bin", tmp_path / "dst.bin"
        with open(src, "wb") as f:
            for _ in range(100):
                f.write(os.urandom(MiB))
        cfg = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, max_concurrency=4)
        s3.upload_file(str(src), "tm-bucket", "big", Config=cfg)
        peak = worker_peak_rss(server)
        head = s3.head_object(Bucket="tm-bucket", Key="big")
        assert head["ContentLength"] == 100 * MiB and head["ETag"].endswith('-13"')
        s3.download_file("tm-bucket", "big", str(dst), Config=cfg)
        assert sha256(dst) == sha256(src)
        print(f"server worker peak RSS during the 100 MiB upload: {peak / MiB:.1f} MiB")
        assert peak < 250 * MiB
    finally:
        server.stop()


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(MiB):
            h.update(chunk)
    return h.hexdigest()


def worker_peak_rss(server: ServerProcess) -> int:
    """Largest VmHWM among the server's descendants: granian runs the app in a worker process whose
    parent (`server.proc`) only supervises it."""
    assert server.proc is not None
    pids, peak = children(server.proc.pid), 0
    assert pids, "granian worker process not found"
    while pids:
        pid = pids.pop()
        status = Path(f"/proc/{pid}/status").read_text()
        peak = max(peak, next(int(line.split()[1]) * 1024 for line in status.splitlines()
                              if line.startswith("VmHWM:")))
        pids += children(pid)
    return peak


def children(pid: int) -> list[int]:
    return [int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]


@pytest.mark.timeout(300)
def test_aws_cli_multipart_cp_roundtrip(server: ServerProcess, tmp_path: Path) -> None:
    name = f"cli-mp-{uuid.uuid4().hex[:10]}"
    src, dst = tmp_path / "up.bin", tmp_path / "down.bin"
    src.write_bytes(os.urandom(20 * MiB + 5))  # over the CLI's 8 MiB multipart threshold
    aws(server, "s3", "mb", f"s3://{name}")
    aws(server, "s3", "cp", str(src), f"s3://{name}/big.bin")
    head = make_client(server).head_object(Bucket=name, Key="big.bin")
    assert head["ContentLength"] == src.stat().st_size and head["ETag"].endswith('-3"')  # 3 x 8 MiB parts
    aws(server, "s3", "cp", f"s3://{name}/big.bin", str(dst))
    assert sha256(dst) == sha256(src)
    aws(server, "s3", "rm", "--recursive", f"s3://{name}")
    aws(server, "s3", "rb", f"s3://{name}")
