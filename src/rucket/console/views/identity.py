"""Identity (root only): every access key with its status and expiry, service accounts (keys
whose own policy narrows their user's), and the policy simulator.

All through the admin API as the root user: creating a service account is
`POST users/{name}/keys` with a policy, the simulator is `POST simulate`, answered by the
same evaluator every S3 request meets. The console only shapes the forms.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from rucket.console.context import Ctx
from rucket.console.web import Page, Route, url
from rucket.core.paths import ADMIN, CONSOLE

DAY_MS = 86_400_000
MAX_DAYS = 36_500
ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetObjectTagging",
           "s3:PutObjectTagging", "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucket", "s3:CreateBucket",
           "s3:ListAllMyBuckets", "s3:GetObjectVersion", "s3:DeleteObjectVersion", "s3:PutBucketVersioning")


def _seg(name: str) -> str:
    return quote(name, safe="")


async def identity_page(ctx: Ctx, status: int = 200, **extra: Any) -> Page:
    users: list[str] = []
    keys: list[dict[str, Any]] = []
    error = ""
    listed = await ctx.admin("GET", f"{ADMIN}/users")
    if listed.ok:
        users = [u["name"] for u in listed.json()["users"]]
        for name in users:
            got = await ctx.admin("GET", f"{ADMIN}/users/{_seg(name)}/keys")
            keys += got.json().get("keys", []) if got.ok else []
    else:
        error = listed.error()
    values = {"error": error, "new_secret": None, "key_form": {}, "sim": {}, "answer": None,
              "saved": ctx.req.query.get("saved", ""), **extra}
    return ctx.render("identity.html", status, users=users, keys=keys, actions=ACTIONS, now_ms=ctx.svc.now_ms(),
                      **values)


def expiry_ms(days: str, now_ms: int) -> int | None:
    """"" → never; a whole number of days 1..36500 → that long from now; else ValueError."""
    if not days.strip():
        return None
    try:
        n = int(days)
    except ValueError as exc:
        raise ValueError("expiry is a whole number of days (empty: never)") from exc
    if not 1 <= n <= MAX_DAYS:
        raise ValueError(f"expiry is 1 to {MAX_DAYS} days (empty: never)")
    return now_ms + n * DAY_MS


def _key_request(form: Mapping[str, str], now_ms: int) -> dict[str, Any]:
    body: dict[str, Any] = {"expires_ms": expiry_ms(form.get("expires_days", ""), now_ms),
                            "description": form.get("description", "").strip()}
    if form.get("policy", "").strip():
        body["policy"] = form["policy"]  # the admin API validates it like any policy
    return body


async def show(ctx: Ctx) -> Page:
    return await identity_page(ctx)


async def create_key(ctx: Ctx) -> Page:
    form = ctx.req.form()
    user = form.get("user", "")
    try:
        body = _key_request(form, ctx.svc.now_ms())
    except ValueError as exc:
        return await identity_page(ctx, 400, key_form={**form, "error": str(exc)})
    reply = await ctx.admin("POST", f"{ADMIN}/users/{_seg(user or '-')}/keys", json.dumps(body).encode())
    if not reply.ok:
        return await identity_page(ctx, reply.status, key_form={**form, "error": reply.error()})
    data = reply.json()
    return await identity_page(ctx, 201, new_secret={"user": user, "access_key": data["access_key"],
                                                     "secret_key": data["secret_key"],
                                                     "service_account": data.get("service_account", False)})


async def set_expiry(ctx: Ctx) -> Page:
    try:
        expires = expiry_ms(ctx.req.form().get("expires_days", ""), ctx.svc.now_ms())
    except ValueError as exc:
        return await identity_page(ctx, 400, error=str(exc))
    reply = await ctx.admin("PATCH", f"{ADMIN}/keys/{_seg(ctx.params['access_key'])}",
                            json.dumps({"expires_ms": expires}).encode())
    if not reply.ok:
        return await identity_page(ctx, reply.status, error=reply.error())
    return Page.redirect(url(f"{CONSOLE}/identity", saved=ctx.params["access_key"]))


async def simulate(ctx: Ctx) -> Page:
    form = ctx.req.form()
    sim = {k: form.get(k, "").strip() for k in ("principal", "action", "resource")}
    reply = await ctx.admin("POST", f"{ADMIN}/simulate", json.dumps(sim).encode())
    if not reply.ok:
        return await identity_page(ctx, reply.status, sim={**sim, "error": reply.error()})
    return await identity_page(ctx, sim=sim, answer=reply.json())


ROUTES = (
    Route("GET", "/identity", show, root=True),
    Route("POST", "/identity/keys", create_key, root=True),
    Route("POST", "/identity/keys/{access_key}/expiry", set_expiry, root=True),
    Route("POST", "/identity/simulate", simulate, root=True),
)
