"""The workload table: what each cell sends, with which tool, after which seeding.

Small requests go through wrk (HEAD through hey), large ones through the client processes
of `client.Pool`. Every runner returns a `Cell` with the server and workload left blank.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import hey, s3ops, wrk
from bench.client import Pool, to_cell
from bench.model import KIB, MIB, Cell, Plan
from bench.presign import Presigner

BUCKET, LIST_BUCKET = "bench", "bench-list"
ROTATE = 1000  # distinct keys a small-request cell rotates over


@dataclass
class Ctx:
    """What a runner needs about the server under test, plus what earlier cells left behind."""

    signer: Presigner
    plan: Plan
    pool: Pool
    workdir: Path
    s3: bool
    seeded: set[str] = field(default_factory=set)
    list_keys: list[str] = field(default_factory=list)
    delete_cells_left: int = 0

    def wrk(self, lines: list[str], body: int, c: int, seconds: int | None = None, once: bool = False) -> Cell:
        job = wrk.WrkJob(self.signer.base, lines, body, c, seconds or self.plan.cell_seconds, once)
        return wrk.run(job, self.workdir)

    def lines(self, method: str, bucket: str, keys: list[str]) -> list[str]:
        return [f"{method} {self.signer.path_qs(method, f'/{bucket}/{k}')}" for k in keys]


Runner = Callable[[Ctx, int], Cell]


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    size: int
    run: Runner
    group: str = "small"  # small, large, mpu or list: see Plan.levels
    s3_only: bool = False

    def levels(self, plan: Plan) -> tuple[int, ...]:
        return plan.levels(self.group)


# -- seeding -------------------------------------------------------------------------------
def _seed_small(ctx: Ctx) -> list[str]:
    keys = [f"g4k/{i}" for i in range(ctx.plan.seed_small)]
    if "g4k" not in ctx.seeded:
        _populate(ctx, BUCKET, keys, 4 * KIB, ctx.plan.populate_seconds)
        _warm_up(ctx, f"/{BUCKET}/{keys[0]}")
        ctx.seeded.add("g4k")
    return keys


def _warm_up(ctx: Ctx, path: str) -> None:
    """One GET after seeding, so a server's one-time cost (ministack loads lazily) stays out of the cells."""
    session = s3ops.Session(ctx.signer)
    try:
        session.call("GET", path)
    finally:
        session.close()


def _populate(ctx: Ctx, bucket: str, keys: list[str], size: int, cap: int) -> int:
    cell = ctx.wrk(ctx.lines("PUT", bucket, keys), size, 64, seconds=cap, once=True)
    if cell.errors > len(keys) // 100 or cell.ops < len(keys):
        raise RuntimeError(f"seeding {bucket}: {cell.ops}/{len(keys)} PUTs in {cap}s, {cell.errors} errors")
    return cell.ops


def _seed_bulk(ctx: Ctx, tag: str, size: int, count: int) -> list[str]:
    urls = [ctx.signer.url("GET", f"/{BUCKET}/{tag}/{i}") for i in range(count)]
    if tag not in ctx.seeded:
        puts = [ctx.signer.url("PUT", f"/{BUCKET}/{tag}/{i}") for i in range(count)]
        done = ctx.pool.run("PUT", puts, size, min(count, 4), ctx.plan.transfer_cap_seconds, once=True)
        if done.ops != count:
            raise RuntimeError(f"seeding {tag}: {done.ops}/{count} PUTs, {done.first_error}")
        ctx.seeded.add(tag)
    return urls


def _ensure_list(ctx: Ctx) -> None:
    if "list" in ctx.seeded:
        return
    keys = [f"k/{i:06d}" for i in range(ctx.plan.list_keys)]  # the listing order
    cell = ctx.wrk(ctx.lines("PUT", LIST_BUCKET, keys), 16, 64, seconds=ctx.plan.populate_seconds, once=True)
    ctx.list_keys = keys[: cell.ops] if cell.ops < len(keys) else keys
    ctx.seeded.add("list")


# -- runners -------------------------------------------------------------------------------
def put_small(ctx: Ctx, c: int) -> Cell:
    cell = ctx.wrk(ctx.lines("PUT", BUCKET, [f"p4k/{i}" for i in range(ROTATE)]), 4 * KIB, c)
    cell.payload_bytes = cell.ops * 4 * KIB
    return cell


def get_small(ctx: Ctx, c: int) -> Cell:
    cell = ctx.wrk(ctx.lines("GET", BUCKET, _seed_small(ctx)), 0, c)
    cell.payload_bytes = cell.ops * 4 * KIB
    return cell


def head(ctx: Ctx, c: int) -> Cell:
    key = _seed_small(ctx)[0]
    return hey.run(ctx.signer.url("HEAD", f"/{BUCKET}/{key}"), "HEAD", c, ctx.plan.cell_seconds)


