"""pytest plugin (installed with rucket): the `rucket_server` fixture.

    def test_upload(rucket_server):
        s3 = rucket_server.client()
        s3.create_bucket(Bucket="b")
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rucket.testing import RucketServer, serve


@pytest.fixture(scope="session")
def rucket_server() -> Iterator[RucketServer]:
    """One real Rucket server for the test session, on a free port, data in a temp dir."""
    with serve() as server:
        yield server
