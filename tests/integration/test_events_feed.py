"""`rucket admin events` and the admin events API against a live server: the full record, LSN,
HLC, PG and region of every mutation; named consumers with checkpoints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from botocore.client import BaseClient

from rucket.cli_admin import signed_request
from rucket.core.paths import ADMIN
from tests.server import ServerProcess

FIELDS = {"lsn", "hlc", "type", "bucket", "key", "version_id", "pg", "region", "record"}


def cli(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUCKET_ENDPOINT": server.endpoint, "RUCKET_ROOT_USER": server.access_key,
           "RUCKET_ROOT_PASSWORD": server.secret_key}
    return subprocess.run([sys.executable, "-m", "rucket", "admin", *args], env=env, capture_output=True, text=True,
                          timeout=60)


def api(server: ServerProcess, method: str, path: str, body: Any = None, **query: str) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else b""
    return signed_request(server.endpoint, server.access_key, server.secret_key, "us-east-1", method,
                          f"{ADMIN}{path}", data, sorted(query.items()))


def last_lsn(server: ServerProcess) -> int:
    status, out = api(server, "GET", "/events", limit="1")
    assert status == 200
    return int(out["last_lsn"])


def test_cli_events_json_lines_carry_the_full_record(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    start = last_lsn(server)
    s3.put_object(Bucket=bucket, Key="doc", Body=b"hello", ContentType="text/plain", Metadata={"a": "1"})
    s3.put_object_tagging(Bucket=bucket, Key="doc", Tagging={"TagSet": [{"Key": "t", "Value": "v"}]})
    s3.delete_object(Bucket=bucket, Key="doc")
    out = cli(server, "events", "--after", str(start), "--limit", "3", "--json")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [e["type"] for e in lines] == ["ObjectPut", "ObjectTagsChanged", "ObjectDeleted"]
    assert all(e.keys() >= FIELDS and e["bucket"] == bucket and e["key"] == "doc" for e in lines)
    assert [e["lsn"] for e in lines] == [start + 1, start + 2, start + 3]
    put, tags, gone = (e["record"]["version"] for e in lines)
    assert put["row"]["etag"] == '"5d41402abc4b2a76b9719d911017c592"' and put["row"]["attrs"]["m"] == {"a": "1"}
    assert put["inline"] == "aGVsbG8="  # the bytes of an inline object travel with its record
    assert tags["object_tags"]["tags"] == [["t", "v"]] and gone is None
    assert lines[0]["hlc"] < lines[1]["hlc"] < lines[2]["hlc"]
    assert lines[0]["region"] == "us-east-1" and lines[0]["pg"] == 0


def test_cli_events_table_and_paging(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    start = last_lsn(server)
    for i in range(3):
        s3.put_object(Bucket=bucket, Key=f"k{i}", Body=b"x")
    out = cli(server, "events", "--after", str(start), "--limit", "2")
    assert out.returncode == 0, out.stderr
    header, *rows = out.stdout.splitlines()
    assert header.split() == ["LSN", "HLC", "TYPE", "BUCKET", "KEY", "VERSION", "PG", "REGION"]
    assert [r.split()[0] for r in rows] == [str(start + 1), str(start + 2)]
    assert rows[0].split()[2:5] == ["ObjectPut", bucket, "k0"]
    tail = cli(server, "events", "--limit", "1", "--json")  # without --after: the newest events
    assert json.loads(tail.stdout.splitlines()[-1])["lsn"] == last_lsn(server)
    assert cli(server, "events", "--limit", "0").returncode == 2  # usage error


def test_api_consumer_checkpoint_and_read(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    status, reg = api(server, "PUT", "/events/consumers/replicator-test")
    assert status == 200 and reg["lsn"] == last_lsn(server) and reg["resync_required"] is False
    s3.put_object(Bucket=bucket, Key="c1", Body=b"1")
    s3.put_object(Bucket=bucket, Key="c2", Body=b"2")
    status, out = api(server, "GET", "/events", consumer="replicator-test")
    assert status == 200 and [e["key"] for e in out["events"]] == ["c1", "c2"]
    status, moved = api(server, "PUT", "/events/consumers/replicator-test", {"lsn": out["events"][0]["lsn"]})
    assert status == 200 and moved["lsn"] == out["events"][0]["lsn"]
    status, out = api(server, "GET", "/events", consumer="replicator-test")
    assert [e["key"] for e in out["events"]] == ["c2"]
    status, listed = api(server, "GET", "/events/consumers")
    assert "replicator-test" in [c["name"] for c in listed["consumers"]]
    assert api(server, "PUT", "/events/consumers/replicator-test", {"lsn": 0})[0] == 400  # backwards
    assert api(server, "DELETE", "/events/consumers/replicator-test")[0] == 200
    assert api(server, "GET", "/events", consumer="replicator-test")[0] == 404
