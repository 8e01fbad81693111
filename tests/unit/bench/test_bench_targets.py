"""The issue's targets, computed from cells, and the plan's concurrency levels."""

from __future__ import annotations

import pytest
from bench import report, targets, workloads
from bench.model import MIB, Cell, Plan


def cell(server: str, workload: str, c: int, ops: int, seconds: float = 1.0, **kw: object) -> Cell:
    return Cell(server, workload, c, ops=ops, seconds=seconds, **kw)  # type: ignore[arg-type]


def verdict(cells: list[Cell], name: str) -> targets.Verdict:
    return next(v for v in targets.evaluate(cells) if v.target == name)


def test_ratio_uses_each_servers_peak_over_concurrency() -> None:
    cells = [cell("rucket", "get4k", 1, 900), cell("rucket", "get4k", 64, 3000),
             cell("rclone", "get4k", 1, 1000), cell("rclone", "get4k", 64, 2000)]
    v = verdict(cells, "GET 4 KiB ≥ 1.5x rclone")
    assert (v.verdict, v.detail.split()[0]) == ("PASS", "1.50x")


def test_ratio_ignores_cells_with_errors_or_failures() -> None:
    cells = [cell("rucket", "put4k", 64, 3000, errors=100), cell("rucket", "put4k", 1, 100),
             cell("rclone", "put4k", 1, 100), cell("rclone", "put4k", 16, 0, failed=True)]
    assert verdict(cells, "PUT 4 KiB ≥ 1.5x rclone").verdict == "FAIL"


def test_missing_peer_is_not_applicable() -> None:
    v = verdict([cell("rucket", "head", 1, 100)], "HEAD ≥ 40% of nginx")
    assert (v.verdict, v.detail) == ("n/a", "no nginx result for head")


def test_list_walk_is_scaled_when_the_bucket_is_smaller() -> None:
    walk = cell("rucket", "list", 1, 5, p50_ms=20.0, extra={"keys": 1500.0})
    v = verdict([walk], "LIST 10k full walk ≤ 150 ms")
    assert v.verdict == "PASS" and "scaled from 20 ms for 1500 keys" in v.detail


def test_p99_and_rss_targets() -> None:
    cells = [cell("rucket", "put4k", 64, 500, p99_ms=80.0),
             cell("rucket", "get64m", 4, 10, rss_peak_mib=120.0), cell("rucket", "mpu", 4, 1, rss_peak_mib=260.0)]
    assert verdict(cells, "p99 PUT 4 KiB at c=64 ≤ 50 ms").verdict == "FAIL"
    assert verdict(cells, "RSS < 250 MiB in 64 MiB and multipart transfers").detail == "peak 260 MiB"


@pytest.mark.parametrize(("quick", "group", "levels"), [
    pytest.param(False, "small", (1, 16, 64), id="full-small"),
    pytest.param(False, "large", (1, 16), id="full-large"),
    pytest.param(False, "mpu", (1, 16), id="full-mpu"),
    pytest.param(True, "small", (1, 64), id="quick-small"),
    pytest.param(True, "large", (1, 4), id="quick-large"),
    pytest.param(True, "list", (1,), id="quick-list"),
])
def test_plan_levels(quick: bool, group: str, levels: tuple[int, ...]) -> None:
    assert Plan.make(quick, None, None).levels(group) == levels


def test_quick_plan_is_smaller() -> None:
    quick, full = Plan.make(True, None, None), Plan.make(False, None, None)
    assert quick.mpu_bytes == 128 * MIB < full.mpu_bytes
    assert quick.cell_seconds < full.cell_seconds and quick.budget_seconds < 120


def test_unknown_workload_is_refused() -> None:
    with pytest.raises(SystemExit, match="unknown workloads"):
        workloads.by_name(["put4k", "nope"])


def test_table_shows_ratio_against_rucket() -> None:
    text = report.table([cell("rucket", "put4k", 1, 300), cell("rclone", "put4k", 1, 200)])
    rclone_row = next(line for line in text.splitlines() if "rclone" in line)
    assert "1.50x" in rclone_row
