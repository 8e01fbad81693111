"""Integrity through a real server: bit flips on GET, the scrubber, `rucket fsck`, a damaged event log."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import requests
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.conftest import make_client
from tests.integration.http import signed
from tests.server import ROOT_KEY, ROOT_SECRET, ServerProcess, start_server

MiB = 1 << 20


def blob_of(data: Path, bucket: str, key: str) -> Path:
    with sqlite3.connect(f"file:{data / 'meta.db'}?mode=ro", uri=True) as db:
        (blob_id,) = db.execute("SELECT blob_id FROM versions WHERE bucket=? AND key=? ORDER BY id DESC LIMIT 1",
                                (bucket, key)).fetchone()
    return data / "blobs" / blob_id[:2] / blob_id[2:4] / blob_id


def flip(path: Path, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x10]))


def metric(endpoint: str, name: str) -> float:
    with urllib.request.urlopen(endpoint + "/metrics", timeout=10) as r:
        text = r.read().decode()
    return sum(s.value for fam in text_string_to_metric_families(text) for s in fam.samples if s.name == name)


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    return exc.value.response["ResponseMetadata"]["HTTPStatusCode"], exc.value.response["Error"]["Code"]


def test_corrupt_small_blob_is_a_500_never_wrong_bytes(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    body = os.urandom(300_000)  # above the inline limit, one verification block
    s3.put_object(Bucket=bucket, Key="k", Body=body)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == body
    before = metric(server.endpoint, "rucket_blob_corrupt_reads_total")
    flip(blob_of(server.data_dir, bucket, "k"), 1234)
    for kwargs in ({}, {"Range": "bytes=0-9"}, {"Range": "bytes=200000-200009"}):
        with pytest.raises(ClientError) as exc:
            s3.get_object(Bucket=bucket, Key="k", **kwargs)
        assert _code(exc) == (500, "InternalError")
    assert s3.head_object(Bucket=bucket, Key="k")["ContentLength"] == len(body)  # metadata is fine
    assert metric(server.endpoint, "rucket_blob_corrupt_reads_total") >= before + 3  # SDK retries add more


def _raw_get(server: ServerProcess, path: str) -> tuple[int, bytes | None]:
    """A signed GET read to the end over plain HTTP (no SDK retries or checksum checks in the way):
    the status and the body, or None when the server cut the body short (the only other outcome
    a corrupt blob may have once the headers are out)."""
    resp = requests.get(server.endpoint + path, headers=signed(server, "GET", path), stream=True, timeout=30)
    try:
        return resp.status_code, resp.content
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError):
        return resp.status_code, None


def test_corrupt_large_blob_never_completes_a_response(server: ServerProcess, bucket: str) -> None:
    s3 = make_client(server)
    body = os.urandom(3 * MiB + 100)
    s3.put_object(Bucket=bucket, Key="big", Body=body)
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == body  # verified: pathsend may serve it next
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == body
    flip(blob_of(server.data_dir, bucket, "big"), 2 * MiB + 7)  # a write: the trust is void
    status, got = _raw_get(server, f"/{bucket}/big")
    assert got is None or status == 500, "a corrupt blob must never be served whole"  # None: body cut short
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="big", Range="bytes=10-20")
    assert _code(exc) == (500, "InternalError")


def test_scrubber_finds_a_flipped_bit(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", env={"RUCKET_SCRUB_INTERVAL": "0.3"})
    try:
        s3 = make_client(server)
        s3.create_bucket(Bucket="scrubbed")
        s3.put_object(Bucket="scrubbed", Key="k", Body=os.urandom(200_000))
        flip(blob_of(server.data_dir, "scrubbed", "k"), 99)
        deadline = time.monotonic() + 20
        while metric(server.endpoint, "rucket_scrub_corrupt_total") < 1:
            assert time.monotonic() < deadline, "the scrubber never reported the flipped blob"
            time.sleep(0.2)
        assert metric(server.endpoint, "rucket_scrub_passes_total") >= 1
    finally:
        server.stop()
    log = (tmp_path / "data-server.log").read_text()
    assert "fails its CRC64NVME check; referenced by scrubbed/k@null" in log


def _rucket(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUCKET_ROOT_USER": ROOT_KEY, "RUCKET_ROOT_PASSWORD": ROOT_SECRET}
    return subprocess.run([sys.executable, "-m", "rucket", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def test_fsck_reports_repairs_and_refuses_a_live_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start_server(data)
    s3 = make_client(server)
    s3.create_bucket(Bucket="fsck")
    s3.put_object(Bucket="fsck", Key="good", Body=b"g" * 100_000)
    s3.put_object(Bucket="fsck", Key="bad", Body=b"b" * 100_000)
    s3.put_object(Bucket="fsck", Key="gone", Body=b"x" * 100_000)
    assert _rucket("fsck", "--data-dir", str(data)).returncode != 0  # the server holds its locks
    server.stop()
    flip(blob_of(data, "fsck", "bad"), 5)
    blob_of(data, "fsck", "gone").unlink()
    (data / "tmp" / "leftover").write_bytes(b"x")
    report = _rucket("fsck", "--data-dir", str(data))
    assert report.returncode == 4, report.stdout + report.stderr
    assert "lost data of: fsck/bad@null" in report.stdout and "lost data of: fsck/gone@null" in report.stdout
    assert "temp file: leftover" in report.stdout
    assert _rucket("fsck", "--repair", "--data-dir", str(data)).returncode == 1
    clean = _rucket("fsck", "--data-dir", str(data))
    assert clean.returncode == 0 and "clean: 0 problem(s)" in clean.stdout
    server = start_server(data)
    try:
        s3 = make_client(server)
        assert s3.get_object(Bucket="fsck", Key="good")["Body"].read() == b"g" * 100_000
        for key in ("bad", "gone"):
            with pytest.raises(ClientError) as exc:
                s3.get_object(Bucket="fsck", Key=key)
            assert _code(exc) == (404, "NoSuchKey")
    finally:
        server.stop()


def test_damaged_event_log_stops_startup_with_the_lsn(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start_server(data)
    make_client(server).create_bucket(Bucket="logged")
    server.stop()
    with sqlite3.connect(data / "meta.db") as db:
        (lsn,) = db.execute("SELECT max(lsn) FROM events").fetchone()
        db.execute("UPDATE events SET bucket='forged' WHERE lsn=?", (lsn,))
    refused = _rucket("serve", "--port", "0", "--address", "127.0.0.1:0", "--data-dir", str(data))
    assert refused.returncode == 3
    assert f"LSN {lsn} fails its CRC32 check" in refused.stderr and "rucket fsck" in refused.stderr
    server = start_server(data, extra_args=["--accept-damaged-log"])
    try:
        assert make_client(server).head_bucket(Bucket="logged")["ResponseMetadata"]["HTTPStatusCode"] == 200
    finally:
        server.stop()
    assert _rucket("fsck", "--repair", "--data-dir", str(data)).returncode == 1
    start_server(data).stop()  # repaired: starts without the flag
