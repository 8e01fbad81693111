"""One Settings object: defaults < rucket.toml < environment (RUCKET_*) < command-line flags."""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_ROOT = "rucketadmin"
DEFAULT_ADDRESS = "0.0.0.0:9000"
DEFAULT_DATA_DIR = "./data"


@dataclass(frozen=True)
class UserConfig:
    access_key: str
    secret_key: str
    id: str = ""  # canonical user id; defaults to the access key
    display_name: str = ""
    email: str = ""  # resolves ACL grants by e-mail address (x-amz-grant-*: emailAddress=...)
    own_account: bool = True  # the root of an account of its own (s3-tests alt/tenant); False: an IAM user
    # inside the root's account (what it creates belongs to the root's account; it needs policies)


@dataclass(frozen=True)
class Config:
    address: str = DEFAULT_ADDRESS  # host:port the S3 API (and admin API, console, health, metrics) listens on
    data_dir: str = DEFAULT_DATA_DIR  # metadata (meta.db), blobs/, master.key; one server per directory
    root_user: str = DEFAULT_ROOT  # root access key (account admin); never stored in the data dir
    root_password: str = DEFAULT_ROOT  # root secret key: change it before exposing the server
    region: str = "us-east-1"  # region name clients sign requests for
    strict_region: bool | None = None  # SigV4 must name `region`; load() makes it True iff region was set
    domains: tuple[str, ...] = ("localhost",)  # virtual-host style: bucket.DOMAIN addresses a bucket
    inline_limit: int = 64 * 1024  # objects up to this many bytes live in meta.db instead of a blob file
    fsync: bool = True  # false is NOT DURABLE (tests only): acknowledged writes can be lost on a crash
    workers: int = 1  # server worker processes
    log_level: str = "info"  # debug, info, warning, error
    log_format: str = "text"  # "text" or "json" (one JSON object per line)
    lifecycle_time_scale: float = 0.0  # > 0: a lifecycle "day" lasts this many seconds (demos, tests)
    scrub_interval: float = 86_400.0  # seconds between background scrub passes; 0 disables the scrubber
    scrub_rate_mb: float = 32.0  # MB/s a scrub pass may read
    integrity_trust: float = 3600.0  # seconds a verified blob may go out by pathsend unverified (0: never)
    accept_damaged_log: bool = False  # start even if the event log's tail fails its CRC (after reading fsck)
    users: tuple[UserConfig, ...] = field(default_factory=tuple)  # [[users]] tables in rucket.toml (below)
    auth_failures_per_minute: int = 100  # failed signatures per client or access key, then 503 SlowDown (0: off)
    login_failures: int = 10  # failed console logins per client or access key in 5 minutes, then 429 (0: off)
    metrics_public: bool = False  # true: anyone may scrape /metrics; else bearer metrics_token or root SigV4
    metrics_token: str = ""  # `Authorization: Bearer <token>` accepted on /metrics (Prometheus authorization:)
    disk_reserve_mb: float = 64.0  # writes that add data get 507 below this much free space; deletes never
    allow_insecure_sse_c: bool = False  # accept SSE-C customer keys over plain HTTP (AWS refuses; --dev sets it)
    master_key: str = ""  # base64 of 32 bytes, seals stored secret keys; default: <data_dir>/master.key (0600)
    gc_delay: float = 600.0  # seconds a freed blob stays for GETs already streaming it (0: free at once)
    gc_interval: float = 30.0  # seconds between GC passes (blobs due, event-log retention)
    event_retention: float = 7 * 86_400.0  # seconds events stay when no active feed consumer needs them
    tls_cert: str = ""  # PEM certificate chain: serve HTTPS on the S3 port (re-read on SIGHUP)
    tls_key: str = ""  # PEM private key (unencrypted) of tls_cert
    cluster: bool = False  # cluster mode (`rucket serve --cluster`): etcd metadata, replicated blobs (DESIGN.md §7)
    node_id: str = ""  # this node's id in the cluster, persisted in the data dir (a data dir never changes node)
    peers: tuple[str, ...] = ()  # the other nodes' S3 addresses host:port
    expect_nodes: int = 3  # nodes that must have joined before the cluster forms its first map
    zone: str = "default"  # failure domain: the copies of a placement group go to distinct zones first
    cluster_secret: str = ""  # signs the internal API and seeds the etcd cluster token (16+ bytes); required
    internal_port_offset: int = 1  # internal API port = S3 port + this (same on every node)
    etcd_client_offset: int = 2  # etcd member client port = S3 port + this
    etcd_peer_offset: int = 3  # etcd member peer port = S3 port + this
    down_out_interval: float = 600.0  # seconds a down node stays in the map before its copies are re-created
    kms_keys: tuple[str, ...] = ()  # built-in KMS key ids created at start if missing (never deleted)
    kms_default_key: str = ""  # KMS key for aws:kms writes that name none (bucket default or header)

    @property
    def host(self) -> str:
        return self.address.rsplit(":", 1)[0] or "0.0.0.0"

    @property
    def port(self) -> int:
        return int(self.address.rsplit(":", 1)[1])

    def uses_default_credentials(self) -> bool:
        return self.root_user == DEFAULT_ROOT and self.root_password == DEFAULT_ROOT

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> Config:
        data = json.loads(raw)
        data["domains"] = tuple(data["domains"])
        data["peers"] = tuple(data.get("peers", ()))
        data["kms_keys"] = tuple(data["kms_keys"])
        data["users"] = tuple(UserConfig(**u) for u in data["users"])
        return cls(**data)


