"""The request log: one line per request, written in batches.

Through the logging module a request line cost ~25 µs (a LogRecord, the handler lock, a
formatter, a flush per line): a tenth of a small GET. Lines are formatted here in the
same two shapes the configured handler uses (`text`, or one JSON object per line with the
structured fields) and written to the same stream at most every FLUSH_S seconds, when
BATCH lines are waiting, and at shutdown — like nginx's `access_log ... buffer=`. A kill -9
loses at most the last FLUSH_S seconds of lines, never a request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

FLUSH_S = 0.2
BATCH = 256
LOGGER = "rucket.access"


class AccessLog:
    def __init__(self, json_lines: bool, stream: Callable[[], TextIO] = lambda: sys.stderr,
                 clock: Callable[[], float] = time.time) -> None:
        self.json_lines = json_lines
        self._stream, self._clock = stream, clock
        self._lines: list[str] = []
        self._flushed = clock()
        self._second = -1
        self._logger = logging.getLogger(LOGGER)
        self._stamp = ""

    @property
    def enabled(self) -> bool:
        """Follows the level of the `rucket.access` logger, as `--log-level` sets it."""
        return self._logger.isEnabledFor(logging.INFO)

    def record(self, message: str, fields: dict[str, Any]) -> None:
        now = self._clock()
        stamp = self._time(now)
        if self.json_lines:
            line = json.dumps({"time": stamp, "level": "INFO", "logger": LOGGER, "message": message, **fields},
                              ensure_ascii=False)
        else:
            line = f"{stamp} INFO {LOGGER} {message}"
        self._lines.append(line)
        if len(self._lines) >= BATCH or now - self._flushed >= FLUSH_S:
            self.flush()

    def flush(self) -> None:
        self._flushed = self._clock()
        if not self._lines:
            return
        lines, self._lines = self._lines, []
        stream = self._stream()
        stream.write("\n".join(lines) + "\n")
        stream.flush()

    async def run(self) -> None:
        """Background loop (ASGI lifespan): lines of a quiet period are out within FLUSH_S."""
        try:
            while True:
                await asyncio.sleep(FLUSH_S)
                self.flush()
        finally:
            self.flush()

    def _time(self, now: float) -> str:
        """logging's default asctime ("2026-11-25 22:19:24,036"); the date part is formatted once a second."""
        second = int(now)
        if second != self._second:
            self._second, self._stamp = second, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        return f"{self._stamp},{int((now - second) * 1000):03d}"
