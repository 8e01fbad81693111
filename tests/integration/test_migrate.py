"""`rucket migrate --from URL --access-key K --secret-key S [--to URL] [--bucket B...]`: sources Rucket and moto."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from tests.integration.conftest import make_client
from tests.server import ServerProcess, start_server

pytestmark = pytest.mark.integration
CONTENT = {"ContentType": "text/x-rucket", "ContentEncoding": "identity", "ContentDisposition": "inline; x=1",
           "ContentLanguage": "fr", "CacheControl": "max-age=60"}
LIFECYCLE = {"Rules": [{"ID": "old", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
                        "Expiration": {"Days": 30}}]}
CORS = {"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["https://example.com"], "MaxAgeSeconds": 60}]}


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    src, dst = start_server(tmp_path / "src"), start_server(tmp_path / "dst")
    yield src, dst
    src.stop()
    dst.stop()


def migrate(source: str, key: str, secret: str, dest: ServerProcess, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUCKET_ENDPOINT": dest.endpoint, "RUCKET_ROOT_USER": dest.access_key,
           "RUCKET_ROOT_PASSWORD": dest.secret_key}
    return subprocess.run([sys.executable, "-m", "rucket", "migrate", "--from", source, "--access-key", key,
                           "--secret-key", secret, *extra], env=env, capture_output=True, text=True, timeout=300)


def populate(s3: BaseClient, prefix: str) -> None:
    rng = random.Random(3)
    plain, ver = f"{prefix}-plain", f"{prefix}-ver"
    s3.create_bucket(Bucket=plain)
    for i in range(12):
        s3.put_object(Bucket=plain, Key=f"docs/{i:02d}.txt", Body=rng.randbytes(rng.choice([0, 10, 70_000])),
                      Metadata={"owner": f"u{i}", "kind": "doc"}, Tagging=f"n={i}&team=a b", **CONTENT)
    mpu = s3.create_multipart_upload(Bucket=plain, Key="big.bin", Metadata={"parts": "2"})
    parts = [s3.upload_part(Bucket=plain, Key="big.bin", UploadId=mpu["UploadId"], PartNumber=n,
                            Body=rng.randbytes(5 * 1024 * 1024 if n == 1 else 4321))["ETag"] for n in (1, 2)]
    s3.complete_multipart_upload(Bucket=plain, Key="big.bin", UploadId=mpu["UploadId"], MultipartUpload={
        "Parts": [{"ETag": e, "PartNumber": n} for n, e in enumerate(parts, 1)]})
    s3.put_bucket_cors(Bucket=plain, CORSConfiguration=CORS)
    s3.put_bucket_lifecycle_configuration(Bucket=plain, LifecycleConfiguration=LIFECYCLE)
    s3.put_bucket_tagging(Bucket=plain, Tagging={"TagSet": [{"Key": "env", "Value": "prod"}]})
    s3.put_bucket_policy(Bucket=plain, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{plain}/docs/*"}]}))
    s3.create_bucket(Bucket=ver)
    s3.put_bucket_versioning(Bucket=ver, VersioningConfiguration={"Status": "Enabled"})
    for i in range(4):
        for n in range(3):
            s3.put_object(Bucket=ver, Key=f"k{i}", Body=f"k{i} v{n}".encode() * (n + 1), Metadata={"n": str(n)})
            time.sleep(0.002)  # distinct LastModified milliseconds: the order a listing can prove
    s3.delete_object(Bucket=ver, Key="k1")
    time.sleep(0.002)
    s3.put_object(Bucket=ver, Key="k1", Body=b"after the marker")


def history(s3: BaseClient, bucket: str) -> list[tuple[str, bool, str, int]]:
    """(key, marker, etag, size) per version, each key oldest first, read from the listing XML itself
    (boto3 splits versions from delete markers, and moto's LastModified has whole seconds)."""
    rows: list[tuple[str, bool, str, int]] = []

    def grab(response_dict: dict[str, Any], **_: Any) -> None:
        for child in ET.fromstring(response_dict["body"]):
            tag = child.tag.rpartition("}")[2]
            if tag in ("Version", "DeleteMarker"):
                f = {c.tag.rpartition("}")[2]: c.text or "" for c in child}
                rows.append((f["Key"], tag == "DeleteMarker", f.get("ETag", ""), int(f.get("Size", 0))))

    s3.meta.events.register("before-parse.s3.ListObjectVersions", grab)
    try:
        for _ in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            pass
    finally:
        s3.meta.events.unregister("before-parse.s3.ListObjectVersions", grab)
    by_key: dict[str, list[tuple[str, bool, str, int]]] = {}
    for row in rows:
        by_key.setdefault(row[0], []).append(row)
    return [r for key in sorted(by_key) for r in reversed(by_key[key])]


def same_objects(a: BaseClient, b: BaseClient, bucket: str, *, versions: bool) -> int:
    """Every version's bytes, ETag, user metadata, content headers and tags equal; returns how many."""
    n = 0
    for page in a.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for v in page.get("Versions", []):
            key = v["Key"]
            ours = _version_at(b, bucket, key, v["ETag"]) if versions else None
            ra = a.get_object(Bucket=bucket, Key=key, **({"VersionId": v["VersionId"]} if versions else {}))
            rb = b.get_object(Bucket=bucket, Key=key, **({"VersionId": ours} if ours else {}))
            assert ra["Body"].read() == rb["Body"].read(), key
            assert (ra["ETag"], ra["Metadata"]) == (rb["ETag"], rb["Metadata"]), key
            assert {h: ra.get(h) for h in CONTENT} == {h: rb.get(h) for h in CONTENT}, key
            ta = a.get_object_tagging(Bucket=bucket, Key=key, **({"VersionId": v["VersionId"]} if versions else {}))
            tb = b.get_object_tagging(Bucket=bucket, Key=key, **({"VersionId": ours} if ours else {}))
            assert sorted(map(str, ta["TagSet"])) == sorted(map(str, tb["TagSet"])), key
            n += 1
    return n


def _version_at(s3: BaseClient, bucket: str, key: str, etag: str) -> str:
    found = [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
             if v["Key"] == key and v["ETag"] == etag]
    assert found, (key, etag)
    return str(found[0])


def _configs_equal(a: BaseClient, b: BaseClient, bucket: str) -> None:
    assert b.get_bucket_cors(Bucket=bucket)["CORSRules"] == a.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert (b.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
            == a.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"])
    assert b.get_bucket_tagging(Bucket=bucket)["TagSet"] == a.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert (json.loads(b.get_bucket_policy(Bucket=bucket)["Policy"])
            == json.loads(a.get_bucket_policy(Bucket=bucket)["Policy"]))


def _copied(out: str, bucket: str) -> tuple[int, int]:
    m = re.search(rf"bucket {bucket}: (\d+) copied \(\d+ bytes\), (\d+) unchanged", out)
    assert m, out
    return int(m.group(1)), int(m.group(2))


def test_migrate_from_rucket_copies_everything_and_resumes(pair: tuple[ServerProcess, ServerProcess]) -> None:
    src, dst = pair
    a, b = make_client(src), make_client(dst)
    populate(a, "r")
    out = migrate(src.endpoint, src.access_key, src.secret_key, dst)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "everything was copied" in out.stdout
    assert "r-plain" in out.stderr and "r-ver" in out.stderr  # the progress bars' labels
    assert history(b, "r-ver") == history(a, "r-ver")  # versions and the delete marker, in order
    assert same_objects(a, b, "r-ver", versions=True) == 13
    assert same_objects(a, b, "r-plain", versions=False) == 13  # the multipart ETag ("...-2") reproduced too
    assert b.get_bucket_versioning(Bucket="r-ver")["Status"] == "Enabled"
    assert "Status" not in b.get_bucket_versioning(Bucket="r-plain")
    _configs_equal(a, b, "r-plain")

    again = migrate(src.endpoint, src.access_key, src.secret_key, dst)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _copied(again.stdout, "r-plain") == (0, 13) and _copied(again.stdout, "r-ver") == (0, 14)

    a.put_object(Bucket="r-ver", Key="k2", Body=b"newer")  # one new version
    a.put_object(Bucket="r-plain", Key="docs/new.txt", Body=b"new")  # one new key
    a.copy_object(Bucket="r-plain", Key="docs/03.txt", CopySource={"Bucket": "r-plain", "Key": "docs/03.txt"},
                  Metadata={"owner": "changed"}, MetadataDirective="REPLACE", **CONTENT)  # same ETag, new metadata
    third = migrate(src.endpoint, src.access_key, src.secret_key, dst, "--bucket", "r-ver", "--bucket", "r-plain")
    assert third.returncode == 0, third.stdout + third.stderr
    assert _copied(third.stdout, "r-ver") == (1, 14) and _copied(third.stdout, "r-plain") == (2, 12)
    assert history(b, "r-ver") == history(a, "r-ver")
    assert b.head_object(Bucket="r-plain", Key="docs/03.txt")["Metadata"] == {"owner": "changed"}


def test_migrate_suspended_versioning_keeps_versions_then_suspends(pair: tuple[ServerProcess, ServerProcess]) -> None:
    src, dst = pair
    a, b = make_client(src), make_client(dst)
    a.create_bucket(Bucket="susp")
    a.put_bucket_versioning(Bucket="susp", VersioningConfiguration={"Status": "Enabled"})
    a.put_object(Bucket="susp", Key="k", Body=b"one")
    a.put_object(Bucket="susp", Key="k", Body=b"two")
    a.put_bucket_versioning(Bucket="susp", VersioningConfiguration={"Status": "Suspended"})
    a.put_object(Bucket="susp", Key="k", Body=b"three (null version)")
    out = migrate(src.endpoint, src.access_key, src.secret_key, dst, "--bucket", "susp")
    assert out.returncode == 0, out.stdout + out.stderr
    assert b.get_bucket_versioning(Bucket="susp")["Status"] == "Suspended"
    assert history(b, "susp") == history(a, "susp")
    assert b.get_object(Bucket="susp", Key="k")["Body"].read() == b"three (null version)"


def test_migrate_reports_each_refusal_and_carries_on(pair: tuple[ServerProcess, ServerProcess]) -> None:
    src, dst = pair
    a, b = make_client(src), make_client(dst)
    a.create_bucket(Bucket="refuse")
    for key in ("open/1", "open/2", "secret/1", "secret/2"):
        a.put_object(Bucket="refuse", Key=key, Body=key.encode())
    a.put_bucket_cors(Bucket="refuse", CORSConfiguration=CORS)
    a.put_bucket_policy(Bucket="refuse", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::refuse/secret/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetBucketCORS", "Resource": "arn:aws:s3:::refuse"}]}))
    a.create_bucket(Bucket="refuse-ver")
    a.put_bucket_versioning(Bucket="refuse-ver", VersioningConfiguration={"Status": "Enabled"})
    for n in range(3):
        a.put_object(Bucket="refuse-ver", Key="v", Body=f"v{n}".encode())
    a.put_bucket_policy(Bucket="refuse-ver", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObjectVersion",
         "Resource": "arn:aws:s3:::refuse-ver/v"}]}))
    out = migrate(src.endpoint, src.access_key, src.secret_key, dst, "--bucket", "refuse", "--bucket", "missing",
                  "--bucket", "refuse-ver")
    assert out.returncode == 1, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    print(out.stdout)
    refused = [ln for ln in lines if "AccessDenied (403)" in ln]
    assert any("refuse/secret/1" in ln for ln in refused) and any("refuse/secret/2" in ln for ln in refused)
    assert any("refuse: cors" in ln and "GetBucketCors" in ln for ln in refused)
    assert any(ln.strip().startswith("missing") and "NoSuchBucket" in ln for ln in lines)
    assert [o["Key"] for o in b.list_objects_v2(Bucket="refuse")["Contents"]] == ["open/1", "open/2"]
    assert b.get_object(Bucket="refuse", Key="open/2")["Body"].read() == b"open/2"
    assert "Statement" in json.loads(b.get_bucket_policy(Bucket="refuse")["Policy"])  # the rest still copied
    assert any("refuse-ver/v (version" in ln and "AccessDenied" in ln for ln in lines)
    assert any("refuse-ver/v: later versions" in ln and "2 newer version(s)" in ln for ln in lines)


