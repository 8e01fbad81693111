"""kill -9 at every step of UploadPart, CompleteMultipartUpload and AbortMultipartUpload.

After a restart: an acknowledged part or completion is there, an unacknowledged one is either
absent or complete, never half-done; blob files are exactly the referenced ones (versions,
version parts and parts of uploads in progress), so recovery neither leaks nor deletes live data.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from tests.crash.test_kill9 import assert_consistent, client
from tests.server import ServerProcess, start_server

pytestmark = pytest.mark.crash
MiB = 1024 * 1024
P1, P2, P3 = (bytes([n]) * (5 * MiB) for n in (1, 2, 3))


def _prepare(data: Path, parts: int) -> tuple[str, list[dict[str, object]]]:
    """An upload with `parts` parts, made by a server without fault points."""
    server = start_server(data)
    try:
        s3 = client(server)
        s3.create_bucket(Bucket="mpart")
        s3.put_object(Bucket="mpart", Key="obj", Body=b"old" * 100_000)
        uid = s3.create_multipart_upload(Bucket="mpart", Key="obj")["UploadId"]
        listed = [{"PartNumber": n, "ETag": s3.upload_part(Bucket="mpart", Key="obj", UploadId=uid, PartNumber=n,
                                                            Body=body)["ETag"]}
                  for n, body in enumerate((P1, P2, P3)[:parts], 1)]
        return uid, listed
    finally:
        server.stop()


def _crash(data: Path, fault: str, action: object) -> None:
    server = start_server(data, env={"RUCKET_FAULTPOINT": fault})
    with pytest.raises(Exception):  # noqa: B017 - the process dies before answering
        action(client(server))  # type: ignore[operator]
    server.kill9()


def _restart(data: Path) -> tuple[ServerProcess, BaseClient]:
    server = start_server(data)
    return server, client(server)


@pytest.mark.parametrize(("fault", "kept"), [
    pytest.param("blob.after_fsync", False, id="part-fsynced-not-renamed"),
    pytest.param("blob.after_rename", False, id="part-renamed-no-metadata"),
    pytest.param("meta.before_commit", False, id="part-not-committed"),
    pytest.param("meta.after_commit", True, id="part-committed-not-acknowledged"),
])
def test_upload_part_crash(tmp_path: Path, fault: str, kept: bool) -> None:
    data = tmp_path / "data"
    uid, listed = _prepare(data, 1)
    _crash(data, fault, lambda s3: s3.upload_part(Bucket="mpart", Key="obj", UploadId=uid, PartNumber=2, Body=P2))
    server, s3 = _restart(data)
    try:
        assert_consistent(data)
        numbers = [p["PartNumber"] for p in s3.list_parts(Bucket="mpart", Key="obj", UploadId=uid).get("Parts", [])]
        assert numbers == ([1, 2] if kept else [1])
        etag = s3.upload_part(Bucket="mpart", Key="obj", UploadId=uid, PartNumber=2, Body=P2)["ETag"]
        s3.complete_multipart_upload(Bucket="mpart", Key="obj", UploadId=uid, MultipartUpload={"Parts": [
            listed[0], {"PartNumber": 2, "ETag": etag}]})
        assert s3.get_object(Bucket="mpart", Key="obj")["Body"].read() == P1 + P2
        assert_consistent(data)
    finally:
        server.stop()


@pytest.mark.parametrize(("fault", "completed"), [
    pytest.param("meta.before_commit", False, id="complete-not-committed"),
    pytest.param("meta.after_commit", True, id="complete-committed-not-acknowledged"),
    pytest.param("multipart.before_reclaim", True, id="complete-unused-part-not-reclaimed"),
])
def test_complete_crash(tmp_path: Path, fault: str, completed: bool) -> None:
    data = tmp_path / "data"
    uid, listed = _prepare(data, 3)
    chosen = [listed[0], listed[2]]  # part 2 is left out: its blob must go, after the commit
    _crash(data, fault, lambda s3: s3.complete_multipart_upload(Bucket="mpart", Key="obj", UploadId=uid,
                                                                MultipartUpload={"Parts": chosen}))
    server, s3 = _restart(data)
    try:
        assert_consistent(data)
        body = s3.get_object(Bucket="mpart", Key="obj")["Body"].read()
        if completed:
            assert body == P1 + P3
            with pytest.raises(ClientError):
                s3.list_parts(Bucket="mpart", Key="obj", UploadId=uid)
        else:
            assert body == b"old" * 100_000
            s3.complete_multipart_upload(Bucket="mpart", Key="obj", UploadId=uid, MultipartUpload={"Parts": chosen})
            assert s3.get_object(Bucket="mpart", Key="obj")["Body"].read() == P1 + P3
        assert_consistent(data)
    finally:
        server.stop()


@pytest.mark.parametrize("fault", ["meta.before_commit", "multipart.before_reclaim"])
def test_abort_crash(tmp_path: Path, fault: str) -> None:
    data = tmp_path / "data"
    uid, _ = _prepare(data, 2)
    _crash(data, fault, lambda s3: s3.abort_multipart_upload(Bucket="mpart", Key="obj", UploadId=uid))
    server, s3 = _restart(data)
    try:
        assert_consistent(data)
        uploads = s3.list_multipart_uploads(Bucket="mpart").get("Uploads", [])
        assert [u["UploadId"] for u in uploads] == ([uid] if fault == "meta.before_commit" else [])
        assert s3.get_object(Bucket="mpart", Key="obj")["Body"].read() == b"old" * 100_000
    finally:
        server.stop()


def test_restart_keeps_parts_of_uploads_in_progress(tmp_path: Path) -> None:
    """Start-up recovery must count upload parts as referenced, or it would delete live data."""
    data = tmp_path / "data"
    uid, listed = _prepare(data, 2)
    server, s3 = _restart(data)
    try:
        assert_consistent(data)
        assert len(list((data / "blobs").glob("*/*/*"))) >= 2
        s3.complete_multipart_upload(Bucket="mpart", Key="obj", UploadId=uid, MultipartUpload={"Parts": listed})
        server.stop()
        server, s3 = _restart(data)
        assert s3.get_object(Bucket="mpart", Key="obj")["Body"].read() == P1 + P2
        assert_consistent(data)
        assert os.listdir(data / "tmp") == []
    finally:
        server.stop()
