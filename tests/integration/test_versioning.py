"""Versioning through boto3: bucket status, version ids, delete markers, ListObjectVersions."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.integration.http import signed
from tests.server import ServerProcess


def code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    r = exc.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]


@pytest.fixture
def vbucket(s3: BaseClient, bucket: str) -> str:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def test_never_versioned_bucket_answers_an_empty_configuration(s3: BaseClient, bucket: str) -> None:
    resp = s3.get_bucket_versioning(Bucket=bucket)
    assert "Status" not in resp and "MFADelete" not in resp


def test_enable_then_suspend(s3: BaseClient, bucket: str) -> None:
    for status in ("Enabled", "Suspended", "Enabled"):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == status


def test_empty_configuration_is_accepted_and_changes_nothing(server: ServerProcess, s3: BaseClient,
                                                            vbucket: str) -> None:
    body = b"<VersioningConfiguration xmlns='http://s3.amazonaws.com/doc/2006-03-01/'/>"
    r = requests.put(f"{server.endpoint}/{vbucket}?versioning", data=body,
                     headers=signed(server, "PUT", f"/{vbucket}?versioning", body), timeout=10)
    assert r.status_code == 200
    assert s3.get_bucket_versioning(Bucket=vbucket)["Status"] == "Enabled"


def test_invalid_status_is_malformed_xml(server: ServerProcess, bucket: str) -> None:
    body = b"<VersioningConfiguration><Status>enabled</Status></VersioningConfiguration>"
    r = requests.put(f"{server.endpoint}/{bucket}?versioning", data=body,
                     headers=signed(server, "PUT", f"/{bucket}?versioning", body), timeout=10)
    assert r.status_code == 400 and b"<Code>MalformedXML</Code>" in r.content


@pytest.fixture
def lock_bucket(s3: BaseClient) -> Iterator[str]:
    name = f"lock-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    yield name
    for v in s3.list_object_versions(Bucket=name).get("Versions", []):
        s3.delete_object(Bucket=name, Key=v["Key"], VersionId=v["VersionId"])
    s3.delete_bucket(Bucket=name)


def test_object_lock_bucket_is_versioned_and_cannot_be_suspended(s3: BaseClient, lock_bucket: str) -> None:
    assert s3.get_bucket_versioning(Bucket=lock_bucket)["Status"] == "Enabled"
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=lock_bucket, VersioningConfiguration={"Status": "Suspended"})
    assert code(exc) == (409, "InvalidBucketState")


def test_versions_are_kept_and_readable_by_id(s3: BaseClient, vbucket: str) -> None:
    ids = [s3.put_object(Bucket=vbucket, Key="k", Body=f"v{i}".encode())["VersionId"] for i in range(3)]
    assert len(set(ids)) == 3
    for i, vid in enumerate(ids):
        got = s3.get_object(Bucket=vbucket, Key="k", VersionId=vid)
        assert (got["Body"].read(), got["VersionId"]) == (f"v{i}".encode(), vid)
        assert s3.head_object(Bucket=vbucket, Key="k", VersionId=vid)["VersionId"] == vid
    assert s3.get_object(Bucket=vbucket, Key="k")["Body"].read() == b"v2"


def test_delete_marker_hides_the_object(s3: BaseClient, vbucket: str) -> None:
    vid = s3.put_object(Bucket=vbucket, Key="k", Body=b"x")["VersionId"]
    deleted = s3.delete_object(Bucket=vbucket, Key="k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=vbucket, Key="k")
    assert code(exc) == (404, "NoSuchKey")
    assert exc.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=vbucket, Key="k", VersionId=marker)
    assert code(exc) == (405, "MethodNotAllowed")
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=vbucket, Key="k", VersionId=marker)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    assert s3.get_object(Bucket=vbucket, Key="k", VersionId=vid)["Body"].read() == b"x"
    s3.delete_object(Bucket=vbucket, Key="k", VersionId=marker)
    assert s3.get_object(Bucket=vbucket, Key="k")["VersionId"] == vid


def test_missing_version_is_no_such_version(s3: BaseClient, vbucket: str) -> None:
    s3.put_object(Bucket=vbucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=vbucket, Key="k", VersionId="3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")
    assert code(exc) == (404, "NoSuchVersion")


def test_suspended_writes_the_null_version_and_keeps_older_ones(s3: BaseClient, vbucket: str) -> None:
    v1 = s3.put_object(Bucket=vbucket, Key="k", Body=b"1")["VersionId"]
    s3.put_bucket_versioning(Bucket=vbucket, VersioningConfiguration={"Status": "Suspended"})
    s3.put_object(Bucket=vbucket, Key="k", Body=b"2")
    s3.put_object(Bucket=vbucket, Key="k", Body=b"3")
    versions = s3.list_object_versions(Bucket=vbucket)["Versions"]
    assert [(v["VersionId"], v["IsLatest"]) for v in versions] == [("null", True), (v1, False)]
    assert s3.get_object(Bucket=vbucket, Key="k", VersionId="null")["Body"].read() == b"3"


def test_list_object_versions_shows_markers_latest_flags_and_pages(s3: BaseClient, vbucket: str) -> None:
    for key in ("a", "b", "b", "c/1", "c/2"):
        s3.put_object(Bucket=vbucket, Key=key, Body=b"x")
    s3.delete_object(Bucket=vbucket, Key="a")
    full = s3.list_object_versions(Bucket=vbucket)
    assert [(v["Key"], v["IsLatest"]) for v in full["Versions"]] == [
        ("a", False), ("b", True), ("b", False), ("c/1", True), ("c/2", True)]
    assert [(m["Key"], m["IsLatest"]) for m in full["DeleteMarkers"]] == [("a", True)]
    seen, kwargs = [], {}
    while True:
        page = s3.list_object_versions(Bucket=vbucket, MaxKeys=2, **kwargs)
        seen += [(v["Key"], v["VersionId"]) for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if not page["IsTruncated"]:
            break
        kwargs = {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}
    everything = full["Versions"] + full["DeleteMarkers"]
    assert sorted(seen) == sorted((v["Key"], v["VersionId"]) for v in everything) and len(seen) == 6
    rolled = s3.list_object_versions(Bucket=vbucket, Delimiter="/", Prefix="")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["c/"]


def test_list_object_versions_url_encoding(s3: BaseClient, vbucket: str) -> None:
    s3.put_object(Bucket=vbucket, Key="a b+c", Body=b"x")
    resp = s3.list_object_versions(Bucket=vbucket, EncodingType="url")
    assert resp["Versions"][0]["Key"] == "a%20b%2Bc"  # asked for explicitly, botocore leaves it encoded
    assert resp["EncodingType"] == "url"


def test_version_id_marker_needs_a_key_marker(s3: BaseClient, vbucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.list_object_versions(Bucket=vbucket, VersionIdMarker="abc")
    assert code(exc) == (400, "InvalidArgument")


def test_delete_objects_with_version_ids(s3: BaseClient, vbucket: str) -> None:
    v1 = s3.put_object(Bucket=vbucket, Key="k", Body=b"1")["VersionId"]
    marker = s3.delete_object(Bucket=vbucket, Key="k")["VersionId"]
    resp = s3.delete_objects(Bucket=vbucket, Delete={"Objects": [
        {"Key": "k", "VersionId": v1}, {"Key": "k", "VersionId": marker}]})
    deleted = {d["VersionId"]: d for d in resp["Deleted"]}
    assert deleted[marker]["DeleteMarker"] is True and deleted[marker]["DeleteMarkerVersionId"] == marker
    assert "DeleteMarker" not in deleted[v1]
    assert "Versions" not in s3.list_object_versions(Bucket=vbucket)
