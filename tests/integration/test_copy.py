"""CopyObject and UploadPartCopy through boto3: directives, conditions, versions, encoded keys, sharing."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.integration.test_multipart import blob_count, upload
from tests.integration.test_objects import code
from tests.server import ServerProcess

MiB = 1024 * 1024


@pytest.fixture
def other(s3: BaseClient) -> Iterator[str]:
    name = f"copy-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    yield name
    for obj in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=obj["Key"])
    s3.delete_bucket(Bucket=name)


def test_copy_within_and_across_buckets_keeps_metadata(s3: BaseClient, bucket: str, other: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"hello", ContentType="text/a", Metadata={"k": "v"},
                  Tagging="t=1")
    res = s3.copy_object(Bucket=other, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    got = s3.get_object(Bucket=other, Key="dst")
    assert got["Body"].read() == b"hello" and got["ContentType"] == "text/a" and got["Metadata"] == {"k": "v"}
    assert res["CopyObjectResult"]["ETag"] == got["ETag"]
    assert s3.get_object_tagging(Bucket=other, Key="dst")["TagSet"] == [{"Key": "t", "Value": "1"}]
    s3.copy_object(Bucket=bucket, Key="dst2", CopySource=f"{bucket}/src", MetadataDirective="REPLACE",
                   ContentType="text/b", Metadata={"n": "w"}, TaggingDirective="REPLACE", Tagging="u=2")
    got = s3.get_object(Bucket=bucket, Key="dst2")
    assert got["ContentType"] == "text/b" and got["Metadata"] == {"n": "w"}
    assert s3.get_object_tagging(Bucket=bucket, Key="dst2")["TagSet"] == [{"Key": "u", "Value": "2"}]


def test_copy_onto_itself_needs_replace(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="self", Body=b"same" * 30_000)  # a blob file, shared by the copy
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    assert code(e) == (400, "InvalidRequest")
    s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"},
                   MetadataDirective="REPLACE", Metadata={"new": "1"})
    got = s3.get_object(Bucket=bucket, Key="self")
    assert got["Metadata"] == {"new": "1"} and got["Body"].read() == b"same" * 30_000  # blob kept, not reclaimed


def test_copy_source_conditions(s3: BaseClient, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"x")["ETag"]
    src = {"Bucket": bucket, "Key": "c"}
    s3.copy_object(Bucket=bucket, Key="ok1", CopySource=src, CopySourceIfMatch=etag)
    s3.copy_object(Bucket=bucket, Key="ok2", CopySource=src, CopySourceIfNoneMatch='"nope"')
    s3.copy_object(Bucket=bucket, Key="ok3", CopySource=src, CopySourceIfUnmodifiedSince="2100-01-01T00:00:00Z")
    for kw in ({"CopySourceIfMatch": '"nope"'}, {"CopySourceIfNoneMatch": etag},
               {"CopySourceIfModifiedSince": "2100-01-01T00:00:00Z"},
               {"CopySourceIfUnmodifiedSince": "2000-01-01T00:00:00Z"}):
        with pytest.raises(ClientError) as e:
            s3.copy_object(Bucket=bucket, Key="no", CopySource=src, **kw)
        assert code(e) == (412, "PreconditionFailed")


def test_copy_missing_source(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="d", CopySource={"Bucket": bucket, "Key": "absent"})
    assert code(e) == (404, "NoSuchKey")
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="d", CopySource={"Bucket": bucket + "-none", "Key": "absent"})
    assert code(e)[0] == 404


@pytest.mark.parametrize("key", ["sp ace", "q?versionId=x", "pct%25.txt", "ünï/cödé+plus", "a&b=c#d"])
def test_copy_url_encoded_source_keys(s3: BaseClient, bucket: str, key: str) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    s3.copy_object(Bucket=bucket, Key="out", CopySource={"Bucket": bucket, "Key": key})
    assert s3.get_object(Bucket=bucket, Key="out")["Body"].read() == key.encode()


def test_copy_source_version_id(s3: BaseClient) -> None:
    name = f"cpv-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=name, Key="k", Body=b"one")["VersionId"]
    s3.put_object(Bucket=name, Key="k", Body=b"two")
    res = s3.copy_object(Bucket=name, Key="old", CopySource={"Bucket": name, "Key": "k", "VersionId": v1})
    assert res["CopySourceVersionId"] == v1 and res["VersionId"]
    assert s3.get_object(Bucket=name, Key="old")["Body"].read() == b"one"
    marker = s3.delete_object(Bucket=name, Key="k")["VersionId"]
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=name, Key="x", CopySource={"Bucket": name, "Key": "k"})
    assert code(e) == (404, "NoSuchKey")
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=name, Key="x", CopySource={"Bucket": name, "Key": "k", "VersionId": marker})
    assert code(e) == (400, "InvalidRequest")
    for v in s3.list_object_versions(Bucket=name).get("Versions", []) + \
            s3.list_object_versions(Bucket=name).get("DeleteMarkers", []):
        s3.delete_object(Bucket=name, Key=v["Key"], VersionId=v["VersionId"])
    s3.delete_bucket(Bucket=name)


def test_copy_of_multipart_object_shares_part_blobs(s3: BaseClient, bucket: str, server: ServerProcess) -> None:
    bodies = [os.urandom(5 * MiB), os.urandom(3 * MiB)]
    uid, parts = upload(s3, bucket, "mp", bodies)
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=uid, MultipartUpload={"Parts": parts})
    before = blob_count(server)
    s3.copy_object(Bucket=bucket, Key="mp-copy", CopySource={"Bucket": bucket, "Key": "mp"})
    assert blob_count(server) == before  # no byte copied: the copy references the same immutable blobs
    s3.delete_object(Bucket=bucket, Key="mp")
    assert blob_count(server) == before  # still referenced by the copy
    got = s3.get_object(Bucket=bucket, Key="mp-copy")
    assert got["Body"].read() == b"".join(bodies) and got["ETag"] == done["ETag"]
    assert s3.get_object(Bucket=bucket, Key="mp-copy", PartNumber=2)["Body"].read() == bodies[1]
    s3.delete_object(Bucket=bucket, Key="mp-copy")
    assert blob_count(server) == before - 2


def test_upload_part_copy_ranges(s3: BaseClient, bucket: str, other: str) -> None:
    data = os.urandom(11 * MiB)
    s3.put_object(Bucket=bucket, Key="src", Body=data)
    uid = s3.create_multipart_upload(Bucket=other, Key="assembled")["UploadId"]
    ranges = [(0, 5 * MiB - 1), (5 * MiB, 10 * MiB - 1), (10 * MiB, len(data) - 1)]
    parts = []
    for n, (lo, hi) in enumerate(ranges, 1):
        r = s3.upload_part_copy(Bucket=other, Key="assembled", UploadId=uid, PartNumber=n,
                                CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes={lo}-{hi}")
        parts.append({"PartNumber": n, "ETag": r["CopyPartResult"]["ETag"]})
    for bad, expected in (("bytes=0-99999999", (416, "InvalidRange")), ("0-5", (400, "InvalidArgument")),
                          ("bytes=5-1", (400, "InvalidArgument")), ("bytes=0-1,3-4", (400, "InvalidArgument"))):
        with pytest.raises(ClientError) as e:
            s3.upload_part_copy(Bucket=other, Key="assembled", UploadId=uid, PartNumber=9,
                                CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=bad)
        assert code(e) == expected
    s3.complete_multipart_upload(Bucket=other, Key="assembled", UploadId=uid, MultipartUpload={"Parts": parts})
    assert s3.get_object(Bucket=other, Key="assembled")["Body"].read() == data


def test_copy_requires_read_access_to_the_source(s3: BaseClient, s3_alt: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="private", Body=b"secret")
    name = f"alt-{uuid.uuid4().hex[:12]}"
    s3_alt.create_bucket(Bucket=name)
    try:
        with pytest.raises(ClientError) as e:
            s3_alt.copy_object(Bucket=name, Key="stolen", CopySource={"Bucket": bucket, "Key": "private"})
        assert code(e) == (403, "AccessDenied")
        uid = s3_alt.create_multipart_upload(Bucket=name, Key="stolen")["UploadId"]
        with pytest.raises(ClientError) as e:
            s3_alt.upload_part_copy(Bucket=name, Key="stolen", UploadId=uid, PartNumber=1,
                                    CopySource={"Bucket": bucket, "Key": "private"})
        assert code(e) == (403, "AccessDenied")
        s3_alt.abort_multipart_upload(Bucket=name, Key="stolen", UploadId=uid)
    finally:
        s3_alt.delete_bucket(Bucket=name)
