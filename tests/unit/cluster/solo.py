"""One supervised etcd member on loopback for tests that need a real etcd (no root, no namespaces)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from rucket.cluster.etcd import ETCD_BINARY, EtcdSupervisor, MemberAddress, MemberConfig
from rucket.cluster.etcd_client import EtcdClient

SECRET = b"unit-test-cluster-secret"


def solo_config(data_dir: Path, s3_port: int, *, binary: str = ETCD_BINARY) -> MemberConfig:
    me = MemberAddress("solo", "127.0.0.1", s3_port)
    return MemberConfig(me, (me,), data_dir, SECRET, binary=binary)


@contextlib.asynccontextmanager
async def solo_etcd(data_dir: Path, s3_port: int) -> AsyncIterator[tuple[EtcdSupervisor, EtcdClient]]:
    """A running member (etcd client port = s3_port + 2) and a client for it; both stopped on exit."""
    supervisor = EtcdSupervisor(solo_config(data_dir, s3_port))
    await supervisor.start()
    client = EtcdClient([f"127.0.0.1:{s3_port + 2}"], deadline=15.0, attempt_timeout=2.0)
    try:
        yield supervisor, client
    finally:
        await client.close()
        await supervisor.stop()
