"""`python -m rucket.cluster member ...`: run one supervised etcd member in the foreground.

What `rucket serve --cluster` will do for its etcd part, as a process of its own so the cluster tests
can start members in network namespaces (and kill, pause or partition them) before the server is
wired to the storage seam. The cluster secret comes from RUCKET_CLUSTER_SECRET, never from argv
(argv is world-readable in /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from rucket.cluster.etcd import EtcdSupervisor, MemberConfig, members_from


def _member(spec: str) -> tuple[str, tuple[str, int]]:
    name, _, address = spec.partition("=")
    host, _, port = address.rpartition(":")
    if not name or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME=HOST:S3PORT, got {spec!r}")
    return name, (host, int(port))


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m rucket.cluster")
    sub = parser.add_subparsers(dest="command", required=True)
    member = sub.add_parser("member", help="run and supervise this node's etcd member")
    member.add_argument("--name", required=True)
    member.add_argument("--data-dir", required=True, type=Path)
    member.add_argument("--member", action="append", required=True, type=_member,
                        help="NAME=HOST:S3PORT of every initial member, this one included")
    member.add_argument("--etcd-binary", default="/usr/bin/etcd")
    return parser.parse_args(argv)


async def run_member(config: MemberConfig) -> int:
    supervisor = EtcdSupervisor(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await supervisor.start()
    print(f"etcd member {config.me.name} supervised, client {config.me.client_url}", flush=True)
    await stop.wait()
    await supervisor.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    secret = os.environ.get("RUCKET_CLUSTER_SECRET", "").encode()
    if len(secret) < 16:
        print("RUCKET_CLUSTER_SECRET (at least 16 bytes) is required", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    members = members_from(dict(args.member))
    me = next((m for m in members if m.name == args.name), None)
    if me is None:
        print(f"--name {args.name} is not among the --member entries", file=sys.stderr)
        return 2
    config = MemberConfig(me, members, args.data_dir, secret, binary=args.etcd_binary)
    return asyncio.run(run_member(config))


if __name__ == "__main__":
    sys.exit(main())
