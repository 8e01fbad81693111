"""kill -9 with blobs queued for the deferred GC: nothing queued is lost track of, nothing live is freed.

With the production GC delay, an overwrite leaves the old blob on disk, queued in the gc table by
the same commit. A crash then (or during the unlink of a later pass) must not leak it: start-up
recovery frees every queued blob that nothing references, and only those.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests.crash.test_kill9 import assert_consistent, blob_files, client
from tests.server import start_server

pytestmark = pytest.mark.crash
DELAYED = {"RUCKET_GC_DELAY": "600"}


def _queued(data: Path) -> set[str]:
    with sqlite3.connect(data / "meta.db") as db:
        return {r[0] for r in db.execute("SELECT blob_id FROM gc")}


def test_kill9_with_queued_blobs_restart_frees_them_and_keeps_live_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start_server(data, env=DELAYED)
    try:
        s3 = client(server)
        s3.create_bucket(Bucket="gcbucket")
        s3.put_object(Bucket="gcbucket", Key="k", Body=b"old" * 100_000)
        s3.put_object(Bucket="gcbucket", Key="gone", Body=b"bye" * 100_000)
        before = blob_files(data)
        s3.put_object(Bucket="gcbucket", Key="k", Body=b"new" * 100_000)
        s3.delete_object(Bucket="gcbucket", Key="gone")
        queued = _queued(data)
        assert len(queued) == 2 and queued <= before <= blob_files(data)  # freed late: still on disk
    finally:
        server.kill9()
    server = start_server(data, env=DELAYED)
    try:
        assert client(server).get_object(Bucket="gcbucket", Key="k")["Body"].read() == b"new" * 100_000
        assert _queued(data) == set() and not (queued & blob_files(data))
        assert_consistent(data)
    finally:
        server.stop()


def test_fault_mid_overwrite_with_delay_recovers_cleanly(tmp_path: Path) -> None:
    """Committed but not acknowledged, with the old blob only queued: after restart both the new
    object and a consistent blob set."""
    data = tmp_path / "data"
    server = start_server(data, env=DELAYED)
    try:
        client(server).create_bucket(Bucket="gcbucket")
        client(server).put_object(Bucket="gcbucket", Key="k", Body=b"old" * 100_000)
    finally:
        server.stop()
    server = start_server(data, env={**DELAYED, "RUCKET_FAULTPOINT": "meta.after_commit"})
    try:
        with pytest.raises(Exception):  # noqa: B017 - the process dies before answering
            client(server).put_object(Bucket="gcbucket", Key="k", Body=b"new" * 100_000)
    finally:
        server.kill9()
    server = start_server(data, env=DELAYED)
    try:
        assert client(server).get_object(Bucket="gcbucket", Key="k")["Body"].read() == b"new" * 100_000
        assert_consistent(data)
    finally:
        server.stop()
