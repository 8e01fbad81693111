"""CORS: configuration through boto3, and a browser-like preflight over plain HTTP."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
import requests
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.server import ServerProcess

RULES = {"CORSRules": [
    {"ID": "site", "AllowedOrigins": ["http://*.example.com"], "AllowedMethods": ["GET", "PUT"],
     "AllowedHeaders": ["x-amz-*", "Content-Type"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600},
    {"AllowedOrigins": ["*"], "AllowedMethods": ["HEAD"]},
]}


def code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    r = exc.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]


def options(server: ServerProcess, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    """Exactly what a browser sends: an unsigned OPTIONS with Origin and Access-Control-Request-*."""
    parts = urlsplit(server.endpoint)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    conn.request("OPTIONS", path, headers=headers)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp


def test_put_get_delete_cors(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=bucket)
    assert code(exc) == (404, "NoSuchCORSConfiguration")
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == RULES["CORSRules"]
    assert s3.delete_bucket_cors(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=bucket)
    assert code(exc) == (404, "NoSuchCORSConfiguration")


@pytest.mark.parametrize("rule", [
    pytest.param({"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}, id="unsupported-method"),
    pytest.param({"AllowedOrigins": ["http://*.*.com"], "AllowedMethods": ["GET"]}, id="two-wildcards"),
])
def test_invalid_rules_are_invalid_request(s3: BaseClient, bucket: str, rule: dict[str, list[str]]) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule]})
    assert code(exc) == (400, "InvalidRequest")


def test_browser_preflight(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    resp = options(server, f"/{bucket}/photo.jpg", {
        "Origin": "http://www.example.com", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type, x-amz-date"})
    assert resp.status == 200
    assert resp.getheader("Access-Control-Allow-Origin") == "http://www.example.com"
    assert resp.getheader("Access-Control-Allow-Methods") == "GET, PUT"
    assert resp.getheader("Access-Control-Allow-Headers") == "content-type, x-amz-date"
    assert resp.getheader("Access-Control-Expose-Headers") == "ETag"
    assert resp.getheader("Access-Control-Max-Age") == "600"
    assert resp.getheader("Access-Control-Allow-Credentials") == "true"


@pytest.mark.parametrize(("headers", "status"), [
    pytest.param({"Origin": "http://evil.test", "Access-Control-Request-Method": "PUT"}, 403, id="origin"),
    pytest.param({"Origin": "http://a.example.com", "Access-Control-Request-Method": "DELETE"}, 403, id="method"),
    pytest.param({"Origin": "http://a.example.com", "Access-Control-Request-Method": "PUT",
                  "Access-Control-Request-Headers": "authorization"}, 403, id="header"),
    pytest.param({"Access-Control-Request-Method": "PUT"}, 400, id="no-origin"),
    pytest.param({"Origin": "http://a.example.com"}, 400, id="no-request-method"),
])
def test_disallowed_preflight(server: ServerProcess, s3: BaseClient, bucket: str, headers: dict[str, str],
                              status: int) -> None:
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    resp = options(server, f"/{bucket}/k", headers)
    assert resp.status == status
    assert resp.getheader("Access-Control-Allow-Origin") is None


def test_preflight_on_a_bucket_without_cors_is_forbidden(server: ServerProcess, bucket: str) -> None:
    resp = options(server, f"/{bucket}/k", {"Origin": "http://a.example.com", "Access-Control-Request-Method": "GET"})
    assert resp.status == 403


def test_star_origin_answers_star(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    resp = options(server, f"/{bucket}", {"Origin": "https://anyone.test", "Access-Control-Request-Method": "HEAD"})
    assert (resp.status, resp.getheader("Access-Control-Allow-Origin")) == (200, "*")
    assert resp.getheader("Access-Control-Allow-Credentials") is None


def test_actual_requests_carry_cors_headers(s3: BaseClient, bucket: str) -> None:
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    ok = requests.get(url, headers={"Origin": "http://www.example.com"}, timeout=10)
    assert ok.status_code == 200 and ok.content == b"x"
    assert ok.headers["Access-Control-Allow-Origin"] == "http://www.example.com"
    assert ok.headers["Access-Control-Expose-Headers"] == "ETag"
    other = requests.get(url, headers={"Origin": "http://evil.test"}, timeout=10)
    assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other.headers
    plain = requests.get(url, timeout=10)
    assert "Access-Control-Allow-Origin" not in plain.headers
    missing = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "nope"}, ExpiresIn=60)
    err = requests.get(missing, headers={"Origin": "http://www.example.com"}, timeout=10)
    assert err.status_code == 404 and err.headers["Access-Control-Allow-Origin"] == "http://www.example.com"
