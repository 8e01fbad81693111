"""SSE-C over plain HTTP is refused (400 InvalidRequest, as AWS) unless the operator opts in.

The session server (conftest.py) opts in with RUCKET_ALLOW_INSECURE_SSE_C; these servers do not.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.integration.conftest import make_client
from tests.server import ServerProcess, start_server

KEY = os.urandom(32)
SSE_C = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": KEY}


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("strict") / "data")
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def s3_strict(strict: ServerProcess) -> Iterator[BaseClient]:
    client = make_client(strict)
    client.create_bucket(Bucket="plain")
    client.put_object(Bucket="plain", Key="src", Body=b"clear")
    yield client


def _refused(call: object, **kwargs: object) -> None:
    with pytest.raises(ClientError) as err:
        call(**kwargs)  # type: ignore[operator]
    resp = err.value.response
    code = "400" if call.__name__ == "head_object" else "InvalidRequest"  # type: ignore[attr-defined]  # no body
    assert (resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"]) == (code, 400)


def test_sse_c_put_over_http_refused_and_nothing_stored(s3_strict: BaseClient) -> None:
    _refused(s3_strict.put_object, Bucket="plain", Key="secret", Body=b"x", **SSE_C)
    assert "Contents" not in s3_strict.list_objects_v2(Bucket="plain", Prefix="secret")


@pytest.mark.parametrize("op", ["get_object", "head_object", "create_multipart_upload"])
def test_sse_c_reads_and_uploads_over_http_refused(s3_strict: BaseClient, op: str) -> None:
    """Refused before the key is looked up: a missing key is still a 400, not a 404."""
    _refused(getattr(s3_strict, op), Bucket="plain", Key="missing", **SSE_C)


def test_sse_c_copy_source_key_over_http_refused(s3_strict: BaseClient) -> None:
    _refused(s3_strict.copy_object, Bucket="plain", Key="dst", CopySource={"Bucket": "plain", "Key": "missing"},
             CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=KEY)


def test_sse_c_presigned_over_http_refused(s3_strict: BaseClient) -> None:
    url = s3_strict.generate_presigned_url("get_object", Params={"Bucket": "plain", "Key": "missing", **SSE_C})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url, timeout=10)
    assert err.value.code == 400 and b"<Code>InvalidRequest</Code>" in err.value.read()


def test_plain_and_sse_s3_requests_unaffected(s3_strict: BaseClient) -> None:
    s3_strict.put_object(Bucket="plain", Key="s3", Body=b"y", ServerSideEncryption="AES256")
    assert s3_strict.get_object(Bucket="plain", Key="s3")["Body"].read() == b"y"


@pytest.mark.parametrize("opt_in", [pytest.param(["--dev"], id="dev-flag"),
                                    pytest.param([], id="env-setting")])
def test_sse_c_over_http_allowed_when_opted_in(tmp_path: Path, opt_in: list[str]) -> None:
    env = {} if opt_in else {"RUCKET_ALLOW_INSECURE_SSE_C": "true"}
    proc = start_server(tmp_path / "data", extra_args=opt_in, env=env)
    try:
        s3 = make_client(proc)
        s3.create_bucket(Bucket="ssec")
        s3.put_object(Bucket="ssec", Key="k", Body=b"secret", **SSE_C)
        assert s3.get_object(Bucket="ssec", Key="k", **SSE_C)["Body"].read() == b"secret"
    finally:
        proc.stop()
