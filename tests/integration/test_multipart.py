"""Multipart uploads through boto3: the S3 rules, listings, part reads, and nothing leaked on disk."""

from __future__ import annotations

import hashlib
import os
import uuid

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.integration.test_objects import code
from tests.server import ServerProcess

MiB = 1024 * 1024


def blob_count(server: ServerProcess) -> int:
    return sum(1 for _ in (server.data_dir / "blobs").glob("*/*/*"))


def upload(s3: BaseClient, bucket: str, key: str, bodies: list[bytes], **create: object) -> tuple[str, list[dict]]:
    uid = s3.create_multipart_upload(Bucket=bucket, Key=key, **create)["UploadId"]
    parts = []
    for n, body in enumerate(bodies, 1):
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=n, Body=body)["ETag"]
        parts.append({"PartNumber": n, "ETag": etag})
    return uid, parts


def test_upload_complete_get_ranges_and_parts(s3: BaseClient, bucket: str) -> None:
    bodies = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(123)]
    uid, parts = upload(s3, bucket, "mp", bodies, ContentType="text/x-mp", Metadata={"m": "1"})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=uid, MultipartUpload={"Parts": parts})
    md5s = b"".join(hashlib.md5(b).digest() for b in bodies)
    assert done["ETag"] == f'"{hashlib.md5(md5s).hexdigest()}-3"'
    data = b"".join(bodies)
    got = s3.get_object(Bucket=bucket, Key="mp")
    assert got["Body"].read() == data and got["ContentType"] == "text/x-mp" and got["Metadata"] == {"m": "1"}
    for lo, hi in [(0, 0), (5 * MiB - 2, 5 * MiB + 2), (10 * MiB, len(data) - 1), (3, 10 * MiB + 5)]:
        r = s3.get_object(Bucket=bucket, Key="mp", Range=f"bytes={lo}-{hi}")
        assert r["Body"].read() == data[lo:hi + 1]
    for n, body in enumerate(bodies, 1):
        r = s3.get_object(Bucket=bucket, Key="mp", PartNumber=n)
        assert r["PartsCount"] == 3 and r["ETag"] == done["ETag"] and r["Body"].read() == body
        assert s3.head_object(Bucket=bucket, Key="mp", PartNumber=n)["ContentLength"] == len(body)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="mp", PartNumber=4)
    assert code(e) == (400, "InvalidPart")
    assert s3.list_objects_v2(Bucket=bucket)["Contents"][0]["Size"] == len(data)


def test_complete_errors(s3: BaseClient, bucket: str) -> None:
    uid, parts = upload(s3, bucket, "e", [b"a" * 100, b"b" * 100])
    cases = [
        ([parts[1], parts[0]], (400, "InvalidPartOrder")),
        ([{"PartNumber": 1, "ETag": '"' + "0" * 32 + '"'}], (400, "InvalidPart")),
        ([parts[0], {"PartNumber": 3, "ETag": parts[1]["ETag"]}], (400, "InvalidPart")),
        (parts, (400, "EntityTooSmall")),
    ]
    for listed, expected in cases:
        with pytest.raises(ClientError) as e:
            s3.complete_multipart_upload(Bucket=bucket, Key="e", UploadId=uid, MultipartUpload={"Parts": listed})
        assert code(e) == expected
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="e", UploadId=uid)
    assert code(e) == (400, "MalformedXML")
    for call in (lambda: s3.upload_part(Bucket=bucket, Key="e", UploadId="nope", PartNumber=1, Body=b"x"),
                 lambda: s3.abort_multipart_upload(Bucket=bucket, Key="e", UploadId="nope"),
                 lambda: s3.list_parts(Bucket=bucket, Key="e", UploadId="nope"),
                 lambda: s3.complete_multipart_upload(Bucket=bucket, Key="e", UploadId="nope",
                                                      MultipartUpload={"Parts": parts})):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == (404, "NoSuchUpload")
    for bad in (0, 10001):
        with pytest.raises(ClientError) as e:
            s3.upload_part(Bucket=bucket, Key="e", UploadId=uid, PartNumber=bad, Body=b"x")
        assert code(e) == (400, "InvalidArgument")
    # a single small part is fine (the last part has no minimum), and a retried Complete answers the same
    one = s3.complete_multipart_upload(Bucket=bucket, Key="e", UploadId=uid, MultipartUpload={"Parts": parts[:1]})
    again = s3.complete_multipart_upload(Bucket=bucket, Key="e", UploadId=uid, MultipartUpload={"Parts": parts[:1]})
    assert one["ETag"] == again["ETag"]
    assert s3.get_object(Bucket=bucket, Key="e")["Body"].read() == b"a" * 100