_ENV: dict[str, tuple[str, Any]] = {  # env var -> (field, parser)
    "RUCKET_ADDRESS": ("address", str),
    "RUCKET_DATA_DIR": ("data_dir", str),
    "RUCKET_ROOT_USER": ("root_user", str),
    "RUCKET_ROOT_PASSWORD": ("root_password", str),
    "RUCKET_REGION": ("region", str),
    "RUCKET_STRICT_REGION": ("strict_region", lambda v: v.lower() in ("1", "true", "yes", "on")),
    "RUCKET_DOMAINS": ("domains", lambda v: tuple(d.strip() for d in v.split(",") if d.strip())),
    "RUCKET_INLINE_LIMIT": ("inline_limit", int),
    "RUCKET_FSYNC": ("fsync", lambda v: v.lower() not in ("0", "false", "no", "off")),
    "RUCKET_WORKERS": ("workers", int),
    "RUCKET_LOG_LEVEL": ("log_level", str),
    "RUCKET_MASTER_KEY": ("master_key", str),
    "RUCKET_LOG_FORMAT": ("log_format", str),
    "RUCKET_LIFECYCLE_TIME_SCALE": ("lifecycle_time_scale", float),
    "RUCKET_SCRUB_INTERVAL": ("scrub_interval", float),
    "RUCKET_SCRUB_RATE_MB": ("scrub_rate_mb", float),
    "RUCKET_INTEGRITY_TRUST": ("integrity_trust", float),
    "RUCKET_DISK_RESERVE_MB": ("disk_reserve_mb", float),
    "RUCKET_METRICS_PUBLIC": ("metrics_public", lambda v: v.lower() in ("1", "true", "yes", "on")),
    "RUCKET_METRICS_TOKEN": ("metrics_token", str),
    "RUCKET_AUTH_FAILURES_PER_MINUTE": ("auth_failures_per_minute", int),
    "RUCKET_LOGIN_FAILURES": ("login_failures", int),
    "RUCKET_GC_DELAY": ("gc_delay", float),
    "RUCKET_GC_INTERVAL": ("gc_interval", float),
    "RUCKET_EVENT_RETENTION": ("event_retention", float),
    "RUCKET_TLS_CERT": ("tls_cert", str),
    "RUCKET_TLS_KEY": ("tls_key", str),
    "RUCKET_CLUSTER_SECRET": ("cluster_secret", str),
    "RUCKET_NODE_ID": ("node_id", str),
    "RUCKET_ZONE": ("zone", str),
    "RUCKET_PEERS": ("peers", lambda v: tuple(p.strip() for p in v.split(",") if p.strip())),
    "RUCKET_EXPECT_NODES": ("expect_nodes", int),
    "RUCKET_DOWN_OUT_INTERVAL": ("down_out_interval", float),
    "RUCKET_ALLOW_INSECURE_SSE_C": ("allow_insecure_sse_c", lambda v: v.lower() in ("1", "true", "yes", "on")),
    "RUCKET_KMS_KEYS": ("kms_keys", lambda v: tuple(k.strip() for k in v.split(",") if k.strip())),
    "RUCKET_KMS_DEFAULT_KEY": ("kms_default_key", str),
}


def _from_toml(path: Path) -> dict[str, Any]:
    data = tomllib.loads(path.read_text())
    out: dict[str, Any] = {k.replace("-", "_"): v for k, v in data.items() if k != "users"}
    for name in ("domains", "peers", "kms_keys"):
        if name in out:
            out[name] = tuple(out[name])
    users = data.get("users", [])
    out["users"] = tuple(UserConfig(**{k.replace("-", "_"): v for k, v in u.items()}) for u in users)
    return out


def load(config_file: Path | None = None, flags: dict[str, Any] | None = None,
         env: dict[str, str] | None = None) -> Config:
    values: dict[str, Any] = {}
    if config_file is not None:
        values.update(_from_toml(config_file))
    environ = os.environ if env is None else env
    for var, (name, parse) in _ENV.items():
        if var in environ:
            values[name] = parse(environ[var])
    values.update({k: v for k, v in (flags or {}).items() if v is not None})
    if values.get("strict_region") is None:  # a configured region is enforced; the default accepts any
        values["strict_region"] = "region" in values
    known = {f.name for f in dataclasses.fields(Config)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown configuration keys: {', '.join(sorted(unknown))}")
    return Config(**values)
