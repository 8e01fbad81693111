"""Placement: which placement group and devices hold a key. Deterministic by design."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Placement:
    pg: int
    devices: tuple[str, ...]


class Placer(Protocol):
    def place(self, bucket: str, key: str) -> Placement: ...
