"""The composition root: what build_app wires together (readiness follows the metadata writer)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rucket import config, server


async def _get(app: Any, path: str) -> int:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 1), "scheme": "http"}
    await app(scope, receive, send)
    return int(next(m["status"] for m in sent if m["type"] == "http.response.start"))


def test_ready_is_503_once_the_metadata_writer_is_dead(tmp_path: Path) -> None:
    app = server.build_app(config.load(None, {"data_dir": str(tmp_path)}, env={}))
    meta = app.engine.store.index
    assert asyncio.run(_get(app, "/minio/health/ready")) == 200
    meta._queue.put(None)  # the writer thread ends, as if it had died
    meta._thread.join(5)
    assert not meta.writer_alive()
    assert asyncio.run(_get(app, "/minio/health/ready")) == 503
    assert asyncio.run(_get(app, "/minio/health/live")) == 200  # the process itself still answers
