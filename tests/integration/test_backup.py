"""`rucket backup --data-dir DIR DEST` of a running server under load, `rucket restore SRC --data-dir DIR`."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.client import BaseClient

from tests.integration.conftest import make_client
from tests.server import ServerProcess, start_server

pytestmark = pytest.mark.integration

VersionKey = tuple[str, str, str]  # bucket, key, version id


def rucket(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rucket", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path / "src")
    yield proc
    proc.stop()


def _body(rng: random.Random) -> bytes:
    size = rng.choice([0, 17, 4096, 70_000, 300_000])  # inline rows and blob files
    return rng.randbytes(size)


def preload(s3: BaseClient, rng: random.Random) -> None:
    s3.create_bucket(Bucket="plain")
    s3.create_bucket(Bucket="ver")
    s3.put_bucket_versioning(Bucket="ver", VersioningConfiguration={"Status": "Enabled"})
    for i in range(60):
        s3.put_object(Bucket="plain", Key=f"p/{i:03d}", Body=_body(rng), Metadata={"n": str(i)})
    for i in range(20):
        for _ in range(3):
            s3.put_object(Bucket="ver", Key=f"v/{i:02d}", Body=_body(rng), ContentType="application/x-test")
    s3.delete_object(Bucket="ver", Key="v/00")  # a delete marker on top
    mpu = s3.create_multipart_upload(Bucket="ver", Key="big")
    parts = [s3.upload_part(Bucket="ver", Key="big", UploadId=mpu["UploadId"], PartNumber=n,
                            Body=rng.randbytes(5 * 1024 * 1024 if n == 1 else 1234))["ETag"] for n in (1, 2)]
    s3.complete_multipart_upload(Bucket="ver", Key="big", UploadId=mpu["UploadId"], MultipartUpload={
        "Parts": [{"ETag": e, "PartNumber": n} for n, e in enumerate(parts, 1)]})


def versions(s3: BaseClient, bucket: str) -> list[tuple[str, str, bool]]:
    """(key, version id, is delete marker) in listing order."""
    out: list[tuple[str, str, bool]] = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        entries = [(v["Key"], v["VersionId"], False, v) for v in page.get("Versions", [])]
        entries += [(d["Key"], d["VersionId"], True, d) for d in page.get("DeleteMarkers", [])]
        entries.sort(key=lambda e: (e[0], -e[3]["LastModified"].timestamp()))
        out += [(k, vid, dm) for k, vid, dm, _ in entries]
    return out


class Writer(threading.Thread):
    """Adds new keys and new versions (never removes one) and remembers every acknowledged write."""

    def __init__(self, s3: BaseClient) -> None:
        super().__init__(daemon=True)
        self.s3, self.stop, self.acked = s3, threading.Event(), []  # type: list[tuple[float, VersionKey]]
        self.rng = random.Random(7)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acked) < count and self.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.acked) >= count, f"writer stalled at {len(self.acked)} writes"

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            bucket, key = ("ver", f"v/{n % 20:02d}") if n % 2 else ("plain", f"load/{n:05d}")
            resp = self.s3.put_object(Bucket=bucket, Key=key, Body=_body(self.rng))
            self.acked.append((time.monotonic(), (bucket, key, resp.get("VersionId", "null"))))
            n += 1


def _get(s3: BaseClient, bucket: str, key: str, vid: str) -> tuple[bytes, dict[str, str], str, str]:
    r = s3.get_object(Bucket=bucket, Key=key, VersionId=vid)
    return r["Body"].read(), r["Metadata"], r["ContentType"], r["ETag"]


def test_backup_under_load_then_restore_matches_byte_for_byte(source: ServerProcess, tmp_path: Path) -> None:
    s3 = make_client(source)
    preload(s3, random.Random(1))
    writer = Writer(make_client(source))
    writer.start()
    writer.wait_for(20)  # the writer is mid-stream when the snapshot starts
    started = time.monotonic()
    out = rucket("backup", "--data-dir", str(source.data_dir), str(tmp_path / "bk"))
    finished = time.monotonic()
    writer.wait_for(len(writer.acked) + 20)  # and still writing after it ended
    writer.stop.set()
    writer.join(30)
    assert out.returncode == 0, out.stderr
    assert "complete" in out.stdout and "hard-linked" in out.stdout
    held = rucket("fsck", "--data-dir", str(source.data_dir))  # the server holds the data-dir lock all along
    assert held.returncode != 0 and "in use" in held.stderr
    during = [a for t, a in writer.acked if started <= t <= finished]
    assert during, "no write landed while the backup ran: the test did not test online backup"
    before = {a for t, a in writer.acked if t < started}

    restored = rucket("restore", str(tmp_path / "bk"), "--data-dir", str(tmp_path / "restored"))
    assert restored.returncode == 0, restored.stderr
    target = start_server(tmp_path / "restored")
    try:
        back = make_client(target)
        compared = 0
        for bucket in ("plain", "ver"):
            now_src = versions(s3, bucket)
            got = versions(back, bucket)
            assert {(bucket, k, v) for k, v, _ in got} >= {a for a in before if a[0] == bucket}
            assert [e for e in now_src if e in set(got)] == got  # same versions, same order, nothing invented
            for key, vid, marker in got:
                if not marker:
                    assert _get(back, bucket, key, vid) == _get(s3, bucket, key, vid), (bucket, key, vid)
                    compared += 1
        assert back.get_bucket_versioning(Bucket="ver")["Status"] == "Enabled"
        assert compared >= 60 + 61 + len(before)
    finally:
        target.stop()
    print(f"backup under load: {compared} versions compared, {len(during)} writes during a "
          f"{finished - started:.2f} s backup; {out.stdout.strip()}")


def test_backup_to_full_disk_fails_cleanly_and_server_keeps_serving(source: ServerProcess, tmp_path: Path) -> None:
    s3 = make_client(source)
    s3.create_bucket(Bucket="full")
    for i in range(6):
        s3.put_object(Bucket="full", Key=f"k{i}", Body=random.Random(i).randbytes(1024 * 1024))
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(small)], check=True)
    try:
        out = rucket("backup", "--data-dir", str(source.data_dir), str(small / "bk"))
        assert out.returncode == 1
        assert "No space left on device" in out.stderr and "nothing kept" in out.stderr
        assert list(small.iterdir()) == []  # the partial backup is gone again
    finally:
        subprocess.run(["umount", str(small)], check=True)
    s3.put_object(Bucket="full", Key="after", Body=b"still serving")
    assert s3.get_object(Bucket="full", Key="after")["Body"].read() == b"still serving"
    assert s3.get_object(Bucket="full", Key="k5")["Body"].read() == random.Random(5).randbytes(1024 * 1024)


def test_restore_refuses_a_non_empty_data_dir_and_a_damaged_backup(source: ServerProcess, tmp_path: Path) -> None:
    s3 = make_client(source)
    s3.create_bucket(Bucket="dmg")
    s3.put_object(Bucket="dmg", Key="k", Body=b"x" * 200_000)
    assert rucket("backup", "--data-dir", str(source.data_dir), str(tmp_path / "bk")).returncode == 0
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "something").write_text("x")
    out = rucket("restore", str(tmp_path / "bk"), "--data-dir", str(busy))
    assert out.returncode == 1 and "not an empty directory" in out.stderr
    blob = next((tmp_path / "bk" / "blobs").glob("*/*/*"))
    blob.unlink()
    blob.write_bytes(b"short")  # a new inode: the server's hard-linked original is untouched
    out = rucket("restore", str(tmp_path / "bk"), "--data-dir", str(tmp_path / "r2"))
    assert out.returncode == 1 and blob.name in out.stderr and not (tmp_path / "r2").exists()
    out = rucket("backup", "--data-dir", str(source.data_dir), str(tmp_path / "bk"))
    assert out.returncode == 1 and "not an empty directory" in out.stderr


def test_backup_of_a_dir_that_is_not_a_data_dir_is_refused(tmp_path: Path) -> None:
    out = rucket("backup", "--data-dir", str(tmp_path), str(tmp_path / f"bk-{uuid.uuid4().hex[:6]}"))
    assert out.returncode == 1 and "meta.db" in out.stderr


def test_backup_of_a_data_dir_missing_a_referenced_blob_fails_and_names_it(tmp_path: Path) -> None:
    server = start_server(tmp_path / "src")
    try:
        make_client(server).create_bucket(Bucket="gone")
        make_client(server).put_object(Bucket="gone", Key="k", Body=b"y" * 200_000)
    finally:
        server.stop()
    (blob,) = (tmp_path / "src" / "blobs").glob("*/*/*")
    blob.unlink()
    out = rucket("backup", "--data-dir", str(tmp_path / "src"), str(tmp_path / "bk"))
    assert out.returncode == 1 and blob.name in out.stderr and "rucket fsck" in out.stderr
    assert not (tmp_path / "bk").exists()
