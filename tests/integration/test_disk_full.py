"""A full disk, for real: the data dir on a small tmpfs (mounted here, as root).

Writes get 507 XMinioStorageFull (not a 500 an SDK would retry with the whole body), deletes
still commit, nothing leaks, readiness stays honest, and writes work again as soon as space is
freed, without a restart.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.server import ServerProcess, no_retry_client, start_server

MIB = 1 << 20
B = "full"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)


def _fill(path: Path, leave: int) -> None:
    """Write a filler file until at most `leave` bytes are free (someone else's logs filling the disk)."""
    with open(path, "wb") as f:
        try:
            while _free(path.parent) > leave:
                f.write(b"\0" * min(MIB, max(4096, _free(path.parent) - leave)))
                f.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


def _free(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def _put_until_full(s3: BaseClient, size: int) -> tuple[list[str], ClientError]:
    stored: list[str] = []
    for i in range(64):
        try:
            s3.put_object(Bucket=B, Key=f"o{i}", Body=bytes([i]) * size)
        except ClientError as exc:
            return stored, exc
        stored.append(f"o{i}")
    raise AssertionError("the disk never filled")


def _admin_disk(server: ServerProcess) -> dict[str, int]:
    from rucket.cli_admin import signed_request
    from rucket.core.paths import ADMIN

    status, body = signed_request(server.endpoint, server.access_key, server.secret_key, "us-east-1", "GET",
                                  ADMIN + "/usage")
    assert status == 200, body
    return dict(body["disk"])


@contextlib.contextmanager
def _serving(disk: Path, reserve_mb: int) -> Iterator[tuple[ServerProcess, BaseClient]]:
    """A server on the small disk with its bucket; stopped on the way out."""
    server = start_server(disk / "data", env={"RUCKET_DISK_RESERVE_MB": str(reserve_mb)})
    try:
        s3 = no_retry_client(server)
        s3.create_bucket(Bucket=B)
        yield server, s3
    finally:
        server.stop()


def test_full_disk_answers_507_keeps_deletes_and_recovers_without_restart(small_disk: Path) -> None:
    data = small_disk / "data"
    with _serving(small_disk, 4) as (server, s3):
        stored, refused = _put_until_full(s3, MIB)
        assert refused.response["Error"]["Code"] == "XMinioStorageFull"
        assert refused.response["ResponseMetadata"]["HTTPStatusCode"] == 507
        assert len(stored) >= 5
        assert list((data / "tmp").iterdir()) == []  # the refused body left nothing behind
        disk = _admin_disk(server)
        assert disk["free_bytes"] < disk["reserve_bytes"] == 4 * MIB and disk["total_bytes"] == 24 * MIB
        _fill(small_disk / "filler", leave=0)  # and now truly no space at all
        s3.delete_object(Bucket=B, Key=stored.pop())  # a delete still commits
        s3.delete_objects(Bucket=B, Delete={"Objects": [{"Key": stored.pop()}]})
        assert [o["Key"] for o in s3.list_objects_v2(Bucket=B)["Contents"]] == sorted(stored)
        with urllib.request.urlopen(server.endpoint + "/minio/health/ready", timeout=5) as r:
            assert r.status == 200
        (small_disk / "filler").unlink()  # the operator frees space: no restart needed
        s3.put_object(Bucket=B, Key="after", Body=b"a" * MIB)
        assert s3.get_object(Bucket=B, Key="after")["Body"].read() == b"a" * MIB
        assert s3.get_object(Bucket=B, Key=stored[0])["Body"].read() == bytes([0]) * MIB
        assert (data / "space.reserve").stat().st_size == 2 * MIB  # the spare is back for next time


def test_enospc_in_the_middle_of_a_body_is_507_and_leaks_no_temp_file(small_disk: Path) -> None:
    """With no reserve the check lets the write start; the disk fills under it."""
    with _serving(small_disk, 0) as (server, s3):
        _fill(small_disk / "filler", leave=2 * MIB)
        with pytest.raises(ClientError) as failed:
            s3.put_object(Bucket=B, Key="too-big", Body=b"x" * (6 * MIB))
        assert failed.value.response["Error"]["Code"] == "XMinioStorageFull"
        assert list((server.data_dir / "tmp").iterdir()) == []
        (small_disk / "filler").unlink()
        s3.put_object(Bucket=B, Key="too-big", Body=b"x" * (6 * MIB))
        assert s3.head_object(Bucket=B, Key="too-big")["ContentLength"] == 6 * MIB
