"""Small requests through wrk: a Lua script rotates over a list of presigned URLs."""

from __future__ import annotations

import itertools
import json
import math
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.model import Cell

LUA = Path(__file__).resolve().parent / "rotate.lua"
_files = itertools.count()


@dataclass(frozen=True)
class WrkJob:
    base: str  # http://127.0.0.1:PORT
    lines: list[str]  # "METHOD /path?query", one request each
    body_size: int
    connections: int
    seconds: float  # time box; in once mode the cap
    once: bool = False  # send every line exactly once, then stop


def threads_for(connections: int) -> int:
    return 1 if connections < 4 else 2  # 2 cores: wrk never needs more than one each


def run(job: WrkJob, workdir: Path) -> Cell:
    threads = threads_for(job.connections)
    if job.once and len(job.lines) < threads:
        threads = 1
    listing = workdir / f"wrk-{next(_files)}.txt"
    listing.write_text("\n".join(job.lines) + "\n")
    env = {**os.environ, "BENCH_WRK_LIST": str(listing), "BENCH_WRK_BODY": str(job.body_size),
           "BENCH_WRK_THREADS": str(threads), "BENCH_WRK_ONCE": "1" if job.once else "0"}
    backstop = math.ceil(job.seconds) + (0 if job.once else 5)  # wrk's -d takes whole seconds only
    cmd = ["wrk", "-t", str(threads), "-c", str(max(job.connections, threads)), "-d", f"{backstop}s",
           "--timeout", "10s", "-s", str(LUA), job.base + "/"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        if job.once:
            _stop_when_exhausted(proc, threads)
        else:
            time.sleep(job.seconds)
            _interrupt(proc)
        out, err = proc.communicate(timeout=backstop + 60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        listing.unlink(missing_ok=True)
    cell = _parse(out, err, job.connections)
    if job.once:  # a connection may still repeat the last line when two race for it
        cell.ops = min(cell.ops, len(job.lines))
    return cell


def _stop_when_exhausted(proc: subprocess.Popen[str], threads: int) -> None:
    """Read stderr until every thread said "exhausted", then SIGINT wrk until it ends."""
    assert proc.stderr is not None
    seen = 0
    for line in proc.stderr:
        seen += line.strip() == "exhausted"
        if seen >= threads:
            break
    else:
        return
    _interrupt(proc)


def _interrupt(proc: subprocess.Popen[str]) -> None:
    """SIGINT makes wrk stop and report; repeat it, as it may land on a thread that is exiting."""
    for _ in range(200):
        if proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(0.05)
        except subprocess.TimeoutExpired:
            continue


def _parse(out: str, err: str, connections: int) -> Cell:
    line = next((x for x in reversed(out.splitlines()) if x.startswith("{")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {(err or out).strip()[-400:]}")
    r = json.loads(line)
    errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    return Cell("", "", connections, ops=r["requests"], seconds=r["duration_us"] / 1e6,
                p50_ms=r["p50_us"] / 1000, p99_ms=r["p99_us"] / 1000, errors=errors, tool="wrk",
                note=_error_note(r))


def _error_note(r: dict[str, int]) -> str:
    parts = [f"{k} {r[k]}" for k in ("status", "timeout", "connect", "read", "write") if r[k]]
    return ("errors: " + ", ".join(parts)) if parts else ""
