"""End-to-end checksums: every algorithm as a header (botocore over http) and as an aws-chunked trailer
(built by hand, as SDKs send it over https), stored and returned only on request, verified on mismatch
with nothing stored and the connection still usable; multipart COMPOSITE and FULL_OBJECT."""

from __future__ import annotations

import base64
import http.client
import os
from urllib.parse import urlsplit

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from rucket.core import checksums
from tests.integration.conftest import make_client
from tests.integration.http import signed
from tests.integration.test_objects import code
from tests.server import ServerProcess

ALGORITHMS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]
MiB = 1024 * 1024


def digest(alg: str, data: bytes) -> str:
    h = checksums.new(alg)
    h.update(data)
    return checksums.b64(h.digest())


def _conn(server: ServerProcess) -> http.client.HTTPConnection:
    p = urlsplit(server.endpoint)
    return http.client.HTTPConnection(p.hostname, p.port, timeout=10)


def _absent(s3: BaseClient, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    return False


@pytest.mark.parametrize("mode", ["when_supported", "when_required"])
@pytest.mark.parametrize("alg", ALGORITHMS)
def test_header_checksum_stored_and_returned_on_request(server: ServerProcess, bucket: str, alg: str,
                                                        mode: str) -> None:
    s3 = make_client(server, request_checksum_calculation=mode, response_checksum_validation=mode)
    data = os.urandom(70_000)
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, ChecksumAlgorithm=alg)
    assert put[f"Checksum{alg}"] == digest(alg, data)
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == data  # botocore also validates the body against the returned checksum
    assert got[f"Checksum{alg}"] == digest(alg, data) and got["ChecksumType"] == "FULL_OBJECT"
    assert f"Checksum{alg}" not in s3.head_object(Bucket=bucket, Key="k")  # only with x-amz-checksum-mode
    assert s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")[f"Checksum{alg}"] == digest(alg, data)
    attrs = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["Checksum", "ObjectSize"])
    assert attrs["Checksum"][f"Checksum{alg}"] == digest(alg, data) and attrs["ObjectSize"] == len(data)


def test_sdk_default_checksum_only_when_supported(server: ServerProcess, bucket: str) -> None:
    for mode, stored in (("when_supported", True), ("when_required", False)):
        s3 = make_client(server, request_checksum_calculation=mode)
        s3.put_object(Bucket=bucket, Key=mode, Body=b"default")
        head = s3.head_object(Bucket=bucket, Key=mode, ChecksumMode="ENABLED")
        assert ("ChecksumCRC32" in head) is stored