def test_abort_and_overwrite_reclaim_part_blobs(s3: BaseClient, bucket: str, server: ServerProcess) -> None:
    before = blob_count(server)
    uid, _ = upload(s3, bucket, "ab", [os.urandom(70_000) for _ in range(3)])
    s3.upload_part(Bucket=bucket, Key="ab", UploadId=uid, PartNumber=2, Body=os.urandom(70_000))  # replaces 2
    assert blob_count(server) == before + 3
    s3.abort_multipart_upload(Bucket=bucket, Key="ab", UploadId=uid)
    assert blob_count(server) == before
    uid, parts = upload(s3, bucket, "ow", [os.urandom(5 * MiB), os.urandom(10)])
    s3.complete_multipart_upload(Bucket=bucket, Key="ow", UploadId=uid, MultipartUpload={"Parts": parts})
    assert blob_count(server) == before + 2
    s3.put_object(Bucket=bucket, Key="ow", Body=b"small")  # inline: the two part blobs go
    assert blob_count(server) == before
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_list_parts_paginates_and_may_be_empty(s3: BaseClient, bucket: str) -> None:
    uid = s3.create_multipart_upload(Bucket=bucket, Key="lp")["UploadId"]
    empty = s3.list_parts(Bucket=bucket, Key="lp", UploadId=uid)
    assert empty.get("Parts", []) == [] and empty["IsTruncated"] is False
    for n in (1, 2, 3, 5, 8):
        s3.upload_part(Bucket=bucket, Key="lp", UploadId=uid, PartNumber=n, Body=b"p%d" % n)
    seen, marker = [], 0
    while True:
        page = s3.list_parts(Bucket=bucket, Key="lp", UploadId=uid, MaxParts=2, PartNumberMarker=marker)
        seen += [(p["PartNumber"], p["Size"]) for p in page["Parts"]]
        if not page["IsTruncated"]:
            break
        marker = page["NextPartNumberMarker"]
    assert seen == [(1, 2), (2, 2), (3, 2), (5, 2), (8, 2)]
    assert page["Initiator"]["ID"] == page["Owner"]["ID"]
    s3.abort_multipart_upload(Bucket=bucket, Key="lp", UploadId=uid)


def test_list_multipart_uploads_prefix_delimiter_markers(s3: BaseClient, bucket: str) -> None:
    keys = ["a/1", "a/2", "b", "c/x/y", "c/z", "d", "d"]
    ids = [(k, s3.create_multipart_upload(Bucket=bucket, Key=k)["UploadId"]) for k in keys]
    full = s3.list_multipart_uploads(Bucket=bucket)
    assert [(u["Key"], u["UploadId"]) for u in full["Uploads"]] == ids  # key, then initiation order
    top = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [u["Key"] for u in top["Uploads"]] == ["b", "d", "d"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "c/"]
    nested = s3.list_multipart_uploads(Bucket=bucket, Prefix="c/", Delimiter="/")
    assert [u["Key"] for u in nested["Uploads"]] == ["c/z"] and nested["CommonPrefixes"] == [{"Prefix": "c/x/"}]
    got, kw = [], {}
    while True:
        page = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=2, **kw)
        got += [(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]
        if not page["IsTruncated"]:
            break
        kw = {"KeyMarker": page["NextKeyMarker"], "UploadIdMarker": page["NextUploadIdMarker"]}
    assert got == ids
    after_d = s3.list_multipart_uploads(Bucket=bucket, KeyMarker="c/z")
    assert [u["Key"] for u in after_d["Uploads"]] == ["d", "d"]
    for k, uid in ids:
        s3.abort_multipart_upload(Bucket=bucket, Key=k, UploadId=uid)


def test_multipart_in_versioned_bucket(s3: BaseClient) -> None:
    name = f"mpv-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    uid, parts = upload(s3, name, "k", [b"v1"])
    done = s3.complete_multipart_upload(Bucket=name, Key="k", UploadId=uid, MultipartUpload={"Parts": parts})
    s3.put_object(Bucket=name, Key="k", Body=b"v2")
    assert s3.get_object(Bucket=name, Key="k", VersionId=done["VersionId"])["Body"].read() == b"v1"
    for v in s3.list_object_versions(Bucket=name)["Versions"]:
        s3.delete_object(Bucket=name, Key="k", VersionId=v["VersionId"])
    s3.delete_bucket(Bucket=name)


def test_delete_bucket_drops_uploads_in_progress(s3: BaseClient, server: ServerProcess) -> None:
    name = f"mpd-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    before = blob_count(server)
    upload(s3, name, "left", [os.urandom(70_000)])
    s3.delete_bucket(Bucket=name)
    assert blob_count(server) == before
