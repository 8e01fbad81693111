"""Object and bucket tagging through boto3."""

from __future__ import annotations

import pytest
import requests
from botocore.client import BaseClient
from botocore.exceptions import ClientError


def code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    r = exc.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]


def tagset(**tags: str) -> dict[str, list[dict[str, str]]]:
    return {"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}


def test_put_get_delete_object_tagging(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=tagset(b="2", a="1"))
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == tagset(a="1", b="2")["TagSet"]
    assert s3.head_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "2"
    assert s3.get_object(Bucket=bucket, Key="k")["TagCount"] == 2
    resp = s3.delete_object_tagging(Bucket=bucket, Key="k")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    assert "x-amz-tagging-count" not in s3.head_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPHeaders"]


def test_x_amz_tagging_on_put(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="project=rucket&empty=&sp%20ace=a%2Bb")
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == [
        {"Key": "empty", "Value": ""}, {"Key": "project", "Value": "rucket"}, {"Key": "sp ace", "Value": "a+b"}]


def test_tags_per_version(s3: BaseClient, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"1", Tagging="v=1")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"2")["VersionId"]
    s3.put_object_tagging(Bucket=bucket, Key="k", VersionId=v2, Tagging=tagset(v="2"))
    resp = s3.get_object_tagging(Bucket=bucket, Key="k", VersionId=v1)
    assert (resp["TagSet"], resp["VersionId"]) == (tagset(v="1")["TagSet"], v1)
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == tagset(v="2")["TagSet"]
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.get_object_tagging(Bucket=bucket, Key="k", VersionId=marker)
    assert code(exc) == (405, "MethodNotAllowed")
    with pytest.raises(ClientError) as exc:
        s3.get_object_tagging(Bucket=bucket, Key="k")
    assert code(exc) == (404, "NoSuchKey")


@pytest.mark.parametrize("tags", [
    pytest.param({f"k{i}": "v" for i in range(11)}, id="eleven"),
    pytest.param({"k" * 129: "v"}, id="long-key"),
    pytest.param({"k": "v" * 257}, id="long-value"),
])
def test_tag_limits(s3: BaseClient, bucket: str, tags: dict[str, str]) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=tagset(**tags))
    assert code(exc) == (400, "InvalidTag")


def test_duplicate_keys_and_header_limits(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=1&a=2")
    assert code(exc) == (400, "InvalidTag")
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="k")  # refused before anything was written


def test_tagging_a_missing_key(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_object_tagging(Bucket=bucket, Key="missing", Tagging=tagset(a="1"))
    assert code(exc) == (404, "NoSuchKey")


def test_bucket_tagging(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert code(exc) == (404, "NoSuchTagSet")
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tagset(team="storage", env="test"))
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == tagset(env="test", team="storage")["TagSet"]
    assert s3.delete_bucket_tagging(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert code(exc) == (404, "NoSuchTagSet")


def test_bucket_allows_fifty_tags_not_fifty_one(s3: BaseClient, bucket: str) -> None:
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tagset(**{f"k{i}": "v" for i in range(50)}))
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_tagging(Bucket=bucket, Tagging=tagset(**{f"k{i}": "v" for i in range(51)}))
    assert code(exc) == (400, "InvalidTag")


def test_post_upload_tagging_field(s3: BaseClient, bucket: str) -> None:
    tagging = "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>"
    post = s3.generate_presigned_post(bucket, "posted", Fields={"tagging": tagging}, Conditions=[{"tagging": tagging}])
    r = requests.post(post["url"], data=post["fields"], files={"file": ("f", b"x")}, timeout=10)
    assert r.status_code == 204
    assert s3.get_object_tagging(Bucket=bucket, Key="posted")["TagSet"] == [{"Key": "a", "Value": "1"}]
