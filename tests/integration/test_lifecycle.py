"""Lifecycle configuration through boto3, and the worker acting on a real server in seconds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from rucket.core.paths import ADMIN
from tests.integration.conftest import make_client
from tests.server import ServerProcess, start_server

RULES = [
    {"ID": "logs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 30}},
    {"ID": "old", "Prefix": "tmp/", "Status": "Disabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 7}},
    {"ID": "tags", "Filter": {"And": {"Prefix": "a/", "Tags": [{"Key": "t", "Value": "1"}],
                                      "ObjectSizeGreaterThan": 10}},
     "Status": "Enabled", "Expiration": {"Days": 1}},
    {"ID": "mpu", "Filter": {"Prefix": ""}, "Status": "Enabled",
     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}},
    {"ID": "markers", "Filter": {}, "Status": "Enabled", "Expiration": {"ExpiredObjectDeleteMarker": True},
     "NoncurrentVersionExpiration": {"NoncurrentDays": 3, "NewerNoncurrentVersions": 2}},
]


def code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    r = exc.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]


def test_put_get_delete_lifecycle(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert code(exc) == (404, "NoSuchLifecycleConfiguration")
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": RULES})
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == RULES
    assert s3.delete_bucket_lifecycle(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert code(exc) == (404, "NoSuchLifecycleConfiguration")


def test_missing_ids_are_assigned(s3: BaseClient, bucket: str) -> None:
    rule = {"Filter": {"Prefix": "x"}, "Status": "Enabled", "Expiration": {"Days": 1}}
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]["ID"]


@pytest.mark.parametrize(("rule", "expected"), [
    pytest.param({"ID": "x" * 256, "Prefix": "", "Status": "Enabled", "Expiration": {"Days": 1}},
                 (400, "InvalidArgument"), id="id-too-long"),
    pytest.param({"ID": "a", "Prefix": "", "Status": "Enabled", "Expiration": {"Days": 0}},
                 (400, "InvalidArgument"), id="zero-days"),
    pytest.param({"ID": "a", "Prefix": "", "Status": "enabled", "Expiration": {"Days": 1}},
                 (400, "MalformedXML"), id="bad-status"),
    pytest.param({"ID": "a", "Prefix": "", "Status": "Enabled",
                  "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]},
                 (400, "InvalidStorageClass"), id="transition"),
    pytest.param({"ID": "a", "Prefix": "", "Status": "Enabled", "Expiration": {"Date": "2024-01-01T06:00:00Z"}},
                 (400, "InvalidArgument"), id="date-not-midnight"),
])
def test_invalid_configurations(s3: BaseClient, bucket: str, rule: dict[str, object],
                                expected: tuple[int, str]) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
    assert code(exc) == expected


def test_duplicate_ids_rejected(s3: BaseClient, bucket: str) -> None:
    rule = {"ID": "same", "Prefix": "", "Status": "Enabled", "Expiration": {"Days": 1}}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule, rule]})
    assert code(exc) == (400, "InvalidArgument")


@pytest.fixture(scope="module")
def fast_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose lifecycle "day" lasts one second (RUCKET_LIFECYCLE_TIME_SCALE=1)."""
    proc = start_server(Path(tmp_path_factory.mktemp("lc")), env={"RUCKET_LIFECYCLE_TIME_SCALE": "1"})
    yield proc
    proc.stop()


