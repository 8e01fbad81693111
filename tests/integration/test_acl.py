"""ACLs and cross-user isolation through a real server: boto3 for two users, plain HTTP for anonymous."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.server import ServerProcess

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def _code(fn: Callable[..., Any], **kw: Any) -> tuple[int, str]:
    with pytest.raises(ClientError) as exc:
        fn(**kw)
    return exc.value.response["ResponseMetadata"]["HTTPStatusCode"], exc.value.response["Error"]["Code"]


def test_other_user_is_denied_every_operation_family(s3: BaseClient, s3_alt: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"secret")
    calls: list[tuple[Callable[..., Any], dict[str, Any]]] = [
        (s3_alt.get_object, {"Bucket": bucket, "Key": "k"}),
        (s3_alt.head_object, {"Bucket": bucket, "Key": "k"}),
        (s3_alt.put_object, {"Bucket": bucket, "Key": "k", "Body": b"x"}),
        (s3_alt.delete_object, {"Bucket": bucket, "Key": "k"}),
        (s3_alt.list_objects_v2, {"Bucket": bucket}),
        (s3_alt.get_bucket_acl, {"Bucket": bucket}),
        (s3_alt.put_bucket_acl, {"Bucket": bucket, "ACL": "public-read"}),
        (s3_alt.get_object_acl, {"Bucket": bucket, "Key": "k"}),
        (s3_alt.put_bucket_policy, {"Bucket": bucket, "Policy": '{"Statement": []}'}),
        (s3_alt.delete_bucket, {"Bucket": bucket}),
    ]
    for fn, kw in calls:
        status, code = _code(fn, **kw)
        assert status == 403 and code in ("AccessDenied", "403"), fn
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"secret"
    out = s3_alt.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "k"}]})
    assert out["Errors"][0]["Code"] == "AccessDenied"


def test_public_read_bucket_and_object_fetched_anonymously(server: ServerProcess, s3: BaseClient) -> None:
    name = f"pub-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, ACL="public-read")
    s3.put_object(Bucket=name, Key="hello.txt", Body=b"hi", ACL="public-read")
    s3.put_object(Bucket=name, Key="private.txt", Body=b"no")
    assert requests.get(f"{server.endpoint}/{name}/hello.txt", timeout=10).content == b"hi"
    assert requests.get(f"{server.endpoint}/{name}/private.txt", timeout=10).status_code == 403
    assert requests.get(f"{server.endpoint}/{name}/missing", timeout=10).status_code == 404  # bucket is listable
    assert b"hello.txt" in requests.get(f"{server.endpoint}/{name}?list-type=2", timeout=10).content
    assert requests.put(f"{server.endpoint}/{name}/new", data=b"x", timeout=10).status_code == 403
    for key in ("hello.txt", "private.txt"):
        s3.delete_object(Bucket=name, Key=key)
    s3.delete_bucket(Bucket=name)


def test_canned_and_grant_acls_round_trip(s3: BaseClient, s3_alt: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read")
    grants = s3.get_object_acl(Bucket=bucket, Key="k")["Grants"]
    assert {(g["Grantee"].get("URI") or g["Grantee"]["ID"], g["Permission"]) for g in grants} == {
        (ALL_USERS, "READ"), ("rucketadmin", "FULL_CONTROL")}
    assert s3_alt.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    s3.put_object_acl(Bucket=bucket, Key="k", ACL="private")
    assert _code(s3_alt.get_object, Bucket=bucket, Key="k")[0] == 403
    s3.put_bucket_acl(Bucket=bucket, GrantWrite="id=rucketalt")
    s3_alt.put_object(Bucket=bucket, Key="from-alt", Body=b"y")
    assert _code(s3.get_object, Bucket=bucket, Key="from-alt")[0] == 403  # owned by alt, no grant
    s3.delete_object(Bucket=bucket, Key="from-alt")  # the bucket owner may still delete it


def test_acl_errors(s3: BaseClient, bucket: str) -> None:
    assert _code(s3.put_bucket_acl, Bucket=bucket, GrantRead="id=nobody-here") == (400, "InvalidArgument")
    assert _code(s3.put_bucket_acl, Bucket=bucket, GrantRead='emailAddress="no@example.invalid"') == (
        400, "UnresolvableGrantByEmailAddress")
    assert _code(s3.put_bucket_acl, Bucket=bucket, ACL="no-such-canned-acl") == (400, "InvalidArgument")
    # BlockPublicAcls/IgnorePublicAcls: tests/unit/s3/test_policy.py (PutPublicAccessBlock has its own handler)
