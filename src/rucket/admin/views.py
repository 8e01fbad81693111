"""Read-only admin views for operators and the web console: server info, storage usage,
buckets with their sizes, lifecycle status and the event-log tail.

Everything is read at request time from the metadata store (no counters to drift); the
server facts that only the composition root knows (version, start time, configuration
without secrets, the lifecycle worker's last pass) arrive in `Services.info` and
`Services.lifecycle_status`.
"""

from __future__ import annotations

import shutil
from typing import Any
from urllib.parse import parse_qs

from rucket.admin.request import AdminError, AdminRequest, Params, Route, Services
from rucket.core.model import Bucket
from rucket.engine.lifecycle_rules import rules_of

# bucket.config keys the bucket list reports as "configured" (their values can be large or sensitive)
CONFIG_FLAGS = ("policy", "cors", "lifecycle", "tagging", "public_access_block", "encryption")


def _query_int(req: AdminRequest, name: str, default: int, lo: int, hi: int) -> int:
    values = parse_qs(req.raw_query).get(name)
    if not values:
        return default
    try:
        value = int(values[0])
    except ValueError as exc:
        raise AdminError(400, "InvalidArgument", f"{name} must be an integer") from exc
    if not lo <= value <= hi:
        raise AdminError(400, "InvalidArgument", f"{name} must be between {lo} and {hi}")
    return value


def disk(path: str) -> dict[str, Any]:
    """Capacity and free space of the filesystem holding `path`, read now (disks fill between calls)."""
    try:
        total, used, free = shutil.disk_usage(path)
    except OSError as exc:
        return {"path": path, "error": f"{type(exc).__name__}: {exc}"}
    return {"path": path, "total_bytes": total, "used_bytes": used, "free_bytes": free}


async def server_info(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    now = svc.engine.now_ms()
    started = int(svc.info.get("started_ms", now))
    dirs = [str(d) for d in svc.info.get("data_dirs") or [svc.info.get("data_dir", ".")]]
    return 200, {**svc.info, "now_ms": now, "uptime_s": round((now - started) / 1000, 3),
                 "last_lsn": svc.engine.last_lsn(), "disks": [disk(d) for d in dirs]}


async def usage(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    rows = svc.engine.usage()
    buckets = [{"name": name, "objects": objects, "bytes": size} for name, objects, size in rows]
    total = {"buckets": len(rows), "objects": sum(r[1] for r in rows), "bytes": sum(r[2] for r in rows)}
    disk = svc.disk() if svc.disk is not None else None  # {"free_bytes", "total_bytes", "reserve_bytes"}
    return 200, {"total": total, "buckets": buckets, "disk": disk}


def _bucket(b: Bucket, objects: int, size: int) -> dict[str, Any]:
    return {"name": b.name, "owner": b.owner, "created_ms": b.created_ms, "region": b.region,
            "versioning": b.versioning or "Unversioned", "object_lock": b.object_lock, "objects": objects,
            "bytes": size, "configured": [k for k in CONFIG_FLAGS if b.config.get(k)]}


async def buckets(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    sizes = {name: (objects, size) for name, objects, size in svc.engine.usage()}
    return 200, {"buckets": [_bucket(b, *sizes.get(b.name, (0, 0))) for b in svc.engine.buckets.list()]}


async def lifecycle_status(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    """The worker's last pass (from the process that runs it) and every bucket's rule counts."""
    per_bucket = []
    for b in svc.engine.buckets.list():
        rules = rules_of(b.config)
        if rules:
            per_bucket.append({"bucket": b.name, "rules": len(rules), "enabled": sum(r.enabled for r in rules)})
    status = svc.lifecycle_status() if svc.lifecycle_status is not None else {"running": False}
    return 200, {"worker": status, "buckets": per_bucket}


ROUTES = (
    Route("GET", "/info", server_info),
    Route("GET", "/usage", usage),
    Route("GET", "/buckets", buckets),
    Route("GET", "/lifecycle", lifecycle_status),
)
