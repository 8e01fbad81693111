"""Command line: `rucket serve`, `rucket admin ...` (cli_admin.py), `rucket fsck`, `rucket completion`."""

from __future__ import annotations

import asyncio
import atexit
import fcntl
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import click

from rucket import __version__, backup, config, migrate, server, tls
from rucket.cli_admin import admin as admin_group
from rucket.core import dirlock
from rucket.core.paths import CONSOLE
from rucket.engine.fsck import DamagedEventLog, Fsck

_BANNER = """\
Rucket {version} — S3-compatible object store
  Endpoint:   {endpoint}
  Console:    {endpoint}{console}/
  Region:     {region}
  AccessKey:  {user}
  SecretKey:  {password}
  Data:       {data}
  Recovery:   removed {tmp} temp files and {orphans} unreferenced blobs
"""


def _warn(message: str) -> None:
    click.secho("WARNING: " + message, fg="yellow", err=True)


@click.group()
@click.version_option(__version__, prog_name="rucket")
def main() -> None:
    """Rucket: an S3-compatible object store."""


main.add_command(admin_group)  # rucket admin user|key|policy ... (talks to a running server)


@main.command()
@click.option("--address", help="host:port to listen on [default: 0.0.0.0:9000]")
@click.option("--port", type=int, help="port to listen on (0 picks a free one); overrides --address's port")
@click.option("--data-dir", type=click.Path(file_okay=False), help="data directory [default: ./data]")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="rucket.toml")
@click.option("--workers", type=int, help="server worker processes [default: 1]")
@click.option("--no-fsync", is_flag=True, default=False, help="NOT DURABLE: skip fsync (tests only)")
@click.option("--log-format", type=click.Choice(["text", "json"]), help="request log format [default: text]")
@click.option("--dev", is_flag=True, default=False,
              help="NOT DURABLE: temp data dir (unless --data-dir), no fsync and SSE-C over plain HTTP, "
                   "for tests and demos")
@click.option("--accept-damaged-log", is_flag=True, default=None,
              help="start even if the event log's tail fails its CRC32 check (run `rucket fsck` first)")
@click.option("--tls-cert", help="PEM certificate (chain) file: serve HTTPS; re-read on SIGHUP")
@click.option("--tls-key", help="PEM private key file of --tls-cert")
@click.option("--cluster", "cluster", is_flag=True, default=None,
              help="cluster mode: etcd metadata, replicated blobs; needs RUCKET_CLUSTER_SECRET")
