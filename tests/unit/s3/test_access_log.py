"""The batched request log: same line shapes as the logging handler, out within FLUSH_S."""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from rucket.s3 import access_log
from rucket.s3.access_log import AccessLog


class Clock:
    def __init__(self) -> None:
        self.now = 1_764_000_000.25

    def __call__(self) -> float:
        return self.now


def test_lines_wait_for_the_flush_interval_then_go_out_together() -> None:
    out, clock = io.StringIO(), Clock()
    log = AccessLog(json_lines=False, stream=lambda: out, clock=clock)
    log.record("R1 GET /b/k GetObject 200 0.3ms", {})
    log.record("R2 GET /b/k GetObject 200 0.2ms", {})
    assert out.getvalue() == ""
    clock.now += access_log.FLUSH_S
    log.record("R3 PUT /b/k PutObject 200 1.0ms", {})
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[0].endswith(" INFO rucket.access R1 GET /b/k GetObject 200 0.3ms")
    assert lines[0][19:23] == ",250"  # logging's asctime: milliseconds after a comma


def test_json_lines_carry_the_fields() -> None:
    out = io.StringIO()
    log = AccessLog(json_lines=True, stream=lambda: out, clock=Clock())
    log.record("m", {"request_id": "R1", "status": 200, "key": "ü"})
    log.flush()
    record = json.loads(out.getvalue())
    assert record["logger"] == "rucket.access" and record["level"] == "INFO"
    assert (record["request_id"], record["status"], record["key"], record["message"]) == ("R1", 200, "ü", "m")


def test_a_full_batch_is_written_at_once() -> None:
    out = io.StringIO()
    log = AccessLog(json_lines=False, stream=lambda: out, clock=Clock())
    for i in range(access_log.BATCH):
        log.record(f"R{i}", {})
    assert len(out.getvalue().splitlines()) == access_log.BATCH


def test_background_loop_flushes_quiet_periods_and_on_cancel(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    log = AccessLog(json_lines=False, stream=lambda: out, clock=Clock())
    monkeypatch.setattr(access_log, "FLUSH_S", 0.001)

    async def scenario() -> None:
        task = asyncio.ensure_future(log.run())
        log.record("quiet", {})
        for _ in range(100):
            await asyncio.sleep(0.001)
            if out.getvalue():
                break
        assert "quiet" in out.getvalue()
        log.record("last", {})
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert "last" in out.getvalue()  # shutdown writes what is left

    asyncio.run(scenario())
