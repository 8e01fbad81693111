"""The admin API and `rucket admin` against a live server: users, keys, identity policies."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from rucket.core.paths import ADMIN
from tests.integration.conftest import make_client
from tests.server import ServerProcess


def admin(server: ServerProcess, *args: str) -> Any:
    env = {**os.environ, "RUCKET_ENDPOINT": server.endpoint, "RUCKET_ROOT_USER": server.access_key,
           "RUCKET_ROOT_PASSWORD": server.secret_key}
    out = subprocess.run([sys.executable, "-m", "rucket", "admin", "--output", "json", *args], env=env,
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_cli_user_key_policy_lifecycle(server: ServerProcess, s3: BaseClient, bucket: str,
                                       tmp_path: Path) -> None:
    name = f"u{uuid.uuid4().hex[:8]}"
    created = admin(server, "user", "add", name)
    client = make_client(server, key=created["access_key"], secret=created["secret_key"])
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError):
        client.get_object(Bucket=bucket, Key="k")
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}
    path = tmp_path / "read.json"
    path.write_text(json.dumps(doc))
    admin(server, "policy", "add", f"read-{name}", str(path))
    admin(server, "policy", "attach", f"read-{name}", name)
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    admin(server, "key", "disable", created["access_key"])
    with pytest.raises(ClientError) as exc:
        client.get_object(Bucket=bucket, Key="k")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    rotated = admin(server, "key", "rotate", created["access_key"])
    fresh = make_client(server, key=rotated["access_key"], secret=rotated["secret_key"])
    assert fresh.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    assert [k["enabled"] for k in admin(server, "key", "ls", name)["keys"]].count(True) == 1
    admin(server, "policy", "detach", f"read-{name}", name)
    admin(server, "user", "rm", name)
    with pytest.raises(ClientError):
        fresh.get_object(Bucket=bucket, Key="k")


def test_admin_api_refuses_non_root(server: ServerProcess) -> None:
    from rucket.cli_admin import signed_request

    status, body = signed_request(server.endpoint, "rucketalt", "rucketaltsecret", "us-east-1", "GET", f"{ADMIN}/users")
    assert status == 403 and body["error"] == "AccessDenied"
    status, _ = signed_request(server.endpoint, server.access_key, "wrong-secret", "us-east-1", "GET", f"{ADMIN}/users")
    assert status == 403


def test_admin_refuses_malformed_identity_policy(server: ServerProcess) -> None:
    from rucket.cli_admin import signed_request

    status, body = signed_request(server.endpoint, server.access_key, server.secret_key, "us-east-1", "PUT",
                                  f"{ADMIN}/policies/bad", b'{"Statement": [{"Effect": "Allow"}]}')
    assert status == 400 and body["error"] == "MalformedPolicy"


def test_secrets_are_not_stored_in_plaintext(server: ServerProcess) -> None:
    if server.proc is None:
        pytest.skip("external endpoint")
    db = (server.data_dir / "meta.db").read_bytes()
    assert b"rucketaltsecret" not in db
    assert (server.data_dir / "master.key").stat().st_mode & 0o777 == 0o600


def test_cli_table_output_has_human_dates_and_json_stays_machine_readable(server: ServerProcess) -> None:
    name = f"u{uuid.uuid4().hex[:8]}"
    created = admin(server, "user", "add", name)
    env = {**os.environ, "RUCKET_ENDPOINT": server.endpoint, "RUCKET_ROOT_USER": server.access_key,
           "RUCKET_ROOT_PASSWORD": server.secret_key}
    shown = subprocess.run([sys.executable, "-m", "rucket", "admin", "key", "ls", name], env=env,
                           capture_output=True, text=True, timeout=30)
    assert shown.returncode == 0, shown.stderr
    header, row = shown.stdout.splitlines()
    assert header.split()[:5] == ["ACCESS", "KEY", "USER", "ENABLED", "CREATED"]
    assert row.split()[:3] == [created["access_key"], name, "yes"]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", row.split(None, 3)[3])  # not epoch ms
    assert not re.search(r"\b\d{13}\b", row)
    keys = admin(server, "key", "ls", name)["keys"]
    assert isinstance(keys[0]["created_ms"], int)  # json: epoch ms, as the API answers
    refused = subprocess.run([sys.executable, "-m", "rucket", "admin", "user", "rm", f"missing-{name}"], env=env,
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode == 1 and "404 NotFound" in refused.stderr and "Traceback" not in refused.stderr
    admin(server, "user", "rm", name)
