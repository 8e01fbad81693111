"""Every engine unit test runs once per metadata store (SQLite and tests/memstore.py): the engine may
rely on nothing but the seam's Protocols. A module that checks what only one store has (SQLite's
on-disk corruption, for fsck) sets `METASTORES = ("sqlite",)`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests import fakes


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "metastore" in metafunc.fixturenames:
        kinds = getattr(metafunc.module, "METASTORES", fakes.METASTORES)
        metafunc.parametrize("metastore", kinds, indirect=True)


@pytest.fixture(autouse=True)
def metastore(request: pytest.FixtureRequest) -> Iterator[str]:
    with fakes.using_metastore(request.param):
        yield request.param
