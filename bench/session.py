"""Runs the workload matrix against one server: prepare, start, seed, measure, stop."""

from __future__ import annotations

import time
import traceback
from pathlib import Path

from bench import s3ops
from bench.ceilings import Disk
from bench.client import Pool
from bench.model import Cell, Plan, ServerStatus
from bench.rss import Sampler
from bench.servers import ProcessServer
from bench.workloads import BUCKET, DISK_WORKLOADS, LIST_BUCKET, Ctx, Workload


def bench_server(server: ProcessServer, status: ServerStatus, plan: Plan, workloads: list[Workload],
                 pool: Pool, deadline: float) -> list[Cell]:
    log = server.workdir / "install.log"
    server.workdir.mkdir(parents=True, exist_ok=True)
    if (reason := server.prepare(log)) is not None:
        status.state, status.reason = "skipped", reason
        return []
    status.version = server.version()
    t0 = time.monotonic()
    try:
        server.start()
        status.start_seconds = time.monotonic() - t0
        ctx = Ctx(server.presigner(), plan, pool, server.workdir, server.s3)
        if server.s3:
            s3ops.create_bucket(ctx.signer, BUCKET)
            s3ops.create_bucket(ctx.signer, LIST_BUCKET)
        chosen = [w for w in workloads if server.s3 or not w.s3_only]
        ctx.delete_cells_left = sum(len(w.levels(plan)) for w in chosen if w.name == "delete")
        cells = _run_cells(server, ctx, chosen, deadline)
        status.state = "ok" if server.alive() else "failed"
        status.reason = "" if server.alive() else f"died during the run: {server.log_tail()}"
        return cells
    except Exception as exc:  # a peer that cannot start is reported, and the run goes on
        status.state, status.reason = "failed", f"{type(exc).__name__}: {exc}"
        return []
    finally:
        server.stop()


def _run_cells(server: ProcessServer, ctx: Ctx, workloads: list[Workload], deadline: float) -> list[Cell]:
    cells: list[Cell] = []
    for w in workloads:
        for c in w.levels(ctx.plan):
            if not server.alive():
                return cells
            if time.monotonic() > deadline:
                cells.append(Cell(server.name, w.name, c, failed=True, note="skipped: time budget"))
                continue
            cells.append(_one_cell(server, ctx, w, c))
            print(f"    {w.name:<7} c={c:<3} {_brief(cells[-1])}", flush=True)
    return cells


def _one_cell(server: ProcessServer, ctx: Ctx, w: Workload, c: int) -> Cell:
    try:
        with Sampler(server.pids) as rss:
            cell = w.run(ctx, c)
        cell.rss_peak_mib = rss.peak_mib
    except Exception as exc:
        detail = traceback.format_exception_only(exc)[-1].strip()
        cell = Cell("", "", c, failed=True, note=detail[:300])
    cell.server, cell.workload, cell.concurrency = server.name, w.name, c
    if not cell.failed and cell.ops == 0:
        cell.failed, cell.note = True, f"no request completed within the {ctx.plan.cell_seconds:g} s time box"
    return cell


def bench_disk(disk: Disk, status: ServerStatus, plan: Plan, workloads: list[Workload]) -> list[Cell]:
    cells = []
    for w in workloads:
        if w.name not in DISK_WORKLOADS:
            continue
        for c in w.levels(plan):
            cell = disk.measure(DISK_WORKLOADS[w.name], c, plan.cell_seconds)
            cell.workload = w.name
            cells.append(cell)
            print(f"    {w.name:<7} c={c:<3} {_brief(cell)}", flush=True)
    status.state, status.version = "ok", f"write+fsync, {disk.data_dir}"
    return cells


def _brief(cell: Cell) -> str:
    if cell.failed:
        return f"FAILED {cell.note}"
    lat = f"p50 {cell.p50_ms:.2f} ms p99 {cell.p99_ms:.2f} ms" if cell.p99_ms is not None else ""
    return f"{cell.ops_per_s:10.1f} ops/s {cell.mb_per_s:9.1f} MB/s {lat} {cell.note}".rstrip()


def workdir_for(root: Path, name: str) -> Path:
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    return path
