"""The issue's performance targets as a table, each checked against one run's cells.

Throughput comparisons use each server's best cell over the concurrency levels (its peak);
cells that failed or had more than 1 % errors do not count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.model import Cell

SUBJECT = "rucket"


@dataclass(frozen=True)
class Verdict:
    target: str
    verdict: str  # PASS, FAIL or n/a
    detail: str


Check = Callable[[Sequence[Cell]], tuple[bool | None, str]]


def _good(cells: Sequence[Cell], server: str, workload: str) -> list[Cell]:
    return [c for c in cells if c.server == server and c.workload == workload and not c.failed
            and c.ops > 0 and c.errors <= c.ops * 0.01]


def _peak(cells: Sequence[Cell], server: str, workload: str, mb: bool) -> float | None:
    good = _good(cells, server, workload)
    return max((c.mb_per_s if mb else c.ops_per_s) for c in good) if good else None


def ratio(workload: str, peer: str, at_least: float, mb: bool = False) -> Check:
    def check(cells: Sequence[Cell]) -> tuple[bool | None, str]:
        ours, theirs = _peak(cells, SUBJECT, workload, mb), _peak(cells, peer, workload, mb)
        if ours is None or not theirs:
            return None, f"no {SUBJECT if ours is None else peer} result for {workload}"
        unit = "MB/s" if mb else "ops/s"
        return ours / theirs >= at_least, f"{ours / theirs:.2f}x ({ours:,.0f} vs {theirs:,.0f} {unit})"
    return check


def absolute_mb(workload: str, at_least: float) -> Check:
    def check(cells: Sequence[Cell]) -> tuple[bool | None, str]:
        ours = _peak(cells, SUBJECT, workload, True)
        return (None, f"no result for {workload}") if ours is None else (ours >= at_least, f"{ours:,.0f} MB/s")
    return check


def list_walk(max_ms: float, keys: int) -> Check:
    def check(cells: Sequence[Cell]) -> tuple[bool | None, str]:
        good = _good(cells, SUBJECT, "list")
        if not good or good[0].p50_ms is None:
            return None, "no LIST result"
        walked, ms = int(good[0].extra.get("keys", 0)), good[0].p50_ms
        if not walked:
            return None, "the LIST bucket was empty"
        if walked == keys:
            return ms <= max_ms, f"{ms:.0f} ms (median walk)"
        scaled = ms * keys / walked  # quick mode lists fewer keys; a walk is linear in the keys
        return scaled <= max_ms, f"{scaled:.0f} ms (scaled from {ms:.0f} ms for {walked} keys)"
    return check


def p99(workload: str, concurrency: int, max_ms: float) -> Check:
    def check(cells: Sequence[Cell]) -> tuple[bool | None, str]:
        good = [c for c in _good(cells, SUBJECT, workload) if c.concurrency == concurrency]
        if not good or good[0].p99_ms is None:
            return None, f"no {workload} c={concurrency} result"
        return good[0].p99_ms <= max_ms, f"{good[0].p99_ms:.1f} ms"
    return check


def rss_below(workloads: tuple[str, ...], max_mib: float) -> Check:
    def check(cells: Sequence[Cell]) -> tuple[bool | None, str]:
        seen = [c.rss_peak_mib for c in cells if c.server == SUBJECT and c.workload in workloads
                and c.rss_peak_mib is not None and not c.failed]
        if not seen:
            return None, "no large-transfer result"
        return max(seen) < max_mib, f"peak {max(seen):.0f} MiB"
    return check


TARGETS: tuple[tuple[str, Check], ...] = (
    ("GET 4 KiB ≥ 1.5x rclone", ratio("get4k", "rclone", 1.5)),
    ("GET 4 KiB ≥ 40% of nginx", ratio("get4k", "nginx", 0.4)),
    ("HEAD ≥ 1.5x rclone", ratio("head", "rclone", 1.5)),
    ("HEAD ≥ 40% of nginx", ratio("head", "nginx", 0.4)),
    ("PUT 4 KiB ≥ 1.5x rclone", ratio("put4k", "rclone", 1.5)),
    ("GET 64 MiB ≥ 1 GB/s", absolute_mb("get64m", 1000.0)),
    ("GET 64 MiB ≥ 2x rclone", ratio("get64m", "rclone", 2.0, mb=True)),
    ("PUT 64 MiB ≥ 2x rclone", ratio("put64m", "rclone", 2.0, mb=True)),
    ("PUT 64 MiB ≥ 60% of raw disk", ratio("put64m", "disk", 0.6, mb=True)),
    ("LIST 10k full walk ≤ 150 ms", list_walk(150.0, 10_000)),
    ("p99 PUT 4 KiB at c=64 ≤ 50 ms", p99("put4k", 64, 50.0)),
    ("RSS < 250 MiB in 64 MiB and multipart transfers", rss_below(("put64m", "get64m", "mpu"), 250.0)),
)


def evaluate(cells: Sequence[Cell]) -> list[Verdict]:
    verdicts = []
    for name, check in TARGETS:
        ok, detail = check(cells)
        verdicts.append(Verdict(name, "n/a" if ok is None else ("PASS" if ok else "FAIL"), detail))
    return verdicts
