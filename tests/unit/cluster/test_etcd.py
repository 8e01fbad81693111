"""etcd member configuration and supervision (one real member on loopback)."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from rucket.cluster.etcd import EtcdSupervisor, MemberAddress, MemberConfig, cluster_token, members_from, next_backoff
from rucket.cluster.etcd_client import EtcdClient

SECRET = b"unit-test-cluster-secret"
PORT = 9770  # etcd on 9772 (client) and 9773 (peer), inside this worktree's range


def config(tmp: Path, host: str = "10.0.0.1") -> MemberConfig:
    members = members_from({"n2": (host, 9010), "n1": (host, 9000), "n3": (host, 9020)})
    return MemberConfig(members[0], members, tmp, SECRET)


def test_token_is_derived_from_the_secret_and_hides_it() -> None:
    token = cluster_token(SECRET)
    assert token == cluster_token(SECRET) and token.startswith("rucket-")
    assert token != cluster_token(b"another-secret-of-16")
    assert SECRET.decode() not in token
    with pytest.raises(ValueError):
        cluster_token(b"short")


def test_argv_uses_s3_port_offsets_and_never_contains_the_secret(tmp_path: Path) -> None:
    argv = config(tmp_path).argv()
    assert argv[0] == "/usr/bin/etcd"
    assert "--name=n1" in argv and f"--data-dir={tmp_path / 'etcd'}" in argv
    assert "--listen-client-urls=http://10.0.0.1:9002,http://127.0.0.1:9002" in argv
    assert "--initial-advertise-peer-urls=http://10.0.0.1:9003" in argv
    assert "--initial-cluster=n1=http://10.0.0.1:9003,n2=http://10.0.0.1:9013,n3=http://10.0.0.1:9023" in argv
    assert f"--initial-cluster-token={cluster_token(SECRET)}" in argv
    assert not any(SECRET.decode() in a for a in argv)


def test_config_refuses_a_member_outside_its_cluster(tmp_path: Path) -> None:
    stranger = MemberAddress("n9", "10.0.0.9", 9000)
    with pytest.raises(ValueError):
        MemberConfig(stranger, config(tmp_path).members, tmp_path, SECRET)
    twice = (stranger, MemberAddress("n9", "10.0.0.8", 9000))
    with pytest.raises(ValueError):
        MemberConfig(stranger, twice, tmp_path, SECRET)


@pytest.mark.parametrize(("previous", "ran_for", "expected"), [
    pytest.param(0.0, 0.1, 0.2, id="first-death"),
    pytest.param(0.2, 0.1, 0.4, id="dies-young-doubles"),
    pytest.param(8.0, 0.1, 10.0, id="capped"),
    pytest.param(8.0, 60.0, 0.2, id="healthy-run-resets"),
])
def test_backoff(previous: float, ran_for: float, expected: float) -> None:
    assert next_backoff(previous, ran_for) == expected


def test_supervisor_restarts_a_killed_member_and_keeps_its_data(tmp_path: Path) -> None:
    me = MemberAddress("solo", "127.0.0.1", PORT)
    cfg = MemberConfig(me, (me,), tmp_path, SECRET)

    async def scenario() -> None:
        supervisor = EtcdSupervisor(cfg)
        await supervisor.start()
        client = EtcdClient([f"127.0.0.1:{PORT + 2}"], deadline=15.0, attempt_timeout=1.0)
        try:
            await client.put(b"k", b"v1")
            assert cfg.bootstrapped()
            first = supervisor.pid
            assert first is not None
            os.kill(first, signal.SIGKILL)
            assert (await client.get(b"k")) is not None  # served again by the restarted member
            assert supervisor.restarts == 1 and supervisor.pid not in (None, first)
            assert (await client.get(b"k")).value == b"v1"  # type: ignore[union-attr]
        finally:
            await client.close()
            await supervisor.stop()
        assert not supervisor.running and supervisor.pid is None
        assert "solo" in (tmp_path / "etcd.log").read_text()

    asyncio.run(scenario())


def test_supervisor_start_raises_when_etcd_cannot_be_spawned(tmp_path: Path) -> None:
    me = MemberAddress("solo", "127.0.0.1", PORT)
    cfg = MemberConfig(me, (me,), tmp_path, SECRET, binary=str(tmp_path / "no-such-etcd"))

    async def scenario() -> None:
        supervisor = EtcdSupervisor(cfg)
        with pytest.raises(FileNotFoundError):
            await supervisor.start()
        assert not supervisor.running

    asyncio.run(scenario())