@click.option("--node-id", help="cluster: this node's id (kept in the data dir)")
@click.option("--peers", help="cluster: the other nodes' S3 addresses, host:port,host:port")
@click.option("--expect-nodes", type=int, help="cluster: nodes to wait for before forming [default: 3]")
@click.option("--zone", help="cluster: this node's failure domain [default: default]")
def serve(address: str | None, port: int | None, data_dir: str | None, config_file: Path | None,
          workers: int | None, no_fsync: bool, log_format: str | None, dev: bool,
          accept_damaged_log: bool | None, tls_cert: str | None, tls_key: str | None, cluster: bool | None,
          node_id: str | None, peers: str | None, expect_nodes: int | None, zone: str | None) -> None:
    """Serve the S3 API. Exit 3: the event log's tail is damaged; 5: another process serves this data dir."""
    started = time.perf_counter()
    dev_dir = _dev_data_dir() if dev and data_dir is None else None
    data_dir = str(dev_dir) if dev_dir else data_dir
    if dev_dir is not None:  # --dev data is throw-away: never leave it in /tmp (kill -9: swept next time)
        atexit.register(shutil.rmtree, dev_dir, ignore_errors=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # before granian installs its own handlers
    flags: dict[str, object] = {"address": address, "data_dir": data_dir, "workers": workers,
                                "log_format": log_format, "accept_damaged_log": accept_damaged_log,
                                "tls_cert": tls_cert, "tls_key": tls_key, "cluster": cluster, "node_id": node_id,
                                "peers": None if peers is None else tuple(p for p in peers.split(",") if p.strip()),
                                "expect_nodes": expect_nodes, "zone": zone}
    if no_fsync or dev:
        flags["fsync"] = False
    if dev:
        flags["allow_insecure_sse_c"] = True  # demos and test suites send SSE-C over plain HTTP
    try:
        cfg = config.load(config_file, flags)
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from exc
    if port is not None:
        host = cfg.host
        cfg = config.Config(**{**cfg.__dict__, "address": f"{host}:{port or server.free_port(host)}"})
    files = _tls_files(cfg)
    if cfg.cluster:
        _check_cluster(cfg)
    _warnings(cfg, data_dir)
    lock_fd = _lock_data_dir(Path(cfg.data_dir))
    try:
        tmp, orphans = server.recover(cfg)
    except DamagedEventLog as exc:
        click.secho(f"ERROR: {exc}. Refusing to start: every later record would build on it. Inspect with "
                    f"`rucket fsck --data-dir {cfg.data_dir}` (--repair drops damaged records), or start with "
                    "--accept-damaged-log to serve anyway.", fg="red", err=True)
        sys.exit(3)
    scheme = "https" if files else "http"
    click.echo(f"Rucket listening on {scheme}://{_bracket(cfg.host)}:{cfg.port}{_scope_note(cfg.host)}", err=False)
    click.echo(_BANNER.format(version=__version__, endpoint=f"{scheme}://{_local(cfg.host)}:{cfg.port}",
                              region=cfg.region, user=cfg.root_user, password=_shown_secret(cfg),
                              data=Path(cfg.data_dir).resolve(), tmp=tmp, orphans=orphans, console=CONSOLE))
    click.echo(f"Startup took {(time.perf_counter() - started) * 1000:.0f} ms before the HTTP server", err=True)
    sys.stdout.flush()
    server.run(cfg, lock_fd)


def _check_cluster(cfg: config.Config) -> None:
    """Refuse a cluster command line that cannot form a node before touching the data dir."""
    try:
        server.check_cluster(cfg)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


DEV_PREFIX = "rucket-dev-"
DEV_STALE_S = 60  # younger dirs may belong to a --dev server that has not taken its lock yet


def _dev_data_dir() -> Path:
    """A fresh temp data dir for --dev; first sweeps the ones a killed --dev server left behind (kill -9
    skips the cleanup): a dir whose lock nobody holds has no server."""
    for old in Path(tempfile.gettempdir()).glob(DEV_PREFIX + "*"):
        if not old.is_dir() or time.time() - old.stat().st_mtime < DEV_STALE_S:
            continue
        try:
            fd = dirlock.acquire(old)
        except (dirlock.DataDirInUse, OSError):
            continue
        shutil.rmtree(old, ignore_errors=True)
        os.close(fd)
    return Path(tempfile.mkdtemp(prefix=DEV_PREFIX))


EXIT_IN_USE = 5


def _lock_data_dir(data_dir: Path) -> int:
    """Before recovery touches anything: a second server on the same data dir stops here (exit 5)."""
    try:
        return dirlock.acquire(data_dir)
    except dirlock.DataDirInUse as exc:
        click.secho(f"ERROR: {exc}", fg="red", err=True)
        sys.exit(EXIT_IN_USE)


_WILDCARD = ("", "0.0.0.0", "::", "[::]")


def _loopback(host: str) -> bool:
    return host == "localhost" or host.startswith("127.") or host.strip("[]") == "::1"


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else (host or "0.0.0.0")


def _local(host: str) -> str:
    """An address a client on this machine can use (a wildcard bind is not one to type in)."""
    return "127.0.0.1" if host in _WILDCARD else _bracket(host)


def _scope_note(host: str) -> str:
    return " (every network interface)" if host in _WILDCARD else ""


def _shown_secret(cfg: config.Config) -> str:
    """Only the built-in default is printed: a secret from the environment or rucket.toml stays out of logs."""
    return cfg.root_password if cfg.root_password == config.DEFAULT_ROOT else "(set by configuration, not shown)"


def _tls_files(cfg: config.Config) -> tls.TlsFiles | None:
    """The checked certificate/key pair, or None for plain HTTP; a bad file stops start-up naming it."""
    try:
        files = tls.configured(cfg.tls_cert, cfg.tls_key)
        if files is not None:
            tls.check(files)
    except tls.TlsFileError as exc:
        raise click.ClickException(f"cannot start: {exc}") from exc
    return files


def _warnings(cfg: config.Config, data_dir_flag: str | None) -> None:
    if cfg.uses_default_credentials() and not _loopback(cfg.host):
        _warn(f"the default root credentials rucketadmin/rucketadmin are reachable from the network on "
              f"{_bracket(cfg.host)}:{cfg.port}: anyone who can reach this port owns every bucket. Set "
              "RUCKET_ROOT_USER and RUCKET_ROOT_PASSWORD, or listen on 127.0.0.1 (--address 127.0.0.1:9000)")
    elif cfg.uses_default_credentials():
        _warn("using the default root credentials rucketadmin/rucketadmin: set RUCKET_ROOT_USER and "
              "RUCKET_ROOT_PASSWORD before exposing this server")
    if data_dir_flag is None and cfg.data_dir == config.DEFAULT_DATA_DIR:
        _warn(f"no --data-dir given: storing data in {Path(cfg.data_dir).resolve()}")
    if not cfg.fsync:
        _warn("fsync is OFF: acknowledged writes can be lost on a crash (test mode, not durable)")


@main.command()
@click.option("--data-dir", required=True, type=click.Path(exists=True, file_okay=False), help="data directory")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="rucket.toml")
@click.option("--repair", is_flag=True, default=False,
              help="delete temp files and orphans, quarantine corrupt blobs, drop what points at lost bytes")
