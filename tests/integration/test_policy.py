"""Bucket policies through a real server: validation, Deny wins, aws:SourceIp, policy status."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _status(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    return exc.value.response["ResponseMetadata"]["HTTPStatusCode"], exc.value.response["Error"]["Code"]


def test_policy_crud_and_status(s3: BaseClient, s3_alt: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket)
    assert _status(exc) == (404, "NoSuchBucketPolicy")
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    doc = _policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:ListBucket",
                   "Resource": f"arn:aws:s3:::{bucket}"})
    s3.put_bucket_policy(Bucket=bucket, Policy=doc)
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == doc
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    s3_alt.list_objects_v2(Bucket=bucket)
    s3.delete_bucket_policy(Bucket=bucket)
    with pytest.raises(ClientError):
        s3_alt.list_objects_v2(Bucket=bucket)


@pytest.mark.parametrize("doc", [
    "{not json",
    _policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
             "Condition": {"StringEquals": {"s3:no-such-key": "x"}}}),
    _policy({"Effect": "Allow", "NotPrincipal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"}),
])
def test_malformed_policy_refused(s3: BaseClient, bucket: str, doc: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy=doc)
    assert _status(exc) == (400, "MalformedPolicy")


@pytest.mark.parametrize("resource", [
    pytest.param("arn:aws:s3:::some-other-bucket/*", id="other-bucket-objects"),
    pytest.param("arn:aws:s3:::some-other-bucket", id="other-bucket"),
    pytest.param("arn:aws:s3:::zz*", id="pattern-not-matching"),
])
def test_policy_naming_another_bucket_is_malformed(s3: BaseClient, bucket: str, resource: str) -> None:
    doc = _policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": [resource]})
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy=doc)
    assert _status(exc) == (400, "MalformedPolicy")
    assert exc.value.response["Error"]["Message"] == "Policy has invalid resource"  # AWS's exact text


@pytest.mark.parametrize("resources", [
    pytest.param(["arn:aws:s3:::*", "arn:aws:s3:::*/*"], id="every-bucket-pattern"),
    pytest.param(["arn:aws:s3:::{b}", "arn:aws:s3:::{b}/logs/*"], id="own-bucket"),
    pytest.param(["arn:aws:s3:::test-*/*"], id="matching-pattern"),
])
def test_policy_naming_its_own_bucket_accepted(s3: BaseClient, bucket: str, resources: list[str]) -> None:
    doc = _policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                   "Resource": [r.format(b=bucket) for r in resources]})
    s3.put_bucket_policy(Bucket=bucket, Policy=doc)
    s3.delete_bucket_policy(Bucket=bucket)


def test_source_ip_deny_binds_even_the_owner(s3: BaseClient, s3_alt: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.put_bucket_policy(Bucket=bucket, Policy=_policy(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
        {"Sid": "local", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*", "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}}))
    for client in (s3, s3_alt):
        with pytest.raises(ClientError) as exc:
            client.get_object(Bucket=bucket, Key="k")
        assert _status(exc)[0] == 403
    s3.delete_bucket_policy(Bucket=bucket)  # the owner is never locked out of its policy
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
