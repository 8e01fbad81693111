"""Bucket list (with sizes for the root user, from the admin usage view), create and delete."""

from __future__ import annotations

from typing import Any

from rucket.console.context import Ctx
from rucket.console.web import Page, Route
from rucket.core.paths import ADMIN, CONSOLE
from rucket.s3.auth.client import object_path


async def _buckets(ctx: Ctx) -> tuple[list[dict[str, Any]], str]:
    reply = await ctx.s3("GET", "/")
    if not reply.ok:
        return [], reply.error()
    sizes: dict[str, dict[str, Any]] = {}
    if ctx.user.is_root:  # only the admin API knows sizes without listing every key
        usage = await ctx.admin("GET", f"{ADMIN}/usage")
        if usage.ok:
            sizes = {b["name"]: b for b in usage.json()["buckets"]}
    out = [{"name": b.findtext("Name") or "", "created": b.findtext("CreationDate") or "",
            **{k: sizes.get(b.findtext("Name") or "", {}).get(k) for k in ("objects", "bytes")}}
           for b in reply.xml().iter("Bucket")]
    return out, ""


async def _list_page(ctx: Ctx, status: int = 200, error: str = "", name: str = "") -> Page:
    buckets, list_error = await _buckets(ctx)
    return ctx.render("buckets.html", status, buckets=buckets, error=error or list_error, name=name)


async def list_buckets(ctx: Ctx) -> Page:
    return await _list_page(ctx)


async def create_bucket(ctx: Ctx) -> Page:
    name = ctx.req.form().get("name", "").strip()
    reply = await ctx.s3("PUT", object_path(name or "-"))
    if not reply.ok:
        return await _list_page(ctx, reply.status, reply.error(), name)
    return Page.redirect(f"{CONSOLE}/b/{name}")


ROUTES = (
    Route("GET", "/buckets", list_buckets),
    Route("POST", "/buckets", create_bucket),
)
