"""Start-up time with N objects: populate a data dir through the engine, then time recovery.

    python -m bench.startup --objects 100000 --data /tmp/rk-startup

Every object is a blob file (inline limit 0), because start-up recovery used to glob every blob
file and load every referenced blob id; the number printed is what `rucket serve` spends in
`server.recover` (open + migrate + event-tail check + blob recovery) before the HTTP server.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from rucket.config import Config
from rucket.engine.objects import PutSpec
from rucket.server import build_engine, recover


async def _populate(cfg: Config, n: int, batch: int = 512) -> None:
    engine = build_engine(cfg)
    try:
        await engine.buckets.create("startup", "root")

        async def body(i: int):  # type: ignore[no-untyped-def]
            yield f"object {i}".encode()

        for lo in range(0, n, batch):
            await asyncio.gather(*(engine.objects.put("startup", f"k/{i:07d}", body(i), PutSpec(owner="root"))
                                   for i in range(lo, min(n, lo + batch))))
    finally:
        engine.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    cfg = Config(data_dir=str(args.data), inline_limit=0, fsync=False)
    if not (args.data / "meta.db").exists():
        t = time.perf_counter()
        asyncio.run(_populate(cfg, args.objects))
        print(f"populated {args.objects} objects in {time.perf_counter() - t:.1f} s")
    for _ in range(args.runs):
        t = time.perf_counter()
        tmp, orphans = recover(cfg)
        print(f"start-up recovery: {(time.perf_counter() - t) * 1000:.0f} ms (tmp {tmp}, orphans {orphans})")


if __name__ == "__main__":
    main()
