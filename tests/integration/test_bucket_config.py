"""The smaller bucket sub-resources: stored ones round-trip, unsupported ones never fake success."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError


def code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    r = exc.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]


def fails(call: Callable[[], Any]) -> tuple[int, str]:
    with pytest.raises(ClientError) as exc:
        call()
    return code(exc)


def test_public_access_block(s3: BaseClient, bucket: str) -> None:
    assert fails(lambda: s3.get_public_access_block(Bucket=bucket)) == (404, "NoSuchPublicAccessBlockConfiguration")
    conf = {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": False}
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=conf)
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == conf
    assert s3.delete_public_access_block(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert fails(lambda: s3.get_public_access_block(Bucket=bucket)) == (404, "NoSuchPublicAccessBlockConfiguration")


@pytest.mark.parametrize("value", ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"])
def test_ownership_controls(s3: BaseClient, bucket: str, value: str) -> None:
    assert fails(lambda: s3.get_bucket_ownership_controls(Bucket=bucket)) == (404, "OwnershipControlsNotFoundError")
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": value}]})
    got = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
    assert got == value
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    assert fails(lambda: s3.get_bucket_ownership_controls(Bucket=bucket)) == (404, "OwnershipControlsNotFoundError")


def test_ownership_value_must_be_known(s3: BaseClient, bucket: str) -> None:
    assert fails(lambda: s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "Nobody"}]})) == (400, "MalformedXML")


def sse(algorithm: str) -> dict[str, Any]:
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": algorithm}}]}


def test_default_encryption_sse_s3_is_stored(s3: BaseClient, bucket: str) -> None:
    missing = (404, "ServerSideEncryptionConfigurationNotFoundError")
    assert fails(lambda: s3.get_bucket_encryption(Bucket=bucket)) == missing
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=sse("AES256"))
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.delete_bucket_encryption(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert fails(lambda: s3.get_bucket_encryption(Bucket=bucket)) == missing


def test_default_encryption_with_kms_is_stored_and_unknown_algorithms_refused(s3: BaseClient, bucket: str) -> None:
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=sse("aws:kms"))  # built-in KMS
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    status, _ = fails(lambda: s3.put_bucket_encryption(Bucket=bucket,
                                                       ServerSideEncryptionConfiguration=sse("aws:kms:dsse")))
    assert status in (400, 501)


def test_request_payment(s3: BaseClient, bucket: str) -> None:
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "BucketOwner"})
    assert fails(lambda: s3.put_bucket_request_payment(
        Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"})) == (501, "NotImplemented")
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"


def test_notifications_accept_only_no_targets(s3: BaseClient, bucket: str) -> None:
    resp = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert not any(k.endswith("Configurations") for k in resp)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    topic = {"TopicConfigurations": [{"TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
                                      "Events": ["s3:ObjectCreated:*"]}]}
    assert fails(lambda: s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=topic)) == (501, "NotImplemented")


def test_website_is_not_configured_and_cannot_be(s3: BaseClient, bucket: str) -> None:
    assert fails(lambda: s3.get_bucket_website(Bucket=bucket)) == (404, "NoSuchWebsiteConfiguration")
    assert fails(lambda: s3.put_bucket_website(
        Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})) == (501, "NotImplemented")
    assert s3.delete_bucket_website(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_logging_and_accelerate_answer_not_enabled(s3: BaseClient, bucket: str) -> None:
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=bucket)
    assert fails(lambda: s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": bucket, "TargetPrefix": "logs/"}})) == (501, "NotImplemented")
    assert fails(lambda: s3.put_bucket_accelerate_configuration(
        Bucket=bucket, AccelerateConfiguration={"Status": "Enabled"})) == (501, "NotImplemented")


def test_analytics_inventory_metrics_tiering_are_empty(s3: BaseClient, bucket: str) -> None:
    assert s3.list_bucket_analytics_configurations(Bucket=bucket)["IsTruncated"] is False
    assert s3.list_bucket_inventory_configurations(Bucket=bucket)["IsTruncated"] is False
    assert s3.list_bucket_metrics_configurations(Bucket=bucket)["IsTruncated"] is False
    assert s3.list_bucket_intelligent_tiering_configurations(Bucket=bucket)["IsTruncated"] is False
    assert fails(lambda: s3.get_bucket_analytics_configuration(Bucket=bucket, Id="x")) == (404, "NoSuchConfiguration")
    assert fails(lambda: s3.get_bucket_metrics_configuration(Bucket=bucket, Id="x")) == (404, "NoSuchConfiguration")


def test_configs_of_a_missing_bucket(s3: BaseClient) -> None:
    assert fails(lambda: s3.get_public_access_block(Bucket="no-such-bucket-h5")) == (404, "NoSuchBucket")
    assert fails(lambda: s3.put_bucket_website(Bucket="no-such-bucket-h5", WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}})) == (404, "NoSuchBucket")


def test_bucket_owner_enforced_needs_a_private_bucket_acl(s3: BaseClient, bucket: str) -> None:
    enforced = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert fails(lambda: s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=enforced)) \
        == (400, "InvalidBucketAclWithObjectOwnership")
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=enforced)
