"""Access keys with an expiry, and service accounts (keys whose own policy narrows their
user's), through the admin API and used by boto3 against a real server."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from rucket.cli_admin import signed_request
from rucket.core.paths import ADMIN
from tests.integration.conftest import make_client
from tests.server import ServerProcess


def admin(server: ServerProcess, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else b""
    return signed_request(server.endpoint, server.access_key, server.secret_key, "us-east-1", method,
                          f"{ADMIN}/{path}", data)


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


@pytest.fixture
def writer(server: ServerProcess, bucket: str) -> Iterator[str]:
    """A user who may read and write `bucket`."""
    name = f"w-{uuid.uuid4().hex[:8]}"
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                   "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}
    assert admin(server, "PUT", f"policies/{name}", doc)[0] == 200
    assert admin(server, "POST", "users", {"name": name, "with_key": False})[0] == 201
    assert admin(server, "PUT", f"users/{name}/policies/{name}")[0] == 200
    yield name
    admin(server, "DELETE", f"users/{name}")
    admin(server, "DELETE", f"policies/{name}")


def read_only(bucket: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                                                   "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}


def test_service_account_can_do_only_what_both_policies_allow(server: ServerProcess, s3: BaseClient, bucket: str,
                                                              writer: str) -> None:
    status, user_key = admin(server, "POST", f"users/{writer}/keys", {})
    assert status == 201 and not user_key["service_account"]
    status, sa = admin(server, "POST", f"users/{writer}/keys", {"policy": read_only(bucket), "description": "ci"})
    assert status == 201 and sa["service_account"]
    as_user = make_client(server, key=user_key["access_key"], secret=user_key["secret_key"])
    as_sa = make_client(server, key=sa["access_key"], secret=sa["secret_key"])
    as_user.put_object(Bucket=bucket, Key="k", Body=b"by the user")
    assert as_sa.get_object(Bucket=bucket, Key="k")["Body"].read() == b"by the user"
    assert [o["Key"] for o in as_sa.list_objects_v2(Bucket=bucket)["Contents"]] == ["k"]
    with pytest.raises(ClientError) as exc:
        as_sa.put_object(Bucket=bucket, Key="k2", Body=b"x")  # the user may, the key's policy does not
    assert code(exc) == "AccessDenied"
    other = f"other-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=other)
    try:
        wide = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        status, wide_sa = admin(server, "POST", f"users/{writer}/keys", {"policy": wide})
        as_wide = make_client(server, key=wide_sa["access_key"], secret=wide_sa["secret_key"])
        with pytest.raises(ClientError) as exc:  # a key policy never widens its user's permissions
            as_wide.list_objects_v2(Bucket=other)
        assert code(exc) == "AccessDenied"
    finally:
        s3.delete_bucket(Bucket=other)
    keys = {k["access_key"]: k for k in admin(server, "GET", f"users/{writer}/keys")[1]["keys"]}
    assert keys[sa["access_key"]]["service_account"] and keys[sa["access_key"]]["description"] == "ci"
    assert json.loads(keys[sa["access_key"]]["policy"]) == read_only(bucket)
    assert not keys[user_key["access_key"]]["service_account"]


def test_service_account_policy_is_validated(server: ServerProcess, writer: str) -> None:
    status, body = admin(server, "POST", f"users/{writer}/keys", {"policy": {"Statement": [{"Effect": "Maybe"}]}})
    assert status == 400 and body["error"] == "MalformedPolicy"
    assert admin(server, "GET", f"users/{writer}/keys")[1]["keys"] == []


def test_expired_key_is_refused_and_listed_as_expired(server: ServerProcess, bucket: str, writer: str) -> None:
    now_ms = int(time.time() * 1000)
    status, key = admin(server, "POST", f"users/{writer}/keys", {"expires_ms": now_ms + 3_600_000})
    assert status == 201
    client = make_client(server, key=key["access_key"], secret=key["secret_key"])
    client.head_bucket(Bucket=bucket)
    (listed,) = admin(server, "GET", f"users/{writer}/keys")[1]["keys"]
    assert listed["expires_ms"] == now_ms + 3_600_000 and not listed["expired"]
    assert admin(server, "PATCH", f"keys/{key['access_key']}", {"expires_ms": now_ms - 1})[0] == 200
    with pytest.raises(ClientError) as exc:
        client.list_objects_v2(Bucket=bucket)
    assert code(exc) == "InvalidAccessKeyId"
    (listed,) = admin(server, "GET", f"users/{writer}/keys")[1]["keys"]
    assert listed["expired"] and listed["enabled"]
    assert admin(server, "PATCH", f"keys/{key['access_key']}", {"expires_ms": None})[0] == 200
    client.list_objects_v2(Bucket=bucket)  # no expiry again: works again


@pytest.mark.parametrize("value", [-1, "tomorrow", 1.5, True])
def test_bad_expiry_is_400(server: ServerProcess, writer: str, value: Any) -> None:
    status, body = admin(server, "POST", f"users/{writer}/keys", {"expires_ms": value})
    assert status == 400 and body["error"] == "InvalidArgument"


def test_rotating_a_service_account_keeps_its_policy(server: ServerProcess, bucket: str, writer: str) -> None:
    status, sa = admin(server, "POST", f"users/{writer}/keys", {"policy": read_only(bucket)})
    status, new = admin(server, "POST", f"keys/{sa['access_key']}/rotate")
    assert status == 201
    keys = {k["access_key"]: k for k in admin(server, "GET", f"users/{writer}/keys")[1]["keys"]}
    assert keys[new["access_key"]]["service_account"] and not keys[sa["access_key"]]["enabled"]
    client = make_client(server, key=new["access_key"], secret=new["secret_key"])
    with pytest.raises(ClientError) as exc:
        client.put_object(Bucket=bucket, Key="x", Body=b"x")
    assert code(exc) == "AccessDenied"


# ---- the policy simulator (POST admin/simulate): the real evaluator's answer and reason ------
def ask(server: ServerProcess, principal: str, action: str, resource: str) -> tuple[int, Any]:
    return admin(server, "POST", "simulate", {"principal": principal, "action": action, "resource": resource})


def test_simulator_answers_as_the_evaluator_does(server: ServerProcess, bucket: str, writer: str) -> None:
    status, answer = ask(server, writer, "s3:PutObject", f"arn:aws:s3:::{bucket}/a/b.txt")
    assert status == 200 and answer["allowed"] and "identity policy" in answer["reason"]
    assert answer["principal"]["arn"] == f"arn:aws:iam::000000000000:user/{writer}"
    status, answer = ask(server, writer, "s3:GetObject", "arn:aws:s3:::some-other-bucket-xyz/k")
    assert status == 200 and answer["allowed"] and not answer["bucket_exists"]  # the handler says NoSuchBucket
    status, sa = admin(server, "POST", f"users/{writer}/keys", {"policy": read_only(bucket)})
    status, answer = ask(server, sa["access_key"], "s3:PutObject", f"arn:aws:s3:::{bucket}/k")
    assert status == 200 and not answer["allowed"] and "service account policy" in answer["reason"]
    assert answer["principal"]["service_account"]
    status, answer = ask(server, server.access_key, "s3:DeleteBucket", f"arn:aws:s3:::{bucket}")
    assert status == 200 and answer["allowed"] and answer["principal"]["root"]


def test_simulator_matches_real_requests(server: ServerProcess, s3: BaseClient, bucket: str, writer: str) -> None:
    """Every answer is checked against what the same principal really gets from the S3 API."""
    status, sa = admin(server, "POST", f"users/{writer}/keys", {"policy": read_only(bucket)})
    assert status == 201
    client = make_client(server, key=sa["access_key"], secret=sa["secret_key"])
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    calls = {"s3:GetObject": lambda: client.get_object(Bucket=bucket, Key="k"),
             "s3:PutObject": lambda: client.put_object(Bucket=bucket, Key="k", Body=b"y"),
             "s3:DeleteObject": lambda: client.delete_object(Bucket=bucket, Key="k")}
    for action, call in calls.items():
        _, answer = ask(server, sa["access_key"], action, f"arn:aws:s3:::{bucket}/k")
        try:
            call()
            really = True
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "AccessDenied"
            really = False
        assert answer["allowed"] is really, (action, answer)


@pytest.mark.parametrize(("principal", "action", "resource"), [
    pytest.param("nobody-at-all", "s3:GetObject", "arn:aws:s3:::b/k", id="unknown-principal"),
    pytest.param("ROOT", "s3:Fly", "arn:aws:s3:::b/k", id="unknown-action"),
    pytest.param("ROOT", "s3:GetObject", "arn:aws:ec2:::i-1", id="not-s3"),
    pytest.param("ROOT", "s3:GetObject", "arn:aws:s3:::b/", id="empty-key"),
    pytest.param("ROOT", "", "arn:aws:s3:::b/k", id="missing-action"),
])
def test_simulator_rejects_bad_questions(server: ServerProcess, principal: str, action: str, resource: str) -> None:
    status, body = ask(server, server.access_key if principal == "ROOT" else principal, action, resource)
    assert status == 400 and body["error"] == "InvalidArgument"


def test_simulator_is_root_only(server: ServerProcess) -> None:
    from tests.integration.conftest import ALT_KEY, ALT_SECRET

    status, body = signed_request(server.endpoint, ALT_KEY, ALT_SECRET, "us-east-1", "POST", f"{ADMIN}/simulate",
                                  json.dumps({"principal": ALT_KEY, "action": "s3:GetObject",
                                              "resource": "*"}).encode())
    assert status == 403 and body["error"] == "AccessDenied"
