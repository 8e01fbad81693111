"""The Dockerfile's HEALTHCHECK command, run as written (only the port changed) against real servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rucket.server import free_port
from tests.integration.test_tls import issue, make_ca
from tests.server import ServerProcess, start_server

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def healthcheck(port: int, env: dict[str, str]) -> int:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    line = next(ln for ln in text.splitlines() if ln.startswith("HEALTHCHECK"))
    argv = json.loads(line[line.index("CMD") + 3:].strip())
    assert argv[:2] == ["python", "-c"] and "127.0.0.1:9000/minio/health/live" in argv[2]
    code = argv[2].replace("127.0.0.1:9000", f"127.0.0.1:{port}")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=30).returncode


def _port(server: ServerProcess) -> int:
    return int(server.endpoint.rsplit(":", 1)[1])


def test_healthcheck_passes_on_http_and_https_and_fails_when_down(server: ServerProcess, tmp_path: Path) -> None:
    plain = {k: v for k, v in os.environ.items() if not k.startswith("RUCKET_TLS")}
    assert healthcheck(_port(server), plain) == 0
    pki = make_ca(tmp_path)
    cert, key, _ = issue(pki, tmp_path)
    tls_env = {**plain, "RUCKET_TLS_CERT": str(cert), "RUCKET_TLS_KEY": str(key)}
    secure = start_server(tmp_path / "data", env=tls_env, ca=pki.ca_cert)
    try:
        assert healthcheck(_port(secure), tls_env) == 0
        assert healthcheck(_port(secure), plain) != 0  # plain HTTP against the TLS port
    finally:
        secure.stop()
    assert healthcheck(free_port("127.0.0.1"), plain) != 0
