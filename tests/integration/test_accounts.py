"""Accounts, as on AWS: IAM users act inside the root's account; buckets belong to the account.

An IAM user (created through the admin API) needs s3:CreateBucket like any other action; what it
creates belongs to the root's account, so the root manages it and deleting the user orphans nothing.
The `[[users]]` of rucket.toml (the s3-tests alt user here) stay accounts of their own.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from rucket.cli_admin import signed_request
from rucket.core.paths import ADMIN
from tests.integration.conftest import ALT_KEY, ALT_SECRET, make_client
from tests.server import ServerProcess, start_server


def _admin(server: ServerProcess, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else b""
    status, out = signed_request(server.endpoint, server.access_key, server.secret_key, "us-east-1", method,
                                 f"{ADMIN}{path}", data)
    assert status < 300, (status, out)
    return out


def _iam_user(server: ServerProcess, *actions: str) -> tuple[str, BaseClient]:
    name = f"u{uuid.uuid4().hex[:8]}"
    key = _admin(server, "POST", "/users", {"name": name})
    if actions:
        doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}
        _admin(server, "PUT", f"/policies/p-{name}", doc)
        _admin(server, "PUT", f"/users/{name}/policies/p-{name}")
    return name, make_client(server, key=key["access_key"], secret=key["secret_key"])


def _code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def test_iam_user_needs_create_bucket_permission(server: ServerProcess) -> None:
    _, user = _iam_user(server)
    with pytest.raises(ClientError) as err:
        user.create_bucket(Bucket=f"nope-{uuid.uuid4().hex[:8]}")
    assert _code(err) == "AccessDenied"
    with pytest.raises(ClientError) as err:
        user.list_buckets()
    assert _code(err) == "AccessDenied"


def test_iam_users_bucket_belongs_to_the_account(server: ServerProcess, s3: BaseClient) -> None:
    name, user = _iam_user(server, "s3:CreateBucket", "s3:ListAllMyBuckets", "s3:PutObject", "s3:ListBucket")
    bucket = f"acct-{uuid.uuid4().hex[:8]}"
    user.create_bucket(Bucket=bucket)
    user.put_object(Bucket=bucket, Key="k", Body=b"by the user")
    root_id = s3.list_buckets()["Owner"]["ID"]
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]  # the root sees the account's bucket
    assert s3.get_bucket_acl(Bucket=bucket)["Owner"]["ID"] == root_id
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"by the user"  # the root reads it
    assert s3.get_object_acl(Bucket=bucket, Key="k")["Owner"]["ID"] == root_id
    with pytest.raises(ClientError) as err:
        user.get_object(Bucket=bucket, Key="k")  # no s3:GetObject in its policy: owning nothing, it gets nothing
    assert _code(err) == "AccessDenied"
    assert bucket in [b["Name"] for b in user.list_buckets()["Buckets"]]
    _admin(server, "DELETE", f"/users/{name}")
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})  # root manages it
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)  # nothing orphaned: the name is free again
    s3.create_bucket(Bucket=bucket)
    s3.delete_bucket(Bucket=bucket)


def test_config_users_stay_separate_accounts(server: ServerProcess, s3: BaseClient, s3_alt: BaseClient) -> None:
    bucket = f"alt-{uuid.uuid4().hex[:8]}"
    s3_alt.create_bucket(Bucket=bucket)
    try:
        assert s3_alt.get_bucket_acl(Bucket=bucket)["Owner"]["ID"] == ALT_KEY
        assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        with pytest.raises(ClientError) as err:
            s3.list_objects_v2(Bucket=bucket)
        assert _code(err) == "AccessDenied"
    finally:
        s3_alt.delete_bucket(Bucket=bucket)


def test_bucket_policy_for_the_account_id_does_not_grant_its_iam_users(server: ServerProcess, s3: BaseClient,
                                                                         bucket: str) -> None:
    """A grant to the account (its canonical id) is for the account; its IAM users need their own policies."""
    root_id = s3.list_buckets()["Owner"]["ID"]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"CanonicalUser": root_id}, "Action": "s3:ListBucket",
         "Resource": f"arn:aws:s3:::{bucket}"}]}))
    _, user = _iam_user(server)
    with pytest.raises(ClientError) as err:
        user.list_objects_v2(Bucket=bucket)
    assert _code(err) == "AccessDenied"


@pytest.fixture
def old_data_dir(tmp_path: Path) -> Iterator[tuple[Path, str, str]]:
    """A data dir as Rucket wrote it before accounts: a bucket and object owned by an IAM user's own id."""
    data = tmp_path / "data"
    first = start_server(data, users=[(ALT_KEY, ALT_SECRET)])
    try:
        name, _ = _iam_user(first)
        cid = _admin(first, "GET", f"/users/{name}")["canonical_id"]
        s3 = make_client(first)
        s3.create_bucket(Bucket="legacy")
        s3.put_object(Bucket="legacy", Key="k", Body=b"old", ACL="private")
        root_id = s3.list_buckets()["Owner"]["ID"]
    finally:
        first.stop()
    db = sqlite3.connect(next(data.rglob("*.db")))
    with db:
        db.execute("UPDATE buckets SET owner=?, config=replace(config, ?, ?)", (cid, f'"{root_id}"', f'"{cid}"'))
        db.execute("UPDATE versions SET owner=?, attrs=replace(attrs, ?, ?)", (cid, f'"{root_id}"', f'"{cid}"'))
        db.execute("UPDATE latest SET owner=?", (cid,))
    db.close()
    yield data, name, cid


