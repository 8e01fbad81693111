"""One table for the terminal, the targets list, and the JSON file in bench/results/."""

from __future__ import annotations

import json
import platform
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench.model import Cell, ServerStatus
from bench.targets import SUBJECT, Verdict
from bench.workloads import WORKLOADS

SERVER_ORDER = ("rucket", "rclone", "ministack", "moto", "nginx", "disk")
RESULTS = Path(__file__).resolve().parent / "results"
_HEAD = (f"{'workload':<20} {'c':>3}  {'server':<10}{'ops/s':>10}{'MB/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
         f"{'RSS MiB':>9}{'err':>6}{'rucket/x':>10}  tool / note")


def _num(x: float | None, width: int, digits: int = 1) -> str:
    if x is None:
        return f"{'-':>{width}}"
    return f"{x:>{width},.0f}" if abs(x) >= 1000 else f"{x:>{width}.{digits}f}"


def _ratio(cell: Cell, ours: Cell | None) -> str:
    if cell.server == SUBJECT or ours is None or ours.failed or cell.failed or not cell.ops_per_s:
        return f"{'':>10}"
    return f"{ours.ops_per_s / cell.ops_per_s:>9.2f}x"


def _row(cell: Cell, label: str, ours: Cell | None) -> str:
    if cell.failed:
        return f"{label}{cell.server:<10}{'FAILED':>10}  {cell.note}"
    return (f"{label}{cell.server:<10}{_num(cell.ops_per_s, 10)}{_num(cell.mb_per_s, 9)}"
            f"{_num(cell.p50_ms, 9, 2)}{_num(cell.p99_ms, 9, 2)}{_num(cell.rss_peak_mib, 9, 0)}"
            f"{cell.errors:>6}{_ratio(cell, ours)}  {cell.tool}{'; ' + cell.note if cell.note else ''}")


def table(cells: Sequence[Cell]) -> str:
    lines = [_HEAD, "-" * len(_HEAD)]
    titles = {w.name: w.title for w in WORKLOADS}
    order = {name: i for i, name in enumerate(SERVER_ORDER)}
    groups: dict[tuple[int, int], list[Cell]] = {}
    for cell in cells:
        key = (list(titles).index(cell.workload), cell.concurrency)
        groups.setdefault(key, []).append(cell)
    for (_wi, c), group in sorted(groups.items()):
        group.sort(key=lambda x: order.get(x.server, 99))
        ours = next((x for x in group if x.server == SUBJECT), None)
        for i, cell in enumerate(group):
            label = f"{titles[cell.workload]:<20} {c:>3}  " if i == 0 else " " * 26
            lines.append(_row(cell, label, ours))
    return "\n".join(lines)


def headroom(cells: Sequence[Cell]) -> str:
    """The generator check: what the same generator and URL lists got out of nginx."""
    parts = []
    for w in WORKLOADS:
        best: dict[str, float] = {}
        for c in cells:
            if c.workload == w.name and not c.failed and c.ops:
                best[c.server] = max(best.get(c.server, 0.0), c.ops_per_s)
        s3 = max((v for k, v in best.items() if k not in ("nginx", "disk")), default=0.0)
        if "nginx" in best and s3:
            parts.append(f"{w.name} {best['nginx']:,.0f} ({best['nginx'] / s3:.1f}x)")
    if not parts:
        return ""
    return ("load generator check: nginx peak ops/s with the same generator and URL lists, and its multiple "
            "of the best S3 server's peak\n  " + ", ".join(parts) +
            "\n  (nginx PUTs write a temp file and rename it, so the GET/HEAD/DELETE rows show the generator's reach)")


def servers(statuses: Sequence[ServerStatus]) -> str:
    lines = ["servers:"]
    for s in statuses:
        start = f", ready in {s.start_seconds:.1f}s" if s.start_seconds else ""
        start += f", {s.wall_seconds:.0f}s in all" if s.wall_seconds else ""
        why = f" — {s.reason}" if s.reason else ""
        lines.append(f"  {s.name:<10} {s.role:<8} {s.state:<8} {s.version}{start}{why}")
    return "\n".join(lines)


def targets(verdicts: Sequence[Verdict]) -> str:
    lines = ["targets (Rucket, peak over concurrency levels):"]
    lines += [f"  [{v.verdict:^4}] {v.target:<50} {v.detail}" for v in verdicts]
    return "\n".join(lines)


def write_json(meta: dict[str, object], statuses: Sequence[ServerStatus], cells: Sequence[Cell],
               verdicts: Sequence[Verdict], extra: dict[str, object] | None = None) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{stamp}.json"
    doc = {"meta": {**meta, "timestamp": stamp, "host": platform.node(), "python": platform.python_version()},
           "servers": [asdict(s) for s in statuses],
           "cells": [asdict(c) | {"ops_per_s": c.ops_per_s, "mb_per_s": c.mb_per_s} for c in cells],
           "targets": [asdict(v) for v in verdicts], **(extra or {})}
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    return path
