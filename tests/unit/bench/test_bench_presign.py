"""bench.presign must produce exactly the URL botocore's SigV4 query signer produces."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from bench.presign import Presigner
from botocore.auth import S3SigV4QueryAuth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials  # type: ignore[import-untyped]

BASE, AK, SK = "http://127.0.0.1:9000", "benchadmin", "benchadmin-secret"


def botocore_url(method: str, path: str, query: dict[str, str]) -> str:
    url = BASE + path + ("?" + urlencode(query) if query else "")
    request = AWSRequest(method=method, url=url)
    S3SigV4QueryAuth(Credentials(AK, SK), "s3", "us-east-1", expires=3600).add_auth(request)
    return str(request.url)


@pytest.mark.parametrize(("method", "path", "query"), [
    pytest.param("PUT", "/bench/p4k/17", {}, id="put-object"),
    pytest.param("GET", "/bench/g64m/0", {}, id="get-object"),
    pytest.param("HEAD", "/bench/g4k/0", {}, id="head-object"),
    pytest.param("GET", "/bench-list", {"list-type": "2", "max-keys": "1000",
                                       "continuation-token": "a/b=+c"}, id="list-continuation"),
    pytest.param("POST", "/bench/mpu/4", {"uploads": ""}, id="create-multipart"),
    pytest.param("PUT", "/bench/mpu/4", {"partNumber": "3", "uploadId": "x~y/z"}, id="upload-part"),
])
def test_presigner_matches_botocore(method: str, path: str, query: dict[str, str]) -> None:
    theirs = botocore_url(method, path, query)
    params = dict(parse_qsl(urlsplit(theirs).query, keep_blank_values=True))
    when = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    ours = Presigner(BASE, AK, SK, expires=3600, clock=lambda: when).url(method, path, query)
    assert dict(parse_qsl(urlsplit(ours).query, keep_blank_values=True)) == params
    assert urlsplit(ours).path == urlsplit(theirs).path


def test_presigner_without_keys_gives_plain_paths() -> None:
    plain = Presigner(BASE, None, None)
    assert plain.url("PUT", "/bench/a b") == BASE + "/bench/a%20b"
    assert plain.path_qs("GET", "/bench/k", {"x": "1"}) == "/bench/k?x=1"
