"""Composition root: builds the stores, the engine and the app, and runs granian."""

from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path

from rucket.blobs.local import LocalBlobs
from rucket.config import Config
from rucket.core.hlc import HLC, SystemClock
from rucket.engine import Engine
from rucket.engine.store import Store
from rucket.meta.sqlite import SqliteMeta
from rucket.placement.single import SinglePlacement
from rucket.s3.app import S3App
from rucket.s3.request import Settings, User

CONFIG_ENV = "RUCKET_SERVE_CONFIG"
log = logging.getLogger("rucket")


def build_engine(cfg: Config) -> Engine:
    root = Path(cfg.data_dir)
    root.mkdir(parents=True, exist_ok=True)
    clock = SystemClock()
    meta = SqliteMeta(root / "meta.db", cache_buckets=cfg.workers == 1)
    store = Store(meta=meta, blobs=LocalBlobs(root, fsync=cfg.fsync), clock=clock, hlc=HLC(clock),
                  placer=SinglePlacement(), region=cfg.region, inline_limit=cfg.inline_limit)
    return Engine(store)


def users_of(cfg: Config) -> dict[str, User]:
    users = {cfg.root_user: User(cfg.root_user, cfg.root_user, cfg.root_user, cfg.root_password, is_root=True)}
    for u in cfg.users:
        uid = u.id or u.access_key
        users[u.access_key] = User(uid, u.display_name or uid, u.access_key, u.secret_key)
    return users


def build_app(cfg: Config, engine: Engine | None = None) -> S3App:
    engine = engine or build_engine(cfg)
    settings = Settings(region=cfg.region, domains=cfg.domains)
    return S3App(engine, users_of(cfg), settings)


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


def create_app() -> S3App:
    """Granian worker factory: the configuration travels from the parent in the environment."""
    cfg = Config.from_json(os.environ[CONFIG_ENV])
    configure_logging(cfg)
    return build_app(cfg)


def recover(cfg: Config) -> tuple[int, int]:
    """Runs once in the parent before any worker accepts a request."""
    engine = build_engine(cfg)
    try:
        return engine.recover()
    finally:
        engine.close()


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host if host != "0.0.0.0" else "127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(cfg: Config) -> None:
    from granian.constants import Interfaces
    from granian.server import Server

    os.environ[CONFIG_ENV] = cfg.to_json()
    Server("rucket.server:create_app", address=cfg.host, port=cfg.port, interface=Interfaces.ASGI,
           workers=cfg.workers, factory=True, log_level=cfg.log_level, backlog=2048,  # type: ignore[arg-type]
           workers_kill_timeout=30).serve()