def test_migrate_object_lock_bucket_keeps_retention_and_legal_holds(pair: tuple[ServerProcess, ServerProcess]) -> None:
    src, dst = pair
    a, b = make_client(src), make_client(dst)
    a.create_bucket(Bucket="locked", ObjectLockEnabledForBucket=True)
    until = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=2)
    a.put_object(Bucket="locked", Key="retained", Body=b"r", ObjectLockMode="GOVERNANCE",
                 ObjectLockRetainUntilDate=until)
    a.put_object(Bucket="locked", Key="held", Body=b"h", ObjectLockLegalHoldStatus="ON")
    conf = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}
    a.put_object_lock_configuration(Bucket="locked", ObjectLockConfiguration=conf)
    out = migrate(src.endpoint, src.access_key, src.secret_key, dst, "--bucket", "locked")
    assert out.returncode == 0, out.stdout + out.stderr
    assert b.get_object_lock_configuration(Bucket="locked")["ObjectLockConfiguration"] == conf
    assert b.get_object_retention(Bucket="locked", Key="retained")["Retention"] == {
        "Mode": "GOVERNANCE", "RetainUntilDate": until}
    assert b.get_object_legal_hold(Bucket="locked", Key="held")["LegalHold"] == {"Status": "ON"}
    with pytest.raises(ClientError) as exc:  # the copy really is locked
        b.delete_object(Bucket="locked", Key="retained", VersionId=_version_at(b, "locked", "retained", '"' +
                        hashlib.md5(b"r").hexdigest() + '"'))
    assert exc.value.response["Error"]["Code"] == "AccessDenied"


