"""Hybrid logical clock and the injectable wall clock everything time-dependent reads.

Every write carries an HLC timestamp so that, later, regions can order concurrent writes
(last-writer-wins by (HLC, region)) even when their wall clocks drift. Packing into one
64-bit integer (48-bit ms, 16-bit logical) keeps it sortable and cheap to store.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

LOGICAL_BITS = 16
LOGICAL_MASK = (1 << LOGICAL_BITS) - 1
MAX_PHYSICAL = (1 << 48) - 1


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


@dataclass
class FakeClock:
    """A clock tests move by hand, so lifecycle and lock expiry run in milliseconds."""

    ms: int = 1_700_000_000_000

    def now_ms(self) -> int:
        return self.ms

    def advance(self, *, days: int = 0, seconds: float = 0) -> None:
        self.ms += days * 86_400_000 + int(seconds * 1000)


def pack(physical_ms: int, logical: int) -> int:
    if not 0 <= physical_ms <= MAX_PHYSICAL or not 0 <= logical <= LOGICAL_MASK:
        raise ValueError("HLC component out of range")
    return (physical_ms << LOGICAL_BITS) | logical


def unpack(ts: int) -> tuple[int, int]:
    return ts >> LOGICAL_BITS, ts & LOGICAL_MASK


class ClockSkewError(Exception):
    """A remote timestamp is further ahead of us than we are willing to follow."""


class HLC:
    """Monotonic across calls and threads, even when the wall clock steps back."""

    def __init__(self, clock: Clock, max_skew_ms: int = 500) -> None:
        self._clock = clock
        self._max_skew_ms = max_skew_ms
        self._last = 0
        self._lock = threading.Lock()

    def now(self) -> int:
        with self._lock:
            wall = self._clock.now_ms()
            phys, logical = unpack(self._last)
            self._last = pack(wall, 0) if wall > phys else self._bump(phys, logical)
            return self._last

    def update(self, remote: int) -> int:
        """Merge a timestamp received from another node; refuse one from too far ahead."""
        with self._lock:
            wall = self._clock.now_ms()
            r_phys, r_log = unpack(remote)
            if r_phys - wall > self._max_skew_ms:
                raise ClockSkewError(f"remote clock {r_phys - wall} ms ahead")
            l_phys, l_log = unpack(self._last)
            phys = max(wall, l_phys, r_phys)
            if phys == l_phys == r_phys:
                logical = max(l_log, r_log) + 1
            elif phys == l_phys:
                logical = l_log + 1
            elif phys == r_phys:
                logical = r_log + 1
            else:
                logical = 0
            self._last = pack(phys + 1, 0) if logical > LOGICAL_MASK else pack(phys, logical)
            return self._last

    def seed(self, stored: int) -> None:
        """Never issue a timestamp at or below `stored` (the largest HLC on disk, or one another
        process of this node just committed): one clock per node, not per process or per start."""
        with self._lock:
            self._last = max(self._last, stored)

    def after(self, previous: int) -> int:
        """A timestamp for a new version of a key whose newest version has `previous`:
        max(now, previous + 1), so a key's HLCs strictly increase whatever the wall clock does."""
        with self._lock:
            self._last = max(self._last, previous)
        return self.now()

    @staticmethod
    def _bump(phys: int, logical: int) -> int:
        return pack(phys + 1, 0) if logical >= LOGICAL_MASK else pack(phys, logical + 1)
