"""The fixture users get with `pip install rucket`: the pytest plugin and `rucket.testing.serve()`."""

from __future__ import annotations

import time

from rucket.testing import RucketServer, serve


def test_rucket_server_fixture_is_a_working_s3(rucket_server: RucketServer) -> None:
    s3 = rucket_server.client()
    s3.create_bucket(Bucket="fixture-bucket")
    s3.put_object(Bucket="fixture-bucket", Key="k", Body=b"v")
    assert s3.get_object(Bucket="fixture-bucket", Key="k")["Body"].read() == b"v"


def test_serve_context_manager_starts_fast_and_cleans_up() -> None:
    t0 = time.perf_counter()
    with serve() as server:
        started = time.perf_counter() - t0
        server.client().create_bucket(Bucket="ctx-bucket")
        data_dir = server.data_dir
        assert data_dir.exists()
    assert not data_dir.exists()
    assert started < 2.0, f"fixture took {started:.2f}s to start"
