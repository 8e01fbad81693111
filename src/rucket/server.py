"""Composition root: builds the stores, the engine and the app, and runs granian."""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import json
import logging
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rucket import __version__, tls
from rucket.admin import AdminApp, AdminRequest, Services
from rucket.admin.status import StatusFile, record_passes
from rucket.blobs.base import BlobStore
from rucket.blobs.local import LocalBlobs
from rucket.blobs.space import DiskSpace
from rucket.cluster.blobs import DURABILITY, BlobRoutes, ReplicatedBlobs
from rucket.cluster.blobs import HEADER as DURABILITY_HEADER
from rucket.cluster.failure import MembershipSettings
from rucket.cluster.node import ClusterNode, topology_of
from rucket.cluster.node import Settings as ClusterSettings
from rucket.cluster.topology import Topology, TopologyError
from rucket.config import Config
from rucket.console import ConsoleApp, console_redirect, sandboxed, wants_console
from rucket.console import build as build_console
from rucket.core import dirlock, faults
from rucket.core.hlc import HLC, Clock, SystemClock
from rucket.core.model import Principal
from rucket.core.paths import ADMIN, under
from rucket.core.throttle import FailureThrottle, Limit
from rucket.engine import Engine
from rucket.engine import secrets as master_key
from rucket.engine.fsck import DamagedEventLog, check_event_tail
from rucket.engine.gc import BlobGC
from rucket.engine.iam import BootstrapUser, Iam
from rucket.engine.lifecycle import Lifecycle
from rucket.engine.lifecycle_rules import DAY_MS
from rucket.engine.scrub import Scrubber
from rucket.engine.store import Store
from rucket.events import log as event_log
from rucket.events.log import DEFAULT_RETENTION_MS, SqliteFeed
from rucket.meta.node import Node
from rucket.meta.sqlite import SqliteMeta
from rucket.placement.single import SinglePlacement
from rucket.s3.access_log import AccessLog
from rucket.s3.app import S3App
from rucket.s3.auth.signed_body import verify_signed_body
from rucket.s3.iam.document import parse as parse_policy
from rucket.s3.identity import Identities
from rucket.s3.integrity_metrics import IntegrityCollector
from rucket.s3.metrics import DiskCollector
from rucket.s3.metrics_access import MetricsAccess
from rucket.s3.request import Settings
from rucket.s3.simulate import Simulator

CONFIG_ENV = "RUCKET_SERVE_CONFIG"
log = logging.getLogger("rucket")


def sqlite_store(path: Path, blobs: BlobStore, clock: Clock, *, region: str = "us-east-1", gc_delay_ms: int = 0,
                 retention_ms: int = DEFAULT_RETENTION_MS, cache_reads: bool = True, hlc: HLC | None = None,
                 **options: Any) -> Store:
    """The single-node store: SQLite plays ConfigStore and ObjectIndex, its event log is the
    EventFeed, local files the BlobStore. The metadata writer stamps this node's HLC, PG and
    region on every event it appends (meta/node.py)."""
    meta = SqliteMeta(path, cache_reads=cache_reads)
    hlc, placer = hlc or HLC(clock), SinglePlacement()
    meta.bind(Node(hlc, clock.now_ms, lambda b, k: placer.place(b, k).pg, region, gc_delay_ms, event_log.append))
    feed = SqliteFeed.over(meta, clock, retention_ms)
    return Store(config=meta, index=meta, feed=feed, blobs=blobs, clock=clock, hlc=hlc, placer=placer, region=region,
                 gc_delay_ms=gc_delay_ms, **options)


def build_engine(cfg: Config, node: ClusterNode | None = None) -> Engine:
    """`node`: cluster mode, blobs replicated to their PG's nodes (cluster/blobs.py), one clock and HLC per node."""
    root = Path(cfg.data_dir)
    root.mkdir(parents=True, exist_ok=True)
    local = LocalBlobs(root, fsync=cfg.fsync, trust_window_ms=int(cfg.integrity_trust * 1000))
    blobs: BlobStore = local
    if node is not None:
        blobs = ReplicatedBlobs(local, node, node.peers)
        BlobRoutes(local).install(node.api)
    store = sqlite_store(root / "meta.db", blobs, node.clock if node else SystemClock(),
                         hlc=node.hlc if node else None, region=cfg.region,
                         gc_delay_ms=int(cfg.gc_delay * 1000), retention_ms=int(cfg.event_retention * 1000),
                         cache_reads=cfg.workers == 1, inline_limit=cfg.inline_limit,
                         lifecycle_day_ms=int(cfg.lifecycle_time_scale * 1000) if cfg.lifecycle_time_scale > 0
                         else DAY_MS, master_key=cfg.master_key, kms_default_key=cfg.kms_default_key)
    return Engine(store)


