"""`rucket admin ...`: manage a running server through its admin API.

Talks HTTP to `/_rucket/admin/`, SigV4-signed with the root credentials (the server's
database is never opened from here). Output is a table for people (dates in UTC) or the
API's own JSON for scripts (`--output json`: epoch-millisecond fields unchanged).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import click

from rucket.core.paths import ADMIN
from rucket.s3.auth.client import AccessKey, raw_query, sign_headers

EXIT_REFUSED, EXIT_UNREACHABLE = 1, 3  # 2 is click's usage error
EPILOG = f"""\b
Environment: RUCKET_ENDPOINT, RUCKET_ROOT_USER, RUCKET_ROOT_PASSWORD, RUCKET_REGION,
RUCKET_OUTPUT stand in for the options of the same name.
\b
Exit status: 0 done; {EXIT_REFUSED} the server refused (its error is printed);
2 bad usage; {EXIT_UNREACHABLE} the server could not be reached."""


class Unreachable(click.ClickException):
    exit_code = EXIT_UNREACHABLE


def signed_request(endpoint: str, access_key: str, secret: str, region: str, method: str, path: str,
                   body: bytes = b"", query: Iterable[tuple[str, str]] = (), now_ms: int | None = None
                   ) -> tuple[int, Any]:
    """One SigV4-signed admin call (s3/auth/client.py); returns (status, decoded JSON).

    Raises `Unreachable` when nothing answers (refused, DNS, timeout) and ClickException when
    something answers that is not the admin API (no JSON)."""
    raw_path, raw_q = quote(path, safe="/"), raw_query(query)
    headers = sign_headers(AccessKey(access_key, secret), method, raw_path, raw_q, urlsplit(endpoint).netloc,
                           hashlib.sha256(body).hexdigest(), time.time_ns() // 1_000_000 if now_ms is None else now_ms,
                           region)
    url = endpoint.rstrip("/") + raw_path + (f"?{raw_q}" if raw_q else "")
    req = urllib.request.Request(url, data=body or None, method=method,
                                 headers={k: v for k, v in headers.items() if k != "host"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, _json(resp.read(), endpoint)
    except urllib.error.HTTPError as err:
        return err.code, _json(err.read(), endpoint)
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise Unreachable(f"cannot reach the Rucket server at {endpoint} ({reason}). Is `rucket serve` running "
                          "there? Set --endpoint or RUCKET_ENDPOINT.") from err


def _json(data: bytes, endpoint: str) -> Any:
    try:
        return json.loads(data or b"{}")
    except ValueError as exc:
        raise click.ClickException(f"{endpoint} answered, but not as a Rucket admin API (no JSON): "
                                   f"{data[:80]!r}") from exc


# ---- output -----------------------------------------------------------------------------------
def human(name: str, value: Any) -> str:
    """One cell: `*_ms` epoch times as UTC dates, lists joined, booleans as yes/no."""
    if name.endswith("_ms") and isinstance(value, int) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(str(v) for v in value) or "-"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return "-" if value is None or value == "" else str(value)


def _header(name: str) -> str:
    return name.removesuffix("_ms").replace("_", " ").upper()


def table(rows: list[dict[str, Any]]) -> str:
    """Aligned columns, one per key in first-seen order."""
    if not rows:
        return "(none)"
    columns = list(dict.fromkeys(k for r in rows for k in r))
    cells = [[_header(c) for c in columns], *([human(c, r.get(c)) for c in columns] for r in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells)


def render(out: Any) -> str:
    """Lists of records become tables; everything else `name: value` lines (nested: indented)."""
    if isinstance(out, dict):
        lists = [k for k, v in out.items() if isinstance(v, list) and v and all(isinstance(i, dict) for i in v)]
        if len(out) == 1 and lists:
            return table(out[lists[0]])
        lines = []
        for k, v in out.items():
            if k in lists:
                lines += [f"{k}:", *("  " + line for line in table(v).splitlines())]
            elif isinstance(v, dict) and v:
                lines += [f"{k}:", *("  " + line for line in render(v).splitlines())]
            else:
                lines.append(f"{k}: {human(k, v)}")
        return "\n".join(lines)
    return table(out) if isinstance(out, list) else str(out)


# ---- commands ---------------------------------------------------------------------------------
@click.group(epilog=EPILOG)
@click.option("--endpoint", envvar="RUCKET_ENDPOINT", default="http://127.0.0.1:9000", show_default=True,
              show_envvar=True, help="URL of the running server.")
@click.option("--access-key", envvar="RUCKET_ROOT_USER", default="rucketadmin", show_default=True,
              show_envvar=True, help="The root user's access key.")
@click.option("--secret-key", envvar="RUCKET_ROOT_PASSWORD", default="rucketadmin", show_envvar=True,
              help="The root user's secret key.")
@click.option("--region", envvar="RUCKET_REGION", default="us-east-1", show_default=True, show_envvar=True,
              help="Region the server signs with.")
@click.option("--output", "-o", envvar="RUCKET_OUTPUT", type=click.Choice(["table", "json"]), default="table",
              show_default=True, show_envvar=True,
              help="table: for people, dates in UTC; json: the API's answer as is, for scripts.")
@click.pass_context
def admin(ctx: click.Context, endpoint: str, access_key: str, secret_key: str, region: str, output: str) -> None:
    """Manage users, access keys, identity policies and KMS keys of a running server, and read its
    status. Every command talks to the server's admin API as the root user."""
    ctx.obj = (endpoint, access_key, secret_key, region, output)


