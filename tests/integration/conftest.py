"""One real `rucket serve --port 0` process for the whole run, driven by stock SDKs."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config as BotoConfig

from tests.server import ServerProcess, start_server

ALT_KEY, ALT_SECRET = "rucketalt", "rucketaltsecret"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    external = os.environ.get("RUCKET_TEST_ENDPOINT")
    if external:  # point the same tests at AWS or MinIO to check the expectation itself
        yield ServerProcess(None, external, os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"],
                            Path("."))
        return
    data = tmp_path_factory.mktemp("data")
    # plain HTTP: SSE-C tests need the operator's opt-in (test_sse_c_transport.py checks the refusal)
    proc = start_server(data, users=[(ALT_KEY, ALT_SECRET)], env={"RUCKET_ALLOW_INSECURE_SSE_C": "true"})
    yield proc
    proc.stop()


def make_client(server: ServerProcess, *, style: str = "path", key: str | None = None,
                secret: str | None = None, **cfg: object) -> BaseClient:
    return boto3.client(
        "s3", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=key or server.access_key, aws_secret_access_key=secret or server.secret_key,
        config=BotoConfig(s3={"addressing_style": style}, retries={"max_attempts": 1}, **cfg))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def s3(server: ServerProcess) -> BaseClient:
    return make_client(server)


@pytest.fixture(scope="session")
def s3_alt(server: ServerProcess) -> BaseClient:
    return make_client(server, key=ALT_KEY, secret=ALT_SECRET)


@pytest.fixture
def bucket(s3: BaseClient) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    yield name
    _empty(s3, name)
    s3.delete_bucket(Bucket=name)


def _empty(s3: BaseClient, name: str) -> None:
    """Every version and delete marker, so versioned buckets can be deleted too."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        for obj in page.get("Versions", []) + page.get("DeleteMarkers", []):
            s3.delete_object(Bucket=name, Key=obj["Key"], VersionId=obj["VersionId"])
