"""Browser POST uploads through a real server: boto3's presigned POST (SigV4), and a tampered policy."""

from __future__ import annotations

import base64
import json

import requests
from botocore.client import BaseClient


def test_presigned_post_uploads(s3: BaseClient, bucket: str) -> None:
    post = s3.generate_presigned_post(bucket, "uploads/${filename}", Fields={"acl": "private"},
                                      Conditions=[{"acl": "private"}, ["starts-with", "$key", "uploads/"],
                                                  ["content-length-range", 1, 1024]], ExpiresIn=600)
    r = requests.post(post["url"], data=post["fields"], files={"file": ("a.txt", b"hello")}, timeout=10)
    assert r.status_code == 204, r.content
    assert s3.get_object(Bucket=bucket, Key="uploads/a.txt")["Body"].read() == b"hello"
    too_big = requests.post(post["url"], data=post["fields"], files={"file": ("b.txt", b"x" * 2000)}, timeout=10)
    assert too_big.status_code == 400


def test_tampered_policy_is_refused(s3: BaseClient, bucket: str) -> None:
    post = s3.generate_presigned_post(bucket, "k", Conditions=[["content-length-range", 0, 10]], ExpiresIn=600)
    doc = json.loads(base64.b64decode(post["fields"]["policy"]))
    doc["conditions"] = [c for c in doc["conditions"] if not (isinstance(c, list) and c[0] == "content-length-range")]
    fields = {**post["fields"], "policy": base64.b64encode(json.dumps(doc).encode()).decode()}
    r = requests.post(post["url"], data=fields, files={"file": ("f", b"y" * 100)}, timeout=10)
    assert r.status_code == 403
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_success_action_status_201(s3: BaseClient, bucket: str) -> None:
    post = s3.generate_presigned_post(bucket, "k", Fields={"success_action_status": "201"},
                                      Conditions=[{"success_action_status": "201"}], ExpiresIn=600)
    r = requests.post(post["url"], data=post["fields"], files={"file": ("f", b"z")}, timeout=10)
    assert r.status_code == 201 and b"<Key>k</Key>" in r.content