def _call(method: str, path: str, body: Any = None, raw: bytes | None = None,
          query: Iterable[tuple[str, str]] = ()) -> Any:
    endpoint, ak, sk, region, output = click.get_current_context().obj
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    status, out = signed_request(endpoint, ak, sk, region, method, path, data, query)
    if status >= 300:
        detail = f"{out.get('error', '')}: {out.get('message', '')}" if isinstance(out, dict) else str(out)
        raise click.ClickException(f"{status} {detail}")
    click.echo(json.dumps(out, indent=2) if output == "json" else render(out))
    return out


@admin.command("info")
def info() -> None:
    """Version, uptime, region, data dir and configuration (no secrets)."""
    _call("GET", f"{ADMIN}/info")


@admin.command("usage")
def usage() -> None:
    """Objects and bytes per bucket, and the totals."""
    _call("GET", f"{ADMIN}/usage")


@admin.command("buckets")
def buckets() -> None:
    """Every bucket with owner, creation date, versioning, size and configured features."""
    _call("GET", f"{ADMIN}/buckets")


@admin.group()
def user() -> None:
    """Users: add, ls, show, rm (each user has one or more access keys)."""


@user.command("add")
@click.argument("name")
@click.option("--display-name", default="", help="Shown as the owner's DisplayName in S3 listings.")
@click.option("--email", default="", help="For ACL grants by email address.")
def user_add(name: str, display_name: str, email: str) -> None:
    """Create user NAME and its first access key (the secret is shown once)."""
    _call("POST", f"{ADMIN}/users", {"name": name, "display_name": display_name, "email": email})


@user.command("ls")
def user_ls() -> None:
    """List users with their canonical ids and attached policies."""
    _call("GET", f"{ADMIN}/users")


@user.command("show")
@click.argument("name")
def user_show(name: str) -> None:
    """One user NAME with its access keys (never their secrets)."""
    _call("GET", f"{ADMIN}/users/{name}")


@user.command("rm")
@click.argument("name")
def user_rm(name: str) -> None:
    """Delete user NAME and all its access keys."""
    _call("DELETE", f"{ADMIN}/users/{name}")


@admin.group()
def key() -> None:
    """Access keys: add, ls, disable, enable, rotate, rm."""


@key.command("add")
@click.argument("user_name")
def key_add(user_name: str) -> None:
    """A new access key for USER_NAME (the secret is shown once)."""
    _call("POST", f"{ADMIN}/users/{user_name}/keys", {})


@key.command("ls")
@click.argument("user_name")
def key_ls(user_name: str) -> None:
    """USER_NAME's access keys, enabled or not, with creation dates."""
    _call("GET", f"{ADMIN}/users/{user_name}/keys")


@key.command("rm")
@click.argument("access_key")
def key_rm(access_key: str) -> None:
    """Delete ACCESS_KEY: requests signed with it fail at once."""
    _call("DELETE", f"{ADMIN}/keys/{access_key}")


@key.command("disable")
@click.argument("access_key")
def key_disable(access_key: str) -> None:
    """Stop accepting ACCESS_KEY (it can be enabled again)."""
    _call("PATCH", f"{ADMIN}/keys/{access_key}", {"enabled": False})


@key.command("enable")
@click.argument("access_key")
def key_enable(access_key: str) -> None:
    """Accept a disabled ACCESS_KEY again."""
    _call("PATCH", f"{ADMIN}/keys/{access_key}", {"enabled": True})


@key.command("rotate")
@click.argument("access_key")
def key_rotate(access_key: str) -> None:
    """A new key for ACCESS_KEY's user; ACCESS_KEY itself is disabled."""
    _call("POST", f"{ADMIN}/keys/{access_key}/rotate", {})


@admin.group()
def policy() -> None:
    """Identity policies: add (from a JSON file), ls, rm, attach, detach."""