def root_user(cfg: Config) -> Principal:
    """The account admin, from the configuration only (never stored in the database)."""
    return Principal(cfg.root_user, cfg.root_user, cfg.root_user, cfg.root_password, is_root=True, name=cfg.root_user,
                email=f"{cfg.root_user}@example.com")


def iam_of(cfg: Config, engine: Engine) -> Iam:
    return Iam(engine.store, master_key.SecretBox(master_key.load_or_create(Path(cfg.data_dir), cfg.master_key)))


def bootstrap_users(cfg: Config, engine: Engine) -> None:
    """`[[users]]` of rucket.toml become (or stay) users with their key, and older data owned by IAM
    users moves to the root's account; run once, in the parent."""
    iam_of(cfg, engine).bootstrap([BootstrapUser(u.access_key, u.secret_key, u.id, u.display_name, u.email,
                                                 u.own_account) for u in cfg.users], root_user(cfg).id)


def declare_kms_keys(cfg: Config, engine: Engine) -> None:
    """`kms_keys` (and `kms_default_key`) of rucket.toml exist in the built-in KMS before the first
    request, so a fresh server can serve SSE-KMS for them; run once, in the parent."""
    wanted = [*cfg.kms_keys, *([cfg.kms_default_key] if cfg.kms_default_key else [])]
    created = engine.encryption.kms.ensure(wanted)
    if created:
        log.info("KMS keys created from the configuration: %s", ", ".join(created))


