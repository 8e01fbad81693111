"""The lifecycle worker's last pass, kept in a small JSON file in the data directory.

With several granian workers only the one holding `lifecycle.lock` runs the passes, while any
worker may answer `GET /_rucket/admin/lifecycle`: a file both can see is the simplest shared state.
It is rewritten atomically (tmp + rename) after every pass; losing it loses only the report.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

STATUS_FILE = "lifecycle-status.json"


class StatusFile:
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / STATUS_FILE

    def write(self, status: dict[str, Any]) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(status))
        os.replace(tmp, self.path)

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {"running": False}
        return data if isinstance(data, dict) else {"running": False}


def record_passes(worker: Any, status: StatusFile, now_ms: Callable[[], int]) -> None:
    """Wrap `worker.run_once` so every pass (and every failed pass) lands in `status`.

    `worker` is an engine `Lifecycle`; its `run_forever` calls `self.run_once`, so wrapping
    the bound method records each pass without changing the engine.
    """
    inner: Callable[[], Awaitable[Any]] = worker.run_once
    passes = 0

    async def run_once() -> Any:
        nonlocal passes
        started, t0 = now_ms(), time.perf_counter()
        out: dict[str, Any] = {"running": True, "pid": os.getpid(), "interval_s": worker.interval_s,
                               "day_ms": worker.day_ms, "last_run_ms": started}
        try:
            report = await inner()
        except Exception as exc:
            out["error"] = f"{type(exc).__name__}: {exc}"
            raise
        else:
            is_record = dataclasses.is_dataclass(report) and not isinstance(report, type)
            out["report"] = dataclasses.asdict(report) if is_record else {}
            return report
        finally:
            passes += 1
            out.update(passes=passes, duration_ms=round((time.perf_counter() - t0) * 1000, 3),
                       next_run_ms=now_ms() + int(worker.interval_s * 1000))
            status.write(out)

    worker.run_once = run_once
