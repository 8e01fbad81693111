"""Users, access keys and identity policies (root only), through the admin API as the root user.

A new secret is shown once, on the page that answers the request that created it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from rucket.console.context import Ctx
from rucket.console.web import Page, Route
from rucket.core.paths import ADMIN, CONSOLE

USERS = f"{CONSOLE}/users"


def _seg(name: str) -> str:
    return quote(name, safe="")


async def users_page(ctx: Ctx, status: int = 200, **extra: Any) -> Page:
    users, policies, error = [], [], ""
    listed = await ctx.admin("GET", f"{ADMIN}/users")
    if listed.ok:
        for u in listed.json()["users"]:
            detail = await ctx.admin("GET", f"{ADMIN}/users/{_seg(u['name'])}")
            users.append({**u, "keys": detail.json().get("keys", []) if detail.ok else []})
    else:
        error = listed.error()
    got = await ctx.admin("GET", f"{ADMIN}/policies")
    if got.ok:
        policies = got.json()["policies"]
    return ctx.render("users.html", status, users=users, policies=policies,
                      **{"error": error, "new_secret": None, "policy_form": {}, **extra})


async def _act(ctx: Ctx, method: str, path: str, body: Any = None, **on_error: Any) -> Page:
    """One admin call; back to the list, or the list with the error."""
    data = json.dumps(body).encode() if body is not None else b""
    reply = await ctx.admin(method, path, data)
    if not reply.ok:
        return await users_page(ctx, reply.status, error=reply.error(), **on_error)
    return Page.redirect(USERS)


async def list_users(ctx: Ctx) -> Page:
    return await users_page(ctx)


async def create_user(ctx: Ctx) -> Page:
    name = ctx.req.form().get("name", "").strip()
    reply = await ctx.admin("POST", f"{ADMIN}/users", json.dumps({"name": name}).encode())
    if not reply.ok:
        return await users_page(ctx, reply.status, error=reply.error())
    data = reply.json()
    return await users_page(ctx, 201, new_secret={"user": name, "access_key": data["access_key"],
                                                  "secret_key": data["secret_key"]})


async def delete_user(ctx: Ctx) -> Page:
    return await _act(ctx, "DELETE", f"{ADMIN}/users/{_seg(ctx.params['name'])}")


async def create_key(ctx: Ctx) -> Page:
    name = ctx.params["name"]
    reply = await ctx.admin("POST", f"{ADMIN}/users/{_seg(name)}/keys", b"{}")
    if not reply.ok:
        return await users_page(ctx, reply.status, error=reply.error())
    data = reply.json()
    return await users_page(ctx, 201, new_secret={"user": name, "access_key": data["access_key"],
                                                  "secret_key": data["secret_key"]})


async def set_key_state(ctx: Ctx) -> Page:
    enabled = ctx.req.form().get("enabled") == "true"
    return await _act(ctx, "PATCH", f"{ADMIN}/keys/{_seg(ctx.params['access_key'])}", {"enabled": enabled})


async def delete_key(ctx: Ctx) -> Page:
    return await _act(ctx, "DELETE", f"{ADMIN}/keys/{_seg(ctx.params['access_key'])}")


async def attach(ctx: Ctx) -> Page:
    form = ctx.req.form()
    method = "DELETE" if form.get("action") == "detach" else "PUT"
    return await _act(ctx, method, f"{ADMIN}/users/{_seg(ctx.params['name'])}/policies/{_seg(form.get('policy', ''))}")


async def put_policy(ctx: Ctx) -> Page:
    form = ctx.req.form()
    name, document = form.get("name", "").strip(), form.get("document", "")
    reply = await ctx.admin("PUT", f"{ADMIN}/policies/{_seg(name or '-')}", document.encode())
    if not reply.ok:
        return await users_page(ctx, reply.status, policy_form={"name": name, "document": document,
                                                                "error": reply.error()})
    return Page.redirect(USERS)


async def delete_policy(ctx: Ctx) -> Page:
    return await _act(ctx, "DELETE", f"{ADMIN}/policies/{_seg(ctx.params['name'])}")


ROUTES = (
    Route("GET", "/users", list_users, root=True),
    Route("POST", "/users", create_user, root=True),
    Route("POST", "/users/{name}/delete", delete_user, root=True),
    Route("POST", "/users/{name}/keys", create_key, root=True),
    Route("POST", "/keys/{access_key}/state", set_key_state, root=True),
    Route("POST", "/keys/{access_key}/delete", delete_key, root=True),
    Route("POST", "/users/{name}/policies", attach, root=True),
    Route("POST", "/policies", put_policy, root=True),
    Route("POST", "/policies/{name}/delete", delete_policy, root=True),
)
