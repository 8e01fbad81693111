"""`rucket admin ...`: manage users, keys and identity policies of a running server.

Talks to the server's admin API over HTTP, SigV4-signed with the root credentials (the
server's database is never opened from here). Endpoint and credentials come from flags or
RUCKET_ENDPOINT / RUCKET_ROOT_USER / RUCKET_ROOT_PASSWORD.
"""

from __future__ import annotations

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


def signed_request(endpoint: str, access_key: str, secret: str, region: str, method: str, path: str,
                   body: bytes = b"", query: Iterable[tuple[str, str]] = (), now_ms: int | None = None
                   ) -> tuple[int, Any]:
    """One SigV4-signed admin call (s3/auth/client.py); returns (status, decoded JSON)."""
    raw_path, raw_q = quote(path, safe="/"), raw_query(query)
    headers = sign_headers(AccessKey(access_key, secret), method, raw_path, raw_q, urlsplit(endpoint).netloc,
                           hashlib.sha256(body).hexdigest(), time.time_ns() // 1_000_000 if now_ms is None else now_ms,
                           region)
    url = endpoint.rstrip("/") + raw_path + (f"?{raw_q}" if raw_q else "")
    req = urllib.request.Request(url, data=body or None, method=method,
                                 headers={k: v for k, v in headers.items() if k != "host"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


@click.group()
@click.option("--endpoint", envvar="RUCKET_ENDPOINT", default="http://127.0.0.1:9000", show_default=True)
@click.option("--access-key", envvar="RUCKET_ROOT_USER", default="rucketadmin", show_default=True)
@click.option("--secret-key", envvar="RUCKET_ROOT_PASSWORD", default="rucketadmin")
@click.option("--region", envvar="RUCKET_REGION", default="us-east-1", show_default=True)
@click.pass_context
def admin(ctx: click.Context, endpoint: str, access_key: str, secret_key: str, region: str) -> None:
    """Manage users, access keys and identity policies of a running server."""
    ctx.obj = (endpoint, access_key, secret_key, region)


def _call(method: str, path: str, body: Any = None, raw: bytes | None = None) -> Any:
    endpoint, ak, sk, region = click.get_current_context().obj
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    status, out = signed_request(endpoint, ak, sk, region, method, path, data)
    if status >= 300:
        raise click.ClickException(f"{status} {out.get('error', '')}: {out.get('message', '')}")
    click.echo(json.dumps(out, indent=2))
    return out


@admin.group()
def user() -> None:
    """Users (each with one or more access keys)."""


@user.command("add")
@click.argument("name")
@click.option("--display-name", default="")
@click.option("--email", default="")
def user_add(name: str, display_name: str, email: str) -> None:
    """Create a user and its first access key (the secret is shown once)."""
    _call("POST", f"{ADMIN}/users", {"name": name, "display_name": display_name, "email": email})


@user.command("ls")
def user_ls() -> None:
    _call("GET", f"{ADMIN}/users")


@user.command("rm")
@click.argument("name")
def user_rm(name: str) -> None:
    _call("DELETE", f"{ADMIN}/users/{name}")


@admin.group()
def key() -> None:
    """Access keys: add, list, disable/enable, rotate, remove."""


@key.command("add")
@click.argument("user_name")
def key_add(user_name: str) -> None:
    _call("POST", f"{ADMIN}/users/{user_name}/keys", {})


@key.command("ls")
@click.argument("user_name")
def key_ls(user_name: str) -> None:
    _call("GET", f"{ADMIN}/users/{user_name}/keys")


@key.command("rm")
@click.argument("access_key")
def key_rm(access_key: str) -> None:
    _call("DELETE", f"{ADMIN}/keys/{access_key}")


@key.command("disable")
@click.argument("access_key")
def key_disable(access_key: str) -> None:
    _call("PATCH", f"{ADMIN}/keys/{access_key}", {"enabled": False})


@key.command("enable")
@click.argument("access_key")
def key_enable(access_key: str) -> None:
    _call("PATCH", f"{ADMIN}/keys/{access_key}", {"enabled": True})


@key.command("rotate")
@click.argument("access_key")
def key_rotate(access_key: str) -> None:
    """A new key for the same user; the old one is disabled."""
    _call("POST", f"{ADMIN}/keys/{access_key}/rotate", {})


@admin.group()
def policy() -> None:
    """Identity policies: add (from a JSON file), ls, rm, attach, detach."""


@policy.command("add")
@click.argument("name")
@click.argument("document", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def policy_add(name: str, document: Path) -> None:
    _call("PUT", f"{ADMIN}/policies/{name}", raw=document.read_bytes())


@policy.command("ls")
def policy_ls() -> None:
    _call("GET", f"{ADMIN}/policies")


@policy.command("rm")
@click.argument("name")
def policy_rm(name: str) -> None:
    _call("DELETE", f"{ADMIN}/policies/{name}")


@policy.command("attach")
@click.argument("name")
@click.argument("user_name")
def policy_attach(name: str, user_name: str) -> None:
    _call("PUT", f"{ADMIN}/users/{user_name}/policies/{name}")


@policy.command("detach")
@click.argument("name")
@click.argument("user_name")
def policy_detach(name: str, user_name: str) -> None:
    _call("DELETE", f"{ADMIN}/users/{user_name}/policies/{name}")


@admin.group()
def kms() -> None:
    """Built-in KMS keys for SSE-KMS: create, ls, show, rotate (old versions stay readable)."""


@kms.command("create")
@click.argument("key_id")
@click.option("--description", default="")
def kms_create(key_id: str, description: str) -> None:
    _call("POST", f"{ADMIN}/kms/keys", {"key_id": key_id, "description": description})


@kms.command("ls")
def kms_ls() -> None:
    _call("GET", f"{ADMIN}/kms/keys")


@kms.command("show")
@click.argument("key_id")
def kms_show(key_id: str) -> None:
    _call("GET", f"{ADMIN}/kms/keys/{key_id}")


@kms.command("rotate")
@click.argument("key_id")
def kms_rotate(key_id: str) -> None:
    """New objects use a new version of the key; objects sealed under older versions still open."""
    _call("POST", f"{ADMIN}/kms/keys/{key_id}/rotate")


@admin.command("events")
@click.option("--after", type=click.IntRange(min=0), default=None,
              help="events after this LSN (default: the last --limit events)")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True, help="at most this many")
@click.option("--json", "as_json", is_flag=True, default=False, help="one JSON object per line, with the record")
def events(after: int | None, limit: int, as_json: bool) -> None:
    """The event feed: every mutation with its LSN, HLC, PG, home region and full record."""
    endpoint, ak, sk, region = click.get_current_context().obj
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
