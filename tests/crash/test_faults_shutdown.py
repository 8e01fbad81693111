"""Graceful shutdown: SIGTERM stops accepting, lets an in-flight upload finish, closes the database, exits 0."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from tests.crash.test_kill9 import assert_consistent, client
from tests.integration.http import signed
from tests.server import start_server

pytestmark = pytest.mark.crash
SHUTDOWN_BOUND_S = 30


def _response(sock: socket.socket) -> bytes:
    out = b""
    while b"\r\n\r\n" not in out:
        chunk = sock.recv(65536)
        if not chunk:
            break
        out += chunk
    return out


@pytest.mark.parametrize("whole_group", [True, False], ids=["group-sigterm", "parent-sigterm"])
def test_sigterm_finishes_inflight_upload_and_exits_zero(tmp_path: Path, whole_group: bool) -> None:
    data = tmp_path / "data"
    server = start_server(data)
    client(server).create_bucket(Bucket="calm")
    body = hashlib.sha256(b"slow").digest() * (4 * 1024 * 1024 // 32)
    headers = signed(server, "PUT", "/calm/slow", b"", payload_hash="UNSIGNED-PAYLOAD")
    parts = urlsplit(server.endpoint)
    sock = socket.create_connection((parts.hostname, parts.port))
    head = f"PUT /calm/slow HTTP/1.1\r\nHost: {parts.netloc}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() not in ("host", "content-length")) + \
        f"Content-Length: {len(body)}\r\n\r\n"
    sock.sendall(head.encode() + body[:1024 * 1024])
    time.sleep(0.3)
    assert server.proc is not None
    if whole_group:
        os.killpg(server.proc.pid, signal.SIGTERM)  # what systemd's default KillMode does
    else:
        server.proc.send_signal(signal.SIGTERM)
    t0 = time.monotonic()
    for i in range(1, 4):  # the rest of the body keeps trickling in after the signal
        time.sleep(0.4)
        sock.sendall(body[i * 1024 * 1024:(i + 1) * 1024 * 1024])
    answer = _response(sock)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    code = server.proc.wait(timeout=SHUTDOWN_BOUND_S)
    assert code == 0
    assert time.monotonic() - t0 < SHUTDOWN_BOUND_S
    with sqlite3.connect(data / "meta.db") as db:  # closed cleanly: the WAL was checkpointed away
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not (data / "meta.db-wal").exists() or (data / "meta.db-wal").stat().st_size == 0
    server = start_server(data)
    try:
        got = client(server).get_object(Bucket="calm", Key="slow")["Body"].read()
        assert got == body
        assert_consistent(data)
    finally:
        server.stop()


def test_sigterm_refuses_new_connections(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    assert server.proc is not None
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=SHUTDOWN_BOUND_S) == 0
    parts = urlsplit(server.endpoint)
    with pytest.raises(OSError):
        socket.create_connection((parts.hostname, parts.port), timeout=2)
