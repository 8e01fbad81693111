"""Failure throttling: N failures of one key (a client address, an access key) within a window.

Used against password guessing on the console login and against floods of bad SigV4
signatures. Failures age out of the window (no permanent lockout); memory is bounded by
evicting the key that failed least recently. Time comes from an injected millisecond clock.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    failures: int  # allowed within the window; 0 disables throttling
    window_ms: int


class FailureThrottle:
    def __init__(self, limit: Limit, now_ms: Callable[[], int], max_keys: int = 10_000) -> None:
        self.limit, self._now, self._max = limit, now_ms, max_keys
        self._fails: OrderedDict[str, deque[int]] = OrderedDict()

    def _recent(self, key: str, now: int) -> deque[int] | None:
        times = self._fails.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.limit.window_ms:
            times.popleft()
        if not times:
            del self._fails[key]
            return None
        return times

    def blocked(self, keys: Iterable[str]) -> int:
        """0 when every key may try again, else the seconds until the first of them may (Retry-After)."""
        if self.limit.failures <= 0:
            return 0
        now, wait = self._now(), 0
        for key in keys:
            times = self._recent(key, now)
            if times is not None and len(times) >= self.limit.failures:
                wait = max(wait, -(-(times[0] + self.limit.window_ms - now) // 1000))
        return wait

    def fail(self, keys: Iterable[str]) -> None:
        if self.limit.failures <= 0:
            return
        now = self._now()
        for key in keys:
            times = self._recent(key, now) or deque(maxlen=self.limit.failures)
            times.append(now)
            self._fails[key] = times
            self._fails.move_to_end(key)
        while len(self._fails) > self._max:
            self._fails.popitem(last=False)
