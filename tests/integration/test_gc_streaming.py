"""A GET streaming a multipart object keeps working while the key is overwritten.

Releases before the deferred GC unlinked the old parts right after the overwrite committed,
so a GET that had already started failed at its next part. With a GC delay the old parts stay
until the delay passes; with delay 0 (the old behaviour) the same test fails mid-stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config

from tests.server import ServerProcess, start_server

MiB = 1024 * 1024
PARTS = [bytes([n]) * (5 * MiB) for n in range(1, 9)]  # 40 MiB: more than loopback socket buffers hold


@pytest.fixture(scope="module")
def delayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("gc") / "data", env={"RUCKET_GC_DELAY": "600"})
    yield server
    server.stop()


def _client(server: ServerProcess) -> BaseClient:
    return boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def test_get_streaming_multipart_survives_overwrite_of_its_key(delayed: ServerProcess) -> None:
    s3 = _client(delayed)
    s3.create_bucket(Bucket="stream")
    uid = s3.create_multipart_upload(Bucket="stream", Key="big")["UploadId"]
    parts = [{"PartNumber": n, "ETag": s3.upload_part(Bucket="stream", Key="big", UploadId=uid, PartNumber=n,
                                                      Body=body)["ETag"]} for n, body in enumerate(PARTS, 1)]
    s3.complete_multipart_upload(Bucket="stream", Key="big", UploadId=uid, MultipartUpload={"Parts": parts})
    body = s3.get_object(Bucket="stream", Key="big")["Body"]
    first = body.read(1 * MiB)  # the server is now streaming part 1
    s3.put_object(Bucket="stream", Key="big", Body=b"replaced")
    s3.delete_object(Bucket="stream", Key="big")
    rest = body.read()
    assert first + rest == b"".join(PARTS)
    blobs = {p.name for p in (Path(delayed.data_dir) / "blobs").glob("*/*/*")}
    assert len(blobs) == len(PARTS)  # the old parts wait for the GC; the replacement was inline and is gone
