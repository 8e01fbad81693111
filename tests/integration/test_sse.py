"""Server-side encryption through a real server: SSE-S3, bucket default, SSE-C, SSE-KMS,
ranges, error codes, and no plaintext on disk (blob files and the metadata database)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from rucket.core.paths import ADMIN
from tests.server import ServerProcess

KEY_A, KEY_B = os.urandom(32), os.urandom(32)


def sse_c(key: bytes, prefix: str = "") -> dict[str, Any]:
    return {f"{prefix}SSECustomerAlgorithm": "AES256", f"{prefix}SSECustomerKey": key}


def code_status(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    resp = exc.value.response
    return resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"]


def admin(server: ServerProcess, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    from rucket.cli_admin import signed_request

    data = json.dumps(body).encode() if body is not None else b""
    return signed_request(server.endpoint, server.access_key, server.secret_key, "us-east-1", method, path, data)


@pytest.fixture(scope="module")
def kms_key(server: ServerProcess) -> str:
    name = f"k-{uuid.uuid4().hex[:8]}"
    status, body = admin(server, "POST", f"{ADMIN}/kms/keys", {"key_id": name})
    assert status == 201 and body["versions"] == 1
    return name


def headers_of(resp: dict[str, Any]) -> dict[str, str]:
    return resp["ResponseMetadata"]["HTTPHeaders"]  # type: ignore[no-any-return]


# ---- SSE-S3 and the bucket default ---------------------------------------------------------------
@pytest.mark.parametrize("size", [0, 1, 1000, 200_000, 5 * 1024 * 1024 + 3])
def test_sse_s3_roundtrip_headers_and_md5_etag(s3: BaseClient, bucket: str, size: int) -> None:
    body = os.urandom(size)
    put = s3.put_object(Bucket=bucket, Key="k", Body=body, ServerSideEncryption="AES256")
    assert put["ServerSideEncryption"] == "AES256"
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["ServerSideEncryption"] == "AES256" and got["Body"].read() == body
    assert s3.head_object(Bucket=bucket, Key="k")["ServerSideEncryption"] == "AES256"


def test_range_reads_across_blocks(s3: BaseClient, bucket: str) -> None:
    body = os.urandom(3 * 1024 * 1024 + 17)
    s3.put_object(Bucket=bucket, Key="k", Body=body, ServerSideEncryption="AES256")
    for start, end in [(0, 0), (65535, 65536), (65536, 65536 * 3 + 5), (1_048_575, 2_097_153),
                       (len(body) - 1, len(body) - 1), (12345, len(body) - 1)]:
        got = s3.get_object(Bucket=bucket, Key="k", Range=f"bytes={start}-{end}")
        assert got["Body"].read() == body[start:end + 1], (start, end)
    assert s3.get_object(Bucket=bucket, Key="k", Range="bytes=-100")["Body"].read() == body[-100:]


def test_bucket_default_encryption_applies_to_plain_puts(s3: BaseClient, bucket: str) -> None:
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    assert put["ServerSideEncryption"] == "AES256"
    assert s3.head_object(Bucket=bucket, Key="k")["ServerSideEncryption"] == "AES256"
    s3.delete_bucket_encryption(Bucket=bucket)
    assert "ServerSideEncryption" not in s3.put_object(Bucket=bucket, Key="k2", Body=b"data")


def test_sse_header_on_a_read_is_refused(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", ServerSideEncryption="AES256")
    s3.meta.events.register("before-call.s3.HeadObject", _add_sse_header)
    try:
        with pytest.raises(ClientError) as exc:
            s3.head_object(Bucket=bucket, Key="k")
    finally:
        s3.meta.events.unregister("before-call.s3.HeadObject", _add_sse_header)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def _add_sse_header(params: dict[str, Any], **_: Any) -> None:
    params["headers"]["x-amz-server-side-encryption"] = "AES256"


@pytest.mark.parametrize("headers", [
    pytest.param({"x-amz-server-side-encryption": "AES128"}, id="unknown-mode"),
    pytest.param({"x-amz-server-side-encryption": "AES256", "x-amz-server-side-encryption-aws-kms-key-id": "k"},
                 id="kms-key-without-kms"),
    pytest.param({"x-amz-server-side-encryption-aws-kms-key-id": "k"}, id="kms-key-alone"),
    pytest.param({"x-amz-server-side-encryption": "AES256",
                  "x-amz-server-side-encryption-customer-algorithm": "AES256",
                  "x-amz-server-side-encryption-customer-key": base64.b64encode(KEY_A).decode(),
                  "x-amz-server-side-encryption-customer-key-MD5":
                      base64.b64encode(hashlib.md5(KEY_A).digest()).decode()}, id="sse-s3-and-sse-c"),
    pytest.param({"x-amz-server-side-encryption-customer-key": base64.b64encode(KEY_A).decode(),
                  "x-amz-server-side-encryption-customer-key-MD5":
                      base64.b64encode(hashlib.md5(KEY_A).digest()).decode()}, id="sse-c-key-without-algorithm"),
    pytest.param({"x-amz-server-side-encryption-customer-algorithm": "AES256",
                  "x-amz-server-side-encryption-customer-key": base64.b64encode(KEY_A).decode(),
                  "x-amz-server-side-encryption-customer-key-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="}, id="sse-c-bad-md5"),
    pytest.param({"x-amz-server-side-encryption-customer-algorithm": "AES256",
                  "x-amz-server-side-encryption-customer-key": base64.b64encode(b"short").decode(),
                  "x-amz-server-side-encryption-customer-key-MD5":
                      base64.b64encode(hashlib.md5(b"short").digest()).decode()}, id="sse-c-short-key"),
    pytest.param({"x-amz-server-side-encryption-customer-algorithm": "AES256"}, id="sse-c-no-key"),
    pytest.param({"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": "k",
                  "x-amz-server-side-encryption-context": "not base64 json"}, id="bad-context"),
])
def test_invalid_encryption_headers_are_400_before_the_body(s3: BaseClient, bucket: str,
                                                            headers: dict[str, str]) -> None:
    def add(params: dict[str, Any], **_: Any) -> None:
        params["headers"].update(headers)

    s3.meta.events.register("before-call.s3.PutObject", add)
    try:
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    finally:
        s3.meta.events.unregister("before-call.s3.PutObject", add)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="k")  # nothing was stored


# ---- SSE-C ---------------------------------------------------------------------------------------
def test_sse_c_roundtrip_and_headers(s3: BaseClient, bucket: str) -> None:
    body = os.urandom(150_000)
    put = s3.put_object(Bucket=bucket, Key="k", Body=body, **sse_c(KEY_A))
    md5 = base64.b64encode(hashlib.md5(KEY_A).digest()).decode()
    assert (put["SSECustomerAlgorithm"], put["SSECustomerKeyMD5"]) == ("AES256", md5)
    assert put["ETag"] != f'"{hashlib.md5(body).hexdigest()}"'  # AWS: not the MD5 of the data
    got = s3.get_object(Bucket=bucket, Key="k", **sse_c(KEY_A))
    assert got["Body"].read() == body and got["ETag"] == put["ETag"] and got["SSECustomerKeyMD5"] == md5
    assert s3.get_object(Bucket=bucket, Key="k", Range="bytes=70000-70100", **sse_c(KEY_A))["Body"].read() \
        == body[70000:70101]
    assert s3.head_object(Bucket=bucket, Key="k", **sse_c(KEY_A))["ContentLength"] == len(body)


@pytest.mark.parametrize("size", [10, 200_000])
def test_sse_c_missing_key_400_wrong_key_403(s3: BaseClient, bucket: str, size: int) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=os.urandom(size), **sse_c(KEY_A))
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k")
    assert code_status(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k", **sse_c(KEY_B))
    assert code_status(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="k")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="k", **sse_c(KEY_B))
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_sse_c_key_on_a_plain_object_is_400(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"plain")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k", **sse_c(KEY_A))
    assert code_status(exc) == ("InvalidRequest", 400)


# ---- SSE-KMS -------------------------------------------------------------------------------------
def test_sse_kms_roundtrip_with_context(s3: BaseClient, bucket: str, kms_key: str) -> None:
    body = os.urandom(100_000)
    context = base64.b64encode(json.dumps({"app": "test"}).encode()).decode()
    put = s3.put_object(Bucket=bucket, Key="k", Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key,
                        SSEKMSEncryptionContext=context)
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", kms_key)
    assert json.loads(base64.b64decode(put["SSEKMSEncryptionContext"])) == {"app": "test"}
    assert put["ETag"] != f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == body and (got["ServerSideEncryption"], got["SSEKMSKeyId"]) == ("aws:kms", kms_key)


def test_sse_kms_unknown_key_is_kms_not_found(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="no-such-key")
    assert code_status(exc) == ("KMS.NotFoundException", 400)


def test_sse_kms_rotation_keeps_old_objects_readable(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    name = f"rot-{uuid.uuid4().hex[:8]}"
    assert admin(server, "POST", f"{ADMIN}/kms/keys", {"key_id": name})[0] == 201
    s3.put_object(Bucket=bucket, Key="old", Body=b"old data", ServerSideEncryption="aws:kms", SSEKMSKeyId=name)
    status, body = admin(server, "POST", f"{ADMIN}/kms/keys/{name}/rotate")
    assert status == 200 and body["versions"] == 2
    s3.put_object(Bucket=bucket, Key="new", Body=b"new data", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=f"arn:aws:kms:us-east-1:000000000000:key/{name}")
    assert s3.get_object(Bucket=bucket, Key="old")["Body"].read() == b"old data"
    assert s3.get_object(Bucket=bucket, Key="new")["Body"].read() == b"new data"
    assert admin(server, "POST", f"{ADMIN}/kms/keys/nope/rotate")[0] == 404


def test_bucket_default_kms(s3: BaseClient, bucket: str, kms_key: str) -> None:
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key}}]})
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", kms_key)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"


# ---- nothing in the clear on disk ----------------------------------------------------------------------
@pytest.fixture
def marker() -> Iterator[bytes]:
    yield f"PLAINTEXT-{uuid.uuid4().hex}-".encode()


def test_no_plaintext_in_blob_files_or_the_database(server: ServerProcess, s3: BaseClient, bucket: str,
                                                    kms_key: str, marker: bytes) -> None:
    small, large = marker * 4, marker * 40_000  # an inline row and a blob file
    modes: list[dict[str, Any]] = [{"ServerSideEncryption": "AES256"}, sse_c(KEY_A),
                                   {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key}]
    for i, args in enumerate(modes):
        for name, body in (("small", small), ("large", large)):
            s3.put_object(Bucket=bucket, Key=f"{name}{i}", Body=body, **args)
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_object(Bucket=bucket, Key="default", Body=small)
    control = marker.replace(b"PLAINTEXT", b"CONTROL")  # stored in the clear: proves the search finds rows
    s3.delete_bucket_encryption(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="plain", Body=control * 4)
    got = s3.get_object(Bucket=bucket, Key="small1", **sse_c(KEY_A))["Body"].read()
    assert got == small  # readable, yet:
    files = [f for f in Path(server.data_dir).rglob("*") if f.is_file()]
    assert any(f.name.startswith("meta.db") for f in files) and any("blobs" in f.parts for f in files)
    assert any(control in f.read_bytes() for f in files)
    leaks = [str(f) for f in files if marker in f.read_bytes()]
    assert leaks == []
