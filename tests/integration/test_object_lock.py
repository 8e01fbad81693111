"""Object Lock through a real server: configuration, retention, legal hold and every deletion rule."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

UTC = dt.UTC
FAR = dt.datetime(2099, 1, 1, tzinfo=UTC)


def _err(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    return exc.value.response["ResponseMetadata"]["HTTPStatusCode"], exc.value.response["Error"]["Code"]


def _soon(seconds: float) -> dt.datetime:
    return (dt.datetime.now(UTC) + dt.timedelta(seconds=seconds)).replace(microsecond=0)


def _cleanup(s3: BaseClient, name: str) -> None:
    """Best effort: release holds, bypass GOVERNANCE; unexpired COMPLIANCE versions stay (as they must)."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
            with contextlib.suppress(ClientError):
                if "ETag" in v:
                    s3.put_object_legal_hold(Bucket=name, Key=v["Key"], VersionId=v["VersionId"],
                                             LegalHold={"Status": "OFF"})
                s3.delete_object(Bucket=name, Key=v["Key"], VersionId=v["VersionId"], BypassGovernanceRetention=True)
    with contextlib.suppress(ClientError):
        s3.delete_bucket(Bucket=name)


@pytest.fixture
def locked(s3: BaseClient) -> Iterator[str]:
    name = f"lock-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    yield name
    _cleanup(s3, name)


def _conf(mode: str = "GOVERNANCE", **period: int) -> dict[str, Any]:
    return {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": mode, **period}}}


# ---- configuration -------------------------------------------------------------------------
def test_lock_bucket_is_versioned_and_configurable(s3: BaseClient, locked: str) -> None:
    assert s3.get_bucket_versioning(Bucket=locked)["Status"] == "Enabled"
    assert s3.get_object_lock_configuration(Bucket=locked)["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled"}
    for conf in (_conf("GOVERNANCE", Days=1), _conf("COMPLIANCE", Years=2)):
        s3.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration=conf)
        assert s3.get_object_lock_configuration(Bucket=locked)["ObjectLockConfiguration"] == conf
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=locked, VersioningConfiguration={"Status": "Suspended"})
    assert _err(exc) == (409, "InvalidBucketState")


@pytest.mark.parametrize(("conf", "expected"), [
    pytest.param(_conf("GOVERNANCE", Days=1, Years=1), (400, "MalformedXML"), id="days-and-years"),
    pytest.param(_conf("GOVERNANCE", Days=0), (400, "InvalidRetentionPeriod"), id="zero-days"),
    pytest.param(_conf("GOVERNANCE", Years=-1), (400, "InvalidRetentionPeriod"), id="negative-years"),
    pytest.param(_conf("governance", Days=1), (400, "MalformedXML"), id="lowercase-mode"),
    pytest.param({**_conf(Days=1), "ObjectLockEnabled": "Disabled"}, (400, "MalformedXML"), id="disabled"),
])
def test_invalid_lock_configuration(s3: BaseClient, locked: str, conf: dict[str, Any],
                                    expected: tuple[int, str]) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration=conf)
    assert _err(exc) == expected


def test_bucket_without_lock(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_object_lock_configuration(Bucket=bucket)
    assert _err(exc) == (404, "ObjectLockConfigurationNotFoundError")
    with pytest.raises(ClientError) as exc:
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=_conf(Days=1))
    assert _err(exc) == (409, "InvalidBucketState")  # versioning must be Enabled first
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    calls = [lambda: s3.put_object_retention(Bucket=bucket, Key="k", Retention={"Mode": "GOVERNANCE",
                                                                                 "RetainUntilDate": FAR}),
             lambda: s3.get_object_retention(Bucket=bucket, Key="k"),
             lambda: s3.put_object_legal_hold(Bucket=bucket, Key="k", LegalHold={"Status": "ON"}),
             lambda: s3.get_object_legal_hold(Bucket=bucket, Key="k"),
             lambda: s3.put_object(Bucket=bucket, Key="k2", Body=b"x", ObjectLockLegalHoldStatus="ON")]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert _err(exc) == (400, "InvalidRequest")