def with_admin(app: S3App, cfg: Config) -> Any:
    """`/_rucket/admin/...` goes to the admin API, `/_rucket/console...` to the console, everything else
    (and the lifespan) to the S3 app."""
    identities = app.identities

    def secret(access_key: str) -> str | None:
        user = identities.lookup(access_key)
        return user.secret if user else None

    def verify(req: AdminRequest) -> str:
        return verify_signed_body(req.method, req.raw_path, req.raw_query, req.headers, req.body,
                                  app.engine.store.clock.now_ms(), secret, cfg.region)

    def validate(document: str) -> None:
        parse_policy(document, bucket_policy=False)

    services = Services(app.engine, identities.iam, validate, server_info(cfg, app.engine.store.clock.now_ms()),
                        StatusFile(Path(cfg.data_dir)).read, Simulator(app.engine, identities),
                        disk=lambda: disk_space(cfg).usage().as_dict(),
                        cluster=app.cluster.status if app.cluster is not None else None)
    admin = AdminApp(services, verify, cfg.root_user)
    console = console_of(app, admin, cfg)

    async def composed(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and cfg.cluster:
            _durability(scope)
        if scope["type"] != "http":
            await app(scope, receive, send)
        elif under(scope["path"], ADMIN):
            await admin(scope, receive, send)
        elif wants_console(scope):
            await console(scope, receive, send)
        elif (location := console_redirect(scope)) is not None:
            await _redirect(send, location)
        else:
            await app(scope, receive, sandboxed(scope, send))

    return composed


_DURABILITY_HEADER = DURABILITY_HEADER.encode()


def _durability(scope: dict[str, Any]) -> None:
    """`x-rucket-durability` of this request for the replicated blob writer (a context variable: the
    engine and s3 layers never see cluster concepts); a bad value is refused by the writer."""
    for name, value in scope["headers"]:
        if name == _DURABILITY_HEADER:
            DURABILITY.set(value.decode("latin-1").strip().lower())
            return


async def _redirect(send: Any, location: str) -> None:
    await send({"type": "http.response.start", "status": 302,
                "headers": [(b"location", location.encode()), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


def server_info(cfg: Config, now_ms: int) -> dict[str, Any]:
    """What `GET /_rucket/admin/info` reports; never a secret (root password, master key, user secrets)."""
    public = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in ("root_password", "master_key", "users",
                                                                                 "metrics_token", "cluster_secret")}
    return {"version": __version__, "started_ms": now_ms, "pid": os.getpid(), "region": cfg.region,
            "data_dir": str(Path(cfg.data_dir).resolve()),
            "config": {**public, "users": [u.access_key for u in cfg.users],
                       "master_key": "configured" if cfg.master_key else "data-dir file"}}


def console_of(app: S3App, admin: AdminApp, cfg: Config) -> ConsoleApp:
    """The web console at /_rucket/console; it acts only through in-process S3/admin requests signed as the user."""
    key = master_key.load_or_create(Path(cfg.data_dir), cfg.master_key)
    return build_console(app, admin, app.identities.lookup, key, cfg.region, app.engine.store.clock.now_ms,
                         Limit(cfg.login_failures, 300_000))


def check_cluster(cfg: Config) -> Topology:
    """The cluster command line as a topology, or a ValueError saying what to fix."""
    if cfg.workers != 1:
        raise TopologyError("cluster mode runs one worker process (--workers 1)")
    if cfg.port == 0:
        raise TopologyError("cluster mode needs a fixed --address port (peers derive their ports from it)")
    if not cfg.node_id:
        raise TopologyError("cluster mode needs --node-id")
    return topology_of(cfg.node_id, f"{cfg.host}:{cfg.port}", cfg.peers, cfg.expect_nodes, cfg.zone,
                       cfg.cluster_secret, cfg.internal_port_offset, cfg.etcd_client_offset, cfg.etcd_peer_offset)


def cluster_node(cfg: Config) -> ClusterNode:
    """This node's cluster runtime (cluster/node.py); the engine shares its clock and HLC."""
    settings = ClusterSettings(membership=MembershipSettings(down_out_interval_ms=int(cfg.down_out_interval * 1000)))
    clock = SystemClock()
    return ClusterNode(check_cluster(cfg), Path(cfg.data_dir), clock, HLC(clock), settings=settings,
                       on_refused=_stop_server)


def _stop_server(reason: str) -> None:
    """A node the cluster refuses must not keep serving: SIGTERM the `rucket serve` parent (or ourselves)."""
    import signal

    log.critical("stopping: %s", reason)
    os.kill(int(os.environ.get(dirlock.PARENT_ENV, os.getpid())), signal.SIGTERM)


def with_cluster(app: S3App, node: ClusterNode) -> None:
    """Cluster mode: the runtime runs beside the S3 app; ready once joined, /minio/health/cluster = writable."""
    app.background.append(node.run)
    app.ready_checks.append(lambda: node.ready)
    app.writable = node.writable


def build_app(cfg: Config, engine: Engine | None = None) -> S3App:
    node = cluster_node(cfg) if cfg.cluster and engine is None else None
    engine = engine or build_engine(cfg, node)
    settings = Settings(region=cfg.region, domains=cfg.domains, allow_insecure_sse_c=cfg.allow_insecure_sse_c,
                        signing_region=cfg.region if cfg.strict_region else None)
    app = S3App(engine, Identities(iam_of(cfg, engine), root_user(cfg)), settings)
    app.access = AccessLog(json_lines=cfg.log_format == "json")
    app.background += [app.access.run, lifecycle_worker(cfg, engine)]
    app.ready_checks.append(engine.store.index.writer_alive)
    space = disk_space(cfg)
    app.room = space.check_room
    app.metrics_access = MetricsAccess(public=cfg.metrics_public, token=cfg.metrics_token)
    app.auth_failures = FailureThrottle(Limit(cfg.auth_failures_per_minute, 60_000), engine.now_ms)
    app.metrics.add(DiskCollector(lambda: space.usage().as_dict()))
    scrubber = Scrubber(engine.store, rate_bytes_s=int(cfg.scrub_rate_mb * 1e6), interval_s=cfg.scrub_interval)
    app.metrics.add(IntegrityCollector(engine.store.blobs.stats, lambda: scrubber.last_pass_ms))
    if cfg.scrub_interval > 0:
        app.background.append(exclusive(Path(cfg.data_dir) / "scrub.lock", scrubber.run_forever))
    blob_gc = BlobGC(engine.store, interval_s=cfg.gc_interval)  # frees due blobs, trims the event log
    app.background.append(exclusive(Path(cfg.data_dir) / "gc.lock", blob_gc.run_forever))
    if node is not None:
        app.cluster = node
        with_cluster(app, node)
    return app


def disk_space(cfg: Config) -> DiskSpace:
    return DiskSpace(Path(cfg.data_dir), int(cfg.disk_reserve_mb * (1 << 20)))


def exclusive(lock_path: Path, run: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """A background loop only one worker process runs: whoever holds the flock (the others keep trying,
    so it survives a worker restart). `rucket fsck` checks the same locks to refuse a live data dir."""
    async def guarded() -> None:
        lock = open(lock_path, "a")  # noqa: SIM115 - held for the process lifetime
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                await asyncio.sleep(5)
        await run()

    return guarded


def lifecycle_worker(cfg: Config, engine: Engine) -> Callable[[], Awaitable[None]]:
    """The lifecycle loop, on the system clock; with several worker processes only the one holding
    `data/lifecycle.lock` runs it (the others keep trying, so it survives a worker restart)."""
    worker = Lifecycle(engine)  # the day length is the store's (RUCKET_LIFECYCLE_TIME_SCALE)
    record_passes(worker, StatusFile(Path(cfg.data_dir)), engine.store.clock.now_ms)  # for GET /_rucket/admin/lifecycle

    async def run() -> None:
        lock = open(Path(cfg.data_dir) / "lifecycle.lock", "a")  # noqa: SIM115 - held for the process lifetime
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                await asyncio.sleep(worker.interval_s)
        await worker.run_forever()

    return run


class JsonFormatter(logging.Formatter):
    """One JSON object per line; request lines carry their structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
               "message": record.getMessage(), **getattr(record, "fields", {})}
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure_logging(cfg: Config) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if cfg.log_format == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(cfg.log_level.upper())


GIL_SWITCH_S = 0.001


def create_app() -> Any:
    """Granian worker factory: the configuration travels from the parent in the environment.

    The worker's event loop is CPU-bound under load while granian's I/O thread and the metadata
    writer thread need the GIL for moments at a time (to hand over a request, to step SQLite):
    at CPython's default 5 ms switch interval they queue behind the loop, so group commits
    shrink and requests wait. 1 ms measured PUT 4 KiB c=64 473 -> 883-982 req/s and GET
    2,600 -> 3,500 req/s (same run, paired)."""
    sys.setswitchinterval(GIL_SWITCH_S)
    cfg = Config.from_json(os.environ[CONFIG_ENV])
    configure_logging(cfg)
    s3 = build_app(cfg)
    s3.background += guard_worker(Path(cfg.data_dir))
    app = with_admin(s3, cfg)
    faults.arm()
    return app


def guard_worker(data_dir: Path) -> list[Callable[[], Awaitable[None]]]:
    """A granian worker dies with its `rucket serve` (even a kill -9 of it) and serves only while it holds
    the data dir's lock, inherited from the server; under another ASGI server it takes the lock itself.
    Returns the background loops to run (the parent watch)."""
    if dirlock.PARENT_ENV not in os.environ:
        dirlock.acquire(data_dir)  # e.g. uvicorn: this process is the server; refuse a locked data dir
        return []
    parent = int(os.environ[dirlock.PARENT_ENV])
    dirlock.die_with_parent(parent)
    dirlock.assert_held(data_dir, int(os.environ[dirlock.FD_ENV]))

    async def watch() -> None:
        await dirlock.watch_parent(parent)

    return [watch]


def recover(cfg: Config) -> tuple[int, int]:
    """Runs once in the parent before any worker accepts a request."""
    engine = build_engine(cfg)
    try:
        check_event_log(cfg, engine)
        bootstrap_users(cfg, engine)
        declare_kms_keys(cfg, engine)
        return engine.recover()
    finally:
        engine.close()


def check_event_log(cfg: Config, engine: Engine) -> None:
    """The event log is the outbox of every mutation: start-up verifies the CRC32 of its tail and stops
    at the first bad record (DamagedEventLog names the LSN) unless `--accept-damaged-log` says go on."""
    lsn = check_event_tail(engine.store)
    if lsn is None:
        return
    if not cfg.accept_damaged_log:
        raise DamagedEventLog(lsn)
    log.warning("event log record LSN %d fails its CRC32 check; starting anyway (--accept-damaged-log)", lsn)


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host if host != "0.0.0.0" else "127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(cfg: Config, lock_fd: int) -> None:
    """Serve until stopped. `lock_fd` is the data dir's lock (cli.py took it before recovery); workers
    are forked (not spawned, whatever the platform default) so that they inherit it."""
    import multiprocessing

    from granian.constants import Interfaces

    multiprocessing.set_start_method("fork", force=True)
    os.environ[CONFIG_ENV] = cfg.to_json()
    os.environ[dirlock.PARENT_ENV] = str(os.getpid())
    os.environ[dirlock.FD_ENV] = str(lock_fd)
    files = tls.configured(cfg.tls_cert, cfg.tls_key)
    server_class = tls.reloading_server(files)
    server_class("rucket.server:create_app", address=cfg.host, port=cfg.port, interface=Interfaces.ASGI,
                 workers=cfg.workers, factory=True, log_level=cfg.log_level, backlog=2048,
                 workers_kill_timeout=30, **tls.granian_options(files)).serve()
