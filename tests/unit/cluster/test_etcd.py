"""etcd member configuration and supervision (one real member on loopback)."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from tests.unit.cluster.solo import solo_config, solo_etcd

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
    async def scenario() -> None:
        async with solo_etcd(tmp_path, PORT) as (supervisor, client):
            await client.put(b"k", b"v1")
            assert supervisor.config.bootstrapped()
            first = supervisor.pid
            assert first is not None
            os.kill(first, signal.SIGKILL)
            assert (await client.get(b"k")) is not None  # served again by the restarted member
            assert supervisor.restarts == 1 and supervisor.pid not in (None, first)
            assert (await client.get(b"k")).value == b"v1"  # type: ignore[union-attr]
        assert not supervisor.running and supervisor.pid is None
        assert "solo" in (tmp_path / "etcd.log").read_text()

    asyncio.run(scenario())


def test_supervisor_start_raises_when_etcd_cannot_be_spawned(tmp_path: Path) -> None:
    cfg = solo_config(tmp_path, PORT, binary=str(tmp_path / "no-such-etcd"))

    async def scenario() -> None:
        supervisor = EtcdSupervisor(cfg)
        with pytest.raises(FileNotFoundError):
            await supervisor.start()
        assert not supervisor.running

    asyncio.run(scenario())


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie lingers until its new parent reaps it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_restarted_node_reaps_the_etcd_its_killed_supervisor_left_behind(tmp_path: Path) -> None:
    """kill -9 of the node process orphans its etcd; the next start must not run a second one."""
    import subprocess
    import sys

    cfg = solo_config(tmp_path, PORT)
    env = {**os.environ, "RUCKET_CLUSTER_SECRET": SECRET.decode()}
    node = subprocess.Popen([sys.executable, "-m", "rucket.cluster", "member", "--name=solo",
                             f"--member=solo=127.0.0.1:{PORT}", f"--data-dir={tmp_path}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def scenario() -> None:
        client = EtcdClient([f"127.0.0.1:{PORT + 2}"], deadline=20.0, attempt_timeout=1.0)
        try:
            await client.put(b"k", b"before")
            orphan = int(cfg.pid_file.read_text())
            node.kill()
            node.wait(timeout=5)
            assert running(orphan)  # still running without its supervisor
            supervisor = EtcdSupervisor(cfg)
            await supervisor.start()
            try:
                assert not running(orphan)
                assert supervisor.pid not in (None, orphan)
                assert (await client.get(b"k")).value == b"before"  # type: ignore[union-attr]
            finally:
                await supervisor.stop()
        finally:
            await client.close()

    try:
        asyncio.run(scenario())
    finally:
        node.kill()
        node.wait(timeout=5)


def test_lease_keeps_a_key_while_refreshed_and_drops_it_after(tmp_path: Path) -> None:
    """The node's liveness key: the failure detector treats its expiry as "down" (etcd decided)."""

    async def scenario() -> None:
        async with solo_etcd(tmp_path, PORT) as (_, client):
            lease = await client.lease(2)
            await client.put(b"alive/n1", b"1", lease=lease)
            for _ in range(4):  # 3 s of keep-alives: longer than the TTL
                await asyncio.sleep(0.75)
                await client.refresh_lease(lease)
            assert await client.get(b"alive/n1") is not None
            await asyncio.sleep(3.5)  # real etcd time: no clock to advance in another process
            assert await client.get(b"alive/n1") is None

    asyncio.run(scenario())


def test_crash_loop_backs_off_and_stop_does_not_wait_for_the_backoff(tmp_path: Path) -> None:
    cfg = solo_config(tmp_path, PORT, binary="/bin/false")  # an "etcd" that dies at once

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        supervisor = EtcdSupervisor(cfg)
        await supervisor.start()
        began = loop.time()
        while supervisor.restarts < 4:
            await asyncio.sleep(0.05)
        assert loop.time() - began >= 0.2 + 0.4 + 0.8  # doubling, not spinning
        assert supervisor.running
        before = loop.time()
        await supervisor.stop()  # next restart is 1.6 s away: stop must not sit through it
        assert loop.time() - before < 0.5 and not supervisor.running

    asyncio.run(scenario())
