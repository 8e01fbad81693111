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


def duration(seconds: Any) -> str:
    """Uptime as people say it: 3d 4h, 2h 5m, 4m 10s, 12s."""
    s = int(float(seconds or 0))
    d, h, m = s // 86400, s % 86400 // 3600, s % 3600 // 60
    parts = [(d, "d"), (h, "h"), (m, "m"), (s % 60, "s")]
    first = next((i for i, (n, _) in enumerate(parts) if n), 3)
    return " ".join(f"{n}{unit}" for n, unit in parts[first:first + 2])


FILTERS: dict[str, Callable[..., str]] = {"size": size, "when": when, "s3time": s3_time, "duration": duration}
