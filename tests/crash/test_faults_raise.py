"""A metadata commit that RAISES (not a crash): the request gets an error, the server lives on.

The failure the fault stands for is a full disk or an I/O error at COMMIT. Before the fix the
writer thread died on it: that request never got an answer, every later write hung and the
readiness probe still said 200.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError
from tests.server import ServerProcess, start_server

from rucket.core.faults import RAISE

pytestmark = pytest.mark.crash
B = "raising"


def client(server: ServerProcess) -> BaseClient:
    """No retries at all: the first answer is the one under test."""
    return boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=10))


@pytest.mark.parametrize(("point", "committed"), [
    pytest.param("meta.before_commit", False, id="before-commit"),
    pytest.param("meta.after_commit", True, id="after-commit"),
])
@pytest.mark.parametrize("size", [pytest.param(1000, id="inline"), pytest.param(300_000, id="blob")])
def test_raising_commit_is_an_error_and_the_next_write_works(tmp_path: Path, point: str, committed: bool,
                                                             size: int) -> None:
    server = start_server(tmp_path / "data")
    try:
        s3 = client(server)
        s3.create_bucket(Bucket=B)
        server.stop()
        server = start_server(tmp_path / "data", env={"RUCKET_FAULTPOINT": point + RAISE})
        s3 = client(server)
        with pytest.raises(ClientError) as failed:
            s3.put_object(Bucket=B, Key="first", Body=b"f" * size)
        assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        s3.put_object(Bucket=B, Key="second", Body=b"s" * size)
        assert s3.get_object(Bucket=B, Key="second")["Body"].read() == b"s" * size
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=B).get("Contents", [])]
        assert keys == (["first", "second"] if committed else ["second"])
        s3.delete_object(Bucket=B, Key="second")
        with urllib.request.urlopen(server.endpoint + "/minio/health/ready", timeout=5) as r:
            assert r.status == 200
    finally:
        server.stop()