def test_existing_data_dir_migrated_to_the_account(old_data_dir: tuple[Path, str, str]) -> None:
    data, name, cid = old_data_dir
    server = start_server(data, users=[(ALT_KEY, ALT_SECRET)])
    try:
        s3 = make_client(server)
        root_id = s3.list_buckets()["Owner"]["ID"]
        assert root_id != cid
        assert "legacy" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        acl = s3.get_bucket_acl(Bucket="legacy")
        assert acl["Owner"]["ID"] == root_id and cid not in json.dumps(acl["Grants"])
        assert s3.get_object(Bucket="legacy", Key="k")["Body"].read() == b"old"
        assert s3.get_object_acl(Bucket="legacy", Key="k")["Owner"]["ID"] == root_id
        _admin(server, "DELETE", f"/users/{name}")
        s3.delete_object(Bucket="legacy", Key="k")
        s3.delete_bucket(Bucket="legacy")
    finally:
        server.stop()


def test_anonymous_list_buckets_is_empty(server: ServerProcess, bucket: str) -> None:
    from botocore import UNSIGNED

    assert make_client(server, signature_version=UNSIGNED).list_buckets()["Buckets"] == []


def test_identity_policy_does_not_reach_another_accounts_bucket(server: ServerProcess, s3_alt: BaseClient) -> None:
    bucket = f"alt-{uuid.uuid4().hex[:8]}"
    s3_alt.create_bucket(Bucket=bucket)
    s3_alt.put_object(Bucket=bucket, Key="k", Body=b"alt's")
    try:
        _, user = _iam_user(server, "s3:*")
        with pytest.raises(ClientError) as err:
            user.get_object(Bucket=bucket, Key="k")
        assert _code(err) == "AccessDenied"
    finally:
        s3_alt.delete_object(Bucket=bucket, Key="k")
        s3_alt.delete_bucket(Bucket=bucket)


def test_config_user_with_own_account_false_is_an_iam_user(tmp_path: Path) -> None:
    toml = tmp_path / "members.toml"
    toml.write_text('[[users]]\naccess_key = "ciuploader"\nsecret_key = "ciuploader-secret"\nown_account = false\n')
    server = start_server(tmp_path / "data", extra_args=["--config", str(toml)])  # the last --config wins
    try:
        member = make_client(server, key="ciuploader", secret="ciuploader-secret")
        with pytest.raises(ClientError) as err:
            member.create_bucket(Bucket="ci-artifacts")
        assert _code(err) == "AccessDenied"
        doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:CreateBucket",
                                                       "Resource": "*"}]}
        _admin(server, "PUT", "/policies/ci", doc)
        _admin(server, "PUT", "/users/ciuploader/policies/ci")
        member.create_bucket(Bucket="ci-artifacts")
        s3 = make_client(server)
        assert s3.get_bucket_acl(Bucket="ci-artifacts")["Owner"]["ID"] == s3.list_buckets()["Owner"]["ID"]
    finally:
        server.stop()
