"""Read-through caches that are exact because one writer thread owns every commit.

With one worker process, every change to the database goes through this process's writer
thread, so the writer knows the moment a cached read may have gone stale: it bumps the
cache's generation right after COMMIT, before it acknowledges any request of the batch.
Every entry carries the generation it was read under and counts only while that is still
current, which closes the race a plain "clear on commit" has (a reader that checked the
generation, lost the GIL to the writer's clear, then stored its stale value into the fresh
dict). With several worker processes the other processes' commits are invisible here, so
the server turns these caches off.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
MISS = object()


class Snapshot(Generic[V]):
    """Values read at the current generation; `bump()` (writer thread, after COMMIT) drops them all."""

    def __init__(self, enabled: bool, limit: int = 8192, cost: Callable[[V], int] = lambda v: 1,
                 budget: int = 1 << 62) -> None:
        self.enabled = enabled
        self.gen = 0
        self._limit, self._cost, self._budget = limit, cost, budget
        self._spent = 0
        self._entries: dict[Hashable, tuple[int, V]] = {}

    def get(self, key: Hashable) -> V | object:
        """The cached value, or MISS. Readers call `self.gen` first and hand it to `put`."""
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] == self.gen else MISS

    def put(self, key: Hashable, gen: int, value: V) -> None:
        """Keeps `value` if nothing committed since the reader took `gen` (else it may be stale)."""
        if not self.enabled or gen != self.gen:
            return
        cost = self._cost(value)
        if len(self._entries) >= self._limit or self._spent + cost > self._budget:
            self._entries, self._spent = {}, 0  # bounded memory: start over rather than track recency
        self._entries[key] = (gen, value)
        self._spent += cost

    def bump(self) -> None:
        self.gen += 1
        self._entries, self._spent = {}, 0
