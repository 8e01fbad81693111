"""aws-chunked uploads through a real server, in every mode, signed by the SDKs' own code.

Over plain http botocore sends checksums as headers, so the chunked modes are built here the
way the SDKs build them: awscrt (the signer the AWS SDKs share) for the seed signature and
botocore's AwsChunkedWrapper for the unsigned-trailer mode.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
from urllib.parse import urlsplit

import pytest
from awscrt import auth as crt_auth
from awscrt import checksums as crt_checksums
from awscrt import http as crt_http
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import create_request_object
from botocore.client import BaseClient
from botocore.credentials import Credentials
from botocore.httpchecksum import apply_request_checksum

from tests.server import ServerProcess

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _sign(server: ServerProcess, path: str, headers: dict[str, str], body_value: str,
          when: dt.datetime) -> dict[str, str]:
    request = crt_http.HttpRequest("PUT", path, crt_http.HttpHeaders(list(headers.items())))
    config = crt_auth.AwsSigningConfig(
        algorithm=crt_auth.AwsSigningAlgorithm.V4, signature_type=crt_auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
        credentials_provider=crt_auth.AwsCredentialsProvider.new_static(server.access_key, server.secret_key),
        region="us-east-1", service="s3", date=when, use_double_uri_encode=False, should_normalize_uri_path=False,
        signed_body_value=body_value, signed_body_header_type=crt_auth.AwsSignedBodyHeaderType.X_AMZ_CONTENT_SHA_256)
    crt_auth.aws_sign_request(request, config).result()
    return {name: value for name, value in request.headers}


def _signing_key(secret: str, date: str) -> bytes:
    key = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in ("us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _signed_chunks(chunks: list[bytes], seed: str, stamp: str, key: bytes,
                   trailers: list[tuple[str, str]] | None = None, corrupt_at: int = -1) -> bytes:
    scope = f"{stamp[:8]}/us-east-1/s3/aws4_request"
    out, previous = [], seed
    for i, data in enumerate([*chunks, b""]):
        sts = "\n".join(("AWS4-HMAC-SHA256-PAYLOAD", stamp, scope, previous, EMPTY_SHA256,
                         hashlib.sha256(data).hexdigest()))
        previous = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        sig = ("0" * 64) if i == corrupt_at else previous
        out.append(f"{len(data):x};chunk-signature={sig}\r\n".encode() + data + (b"\r\n" if data else b""))
    if trailers is None:
        return b"".join(out) + b"\r\n"
    canonical = "".join(f"{n}:{v}\n" for n, v in sorted(trailers))
    sts = "\n".join(("AWS4-HMAC-SHA256-TRAILER", stamp, scope, previous,
                     hashlib.sha256(canonical.encode()).hexdigest()))
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    return b"".join(out) + ("".join(f"{n}:{v}\r\n" for n, v in trailers) +
                            f"x-amz-trailer-signature:{sig}\r\n\r\n").encode()


def _put(server: ServerProcess, path: str, headers: dict[str, str], body: bytes,
         http_chunked: bool = False) -> tuple[int, bytes]:
    p = urlsplit(server.endpoint)
    conn = http.client.HTTPConnection(p.hostname, p.port, timeout=30)
    if http_chunked:  # what urllib3 does with botocore's streaming body: HTTP chunking around aws-chunked
        pieces = iter([body[i:i + 10_000] for i in range(0, len(body), 10_000)])
        conn.request("PUT", path, body=pieces, headers=headers, encode_chunked=True)
    else:
        conn.request("PUT", path, body=body, headers=headers)
    r = conn.getresponse()
    return r.status, r.read()


def _signed_streaming(server: ServerProcess, path: str, data: bytes, *, trailer: bool,
                      corrupt_at: int = -1) -> tuple[int, bytes]:
    when = dt.datetime.now(dt.UTC).replace(microsecond=0)
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
    headers = {"host": urlsplit(server.endpoint).netloc, "content-encoding": "aws-chunked",
               "x-amz-decoded-content-length": str(len(data))}
    if trailer:
        headers["x-amz-trailer"] = "x-amz-checksum-crc32"
    signed = _sign(server, path, headers, mode, when)
    seed = signed["Authorization"].rsplit("Signature=", 1)[1]
    chunks = [data[i:i + 65536] for i in range(0, len(data), 65536)]
    crc = base64.b64encode(crt_checksums.crc32(data).to_bytes(4, "big")).decode()
    body = _signed_chunks(chunks, seed, stamp, _signing_key(server.secret_key, stamp[:8]),
                          [("x-amz-checksum-crc32", crc)] if trailer else None, corrupt_at)
    return _put(server, path, {**signed, "Content-Length": str(len(body))}, body)


@pytest.mark.parametrize("trailer", [False, True], ids=["signed-chunks", "signed-chunks-trailer"])
def test_signed_streaming_upload(server: ServerProcess, s3: BaseClient, bucket: str, trailer: bool) -> None:
    data = bytes(range(256)) * 1000  # 256 000 bytes: 4 chunks of 64 KiB, the last one short
    status, body = _signed_streaming(server, f"/{bucket}/streamed", data, trailer=trailer)
    assert status == 200, body
    got = s3.get_object(Bucket=bucket, Key="streamed", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got.get("ContentEncoding") is None  # aws-chunked is framing, not stored
    if trailer:
        assert got["ChecksumCRC32"] == base64.b64encode(crt_checksums.crc32(data).to_bytes(4, "big")).decode()


def test_signed_streaming_bad_chunk_signature_stores_nothing(server: ServerProcess, s3: BaseClient,
                                                             bucket: str) -> None:
    status, body = _signed_streaming(server, f"/{bucket}/forged", b"z" * 200_000, trailer=False, corrupt_at=1)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="forged")


@pytest.mark.parametrize("http_chunked", [True, False], ids=["transfer-encoding-chunked", "content-length"])
@pytest.mark.parametrize("algorithm", ["crc32", "crc32c", "sha256", "crc64nvme"])
def test_unsigned_payload_trailer_as_botocore_sends_it(server: ServerProcess, s3: BaseClient, bucket: str,
                                                       algorithm: str, http_chunked: bool) -> None:
    data = b"trailer me " * 30_000
    request_dict = {"url": f"{server.endpoint}/{bucket}/trailed-{algorithm}", "method": "PUT", "headers": {},
                    "body": data, "context": {"checksum": {"request_algorithm": {
                        "algorithm": algorithm, "in": "trailer", "name": f"x-amz-checksum-{algorithm}"}}}}
    apply_request_checksum(request_dict)
    request = create_request_object(request_dict)
    S3SigV4Auth(Credentials(server.access_key, server.secret_key), "s3", "us-east-1").add_auth(request)
    wire = request.body.read()
    assert request.headers["X-Amz-Content-SHA256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    headers = {k: str(v) for k, v in request.headers.items() if k.lower() != "transfer-encoding"}
    if not http_chunked:
        headers["Content-Length"] = str(len(wire))
    status, body = _put(server, f"/{bucket}/trailed-{algorithm}", headers, wire, http_chunked)
    assert status == 200, body
    head = s3.head_object(Bucket=bucket, Key=f"trailed-{algorithm}", ChecksumMode="ENABLED")
    assert head["ContentLength"] == len(data)
    assert f"Checksum{algorithm.upper()}" in head


def test_unsigned_payload_trailer_wrong_checksum_stores_nothing(server: ServerProcess, s3: BaseClient,
                                                               bucket: str) -> None:
    data = b"honest bytes" * 1000
    request_dict = {"url": f"{server.endpoint}/{bucket}/lying", "method": "PUT", "headers": {}, "body": data,
                    "context": {"checksum": {"request_algorithm": {
                        "algorithm": "crc32", "in": "trailer", "name": "x-amz-checksum-crc32"}}}}
    apply_request_checksum(request_dict)
    request = create_request_object(request_dict)
    S3SigV4Auth(Credentials(server.access_key, server.secret_key), "s3", "us-east-1").add_auth(request)
    wire = request.body.read()
    good = wire.rsplit(b"x-amz-checksum-crc32:", 1)[1].split(b"\r\n")[0]
    forged = wire.replace(b"x-amz-checksum-crc32:" + good, b"x-amz-checksum-crc32:AAAAAA==")
    headers = {k: str(v) for k, v in request.headers.items() if k.lower() != "transfer-encoding"}
    headers["Content-Length"] = str(len(forged))
    status, body = _put(server, f"/{bucket}/lying", headers, forged)
    assert status == 400 and b"<Code>BadDigest</Code>" in body
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="lying")
