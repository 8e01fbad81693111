"""Single node: every key lives in PG 0 on the local device, so the cluster code path exists from day one."""

from __future__ import annotations

from rucket.placement.base import Placement

_LOCAL = Placement(pg=0, devices=("local",))


class SinglePlacement:
    def place(self, bucket: str, key: str) -> Placement:
        return _LOCAL
