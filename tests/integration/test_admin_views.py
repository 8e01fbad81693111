"""Admin read views against a live server: info, usage, buckets with sizes, lifecycle status,
event-log tail; root only, no secret in any answer."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
import requests
from botocore.client import BaseClient

from rucket.core.paths import ADMIN
from tests.integration.conftest import ALT_KEY, ALT_SECRET
from tests.integration.http import signed
from tests.server import ServerProcess


def get(server: ServerProcess, path: str, key: str | None = None, secret: str | None = None) -> tuple[int, Any]:
    """A SigV4-signed (botocore) GET of an admin path, query included."""
    as_user = dataclasses.replace(server, access_key=key or server.access_key, secret_key=secret or server.secret_key)
    resp = requests.get(server.endpoint + path, headers=signed(as_user, "GET", path), timeout=10)
    return resp.status_code, resp.json()


def get_ok(server: ServerProcess, path: str) -> Any:
    status, body = get(server, path)
    assert status == 200, body
    return body


def test_info_reports_version_uptime_and_config_without_secrets(server: ServerProcess) -> None:
    import rucket

    info = get_ok(server, f"{ADMIN}/info")
    assert info["version"] == rucket.__version__
    assert info["uptime_s"] >= 0 and info["started_ms"] <= info["now_ms"]
    assert info["region"] == "us-east-1" and info["data_dir"]
    assert info["config"]["users"] == [ALT_KEY]
    text = json.dumps(info)
    for secret in (server.secret_key, ALT_SECRET):
        assert secret not in text
    assert "root_password" not in info["config"]


def test_info_reports_capacity_and_free_space_of_the_data_dir(server: ServerProcess) -> None:
    import shutil

    (d,) = get_ok(server, f"{ADMIN}/info")["disks"]
    assert d["path"] == str(server.data_dir.resolve())
    total, _, free = shutil.disk_usage(server.data_dir)
    assert d["total_bytes"] == total and d["used_bytes"] + d["free_bytes"] <= total
    assert abs(d["free_bytes"] - free) < 256 * 1024 * 1024  # the same filesystem, read moments apart


def test_usage_and_bucket_list_count_live_objects_and_bytes(server: ServerProcess, s3: BaseClient,
                                                            bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a", Body=b"x" * 10)
    s3.put_object(Bucket=bucket, Key="dir/b", Body=b"y" * 32)
    s3.put_object(Bucket=bucket, Key="a", Body=b"z" * 5)  # overwrite: counts once, new size
    usage = get_ok(server, f"{ADMIN}/usage")
    mine = next(b for b in usage["buckets"] if b["name"] == bucket)
    assert (mine["objects"], mine["bytes"]) == (2, 37)
    assert usage["total"]["objects"] >= 2 and usage["total"]["bytes"] >= 37
    assert usage["total"]["buckets"] == len(usage["buckets"])
    listed = next(b for b in get_ok(server, f"{ADMIN}/buckets")["buckets"] if b["name"] == bucket)
    assert (listed["objects"], listed["bytes"], listed["versioning"]) == (2, 37, "Unversioned")
    assert listed["owner"] and listed["created_ms"] > 0


def test_bucket_list_names_configured_subresources(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "r1", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 3}},
        {"ID": "r2", "Status": "Disabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 9}}]})
    listed = next(b for b in get_ok(server, f"{ADMIN}/buckets")["buckets"] if b["name"] == bucket)
    assert listed["versioning"] == "Enabled" and "lifecycle" in listed["configured"]
    status = get_ok(server, f"{ADMIN}/lifecycle")
    assert {"bucket": bucket, "rules": 2, "enabled": 1} in status["buckets"]
    worker = status["worker"]
    assert worker["running"] is True, worker  # the worker runs a pass at start-up
    assert worker["passes"] >= 1 and worker["next_run_ms"] > worker["last_run_ms"]
    assert set(worker["report"]) >= {"expired", "noncurrent", "markers", "uploads"}


def test_events_tail_and_paging(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="e1", Body=b"1")
    s3.delete_object(Bucket=bucket, Key="e1")
    tail = get_ok(server, f"{ADMIN}/events?limit=5")
    assert 0 < len(tail["events"]) <= 5
    assert tail["events"][-1]["lsn"] == tail["last_lsn"]
    mine = [(e["type"], e["key"]) for e in tail["events"] if e["bucket"] == bucket]
    assert mine[-2:] == [("ObjectPut", "e1"), ("ObjectDeleted", "e1")]
    first = tail["events"][0]["lsn"]
    page = get_ok(server, f"{ADMIN}/events?after={first - 1}&limit=2")
    assert [e["lsn"] for e in page["events"]] == [first, first + 1]
    assert page["next_after"] == first + 1


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "limit=100000", "after=-1"])
def test_events_bad_parameters_are_400(server: ServerProcess, query: str) -> None:
    status, body = get(server, f"{ADMIN}/events?{query}")
    assert status == 400 and body["error"] == "InvalidArgument"


@pytest.mark.parametrize("path", [f"{ADMIN}/info", f"{ADMIN}/usage", f"{ADMIN}/buckets", f"{ADMIN}/lifecycle",
                                  f"{ADMIN}/events"])
def test_views_refuse_non_root(server: ServerProcess, path: str) -> None:
    status, body = get(server, path, ALT_KEY, ALT_SECRET)
    assert status == 403 and body["error"] == "AccessDenied"