def fsck(data_dir: str, config_file: Path | None, repair: bool) -> None:
    """Check (and repair) a STOPPED server's data directory. Exit 0 clean, 1 repaired, 4 problems left."""
    cfg = config.load(config_file, {"data_dir": data_dir})
    try:
        lock_fd = dirlock.acquire(Path(data_dir))  # held until exit: no server starts under a running fsck
    except dirlock.DataDirInUse as exc:
        raise click.ClickException(f"{exc} (fsck needs a stopped server)") from exc
    for name in ("lifecycle.lock", "scrub.lock", "gc.lock"):  # held by a running server's worker
        path = Path(data_dir) / name
        if path.exists() and not _lock_free(path):
            raise click.ClickException(f"{data_dir} is in use by a running server ({name} is locked): stop it first")
    engine = server.build_engine(cfg)
    try:
        report = asyncio.run(Fsck(engine.store).run(repair=repair))
    finally:
        engine.close()
    for line in report.lines():
        click.echo(line)
    os.close(lock_fd)
    sys.exit(0 if not report.problems else 1 if report.repaired else 4)


def _lock_free(path: Path) -> bool:
    with open(path, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(f, fcntl.LOCK_UN)
        return True


@main.command("backup")
@click.option("--data-dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="data directory of the (running or stopped) server")
@click.argument("dest", type=click.Path(path_type=Path))
def backup_cmd(data_dir: Path, dest: Path) -> None:
    """Consistent online snapshot of DATA_DIR into the new directory DEST (hard links where possible)."""
    _copy_step(lambda: backup.backup(data_dir, dest), f"backup to {dest}", f"backup of {data_dir} to {dest}")


@main.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--data-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="new (or empty) data directory to restore into; start `rucket serve` on it afterwards")
def restore_cmd(src: Path, data_dir: Path) -> None:
    """Verify the backup SRC and restore it into DATA_DIR."""
    _copy_step(lambda: backup.restore(src, data_dir), f"restore into {data_dir}", f"restore of {src} into {data_dir}")


def _copy_step(run: Callable[[], backup.Stats], failing: str, done: str) -> None:
    """Backup and restore fail the same way: our own check's message as is, an OS error (full disk, permissions)
    with what was being written; either way the step has already removed what it left behind."""
    try:
        stats = run()
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"{failing} failed, nothing kept there: {exc}") from exc
    click.echo(stats.line(f"{done} complete"))


@main.command("migrate")
@click.option("--from", "source_url", required=True, help="source S3 endpoint URL (MinIO, AWS, Ceph, Rucket...)")
@click.option("--access-key", required=True, help="source access key")
@click.option("--secret-key", required=True, help="source secret key")
@click.option("--to", "dest_url", envvar="RUCKET_ENDPOINT", default="http://127.0.0.1:9000", show_default=True,
              help="destination Rucket endpoint [env RUCKET_ENDPOINT]")
@click.option("--to-access-key", envvar="RUCKET_ROOT_USER", default="rucketadmin", help="[env RUCKET_ROOT_USER]")
@click.option("--to-secret-key", envvar="RUCKET_ROOT_PASSWORD", default="rucketadmin",
              help="[env RUCKET_ROOT_PASSWORD]")
@click.option("--bucket", "buckets", multiple=True, help="bucket to copy (repeat); default: every source bucket")
@click.option("--region", default="us-east-1", show_default=True, help="source region")
@click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False), help="CA file trusted for both ends")
@click.option("--parallel", type=click.IntRange(1, 64), default=4, show_default=True, help="keys copied at once")
def migrate_cmd(source_url: str, access_key: str, secret_key: str, dest_url: str, to_access_key: str,
                to_secret_key: str, buckets: tuple[str, ...], region: str, ca_bundle: str | None,
                parallel: int) -> None:
    """Copy buckets (objects, versions, metadata, tags, configuration) from any S3 server; resumable.
    Exit 0 when everything was copied, 1 when the report lists items that were not."""
    try:
        job = migrate.Migration(migrate.Endpoint(source_url, access_key, secret_key, region, ca_bundle),
                                migrate.Endpoint(dest_url, to_access_key, to_secret_key, ca_bundle=ca_bundle),
                                parallel=parallel)
        names = job.buckets(buckets)
    except migrate.MigrateError as exc:
        raise click.ClickException(str(exc)) from exc
    for name in names:
        plan = job.prepare(name)
        if plan is None:
            continue
        with click.progressbar(length=plan.total, label=f"{name}", file=sys.stderr) as bar:
            job.copy(plan, bar.update)
        job.finish(plan)
    for line in job.report.lines():
        click.echo(line)
    if job.report.failures:
        sys.exit(1)


@main.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script: `eval "$(rucket completion bash)"`."""
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(main, {}, "rucket", "_RUCKET_COMPLETE").source())
