"""The lifecycle status file: every pass (and every failed pass) is recorded for GET /admin/lifecycle."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest

from rucket.admin.status import StatusFile, record_passes


@dataclass
class Report:
    expired: int = 0


class FakeWorker:
    interval_s = 30.0
    day_ms = 1000

    def __init__(self) -> None:
        self.fail = False

    async def run_once(self) -> Report:
        if self.fail:
            raise RuntimeError("disk on fire")
        return Report(expired=2)


def test_no_pass_yet_reads_as_not_running(tmp_path: Path) -> None:
    assert StatusFile(tmp_path).read() == {"running": False}
    (tmp_path / "lifecycle-status.json").write_text("{broken")
    assert StatusFile(tmp_path).read() == {"running": False}


def test_passes_and_failures_are_recorded(tmp_path: Path) -> None:
    now = iter(range(1_000, 100_000, 500))
    worker, status = FakeWorker(), StatusFile(tmp_path)
    record_passes(worker, status, lambda: next(now))
    assert asyncio.run(worker.run_once()) == Report(expired=2)  # the wrapper returns the engine's report
    first = status.read()
    assert first["running"] and first["passes"] == 1 and first["report"] == {"expired": 2}
    assert first["next_run_ms"] == first["last_run_ms"] + 500 + 30_000
    worker.fail = True
    with pytest.raises(RuntimeError):
        asyncio.run(worker.run_once())
    second = status.read()
    assert second["passes"] == 2 and second["error"] == "RuntimeError: disk on fire" and "report" not in second
