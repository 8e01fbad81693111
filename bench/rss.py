"""Peak resident memory of a server's process group, sampled from /proc while a cell runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class Sampler:
    """`with Sampler(server.pids) as s: ...` then `s.peak_mib`: summed VmRSS, every 50 ms."""

    def __init__(self, pids: Callable[[], list[int]], interval: float = 0.05) -> None:
        self._pids, self._interval = pids, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.peak_kib = 0

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        self._sample(self._pids())

    def _run(self) -> None:
        pids, tick = self._pids(), 0
        self._sample(pids)
        while not self._stop.wait(self._interval):
            tick += 1
            if tick % 20 == 0:  # re-read the group once a second: servers may fork workers
                pids = self._pids()
            self._sample(pids)

    def _sample(self, pids: list[int]) -> None:
        self.peak_kib = max(self.peak_kib, sum(rss_kib(p) for p in pids))
