"""The scale run (`--scale N`): N small objects in one bucket, per S3 server.

Fills the bucket in batches of 10 000 through wrk (c=64, each key once) until N keys or the
time cap, and reports the PUT rate of the first and the last batch, the latency of one
1000-key LIST page at 10 000 keys and at the end, and the data directory's size per object.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import s3ops, wrk
from bench.model import KIB
from bench.report import RESULTS
from bench.rss import rss_kib
from bench.servers import ProcessServer

BUCKET, BATCH, OBJECT, SAMPLES = "bench-scale", 10_000, KIB, 20


@dataclass
class ScaleResult:
    server: str
    keys: int = 0
    put_first: float = 0.0  # PUT/s of the first batch
    put_last: float = 0.0
    page_ms_10k: float | None = None  # median of SAMPLES single-page LISTs
    page_ms_end: float | None = None
    disk_bytes: int = 0
    rss_mib: float = 0.0
    seconds: float = 0.0
    error: str = ""

    @property
    def bytes_per_object(self) -> float:
        return self.disk_bytes / self.keys if self.keys else 0.0


def page_latency(server: ProcessServer, keys: int) -> float:
    session, rng, times = s3ops.Session(server.presigner()), random.Random(keys), []
    try:
        for _ in range(SAMPLES):
            start = f"s/{rng.randrange(max(keys - 1000, 1)):08d}"
            times.append(s3ops.list_walk(session, BUCKET, start_after=start, max_pages=1).page_ms[0])
    finally:
        session.close()
    return sorted(times)[len(times) // 2]


def fill(server: ProcessServer, n: int, seconds: float, out: ScaleResult) -> None:
    signer, end = server.presigner(), time.monotonic() + seconds
    while out.keys < n and time.monotonic() < end:
        keys = range(out.keys, min(out.keys + BATCH, n))
        lines = [f"PUT {signer.path_qs('PUT', f'/{BUCKET}/s/{i:08d}')}" for i in keys]
        cap = max(1.0, end - time.monotonic())
        cell = wrk.run(wrk.WrkJob(server.base, lines, OBJECT, 64, cap, once=True), server.workdir)
        out.put_first = out.put_first or cell.ops_per_s
        out.put_last, out.keys = cell.ops_per_s, out.keys + min(cell.ops, len(keys))
        print(f"    {out.keys:>9,} keys  {cell.ops_per_s:8.1f} PUT/s  {cell.errors} errors", flush=True)
        if out.page_ms_10k is None and out.keys >= BATCH:
            out.page_ms_10k = page_latency(server, out.keys)
        if cell.ops < len(keys):
            break


def disk_usage(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                continue
    return total


def run_one(server: ProcessServer, n: int, seconds: float) -> ScaleResult:
    out, t0 = ScaleResult(server.name), time.monotonic()
    try:
        if (reason := server.prepare(server.workdir / "install.log")) is not None:
            out.error = reason
            return out
        server.start()
        s3ops.create_bucket(server.presigner(), BUCKET)
        fill(server, n, seconds, out)
        out.page_ms_end = page_latency(server, out.keys) if out.keys else None
        out.rss_mib = sum(rss_kib(p) for p in server.pids()) / 1024
        out.disk_bytes = disk_usage(server.data_dir)
    except Exception as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    finally:
        server.stop()
        out.seconds = time.monotonic() - t0
    return out


def table(results: list[ScaleResult], n: int) -> str:
    head = (f"{'server':<10}{'keys':>11}{'PUT/s first':>13}{'PUT/s last':>12}{'page@10k ms':>13}"
            f"{'page@end ms':>13}{'end/10k':>9}{'disk B/obj':>12}{'RSS MiB':>9}{'time s':>8}")
    lines = [f"scale run: up to {n:,} objects of {OBJECT} B in one bucket, PUT at c=64", head, "-" * len(head)]
    for r in results:
        if r.error and not r.keys:
            lines.append(f"{r.server:<10}  FAILED {r.error}")
            continue
        ratio = r.page_ms_end / r.page_ms_10k if r.page_ms_end and r.page_ms_10k else None
        lines.append(f"{r.server:<10}{r.keys:>11,}{r.put_first:>13.1f}{r.put_last:>12.1f}"
                     f"{_ms(r.page_ms_10k):>13}{_ms(r.page_ms_end):>13}{_ms(ratio):>9}"
                     f"{r.bytes_per_object:>12,.0f}{r.rss_mib:>9.0f}{r.seconds:>8.0f}"
                     + (f"  {r.error}" if r.error else ""))
    lines.append("disk B/obj: the data dir's allocated size / keys (moto keeps everything in memory).")
    lines.append("target: Rucket's page@end within 2x of page@10k (end/10k <= 2).")
    return "\n".join(lines)


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def main(n: int, seconds: float, names: list[str], root: Path,
         factories: dict[str, Callable[[Path], ProcessServer]]) -> int:
    results = []
    for name in names:
        print(f"== {name} (scale)", flush=True)
        workdir = root / name
        workdir.mkdir(parents=True, exist_ok=True)
        results.append(run_one(factories[name](workdir), n, seconds))
    print()
    print(table(results, n))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"scale-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    doc = {"n": n, "seconds_cap": seconds, "object_bytes": OBJECT,
           "results": [asdict(r) | {"bytes_per_object": r.bytes_per_object} for r in results]}
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"\nresults in {path}")
    return 0
