"""Core bucket and object API through boto3 (recent: default CRC32 checksums on)."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.integration.conftest import make_client
from tests.server import ServerProcess


def code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    r = exc.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]


def test_bucket_lifecycle(s3: BaseClient) -> None:
    name = f"life-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.head_bucket(Bucket=name)
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    s3.create_bucket(Bucket=name)  # us-east-1: re-creating your own bucket is a no-op 200, as on AWS
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=name)
    assert code(e) == (409, "BucketNotEmpty")
    s3.delete_object(Bucket=name, Key="k")
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=name)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


@pytest.mark.parametrize(("name", "rule"), [
    ("ab", b"3 to 63 characters"), ("UPPER", b"only lowercase"), ("a..b", b"two adjacent periods"),
    ("-ab", b"begin and end with a letter or digit"), ("192.168.1.1", b"IP address"),
])
def test_create_bucket_invalid_name(s3: BaseClient, server: ServerProcess, name: str, rule: bytes) -> None:
    """The message names the rule that failed (AWS says only "The specified bucket is not valid.")."""
    import requests  # plain HTTP: boto3 validates some names client-side

    from tests.integration.http import signed

    r = requests.put(server.endpoint + "/" + name, headers=signed(server, "PUT", "/" + name), timeout=10)
    assert r.status_code == 400
    assert b"<Code>InvalidBucketName</Code>" in r.content
    assert b"<Message>The specified bucket is not valid: " in r.content and rule in r.content


def test_create_bucket_location_constraint(s3: BaseClient) -> None:
    name = f"loc-{uuid.uuid4().hex[:12]}"
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert code(e) == (400, "InvalidLocationConstraint")


@pytest.mark.parametrize("size", [0, 1, 65536, 65537, 3 * 1024 * 1024 + 7])
def test_put_get_roundtrip(s3: BaseClient, bucket: str, size: int) -> None:
    data = (hashlib.sha256(str(size).encode()).digest() * (size // 32 + 1))[:size]
    put = s3.put_object(Bucket=bucket, Key=f"obj-{size}", Body=data, ContentType="text/plain",
                        Metadata={"colour": "blue"})
    assert put["ETag"] == '"' + hashlib.md5(data).hexdigest() + '"'
    got = s3.get_object(Bucket=bucket, Key=f"obj-{size}")
    assert got["Body"].read() == data
    assert got["ContentLength"] == size
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"colour": "blue"}
    assert got["ETag"] == put["ETag"]
    head = s3.head_object(Bucket=bucket, Key=f"obj-{size}")
    assert head["ContentLength"] == size


def test_content_headers_and_overrides(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="h", Body=b"hello", ContentEncoding="identity", ContentDisposition="inline",
                  ContentLanguage="en", CacheControl="no-cache", Expires="Wed, 21 Oct 2037 07:28:00 GMT")
    got = s3.get_object(Bucket=bucket, Key="h")
    assert (got["ContentEncoding"], got["ContentDisposition"], got["ContentLanguage"], got["CacheControl"]) == \
        ("identity", "inline", "en", "no-cache")
    over = s3.get_object(Bucket=bucket, Key="h", ResponseContentType="application/json",
                         ResponseContentDisposition="attachment; filename=x.json")
    assert over["ContentType"] == "application/json"
    assert over["ContentDisposition"] == "attachment; filename=x.json"


def test_range_get(s3: BaseClient, bucket: str) -> None:
    data = bytes(range(256)) * 1000
    s3.put_object(Bucket=bucket, Key="r", Body=data)
    for header, expected in [("bytes=0-9", data[:10]), ("bytes=100-", data[100:]), ("bytes=-5", data[-5:])]:
        got = s3.get_object(Bucket=bucket, Key="r", Range=header)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert got["Body"].read() == expected
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="r", Range=f"bytes={len(data)}-")
    assert code(e) == (416, "InvalidRange")


def test_missing_key_and_bucket(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="nope")
    assert code(e) == (404, "NoSuchKey")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="no-such-bucket-" + uuid.uuid4().hex[:8], Key="k")
    assert code(e) == (404, "NoSuchBucket")
    s3.delete_object(Bucket=bucket, Key="nope")  # deleting an absent key is a 204


def test_key_too_long(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert code(e) == (400, "KeyTooLongError")


def test_overwrite_replaces_and_reclaims_blob(s3: BaseClient, bucket: str, server: ServerProcess) -> None:
    big = b"a" * 200_000
    s3.put_object(Bucket=bucket, Key="o", Body=big)
    before = {p.name for p in (server.data_dir / "blobs").glob("*/*/*")}
    s3.put_object(Bucket=bucket, Key="o", Body=b"b" * 200_000)
    after = {p.name for p in (server.data_dir / "blobs").glob("*/*/*")}
    assert s3.get_object(Bucket=bucket, Key="o")["Body"].read() == b"b" * 200_000
    assert len(after - before) == 1 and len(before - after) == 1


def test_delete_objects_quiet_and_verbose(s3: BaseClient, bucket: str) -> None:
    for i in range(5):
        s3.put_object(Bucket=bucket, Key=f"d{i}", Body=b"x")
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d0"}, {"Key": "d1"}, {"Key": "zz"}]})
    assert sorted(d["Key"] for d in out["Deleted"]) == ["d0", "d1", "zz"]
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d2"}], "Quiet": True})
    assert "Deleted" not in out
    left = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert left == ["d3", "d4"]


def test_delete_objects_1000_keys(s3: BaseClient, bucket: str) -> None:
    keys = [{"Key": f"k{i:04d}"} for i in range(1000)]
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
    assert out.get("Errors", []) == []
    with pytest.raises(ClientError) as e:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [*keys, {"Key": "one-too-many"}]})
    assert code(e) == (400, "MalformedXML")


def test_virtual_host_style(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    """`bucket.localhost:port` Host header (what virtual-style clients send), signed by botocore."""
    import http.client

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    port = int(server.endpoint.rsplit(":", 1)[1])
    creds = Credentials(server.access_key, server.secret_key)

    def send(method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        req = AWSRequest(method=method, url=f"http://{bucket}.localhost:{port}{path}", data=body)
        S3SigV4Auth(creds, "s3", "us-east-1").add_auth(req)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request(method, path, body=body, headers={"Host": f"{bucket}.localhost:{port}", **req.headers})
        r = conn.getresponse()
        return r.status, r.read()

    assert send("PUT", "/vh/key.txt", b"virtual")[0] == 200
    assert send("GET", "/vh/key.txt") == (200, b"virtual")
    status, listing = send("GET", "/?list-type=2")
    assert status == 200 and b"<Key>vh/key.txt</Key>" in listing
    assert s3.get_object(Bucket=bucket, Key="vh/key.txt")["Body"].read() == b"virtual"


def test_other_user_is_denied(s3_alt: BaseClient, bucket: str, s3: BaseClient) -> None:
    s3.put_object(Bucket=bucket, Key="private", Body=b"x")
    for call in (lambda: s3_alt.get_object(Bucket=bucket, Key="private"),
                 lambda: s3_alt.put_object(Bucket=bucket, Key="x", Body=b"x"),
                 lambda: s3_alt.list_objects_v2(Bucket=bucket),
                 lambda: s3_alt.delete_bucket(Bucket=bucket)):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == (403, "AccessDenied")
    assert bucket not in [b["Name"] for b in s3_alt.list_buckets()["Buckets"]]


def test_unknown_access_key_and_bad_secret(server: ServerProcess, bucket: str) -> None:
    with pytest.raises(ClientError) as e:
        make_client(server, key="nobody", secret="x").list_buckets()
    assert code(e) == (403, "InvalidAccessKeyId")
    with pytest.raises(ClientError) as e:
        make_client(server, secret="wrong").list_buckets()
    assert code(e) == (403, "SignatureDoesNotMatch")


def test_presigned_get_and_put(s3: BaseClient, bucket: str) -> None:
    import requests

    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "p"}, ExpiresIn=60)
    assert requests.put(url, data=b"presigned", timeout=10).status_code == 200
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p"}, ExpiresIn=60)
    r = requests.get(url, timeout=10)
    assert (r.status_code, r.content) == (200, b"presigned")
    assert requests.get(url.replace("Signature=", "Signature=0"), timeout=10).status_code == 403


def test_checksums_roundtrip_when_supported(s3: BaseClient, bucket: str) -> None:
    for alg in ("CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"):
        put = s3.put_object(Bucket=bucket, Key=f"c-{alg}", Body=b"checksum me", ChecksumAlgorithm=alg)
        assert f"Checksum{alg}" in put
        head = s3.head_object(Bucket=bucket, Key=f"c-{alg}", ChecksumMode="ENABLED")
        assert head[f"Checksum{alg}"] == put[f"Checksum{alg}"]


def test_error_xml_request_id_matches_header(server: ServerProcess) -> None:
    import requests

    from tests.integration.http import signed

    r = requests.get(server.endpoint + "/no-such-bucket-xyz", headers=signed(server, "GET", "/no-such-bucket-xyz"),
                     timeout=10)
    assert r.status_code == 404
    rid = r.headers["x-amz-request-id"]
    assert f"<RequestId>{rid}</RequestId>".encode() in r.content
    assert b"<Code>NoSuchBucket</Code>" in r.content and b"<HostId>" in r.content and b"<Resource>" in r.content


def test_list_buckets_paginated(s3: BaseClient) -> None:
    names = sorted(f"page-{uuid.uuid4().hex[:10]}" for _ in range(3))
    for n in names:
        s3.create_bucket(Bucket=n)
    try:
        seen, token = [], None
        while True:
            kwargs = {"MaxBuckets": 1, "Prefix": "page-"} | ({"ContinuationToken": token} if token else {})
            out = s3.list_buckets(**kwargs)
            seen += [b["Name"] for b in out["Buckets"]]
            token = out.get("ContinuationToken")
            if not token:
                break
        assert [n for n in seen if n in names] == names and all(n.startswith("page-") for n in seen)
    finally:
        for n in names:
            s3.delete_bucket(Bucket=n)


def test_expected_bucket_owner_mismatch_is_denied(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ExpectedBucketOwner="rucketadmin")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k2", Body=b"x", ExpectedBucketOwner="someone-else")
    assert code(e) == (403, "AccessDenied")


def test_content_encoding_keeps_its_spelling_without_aws_chunked(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="enc", Body=b"x", ContentEncoding="deflate, gzip")
    assert s3.head_object(Bucket=bucket, Key="enc")["ContentEncoding"] == "deflate, gzip"


def test_not_modified_carries_validators(s3: BaseClient, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="nm", Body=b"bar")["ETag"]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="nm", IfNoneMatch=etag)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    assert e.value.response["ResponseMetadata"]["HTTPHeaders"]["etag"] == etag
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="nm", IfMatch='"nope"')
    assert code(e) == (412, "PreconditionFailed")


def test_malformed_content_md5_is_invalid_digest(server: ServerProcess, bucket: str) -> None:
    import requests

    from tests.integration.http import signed

    path = f"/{bucket}/md5"
    r = requests.put(server.endpoint + path, data=b"body",
                     headers=signed(server, "PUT", path, b"body", headers={"Content-MD5": "YWJj"}), timeout=10)
    assert r.status_code == 400 and b"<Code>InvalidDigest</Code>" in r.content


def test_anonymous_list_buckets_is_empty(server: ServerProcess, bucket: str) -> None:
    import requests

    r = requests.get(server.endpoint + "/", timeout=10)
    assert r.status_code == 200 and b"<Bucket>" not in r.content and b"<Buckets" in r.content