def test_migrate_without_reachable_source_fails_clearly(pair: tuple[ServerProcess, ServerProcess]) -> None:
    _, dst = pair
    out = migrate("http://127.0.0.1:9", "k", "s", dst)
    assert out.returncode == 1 and "refused to list its buckets" in out.stderr


# ---- moto as a source -------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def moto_server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = open(tmp_path / "moto.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)
    log.close()


def test_migrate_from_moto(moto_server: str, tmp_path: Path) -> None:
    dst = start_server(tmp_path / "dst")
    try:
        moto = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1", aws_access_key_id="testing",
                            aws_secret_access_key="testing", config=BotoConfig(s3={"addressing_style": "path"}))
        populate(moto, "m")
        out = migrate(moto_server, "testing", "testing", dst)
        print(out.stdout)
        b = make_client(dst)
        assert history(b, "m-ver") == history(moto, "m-ver")
        assert same_objects(moto, b, "m-ver", versions=True) == 13
        assert same_objects(moto, b, "m-plain", versions=False) == 13
        _configs_equal(moto, b, "m-plain")
        assert out.returncode == 0, out.stdout + out.stderr
        again = migrate(moto_server, "testing", "testing", dst)
        assert _copied(again.stdout, "m-ver") == (0, 14) and _copied(again.stdout, "m-plain") == (0, 13)
    finally:
        dst.stop()
