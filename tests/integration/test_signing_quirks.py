"""Real clients' SigV4 quirks: any scope region unless `region` is configured, minio-js's raw query.

git-annex (signature=v4) signs with its host name as the region; minio-js 8 signs the query as sent
(`key-marker=a/b` unescaped). Both must work against a server with no region configured, as on MinIO.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.integration.conftest import make_client
from tests.server import ServerProcess, start_server


def _client(server: ServerProcess, region: str) -> BaseClient:
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.client("s3", endpoint_url=server.endpoint, region_name=region,
                        aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
                        config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def test_git_annex_host_name_region_accepted(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"annex")
    assert _raw_get(server, f"/{bucket}/k", region="127.0.0.1") == (200, b"annex")


@pytest.mark.parametrize("region", ["eu-west-3", "garage"])
def test_any_scope_region_accepted_when_none_configured(server: ServerProcess, bucket: str, region: str) -> None:
    s3 = _client(server, region)
    s3.put_object(Bucket=bucket, Key="k", Body=b"annex")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"annex"
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    conn = http.client.HTTPConnection(urlsplit(url).netloc, timeout=10)
    conn.request("GET", url.split(urlsplit(url).netloc, 1)[1])
    assert conn.getresponse().status == 200


def test_wrong_secret_still_refused_with_any_region(server: ServerProcess, bucket: str) -> None:
    s3 = make_client(server, secret="not-the-secret")
    with pytest.raises(ClientError) as err:
        s3.list_objects_v2(Bucket=bucket)
    assert err.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


@pytest.fixture(scope="module")
def regional(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("regional") / "data", env={"RUCKET_REGION": "eu-west-1"})
    yield proc
    proc.stop()


def test_configured_region_is_strict(regional: ServerProcess) -> None:
    _client(regional, "eu-west-1").list_buckets()
    with pytest.raises(ClientError) as err:
        _client(regional, "us-east-1").list_buckets()
    assert err.value.response["Error"]["Code"] == "AuthorizationHeaderMalformed"
    assert err.value.response["Error"]["Region"] == "eu-west-1"
    status, body = _raw_get(regional, "/", region="127.0.0.1")
    assert status == 400 and b"AuthorizationHeaderMalformed" in body


def _raw_get(server: ServerProcess, path: str, raw_query: str = "", *, sent: str = "",
             region: str = "us-east-1") -> tuple[int, bytes]:
    """Sign as minio-js 8's getCanonicalRequest does: the query split on "&", sorted, not re-encoded
    (and as git-annex does, with any region: botocore refuses a region such as "127.0.0.1")."""
    host = urlsplit(server.endpoint).netloc
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    empty = hashlib.sha256(b"").hexdigest()
    query = "&".join(sorted(p if "=" in p else p + "=" for p in raw_query.split("&") if p))
    headers = {"host": host, "x-amz-content-sha256": empty, "x-amz-date": stamp}
    names = sorted(headers)
    canonical = "\n".join(["GET", path, query, *(f"{n}:{headers[n]}" for n in names), "", ";".join(names), empty])
    scope = f"{stamp[:8]}/{region}/s3/aws4_request"
    key = ("AWS4" + server.secret_key).encode()
    for part in (stamp[:8], region, "s3", "aws4_request"):
        key = hmac.digest(key, part.encode(), "sha256")
    sts = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signature = hmac.digest(key, sts.encode(), "sha256").hex()
    auth = f"AWS4-HMAC-SHA256 Credential={server.access_key}/{scope}, SignedHeaders={';'.join(names)}, " \
           f"Signature={signature}"
    conn = http.client.HTTPConnection(host, timeout=10)
    target = f"{path}?{sent or raw_query}" if sent or raw_query else path
    conn.request("GET", target, headers={**headers, "authorization": auth})
    resp = conn.getresponse()
    return resp.status, resp.read()


def test_minio_js_unescaped_key_marker_accepted(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    for key in ("a/a", "a/b", "a/c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"")
    status, body = _raw_get(server, f"/{bucket}", "versions&key-marker=a/b&max-keys=10")
    assert status == 200, body
    assert b"<Key>a/c</Key>" in body and b"<Key>a/b</Key>" not in body


def test_raw_query_signature_binds_the_values(server: ServerProcess, bucket: str) -> None:
    """The raw form covers the same names and values: a request with another key-marker is refused."""
    status, body = _raw_get(server, f"/{bucket}", "versions&key-marker=a/b", sent="versions&key-marker=a/c")
    assert status == 403 and b"SignatureDoesNotMatch" in body
