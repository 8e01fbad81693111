"""A data dir written by the previous release (1eb0ced) opens with today's code and serves the same.

The fixture was made by tests/fixtures/make_release_datadir.py running that release's `rucket
serve`; `expected.json` holds what that release answered. Opening it runs migration 0007
(event records, HLC order, gc table): listings, versions (order and IsLatest), bodies, content
types and metadata must come out identical, and new writes must land on top of the old versions.
"""

from __future__ import annotations

import json
import sqlite3
import tarfile
from itertools import pairwise
from pathlib import Path

import boto3
from botocore.config import Config

from tests.fixtures.make_release_datadir import snapshot
from tests.server import start_server

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "release-1eb0ced.tar.gz"


def test_release_1eb0ced_data_dir_serves_the_same_objects_and_versions(tmp_path: Path) -> None:
    with tarfile.open(FIXTURE) as tar:
        tar.extractall(tmp_path, filter="data")
    data = tmp_path / "data"
    expected = json.loads((data / "expected.json").read_text())
    server = start_server(data)
    try:
        s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                          aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
                          config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
        assert snapshot(s3) == expected
        s3.put_bucket_versioning(Bucket="vers", VersioningConfiguration={"Status": "Enabled"})
        new = s3.put_object(Bucket="vers", Key="k", Body=b"after the upgrade")["VersionId"]
        versions = s3.list_object_versions(Bucket="vers", Prefix="k")["Versions"]
        latest = [v["VersionId"] for v in versions if v["Key"] == "k" and v["IsLatest"]]
        assert latest == [new]
        assert s3.get_object(Bucket="vers", Key="k")["Body"].read() == b"after the upgrade"
    finally:
        server.stop()
    with sqlite3.connect(data / "meta.db") as db:
        applied = {r[0] for r in db.execute("SELECT name FROM schema_migrations")}
        rows = db.execute("SELECT bucket, key, hlc FROM versions ORDER BY bucket, key, id").fetchall()
    assert "0007_feed_hlc_gc.sql" in applied
    for (b1, k1, h1), (b2, k2, h2) in pairwise(rows):
        assert (b1, k1) != (b2, k2) or h2 > h1, f"HLCs of {b1}/{k1} do not strictly increase"
