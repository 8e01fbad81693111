"""Fault points for crash tests: `RUCKET_FAULTPOINT=name` makes the process die right there.

`os._exit` skips every cleanup handler, which is what `kill -9` at that instant would do,
so the crash suite can prove recovery at each step of a write without timing luck.

`RUCKET_FAULTPOINT=name:raise` instead raises `InjectedFault` the first time the point is
reached (then disarms): the process lives on, so a test can prove that a failure at that step
(a full disk, an I/O error) is answered as an error and the next request still works.
"""

from __future__ import annotations

import os

RAISE = ":raise"
_ACTIVE = ""


class InjectedFault(RuntimeError):
    """Raised at an armed `name:raise` fault point; stands for any unexpected failure there."""


def arm(spec: str | None = None) -> None:
    """Called by each serving worker once it is up: start-up work (recovery, user bootstrap)
    must not trip the fault meant for a request. Tests in one process pass `spec` directly."""
    global _ACTIVE
    _ACTIVE = os.environ.get("RUCKET_FAULTPOINT", "") if spec is None else spec


def point(name: str) -> None:
    global _ACTIVE
    if not _ACTIVE:
        return
    if name == _ACTIVE:
        os._exit(137)
    if name + RAISE == _ACTIVE:
        _ACTIVE = ""
        raise InjectedFault(f"fault injected at {name}")
