"""SigV2 (boto3 `signature_version="s3"`) against a real server: bucket operations and presigned URLs."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid

import pytest
from botocore.client import BaseClient

from tests.integration.conftest import make_client
from tests.server import ServerProcess


@pytest.fixture
def v2(server: ServerProcess) -> BaseClient:
    return make_client(server, signature_version="s3")


def test_sigv2_bucket_operations_accepted(v2: BaseClient) -> None:
    """boto3 signs "/bucket/" for path-style bucket operations while it sends "/bucket"."""
    name = f"v2-{uuid.uuid4().hex[:12]}"
    v2.create_bucket(Bucket=name)
    v2.put_object(Bucket=name, Key="k", Body=b"x")
    assert [o["Key"] for o in v2.list_objects(Bucket=name)["Contents"]] == ["k"]
    assert v2.get_bucket_acl(Bucket=name)["Grants"]
    v2.delete_object(Bucket=name, Key="k")
    v2.delete_bucket(Bucket=name)
    assert name not in [b["Name"] for b in v2.list_buckets()["Buckets"]]


def test_sigv2_presigned_website_url_reaches_the_handler(v2: BaseClient, bucket: str) -> None:
    """`website` is a signed sub-resource: the URL authenticates and the handler answers (no config yet)."""
    url = v2.generate_presigned_url("get_bucket_website", Params={"Bucket": bucket})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url, timeout=10)
    assert err.value.code == 404 and b"NoSuchWebsiteConfiguration" in err.value.read()
