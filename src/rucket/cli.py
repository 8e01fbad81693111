"""Command line: `rucket serve` (and later admin, fsck, upgrade)."""

from __future__ import annotations

import asyncio
import fcntl
import sys
import tempfile
import time
from pathlib import Path

import click

from rucket import __version__, config, server
from rucket.cli_admin import admin as admin_group
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
def serve(address: str | None, port: int | None, data_dir: str | None, config_file: Path | None,
          workers: int | None, no_fsync: bool, log_format: str | None, dev: bool,
          accept_damaged_log: bool | None) -> None:
    """Serve the S3 API."""
    started = time.perf_counter()
    if dev and data_dir is None:
        data_dir = tempfile.mkdtemp(prefix="rucket-dev-")
    flags: dict[str, object] = {"address": address, "data_dir": data_dir, "workers": workers,
                                "log_format": log_format, "accept_damaged_log": accept_damaged_log}
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
    _warnings(cfg, data_dir)
    try:
        tmp, orphans = server.recover(cfg)
    except DamagedEventLog as exc:
        click.secho(f"ERROR: {exc}. Refusing to start: every later record would build on it. Inspect with "
                    f"`rucket fsck --data-dir {cfg.data_dir}` (--repair drops damaged records), or start with "
                    "--accept-damaged-log to serve anyway.", fg="red", err=True)
        sys.exit(3)
    shown = "127.0.0.1" if cfg.host in ("0.0.0.0", "") else cfg.host
    click.echo(f"Rucket listening on http://{shown}:{cfg.port}", err=False)
    click.echo(_BANNER.format(version=__version__, endpoint=f"http://{shown}:{cfg.port}", region=cfg.region,
                              user=cfg.root_user, password=cfg.root_password, data=Path(cfg.data_dir).resolve(),
                              tmp=tmp, orphans=orphans, console=CONSOLE))
    click.echo(f"Startup took {(time.perf_counter() - started) * 1000:.0f} ms before the HTTP server", err=True)
    sys.stdout.flush()
    server.run(cfg)


def _warnings(cfg: config.Config, data_dir_flag: str | None) -> None:
    if cfg.uses_default_credentials():
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
    sys.exit(0 if not report.problems else 1 if report.repaired else 4)


def _lock_free(path: Path) -> bool:
    with open(path, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(f, fcntl.LOCK_UN)
        return True


@main.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script: `eval "$(rucket completion bash)"`."""
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(main, {}, "rucket", "_RUCKET_COMPLETE").source())