def test_lock_can_be_enabled_on_a_versioned_bucket(s3: BaseClient, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=_conf(Days=1))
    vid = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["VersionId"]
    assert s3.head_object(Bucket=bucket, Key="k")["ObjectLockMode"] == "GOVERNANCE"
    s3.delete_object(Bucket=bucket, Key="k", VersionId=vid, BypassGovernanceRetention=True)


# ---- retention and deletion -------------------------------------------------------------------
def test_governance_blocks_delete_unless_bypassed(s3: BaseClient, locked: str) -> None:
    vid = s3.put_object(Bucket=locked, Key="k", Body=b"v1", ObjectLockMode="GOVERNANCE",
                        ObjectLockRetainUntilDate=FAR)["VersionId"]
    head = s3.head_object(Bucket=locked, Key="k")
    assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"]) == ("GOVERNANCE", FAR)
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=locked, Key="k", VersionId=vid)
    assert _err(exc) == (403, "AccessDenied")
    assert s3.put_object(Bucket=locked, Key="k", Body=b"v2")["VersionId"] != vid  # overwrite = new version
    marker = s3.delete_object(Bucket=locked, Key="k")  # a delete marker is always allowed
    assert marker["DeleteMarker"] is True
    assert s3.get_object(Bucket=locked, Key="k", VersionId=vid)["Body"].read() == b"v1"
    assert s3.delete_object(Bucket=locked, Key="k", VersionId=vid,
                            BypassGovernanceRetention=True)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_compliance_refuses_root_and_can_only_be_extended(s3: BaseClient, locked: str) -> None:
    until = _soon(3600)
    vid = s3.put_object(Bucket=locked, Key="k", Body=b"x", ObjectLockMode="COMPLIANCE",
                        ObjectLockRetainUntilDate=until)["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=locked, Key="k", VersionId=vid, BypassGovernanceRetention=True)
    assert _err(exc) == (403, "AccessDenied")
    for retention in ({"Mode": "COMPLIANCE", "RetainUntilDate": until - dt.timedelta(seconds=60)},
                      {"Mode": "GOVERNANCE", "RetainUntilDate": until + dt.timedelta(days=1)}):
        with pytest.raises(ClientError) as exc:
            s3.put_object_retention(Bucket=locked, Key="k", Retention=retention, BypassGovernanceRetention=True)
        assert _err(exc) == (403, "AccessDenied")
    longer = {"Mode": "COMPLIANCE", "RetainUntilDate": until + dt.timedelta(days=1)}
    s3.put_object_retention(Bucket=locked, Key="k", Retention=longer)
    assert s3.get_object_retention(Bucket=locked, Key="k")["Retention"] == longer


def test_compliance_expires_on_time(s3: BaseClient, locked: str) -> None:
    until = _soon(3)
    vid = s3.put_object(Bucket=locked, Key="k", Body=b"x", ObjectLockMode="COMPLIANCE",
                        ObjectLockRetainUntilDate=until)["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=locked, Key="k", VersionId=vid)
    assert _err(exc) == (403, "AccessDenied")
    deadline = time.monotonic() + 15
    while True:  # poll: the server's clock decides, not ours
        try:
            s3.delete_object(Bucket=locked, Key="k", VersionId=vid)
            break
        except ClientError as e:
            assert e.response["Error"]["Code"] == "AccessDenied"
            assert time.monotonic() < deadline, "the retention never expired"
            time.sleep(0.25)
    assert dt.datetime.now(UTC) >= until - dt.timedelta(seconds=1)


def test_governance_retention_change_rules(s3: BaseClient, locked: str) -> None:
    vid = s3.put_object(Bucket=locked, Key="k", Body=b"x")["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.get_object_retention(Bucket=locked, Key="k")
    assert _err(exc) == (404, "NoSuchObjectLockConfiguration")
    base = dt.datetime(2090, 1, 3, tzinfo=UTC)
    s3.put_object_retention(Bucket=locked, Key="k", VersionId=vid, Retention={"Mode": "GOVERNANCE",
                                                                              "RetainUntilDate": base})
    shorter = {"Mode": "GOVERNANCE", "RetainUntilDate": base - dt.timedelta(days=2)}
    with pytest.raises(ClientError) as exc:
        s3.put_object_retention(Bucket=locked, Key="k", Retention=shorter)
    assert _err(exc) == (403, "AccessDenied")
    s3.put_object_retention(Bucket=locked, Key="k", Retention=shorter, BypassGovernanceRetention=True)
    assert s3.get_object_retention(Bucket=locked, Key="k", VersionId=vid)["Retention"] == shorter


def test_bypass_needs_the_permission(s3: BaseClient, s3_alt: BaseClient, locked: str) -> None:
    vid = s3.put_object(Bucket=locked, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
                        ObjectLockRetainUntilDate=FAR)["VersionId"]
    alt = "arn:aws:iam::000000000000:user/rucketalt"
    grant = {"Effect": "Allow", "Principal": {"AWS": alt}, "Resource": f"arn:aws:s3:::{locked}/*",
             "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"]}
    s3.put_bucket_policy(Bucket=locked, Policy=json.dumps({"Version": "2012-10-17", "Statement": [grant]}))
    with pytest.raises(ClientError) as exc:
        s3_alt.delete_object(Bucket=locked, Key="k", VersionId=vid, BypassGovernanceRetention=True)
    assert _err(exc) == (403, "AccessDenied")
    grant["Action"] = [*grant["Action"], "s3:BypassGovernanceRetention"]
    s3.put_bucket_policy(Bucket=locked, Policy=json.dumps({"Version": "2012-10-17", "Statement": [grant]}))
    s3_alt.delete_object(Bucket=locked, Key="k", VersionId=vid, BypassGovernanceRetention=True)
    s3.delete_bucket_policy(Bucket=locked)


def test_lock_headers_show_only_to_who_may_read_them(s3: BaseClient, s3_alt: BaseClient, locked: str) -> None:
    """A reader allowed s3:GetObject only sees the bytes; the lock state needs its own permissions."""
    s3.put_object(Bucket=locked, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=FAR,
                  ObjectLockLegalHoldStatus="ON")
    owner_view = s3.head_object(Bucket=locked, Key="k")
    assert owner_view["ObjectLockMode"] == "GOVERNANCE" and owner_view["ObjectLockLegalHoldStatus"] == "ON"
    alt = "arn:aws:iam::000000000000:user/rucketalt"
    grant = {"Effect": "Allow", "Principal": {"AWS": alt}, "Resource": f"arn:aws:s3:::{locked}/*",
             "Action": ["s3:GetObject"]}
    s3.put_bucket_policy(Bucket=locked, Policy=json.dumps({"Version": "2012-10-17", "Statement": [grant]}))
    for view in (s3_alt.head_object(Bucket=locked, Key="k"), s3_alt.get_object(Bucket=locked, Key="k")):
        assert not {"ObjectLockMode", "ObjectLockRetainUntilDate", "ObjectLockLegalHoldStatus"} & view.keys()
    grant["Action"] = ["s3:GetObject", "s3:GetObjectRetention"]
    s3.put_bucket_policy(Bucket=locked, Policy=json.dumps({"Version": "2012-10-17", "Statement": [grant]}))
    view = s3_alt.head_object(Bucket=locked, Key="k")
    assert view["ObjectLockMode"] == "GOVERNANCE" and "ObjectLockLegalHoldStatus" not in view
    grant["Action"] = ["s3:GetObject", "s3:GetObjectRetention", "s3:GetObjectLegalHold"]
    s3.put_bucket_policy(Bucket=locked, Policy=json.dumps({"Version": "2012-10-17", "Statement": [grant]}))
    assert s3_alt.head_object(Bucket=locked, Key="k")["ObjectLockLegalHoldStatus"] == "ON"
    s3.delete_bucket_policy(Bucket=locked)
    s3.put_object_legal_hold(Bucket=locked, Key="k", LegalHold={"Status": "OFF"})


def test_legal_hold_blocks_delete_even_with_bypass(s3: BaseClient, locked: str) -> None:
    vid = s3.put_object(Bucket=locked, Key="k", Body=b"x")["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.get_object_legal_hold(Bucket=locked, Key="k")
    assert _err(exc) == (404, "NoSuchObjectLockConfiguration")
    s3.put_object_legal_hold(Bucket=locked, Key="k", LegalHold={"Status": "ON"})
    assert s3.get_object_legal_hold(Bucket=locked, Key="k")["LegalHold"] == {"Status": "ON"}
    assert s3.head_object(Bucket=locked, Key="k")["ObjectLockLegalHoldStatus"] == "ON"
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=locked, Key="k", VersionId=vid, BypassGovernanceRetention=True)
    assert _err(exc) == (403, "AccessDenied")
    with pytest.raises(ClientError) as exc:
        s3.put_object_legal_hold(Bucket=locked, Key="k", LegalHold={"Status": "on"})
    assert _err(exc) == (400, "MalformedXML")
    s3.put_object_legal_hold(Bucket=locked, Key="k", LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket=locked, Key="k", VersionId=vid)


def test_delete_objects_reports_locked_versions(s3: BaseClient, locked: str) -> None:
    v1 = s3.put_object(Bucket=locked, Key="a", Body=b"x", ObjectLockMode="GOVERNANCE",
                       ObjectLockRetainUntilDate=FAR)["VersionId"]
    v2 = s3.put_object(Bucket=locked, Key="b", Body=b"x")["VersionId"]
    out = s3.delete_objects(Bucket=locked, Delete={"Objects": [{"Key": "a", "VersionId": v1},
                                                                {"Key": "b", "VersionId": v2}]})
    assert [(e["Key"], e["VersionId"], e["Code"]) for e in out["Errors"]] == [("a", v1, "AccessDenied")]
    assert [(d["Key"], d["VersionId"]) for d in out["Deleted"]] == [("b", v2)]
    out = s3.delete_objects(Bucket=locked, Delete={"Objects": [{"Key": "a", "VersionId": v1}]},
                            BypassGovernanceRetention=True)
    assert not out.get("Errors") and [d["Key"] for d in out["Deleted"]] == ["a"]


def test_default_retention_applies_to_new_objects(s3: BaseClient, locked: str) -> None:
    s3.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration=_conf("GOVERNANCE", Days=1))
    before = dt.datetime.now(UTC)
    s3.put_object(Bucket=locked, Key="k", Body=b"x")
    head = s3.head_object(Bucket=locked, Key="k")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    delta = head["ObjectLockRetainUntilDate"] - before
    assert dt.timedelta(hours=23, minutes=59) < delta < dt.timedelta(days=1, minutes=1)


@pytest.mark.parametrize(("headers", "code"), [
    pytest.param({"ObjectLockMode": "GOVERNANCE"}, "InvalidArgument", id="mode-without-date"),
    pytest.param({"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": dt.datetime(2000, 1, 1)},
                 "InvalidArgument", id="date-in-the-past"),
    pytest.param({"ObjectLockMode": "governance", "ObjectLockRetainUntilDate": FAR}, "InvalidArgument",
                 id="lowercase-mode"),
    pytest.param({"ObjectLockLegalHoldStatus": "MAYBE"}, "InvalidArgument", id="bad-legal-hold"),
])
def test_bad_lock_headers_on_put(s3: BaseClient, locked: str, headers: dict[str, Any], code: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=locked, Key="k", Body=b"x", **headers)
    assert _err(exc) == (400, code)
    assert "Versions" not in s3.list_object_versions(Bucket=locked)


def test_multipart_and_copy_carry_lock_headers(s3: BaseClient, locked: str) -> None:
    uid = s3.create_multipart_upload(Bucket=locked, Key="mp", ObjectLockMode="GOVERNANCE",
                                     ObjectLockRetainUntilDate=FAR)["UploadId"]
    etag = s3.upload_part(Bucket=locked, Key="mp", UploadId=uid, PartNumber=1, Body=b"part")["ETag"]
    mp = s3.complete_multipart_upload(Bucket=locked, Key="mp", UploadId=uid,
                                      MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})["VersionId"]
    cp = s3.copy_object(Bucket=locked, Key="cp", CopySource={"Bucket": locked, "Key": "mp"},
                        ObjectLockLegalHoldStatus="ON")["VersionId"]
    assert s3.head_object(Bucket=locked, Key="cp").get("ObjectLockMode") is None  # a copy does not inherit the lock
    for key, vid in (("mp", mp), ("cp", cp)):
        with pytest.raises(ClientError) as exc:
            s3.delete_object(Bucket=locked, Key=key, VersionId=vid)
        assert _err(exc) == (403, "AccessDenied")
    s3.delete_object(Bucket=locked, Key="mp", VersionId=mp, BypassGovernanceRetention=True)
    s3.put_object_legal_hold(Bucket=locked, Key="cp", LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket=locked, Key="cp", VersionId=cp)


