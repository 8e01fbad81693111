"""kill -9 of ONLY the `rucket serve` process (what the OOM killer does), not its process group.

Before the fix its granian worker lived on, kept the port and the data dir, and a new server on
the same data dir and port started next to it: requests were split between two processes whose
caches ignored each other's writes.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest
from tests.crash.test_kill9 import client
from tests.server import start_server

pytestmark = pytest.mark.crash


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for its new parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_workers_die_with_a_kill9_of_the_server_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_server(data)
    port = int(first.endpoint.rsplit(":", 1)[1])
    s3 = client(first)
    s3.create_bucket(Bucket="own")
    s3.put_object(Bucket="own", Key="k", Body=b"before")
    workers = first.children()
    assert workers, "granian should serve from a worker process"
    assert first.proc is not None
    os.kill(first.proc.pid, signal.SIGKILL)  # the main process only
    first.proc.wait(10)
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (any(map(_alive, workers)) or not _port_free(port)):
            time.sleep(0.05)
        assert not [w for w in workers if _alive(w)], "a worker outlived its server"
        assert _port_free(port), "the port is still held"
        second = start_server(data, port=port)
        try:
            s3 = client(second)
            s3.put_object(Bucket="own", Key="k", Body=b"after")
            for _ in range(8):  # every request reaches the new server: one answer, always the new bytes
                assert s3.get_object(Bucket="own", Key="k")["Body"].read() == b"after"
            s3.delete_object(Bucket="own", Key="k")
            s3.delete_bucket(Bucket="own")  # its own bucket, empty: no stale cache says otherwise
        finally:
            second.stop()
    finally:
        for w in workers:  # the failing case: do not leave the survivor behind
            if _alive(w):
                os.kill(w, signal.SIGKILL)
