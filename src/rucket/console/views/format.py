"""Template filters: sizes and times as people read them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def size(n: Any) -> str:
    if n is None or n == "":
        return "—"
    value = float(n)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(n)


def when(ms: Any) -> str:
    if not ms:
        return "—"
    return dt.datetime.fromtimestamp(int(ms) / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def s3_time(text: str) -> str:
    """ISO 8601 from an S3 listing (2024-01-02T03:04:05.000Z) → the same form as `when`."""
    return text.replace("T", " ").split(".")[0].rstrip("Z") + " UTC" if text else "—"


FILTERS: dict[str, Callable[..., str]] = {"size": size, "when": when, "s3time": s3_time}
