"""Benchmark Rucket against its peers on this machine: `python bench/run.py [--quick]`.

Starts each server itself (127.0.0.1, free port, temp data dir), runs the same workloads
against each, stops it, prints one table with the ratios Rucket/peer and the issue's
targets, and writes JSON to bench/results/<timestamp>.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import install, report, scale, servers, targets
from bench.ceilings import Disk, Nginx
from bench.client import Pool
from bench.model import Cell, Plan, ServerStatus
from bench.session import bench_disk, bench_server, workdir_for
from bench.workloads import Workload, by_name

SERVERS: dict[str, Callable[[Path], servers.ProcessServer]] = {
    "nginx": lambda d: Nginx(d), "rucket": lambda d: servers.Rucket(d), "rclone": lambda d: servers.Rclone(d),
    "ministack": lambda d: servers.Ministack(d), "moto": lambda d: servers.Moto(d)}
ORDER = ("disk", "nginx", "rucket", "rclone", "ministack", "moto")  # cheap first, slowest last
ROLES = {"disk": "ceiling", "nginx": "ceiling", "rucket": "subject"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="1 s cells, 256 MiB multipart: under 2 minutes")
    p.add_argument("--only", help=f"comma list of servers ({','.join(ORDER)})")
    p.add_argument("--workloads", help="comma list of workloads (put4k,get4k,head,mixed,put1m,get1m,"
                                       "put64m,get64m,mpu,list,delete)")
    p.add_argument("--concurrency", help="comma list, default 1,16,64")
    p.add_argument("--seconds", type=int, help="time box of one cell (default 5, quick 1)")
    p.add_argument("--budget", type=int, help="seconds for the whole run; cells past it are skipped")
    p.add_argument("--scale", type=int, metavar="N", help="instead: the scale run with N small objects")
    p.add_argument("--scale-seconds", type=int, default=900, help="time cap per server of the scale run")
    p.add_argument("--data-root", help="where the temp data dirs go (default: the system temp dir)")
    p.add_argument("--keep-data", action="store_true", help="leave the data dirs and server logs behind")
    return p.parse_args(argv)


def _csv(text: str | None) -> list[str] | None:
    return [x.strip() for x in text.split(",") if x.strip()] if text else None


def chosen_servers(only: list[str] | None) -> list[str]:
    unknown = [n for n in only or [] if n not in ORDER]
    if unknown:
        raise SystemExit(f"unknown servers {unknown}; choose from {', '.join(ORDER)}")
    return [n for n in ORDER if not only or n in only]


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def ensure_tools(root: Path, names: list[str]) -> None:
    """Install before the clock starts: load generators, nginx, the peers' venv."""
    log = root / "install.log"
    for binary in ("wrk", "hey"):
        if (err := install.ensure_debian(binary, binary, log)) is not None:
            print(f"  warning: {err}; its cells will fail", flush=True)
    if "nginx" in names and (err := install.ensure_debian("nginx", "nginx", log)) is not None:
        print(f"  warning: {err}; nginx will be skipped", flush=True)
    if set(names) & {"rclone", "ministack", "moto"} and (err := install.ensure_peer_venv(log)) is not None:
        print(f"  warning: {err}; the peers will be skipped", flush=True)


def run_matrix(names: list[str], plan: Plan, workloads: list[Workload], root: Path,
               statuses: list[ServerStatus]) -> list[Cell]:
    cells: list[Cell] = []
    end = time.monotonic() + plan.budget_seconds
    pool = Pool()
    try:
        for i, name in enumerate(names):
            status = ServerStatus(name, ROLES.get(name, "peer"))
            statuses.append(status)
            print(f"== {name}", flush=True)
            t0 = time.monotonic()
            if name == "disk":
                cells += bench_disk(Disk(workdir_for(root, "disk") / "data"), status, plan, workloads)
            else:
                deadline = t0 + (end - t0) / (len(names) - i)
                server = SERVERS[name](workdir_for(root, name))
                cells += bench_server(server, status, plan, workloads, pool, deadline)
            status.wall_seconds = time.monotonic() - t0
            if status.state != "ok":
                print(f"   {name} {status.state}: {status.reason}", flush=True)
    finally:
        servers.stop_all()
        pool.close()
    return cells


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    conc = tuple(int(x) for x in _csv(args.concurrency) or []) or None
    plan = Plan.make(args.quick, conc, args.seconds)
    if args.budget:
        plan = Plan(**{**plan.__dict__, "budget_seconds": args.budget})
    names = chosen_servers(_csv(args.only))
    root = Path(tempfile.mkdtemp(prefix="rucket-bench-", dir=args.data_root))
    statuses: list[ServerStatus] = []
    cells: list[Cell] = []
    started, interrupted = time.monotonic(), False
    try:
        ensure_tools(root, names)
        if args.scale:
            return scale.main(args.scale, args.scale_seconds, [n for n in names if n not in ("disk", "nginx")],
                              root, SERVERS)
        cells = run_matrix(names, plan, by_name(_csv(args.workloads)), root, statuses)
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted: every server started has been stopped; partial results follow", flush=True)
    finally:
        servers.stop_all()
        if not args.keep_data:
            shutil.rmtree(root, ignore_errors=True)
    if not args.scale:
        _report(args, plan, statuses, cells, time.monotonic() - started, interrupted, root)
    return 130 if interrupted else 0


def _report(args: argparse.Namespace, plan: Plan, statuses: list[ServerStatus], cells: list[Cell],
            seconds: float, interrupted: bool, root: Path) -> None:
    verdicts = targets.evaluate(cells)
    print()
    print(report.table(cells))
    print()
    if check := report.headroom(cells):
        print(check + "\n")
    print(report.servers(statuses))
    print()
    print(report.targets(verdicts))
    meta = {"argv": sys.argv[1:], "plan": plan.__dict__, "seconds": round(seconds, 1), "interrupted": interrupted}
    path = report.write_json(meta, statuses, cells, verdicts)
    kept = f"; data and logs kept in {root}" if args.keep_data else ""
    print(f"\nwhole run {seconds:.0f} s; results in {path}{kept}")


if __name__ == "__main__":
    sys.exit(main())