@policy.command("add")
@click.argument("name")
@click.argument("document", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def policy_add(name: str, document: Path) -> None:
    """Create or replace policy NAME from the IAM policy JSON in file DOCUMENT (validated by the server)."""
    _call("PUT", f"{ADMIN}/policies/{name}", raw=document.read_bytes())


@policy.command("ls")
def policy_ls() -> None:
    """List identity policies."""
    _call("GET", f"{ADMIN}/policies")


@policy.command("rm")
@click.argument("name")
def policy_rm(name: str) -> None:
    """Delete policy NAME."""
    _call("DELETE", f"{ADMIN}/policies/{name}")


@policy.command("attach")
@click.argument("name")
@click.argument("user_name")
def policy_attach(name: str, user_name: str) -> None:
    """Attach policy NAME to user USER_NAME."""
    _call("PUT", f"{ADMIN}/users/{user_name}/policies/{name}")


@policy.command("detach")
@click.argument("name")
@click.argument("user_name")
def policy_detach(name: str, user_name: str) -> None:
    """Detach policy NAME from user USER_NAME."""
    _call("DELETE", f"{ADMIN}/users/{user_name}/policies/{name}")


@admin.group()
def kms() -> None:
    """Built-in KMS keys for SSE-KMS: create, ls, show, rotate (old versions stay readable)."""


@kms.command("create")
@click.argument("key_id")
@click.option("--description", default="", help="Free text shown by ls and show.")
def kms_create(key_id: str, description: str) -> None:
    """Create KMS key KEY_ID (use it as x-amz-server-side-encryption-aws-kms-key-id)."""
    _call("POST", f"{ADMIN}/kms/keys", {"key_id": key_id, "description": description})


@kms.command("ls")
def kms_ls() -> None:
    """List KMS keys with their versions (never key material)."""
    _call("GET", f"{ADMIN}/kms/keys")


@kms.command("show")
@click.argument("key_id")
def kms_show(key_id: str) -> None:
    """One KMS key KEY_ID."""
    _call("GET", f"{ADMIN}/kms/keys/{key_id}")


@kms.command("rotate")
@click.argument("key_id")
def kms_rotate(key_id: str) -> None:
    """New objects use a new version of KEY_ID; objects sealed under older versions still open."""
    _call("POST", f"{ADMIN}/kms/keys/{key_id}/rotate")


@admin.command("events")
@click.option("--after", type=click.IntRange(min=0), default=None,
              help="events after this LSN (default: the last --limit events)")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True, help="at most this many")
@click.option("--json", "as_json", is_flag=True, default=False, help="one JSON object per line, with the record")
def events(after: int | None, limit: int, as_json: bool) -> None:
    """The event feed: every mutation with its LSN, HLC, PG, home region and full record."""
    endpoint, ak, sk, region, _output = click.get_current_context().obj  # --json picks the format here
    shown = 0
    while shown < limit:
        query = {"limit": str(min(limit - shown, EVENTS_PAGE))} | ({} if after is None else {"after": str(after)})
        status, out = signed_request(endpoint, ak, sk, region, "GET", f"{ADMIN}/events", query=sorted(query.items()))
        if status >= 300:
            raise click.ClickException(f"{status} {out.get('error', '')}: {out.get('message', '')}")
        if not shown and not as_json:
            click.echo(EVENT_ROW.format("LSN", "HLC", "TYPE", "BUCKET", "KEY", "VERSION", "PG", "REGION"))
        for ev in out["events"]:
            click.echo(json.dumps(ev, ensure_ascii=False, separators=(",", ":")) if as_json else _event_row(ev))
        shown += len(out["events"])
        if not out["events"]:
            break
        after = out["next_after"]


EVENTS_PAGE = 1000  # the admin API's largest page
EVENT_ROW = "{:>8}  {:>20}  {:<26}  {:<20}  {:<30}  {:<32}  {:>4}  {}"


def _event_row(ev: dict[str, Any]) -> str:
    if ev.get("corrupt"):
        return f"{ev['lsn']:>8}  CORRUPT (fails its CRC32)"
    return EVENT_ROW.format(ev["lsn"], ev["hlc"], ev["type"], ev["bucket"] or "-", ev["key"] or "-",
                            ev["version_id"] or "-", ev["pg"], ev["region"] or "-")


@admin.group("cluster")
def cluster() -> None:
    """Cluster mode: state of the nodes, etcd and placement groups."""


@cluster.command("status")
@click.option("--json", "as_json", is_flag=True, default=False, help="the admin API's JSON, for scripts")
def cluster_status(as_json: bool) -> None:
    """Nodes (up / suspect / down / out), zone, etcd role, PG counts (clean / degraded / misplaced), map epoch."""
    endpoint, ak, sk, region, _ = click.get_current_context().obj
    status, out = signed_request(endpoint, ak, sk, region, "GET", f"{ADMIN}/cluster")
    if status >= 300:
        raise click.ClickException(f"{status} {out.get('error', '')}: {out.get('message', '')}")
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    etcd, pgs = out["etcd"], out["pgs"]
    click.echo(f"map epoch {out['epoch']}  writable: {human('w', out['writable'])}  "
               f"etcd leader: {etcd['leader'] or '(none)'}  (seen from {out['node']})")
    click.echo(f"PGs: {pgs['total']} total, {pgs['clean']} clean, {pgs['degraded']} degraded, "
               f"{pgs['misplaced']} misplaced, {pgs['unavailable']} unavailable")
    click.echo(table([{k: n[k] for k in ("id", "address", "zone", "state", "etcd", "pgs")} for n in out["nodes"]]))