@pytest.mark.parametrize(("lock", "needed"), [
    pytest.param({"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": FAR}, "s3:PutObjectRetention",
                 id="retention"),
    pytest.param({"ObjectLockLegalHoldStatus": "ON"}, "s3:PutObjectLegalHold", id="legal-hold"),
])
def test_setting_a_lock_on_write_needs_the_lock_permission(s3: BaseClient, s3_alt: BaseClient, locked: str,
                                                            lock: dict[str, Any], needed: str) -> None:
    """s3:PutObject alone writes objects but cannot lock them (a lock nobody may lift is a
    denial of deletion); the lock operations themselves are denied too."""
    alt = "arn:aws:iam::000000000000:user/rucketalt"
    grant = {"Effect": "Allow", "Principal": {"AWS": alt}, "Resource": f"arn:aws:s3:::{locked}/*",
             "Action": ["s3:PutObject"]}
    s3.put_bucket_policy(Bucket=locked, Policy=json.dumps({"Version": "2012-10-17", "Statement": [grant]}))
    try:
        s3_alt.put_object(Bucket=locked, Key="plain", Body=b"x")  # the grant itself works
        with pytest.raises(ClientError) as exc:
            s3_alt.put_object(Bucket=locked, Key="locked", Body=b"x", **lock)
        assert _err(exc) == (403, "AccessDenied")
        with pytest.raises(ClientError) as exc:
            if needed == "s3:PutObjectRetention":
                s3_alt.put_object_retention(Bucket=locked, Key="plain",
                                            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": FAR})
            else:
                s3_alt.put_object_legal_hold(Bucket=locked, Key="plain", LegalHold={"Status": "ON"})
        assert _err(exc) == (403, "AccessDenied")
        assert "locked" not in [o["Key"] for o in s3.list_objects_v2(Bucket=locked).get("Contents", [])]
        grant["Action"] = ["s3:PutObject", needed]
        s3.put_bucket_policy(Bucket=locked, Policy=json.dumps({"Version": "2012-10-17", "Statement": [grant]}))
        s3_alt.put_object(Bucket=locked, Key="locked", Body=b"x", **lock)
    finally:
        s3.delete_bucket_policy(Bucket=locked)