def mixed(ctx: Ctx, c: int) -> Cell:
    keys, rng = _seed_small(ctx), random.Random(70)
    lines = [f"GET {ctx.signer.path_qs('GET', f'/{BUCKET}/{keys[i % len(keys)]}')}" if rng.random() < 0.7
             else f"PUT {ctx.signer.path_qs('PUT', f'/{BUCKET}/mx/{i}')}" for i in range(ROTATE)]
    cell = ctx.wrk(lines, 4 * KIB, c)
    cell.payload_bytes = cell.ops * 4 * KIB
    return cell


def delete(ctx: Ctx, c: int) -> Cell:
    """Each delete cell takes its own share of the LIST bucket's keys and deletes each once."""
    _ensure_list(ctx)
    share = len(ctx.list_keys) // max(ctx.delete_cells_left, 1)
    keys, ctx.list_keys = ctx.list_keys[:share], ctx.list_keys[share:]
    ctx.delete_cells_left -= 1
    if not keys:
        raise RuntimeError("no keys left to delete")
    cell = ctx.wrk(ctx.lines("DELETE", LIST_BUCKET, keys), 0, c, once=True)
    cell.note = (cell.note + f" {len(keys)} keys").strip()
    return cell


def list_walk(ctx: Ctx, c: int) -> Cell:
    """Full paginated walk of the LIST bucket, repeated for the time box; one row per walk."""
    _ensure_list(ctx)
    session, walks = s3ops.Session(ctx.signer), list[s3ops.Walk]()
    try:
        spent = 0.0
        while not walks or (spent < ctx.plan.cell_seconds and len(walks) < 100):
            walks.append(s3ops.list_walk(session, LIST_BUCKET))
            spent += walks[-1].seconds
    finally:
        session.close()
    times = sorted(w.seconds * 1000 for w in walks)
    pages = sorted(p for w in walks for p in w.page_ms)
    return Cell("", "", 1, ops=len(walks), seconds=spent, p50_ms=times[len(times) // 2],
                p99_ms=times[min(len(times) - 1, int(len(times) * 0.99))], tool="python http.client",
                note=f"{walks[0].keys} keys, {len(walks[0].page_ms)} pages", extra={
                    "keys": walks[0].keys, "page_p50_ms": pages[len(pages) // 2]})


def bulk_put(size: int, tag: str) -> Runner:
    def run(ctx: Ctx, c: int) -> Cell:
        urls = [ctx.signer.url("PUT", f"/{BUCKET}/{tag}/{i}") for i in range(c)]
        return to_cell(ctx.pool.run("PUT", urls, size, c, ctx.plan.cell_seconds), c)
    return run


def bulk_get(size: int, tag: str, objects: int) -> Runner:
    """GETs rotate over `objects` seeded objects, whatever the concurrency."""
    def run(ctx: Ctx, c: int) -> Cell:
        urls = _seed_bulk(ctx, tag, size, objects or ctx.plan.seed_large)
        return to_cell(ctx.pool.run("GET", urls, size, c, ctx.plan.cell_seconds), c)
    return run


def multipart(ctx: Ctx, c: int) -> Cell:
    plan = ctx.plan
    up = s3ops.multipart(ctx.signer, ctx.pool, BUCKET, f"mpu/{c}", plan.mpu_bytes, plan.part_bytes, c,
                         plan.transfer_cap_seconds)
    cell = to_cell(up.result, c)
    cell.ops, cell.seconds = int(up.complete), up.seconds
    cell.note = f"{plan.mpu_bytes // MIB} MiB in {plan.mpu_bytes // plan.part_bytes} parts; p50/p99 per part"
    if not up.complete:
        cell.note, cell.errors = f"incomplete: {up.error}", max(cell.errors, 1)
    return cell


WORKLOADS: tuple[Workload, ...] = (
    Workload("put4k", "PUT 4 KiB", 4 * KIB, put_small),
    Workload("get4k", "GET 4 KiB", 4 * KIB, get_small),
    Workload("head", "HEAD", 0, head),
    Workload("mixed", "70/30 GET/PUT 4 KiB", 4 * KIB, mixed),
    Workload("put1m", "PUT 1 MiB", MIB, bulk_put(MIB, "p1m")),
    Workload("get1m", "GET 1 MiB", MIB, bulk_get(MIB, "g1m", 16)),
    Workload("put64m", "PUT 64 MiB", 64 * MIB, bulk_put(64 * MIB, "p64m"), "large"),
    Workload("get64m", "GET 64 MiB", 64 * MIB, bulk_get(64 * MIB, "g64m", 0), "large"),
    Workload("mpu", "multipart upload", 0, multipart, "mpu", s3_only=True),
    Workload("list", "LIST walk", 0, list_walk, "list", s3_only=True),
    Workload("delete", "DELETE", 0, delete),
)
DISK_WORKLOADS = {"put4k": 4 * KIB, "put1m": MIB, "put64m": 64 * MIB}


def by_name(names: list[str] | None) -> list[Workload]:
    if not names:
        return list(WORKLOADS)
    known = {w.name: w for w in WORKLOADS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown workloads {unknown}; choose from {', '.join(known)}")
    return [w for w in WORKLOADS if w.name in names]
