"""HEAD requests through hey: wrk's parser waits for a HEAD response's body and hangs."""

from __future__ import annotations

import re
import subprocess
from typing import NoReturn

from bench.model import Cell

_PCT = re.compile(r"^\s*(\d+)% in ([\d.]+) secs", re.M)
_STATUS = re.compile(r"^\s*\[(\d+)\]\s+(\d+) responses", re.M)
_TOTAL = re.compile(r"Total:\s+([\d.]+) secs")


def run(url: str, method: str, connections: int, seconds: float) -> Cell:
    cmd = ["hey", "-m", method, "-c", str(connections), "-z", f"{seconds:g}s", "-t", "10",
           "-disable-compression", url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    return parse(done.stdout, connections) if done.returncode == 0 else _failed(done.stderr or done.stdout)


def parse(out: str, connections: int) -> Cell:
    total, statuses = _TOTAL.search(out), {int(k): int(v) for k, v in _STATUS.findall(out)}
    if total is None or not statuses:
        return _failed(out)
    pct = {int(k): float(v) * 1000 for k, v in _PCT.findall(out)}
    ok = sum(n for code, n in statuses.items() if code < 400)
    errors = sum(statuses.values()) - ok + _error_count(out)
    note = "" if not errors else "errors: " + ", ".join(f"{c} {n}" for c, n in statuses.items() if c >= 400)
    return Cell("", "", connections, ops=sum(statuses.values()), seconds=float(total.group(1)),
                p50_ms=pct.get(50), p99_ms=pct.get(99), errors=errors, tool="hey", note=note)


def _error_count(out: str) -> int:
    section = out.split("Error distribution:", 1)
    return sum(int(n) for n in re.findall(r"^\s*\[(\d+)\]", section[1], re.M)) if len(section) == 2 else 0


def _failed(text: str) -> NoReturn:
    raise RuntimeError(f"hey failed: {text.strip()[-300:]}")
