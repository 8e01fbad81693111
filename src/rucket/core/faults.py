"""Fault points for crash tests: `RUCKET_FAULTPOINT=name` makes the process die right there.

`os._exit` skips every cleanup handler, which is what `kill -9` at that instant would do,
so the crash suite can prove recovery at each step of a write without timing luck.
"""

from __future__ import annotations

import os

_ACTIVE = ""


def arm() -> None:
    """Called by each serving worker once it is up: start-up work (recovery, user bootstrap)
    must not trip the fault meant for a request."""
    global _ACTIVE
    _ACTIVE = os.environ.get("RUCKET_FAULTPOINT", "")


def point(name: str) -> None:
    if _ACTIVE and name == _ACTIVE:
        os._exit(137)