def wait_for(predicate, timeout: float = 15.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_worker_expires_objects_on_a_real_server(fast_server: ServerProcess) -> None:
    s3 = make_client(fast_server)
    s3.create_bucket(Bucket="lc-objects")
    s3.put_object(Bucket="lc-objects", Key="logs/old", Body=b"x")
    s3.put_object(Bucket="lc-objects", Key="keep/this", Body=b"x")
    s3.put_bucket_lifecycle_configuration(Bucket="lc-objects", LifecycleConfiguration={"Rules": [
        {"ID": "logs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 1}}]})

    def keys() -> list[str]:
        return [o["Key"] for o in s3.list_objects_v2(Bucket="lc-objects").get("Contents", [])]

    assert wait_for(lambda: keys() == ["keep/this"])
    time.sleep(2.5)  # two more "days": the other key is outside the filter and stays
    assert keys() == ["keep/this"]


def test_worker_expires_noncurrent_versions_on_a_real_server(fast_server: ServerProcess) -> None:
    s3 = make_client(fast_server)
    s3.create_bucket(Bucket="lc-versions")
    s3.put_bucket_versioning(Bucket="lc-versions", VersioningConfiguration={"Status": "Enabled"})
    for body in (b"1", b"2", b"3"):
        s3.put_object(Bucket="lc-versions", Key="k", Body=body)
    s3.put_bucket_lifecycle_configuration(Bucket="lc-versions", LifecycleConfiguration={"Rules": [
        {"ID": "nc", "Filter": {}, "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})
    assert wait_for(lambda: len(s3.list_object_versions(Bucket="lc-versions").get("Versions", [])) == 1)
    assert s3.get_object(Bucket="lc-versions", Key="k")["Body"].read() == b"3"


def test_x_amz_expiration_on_put_get_and_head(s3: BaseClient, bucket: str) -> None:
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "logs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 30}}]})
    put = s3.put_object(Bucket=bucket, Key="logs/a", Body=b"x")
    assert put["Expiration"].startswith('expiry-date="') and put["Expiration"].endswith('rule-id="logs"')
    assert "00:00:00 GMT" in put["Expiration"]  # due at a midnight UTC
    assert s3.head_object(Bucket=bucket, Key="logs/a")["Expiration"] == put["Expiration"]
    assert s3.get_object(Bucket=bucket, Key="logs/a")["Expiration"] == put["Expiration"]
    assert "Expiration" not in s3.put_object(Bucket=bucket, Key="other", Body=b"x")


def test_filter_with_several_bare_predicates_reads_as_and(s3: BaseClient, bucket: str) -> None:
    rule = {"ID": "r", "Filter": {"Prefix": "days1/", "Tag": {"Key": "tom", "Value": "sawyer"}}, "Status": "Enabled",
            "Expiration": {"Days": 1}}
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == [rule]


def test_admin_endpoint_runs_a_pass_now(fast_server: ServerProcess) -> None:
    from rucket.cli_admin import signed_request

    s3 = make_client(fast_server)
    s3.create_bucket(Bucket="lc-admin")
    s3.put_object(Bucket="lc-admin", Key="k", Body=b"x")
    s3.put_bucket_lifecycle_configuration(Bucket="lc-admin", LifecycleConfiguration={"Rules": [
        {"ID": "all", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 1}}]})
    status, _ = signed_request(fast_server.endpoint, fast_server.access_key, "wrong", "us-east-1", "POST",
                               f"{ADMIN}/lifecycle/run")
    assert status == 403
    time.sleep(2.1)  # one scaled day, rounded up to the next "midnight": the object is due
    status, body = signed_request(fast_server.endpoint, fast_server.access_key, fast_server.secret_key,
                                  "us-east-1", "POST", f"{ADMIN}/lifecycle/run")
    assert status == 200 and set(body["report"]) == {"expired", "noncurrent", "markers", "uploads", "skipped"}
    assert "Contents" not in s3.list_objects_v2(Bucket="lc-admin")  # by this pass or the worker's


def test_worker_aborts_incomplete_uploads_on_a_real_server(fast_server: ServerProcess) -> None:
    s3 = make_client(fast_server)
    s3.create_bucket(Bucket="lc-uploads")
    upload = s3.create_multipart_upload(Bucket="lc-uploads", Key="tmp/big")["UploadId"]
    s3.upload_part(Bucket="lc-uploads", Key="tmp/big", UploadId=upload, PartNumber=1, Body=b"x" * 1024)
    s3.put_bucket_lifecycle_configuration(Bucket="lc-uploads", LifecycleConfiguration={"Rules": [
        {"ID": "mpu", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled",
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]})
    assert wait_for(lambda: "Uploads" not in s3.list_multipart_uploads(Bucket="lc-uploads"))