def _trailer_put(server: ServerProcess, conn: http.client.HTTPConnection, path: str, data: bytes,
                 trailer: bytes, declared: str = "x-amz-checksum-crc32") -> tuple[int, bytes]:
    """PUT with STREAMING-UNSIGNED-PAYLOAD-TRAILER: aws-chunked framing, checksum in the trailer."""
    body = b"%x\r\n" % len(data) + data + b"\r\n0\r\n" + trailer + b"\r\n\r\n" if data else b"0\r\n" + trailer \
        + b"\r\n\r\n"
    extra = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
             "x-amz-trailer": declared}
    headers = signed(server, "PUT", path, body, headers=extra, payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    conn.request("PUT", path, body=body, headers=headers)
    r = conn.getresponse()
    return r.status, r.read()


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_trailer_checksum_every_algorithm(server: ServerProcess, s3: BaseClient, bucket: str, alg: str) -> None:
    data = os.urandom(100_000)
    name = checksums.header_name(alg)
    status, body = _trailer_put(server, _conn(server), f"/{bucket}/t", data,
                                f"{name}:{digest(alg, data)}".encode(), declared=name)
    assert status == 200, body
    got = s3.get_object(Bucket=bucket, Key="t", ChecksumMode="ENABLED")
    assert got["Body"].read() == data and got[f"Checksum{alg}"] == digest(alg, data)


@pytest.mark.parametrize(("trailer", "declared", "expected"), [
    pytest.param(b"x-amz-checksum-crc32:AAAAAA==", "x-amz-checksum-crc32", "BadDigest", id="wrong-value"),
    pytest.param(b"x-amz-checksum-crc32 AAAAAA==", "x-amz-checksum-crc32", "MalformedTrailerError", id="no-colon"),
    pytest.param(b"x-amz-checksum-sha256:AAAAAA==", "x-amz-checksum-crc32", "MalformedTrailerError",
                 id="undeclared"),
])
def test_bad_trailer_stores_nothing_and_connection_stays_usable(
        server: ServerProcess, s3: BaseClient, bucket: str, trailer: bytes, declared: str, expected: str) -> None:
    conn = _conn(server)
    status, body = _trailer_put(server, conn, f"/{bucket}/bad", b"payload" * 1000, trailer, declared)
    assert status == 400 and f"<Code>{expected}</Code>".encode() in body, body
    assert _absent(s3, bucket, "bad")
    data = b"after"
    status, body = _trailer_put(server, conn, f"/{bucket}/good", data,
                                f"x-amz-checksum-crc32:{digest('CRC32', data)}".encode())
    assert status == 200, body


def test_truncated_chunk_stores_nothing_and_connection_stays_usable(
        server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    conn = _conn(server)
    path = f"/{bucket}/short"
    body = b"64\r\n" + b"x" * 50 + b"\r\n0\r\n\r\n"  # announces 100 bytes, carries 50
    extra = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": "100"}
    conn.request("PUT", path, body=body, headers=signed(server, "PUT", path, body, headers=extra,
                                                        payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER"))
    r = conn.getresponse()
    assert r.status == 400 and b"<Code>" in r.read()
    assert _absent(s3, bucket, "short")
    conn.request("GET", f"/{bucket}", headers=signed(server, "GET", f"/{bucket}"))
    r = conn.getresponse()
    assert r.status == 200 and b"ListBucketResult" in r.read()


def test_wrong_checksum_or_md5_on_upload_part_stores_nothing(s3: BaseClient, bucket: str) -> None:
    uid = s3.create_multipart_upload(Bucket=bucket, Key="p")["UploadId"]
    for kw in ({"ChecksumCRC32": "AAAAAA=="}, {"ContentMD5": "1B2M2Y8AsgTpgAmY7PhCfg=="}):
        with pytest.raises(ClientError) as e:
            s3.upload_part(Bucket=bucket, Key="p", UploadId=uid, PartNumber=1, Body=b"data", **kw)
        assert code(e) == (400, "BadDigest")
    assert s3.list_parts(Bucket=bucket, Key="p", UploadId=uid).get("Parts", []) == []
    s3.abort_multipart_upload(Bucket=bucket, Key="p", UploadId=uid)


@pytest.mark.parametrize(("alg", "ctype"), [(a, "COMPOSITE") for a in ALGORITHMS if a != "CRC64NVME"]
                         + [(a, "FULL_OBJECT") for a in ("CRC32", "CRC32C", "CRC64NVME")])
def test_multipart_checksums(s3: BaseClient, bucket: str, alg: str, ctype: str) -> None:
    created = s3.create_multipart_upload(Bucket=bucket, Key="m", ChecksumAlgorithm=alg, ChecksumType=ctype)
    assert (created["ChecksumAlgorithm"], created["ChecksumType"]) == (alg, ctype)
    uid, bodies, parts = created["UploadId"], [os.urandom(5 * MiB), os.urandom(1000)], []
    for n, body in enumerate(bodies, 1):
        r = s3.upload_part(Bucket=bucket, Key="m", UploadId=uid, PartNumber=n, Body=body, ChecksumAlgorithm=alg)
        assert r[f"Checksum{alg}"] == digest(alg, body)
        parts.append({"PartNumber": n, "ETag": r["ETag"], f"Checksum{alg}": r[f"Checksum{alg}"]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=uid, MultipartUpload={"Parts": parts})
    if ctype == "FULL_OBJECT":
        expected = digest(alg, b"".join(bodies))
    else:
        h = checksums.new(alg)
        h.update(b"".join(base64.b64decode(digest(alg, body)) for body in bodies))
        expected = checksums.b64(h.digest()) + "-2"
    assert done[f"Checksum{alg}"] == expected and done["ChecksumType"] == ctype
    head = s3.head_object(Bucket=bucket, Key="m", ChecksumMode="ENABLED")
    assert head[f"Checksum{alg}"] == expected and head["ChecksumType"] == ctype
    attrs = s3.get_object_attributes(Bucket=bucket, Key="m", ObjectAttributes=["Checksum", "ObjectParts"])
    assert attrs["Checksum"][f"Checksum{alg}"] == expected
    assert [p[f"Checksum{alg}"] for p in attrs["ObjectParts"]["Parts"]] == [digest(alg, b) for b in bodies]
    part = s3.get_object(Bucket=bucket, Key="m", PartNumber=2, ChecksumMode="ENABLED")
    assert part["Body"].read() == bodies[1] and part[f"Checksum{alg}"] == digest(alg, bodies[1])
    assert s3.get_object(Bucket=bucket, Key="m", ChecksumMode="ENABLED")["Body"].read() == b"".join(bodies)


def test_complete_with_wrong_object_checksum_is_bad_digest(s3: BaseClient, bucket: str) -> None:
    uid = s3.create_multipart_upload(Bucket=bucket, Key="w", ChecksumAlgorithm="SHA256")["UploadId"]
    r = s3.upload_part(Bucket=bucket, Key="w", UploadId=uid, PartNumber=1, Body=b"x", ChecksumAlgorithm="SHA256")
    parts = [{"PartNumber": 1, "ETag": r["ETag"], "ChecksumSHA256": r["ChecksumSHA256"]}]
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="w", UploadId=uid, ChecksumSHA256="bad",
                                     MultipartUpload={"Parts": parts})
    assert code(e) == (400, "BadDigest")
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="w", UploadId=uid, MultipartUpload={"Parts": [
            {**parts[0], "ChecksumSHA256": digest("SHA256", b"y")}]})
    assert code(e) == (400, "InvalidPart")
    s3.complete_multipart_upload(Bucket=bucket, Key="w", UploadId=uid, MultipartUpload={"Parts": parts})
