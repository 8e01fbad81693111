"""`rucket serve --cluster` end to end: three real nodes on 127.0.0.1 with distinct ports.

The contract command line forms one cluster (one etcd cluster of 3 members, map epoch 1 naming all
three nodes), `/minio/health/cluster` follows whether writes are possible, `rucket admin cluster
status` reports nodes, etcd roles and PG counts, a killed node is seen down and rejoins with its
data dir, and a node with the wrong cluster secret is refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.nodes import Cluster, Node, dump, port_blocks, states, until
from tests.server import ROOT_KEY, ROOT_SECRET

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300),
              pytest.mark.skipif(not os.path.exists("/usr/bin/etcd"), reason="needs Debian etcd-server")]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        c.start()
        yield c
    finally:
        c.stop()


def test_three_nodes_form_one_cluster(cluster: Cluster) -> None:
    views = [n.status() for n in cluster.nodes]
    for view in views:
        assert view["epoch"] == 1 and view["ready"] and view["writable"], dump(view)
        assert states(view) == {"n1": "up", "n2": "up", "n3": "up"}, dump(view)
        assert len(view["etcd"]["members"]) == 3
        assert view["pgs"] == {"total": 1024, "clean": 1024, "degraded": 0, "misplaced": 0, "unavailable": 0}
    leaders = {v["etcd"]["leader"] for v in views}
    assert len(leaders) == 1 and None not in leaders  # one etcd cluster, one leader, seen alike
    roles = sorted(n["etcd"] for n in views[0]["nodes"])
    assert roles == ["follower", "follower", "leader"]
    assert all(n.health("cluster") == 200 for n in cluster.nodes)


def test_admin_cluster_status_command(cluster: Cluster) -> None:
    node = cluster.nodes[1]
    env = {**os.environ, "RUCKET_ENDPOINT": node.endpoint, "RUCKET_ROOT_USER": ROOT_KEY,
           "RUCKET_ROOT_PASSWORD": ROOT_SECRET}
    cmd = [sys.executable, "-m", "rucket", "admin", "cluster", "status"]
    out = subprocess.run([*cmd, "--json"], capture_output=True, text=True, env=env, timeout=60, check=True).stdout
    doc = json.loads(out)
    assert doc["node"] == "n2" and {n["id"] for n in doc["nodes"]} == {"n1", "n2", "n3"}
    text = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, check=True).stdout
    assert "map epoch 1" in text and "1024 clean" in text
    assert all(f"n{i}" in text for i in (1, 2, 3)) and "leader" in text


def test_secret_never_in_admin_info(cluster: Cluster) -> None:
    code, info = cluster.nodes[0].admin("/info")
    assert code == 200
    assert "cluster_secret" not in info["config"] and "cluster-test-secret" not in json.dumps(info)


def test_killed_node_is_seen_down_and_rejoins(cluster: Cluster) -> None:
    victim, watcher = cluster.nodes[2], cluster.nodes[0]
    victim.kill9()
    took = until(lambda: states(watcher.status())["n3"] == "down", 60, "n3 seen down")
    print(f"kill -9 of n3 -> seen down by n1 after {took:.2f}s")
    view = watcher.status()
    assert view["writable"] and watcher.health("cluster") == 200, dump(view)  # 2 of 3 up: writes go on
    assert view["pgs"]["degraded"] == 1024 and view["pgs"]["clean"] == 0
    victim.start()
    cluster.wait_ready(victim)
    until(lambda: states(watcher.status())["n3"] == "up", 60, "n3 back up")
    assert victim.status()["epoch"] == 1  # rejoined the same map, never re-bootstrapped
    assert "bootstrapped" not in victim.log().split("etcd member")[-1]


def test_two_nodes_down_means_no_writes(cluster: Cluster) -> None:
    survivor = cluster.nodes[0]
    for node in cluster.nodes[1:]:
        node.kill9()
    until(lambda: survivor.health("cluster") == 503, 60, "health/cluster 503 without quorum")
    assert survivor.health("live") == 200
    for node in cluster.nodes[1:]:
        node.start()
    for node in cluster.nodes[1:]:
        cluster.wait_ready(node)
    until(lambda: all(n.health("cluster") == 200 for n in cluster.nodes), 60, "writable again")


def test_wrong_secret_is_refused(cluster: Cluster, tmp_path: Path) -> None:
    """A fourth node with another secret reaches etcd (the members serve it) and is refused: it exits."""
    port = port_blocks(1)[0]
    intruder = Node("n4", port, tmp_path / "d4", [n.address for n in cluster.nodes], 3,
                    secret="another-secret-0123456789")
    intruder.start()
    try:
        assert intruder.proc is not None
        intruder.proc.wait(timeout=120)
        assert "another RUCKET_CLUSTER_SECRET" in intruder.log()
        assert "n4" not in states(cluster.nodes[0].status())
    finally:
        intruder.stop()


def test_missing_secret_is_a_usage_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RUCKET_CLUSTER_SECRET"}
    done = subprocess.run([sys.executable, "-m", "rucket", "serve", "--cluster", "--node-id", "n1", "--address",
                           "127.0.0.1:29990", "--data-dir", str(tmp_path / "d"), "--peers", "127.0.0.1:29980"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2 and "RUCKET_CLUSTER_SECRET" in done.stderr
    assert not (tmp_path / "d").exists()
