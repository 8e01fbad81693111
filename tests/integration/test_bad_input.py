"""Malformed requests get the S3 error AWS returns, nothing half-written, connection usable."""

from __future__ import annotations

import hashlib
import http.client
import subprocess
import uuid
from urllib.parse import urlsplit

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.integration.http import raw_exchange, signed
from tests.server import ServerProcess


def _conn(server: ServerProcess) -> http.client.HTTPConnection:
    p = urlsplit(server.endpoint)
    return http.client.HTTPConnection(p.hostname, p.port, timeout=10)


def _code(body: bytes) -> str:
    return body.split(b"<Code>")[1].split(b"</Code>")[0].decode() if b"<Code>" in body else ""


def _absent(s3: BaseClient, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    return False


def test_malformed_delete_xml_then_connection_still_usable(server: ServerProcess, bucket: str) -> None:
    conn = _conn(server)
    body = b"<Delete><Object><Key>a</Key></Object"
    path = f"/{bucket}?delete"
    conn.request("POST", path, body=body, headers=signed(server, "POST", path, body))
    r = conn.getresponse()
    assert (r.status, _code(r.read())) == (400, "MalformedXML")
    conn.request("GET", f"/{bucket}", headers=signed(server, "GET", f"/{bucket}"))
    r = conn.getresponse()
    assert r.status == 200 and b"ListBucketResult" in r.read()


def test_anonymous_put_denied(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    conn = _conn(server)
    conn.request("PUT", f"/{bucket}/anon", body=b"x")
    r = conn.getresponse()
    assert (r.status, _code(r.read())) == (403, "AccessDenied")
    assert _absent(s3, bucket, "anon")


@pytest.mark.parametrize("header", ["AWS4-HMAC-SHA256 garbage", "AWS4-HMAC-SHA256 Credential=x, Signature=y",
                                    "Bearer token"])
def test_garbled_authorization_header(server: ServerProcess, bucket: str, header: str) -> None:
    conn = _conn(server)
    conn.request("GET", f"/{bucket}", headers={"Authorization": header, "x-amz-date": "20250101T000000Z",
                                               "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    r = conn.getresponse()
    body = r.read()
    assert r.status in (400, 403)
    assert _code(body) in ("AuthorizationHeaderMalformed", "AccessDenied", "InvalidArgument",
                           "SignatureDoesNotMatch", "InvalidRequest")


def test_refused_body_does_not_poison_the_keep_alive_connection(server: ServerProcess, bucket: str) -> None:
    """An error answered before the body was read: the next request on the same connection still works."""
    host = urlsplit(server.endpoint).netloc
    body = b"x" * 100_000
    refused = f"PUT /no-such-bucket-zz/key HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n\r\n"
    follow = f"GET /minio/health/live HTTP/1.1\r\nHost: {host}\r\n\r\n"
    out = raw_exchange(server, refused.encode() + body + follow.encode(), read_timeout=2)
    assert out.count(b"HTTP/1.1 ") == 2, out[:400]
    assert out.startswith(b"HTTP/1.1 403") or out.startswith(b"HTTP/1.1 404")
    assert b"HTTP/1.1 200" in out


def test_wrong_payload_hash_stores_nothing(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    body = b"the real body"
    path = f"/{bucket}/badhash"
    headers = signed(server, "PUT", path, body, payload_hash=hashlib.sha256(b"another body").hexdigest())
    conn = _conn(server)
    conn.request("PUT", path, body=body, headers=headers)
    r = conn.getresponse()
    assert (r.status, _code(r.read())) == (400, "XAmzContentSHA256Mismatch")
    assert _absent(s3, bucket, "badhash")


def test_bad_content_md5_stores_nothing(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="md5", Body=b"data", ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg==")
    assert e.value.response["Error"]["Code"] == "BadDigest"
    assert _absent(s3, bucket, "md5")


def test_wrong_checksum_header_stores_nothing(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    body = b"checksummed"
    path = f"/{bucket}/crc"
    headers = signed(server, "PUT", path, body, headers={"x-amz-checksum-crc32": "AAAAAA=="})
    conn = _conn(server)
    conn.request("PUT", path, body=body, headers=headers)
    r = conn.getresponse()
    assert (r.status, _code(r.read())) == (400, "BadDigest")
    assert _absent(s3, bucket, "crc")


def test_truncated_body_stores_nothing(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    path = f"/{bucket}/trunc"
    full = b"z" * 100_000
    headers = signed(server, "PUT", path, full, payload_hash="UNSIGNED-PAYLOAD")
    host = urlsplit(server.endpoint).netloc
    head = f"PUT {path} HTTP/1.1\r\nHost: {host}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() != "host") + \
        f"Content-Length: {len(full)}\r\n\r\n"
    raw_exchange(server, head.encode() + full[:40_000], read_timeout=3)
    assert _absent(s3, bucket, "trunc")


def _bodiless(server: ServerProcess, path: str, extra: dict[str, str] | None = None) -> bytes:
    """A signed PUT with neither Content-Length nor Transfer-Encoding (RFC 9112 §6.3: no body)."""
    headers = signed(server, "PUT", path, b"", headers=extra, payload_hash="UNSIGNED-PAYLOAD")
    host = urlsplit(server.endpoint).netloc
    req = f"PUT {path} HTTP/1.1\r\nHost: {host}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() not in ("host", "content-length")) + "\r\n"
    return raw_exchange(server, req.encode(), read_timeout=2)


def test_put_without_content_length_is_an_empty_object(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    out = _bodiless(server, f"/{bucket}/nolen")
    assert out.startswith(b"HTTP/1.1 200"), out[:200]
    assert s3.head_object(Bucket=bucket, Key="nolen")["ContentLength"] == 0


def test_bodiless_copy_object_without_content_length(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    """object_store (obstore, polars, delta-rs) sends CopyObject as a PUT without Content-Length."""
    s3.put_object(Bucket=bucket, Key="src", Body=b"payload")
    out = _bodiless(server, f"/{bucket}/dst", {"x-amz-copy-source": f"/{bucket}/src"})
    assert out.startswith(b"HTTP/1.1 200") and b"CopyObjectResult" in out, out[:300]
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"payload"


def test_bodiless_upload_part_copy_without_content_length(server: ServerProcess, s3: BaseClient,
                                                          bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"p" * 1000)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    out = _bodiless(server, f"/{bucket}/mp?partNumber=1&uploadId={upload}", {"x-amz-copy-source": f"/{bucket}/src"})
    assert out.startswith(b"HTTP/1.1 200") and b"CopyPartResult" in out, out[:300]
    etag = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload)["Parts"][0]["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"p" * 1000


def test_curl_aws_sigv4_put_creates_bucket(server: ServerProcess, s3: BaseClient) -> None:
    """`curl --aws-sigv4 -X PUT` sends no body and so no Content-Length: AWS creates the bucket.

    curl 8 adds x-amz-content-sha256 for the "s3" service by itself; Debian 12's curl 7.88 needs it given.
    """
    name = f"curl-{uuid.uuid4().hex[:12]}"
    done = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT",
                           "--aws-sigv4", "aws:amz:us-east-1:s3", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                           "--user",
                           f"{server.access_key}:{server.secret_key}", f"{server.endpoint}/{name}"],
                          capture_output=True, text=True, timeout=30, check=True)
    assert done.stdout == "200", done.stderr
    s3.head_bucket(Bucket=name)
    s3.delete_bucket(Bucket=name)


def test_head_error_has_no_body(server: ServerProcess, bucket: str) -> None:
    conn = _conn(server)
    conn.request("HEAD", f"/{bucket}/missing", headers=signed(server, "HEAD", f"/{bucket}/missing"))
    r = conn.getresponse()
    assert r.status == 404 and r.read() == b""
    assert r.getheader("x-amz-request-id")


def test_unsupported_operation_is_501(server: ServerProcess, bucket: str) -> None:
    conn = _conn(server)
    conn.request("GET", f"/{bucket}/k?torrent", headers=signed(server, "GET", f"/{bucket}/k?torrent"))
    r = conn.getresponse()
    assert (r.status, _code(r.read())) == (501, "NotImplemented")


def test_health_endpoints(server: ServerProcess) -> None:
    conn = _conn(server)
    for path in ("/minio/health/live", "/minio/health/ready"):
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        assert r.status == 200


@pytest.mark.parametrize(("size", "status", "code"), [
    pytest.param(6 * 1024, 200, "", id="6KiB-header-accepted"),
    pytest.param(9 * 1024, 400, "RequestHeaderSectionTooLarge", id="9KiB-header-refused"),
    pytest.param(64 * 1024, 400, "RequestHeaderSectionTooLarge", id="64KiB-header-refused"),
])
def test_request_header_section_limit(server: ServerProcess, s3: BaseClient, bucket: str, size: int,
                                      status: int, code: str) -> None:
    """AWS limits the request header section to 8 KiB; a 64 KiB value used to be served with a 200."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    conn = _conn(server)
    conn.request("GET", f"/{bucket}/k", headers={**signed(server, "GET", f"/{bucket}/k"), "x-filler": "f" * size})
    r = conn.getresponse()
    assert (r.status, _code(r.read())) == (status, code)


@pytest.mark.parametrize(("value_len", "ok"), [pytest.param(2047, True, id="2KiB"),
                                              pytest.param(2048, False, id="2KiB+1")])
def test_user_metadata_limit_is_2KiB(s3: BaseClient, bucket: str, value_len: int, ok: bool) -> None:
    """Keys (without x-amz-meta-) plus values, as AWS counts them: 2 KiB fit, one byte more is refused."""
    put = lambda: s3.put_object(Bucket=bucket, Key="m", Body=b"", Metadata={"a": "v" * value_len})  # noqa: E731
    if ok:
        put()
        assert s3.head_object(Bucket=bucket, Key="m")["Metadata"] == {"a": "v" * value_len}
        return
    with pytest.raises(ClientError) as err:
        put()
    assert err.value.response["Error"]["Code"] == "MetadataTooLarge"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
