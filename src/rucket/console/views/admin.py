"""Server overview and metrics charts (root only).

The overview reads the admin views (info, usage, lifecycle, event tail) as the root user;
the metrics page's script polls `/_rucket/console/api/metrics`, the Prometheus text of `/metrics`,
and draws the charts itself.
"""

from __future__ import annotations

from typing import Any

from rucket.console.context import Ctx
from rucket.console.web import Page, Route
from rucket.core.paths import ADMIN

EVENTS_SHOWN = 50
CHART_BUCKETS = 12  # the largest buckets get a bar; the table lists them all


async def server(ctx: Ctx) -> Page:
    views: dict[str, Any] = {}
    for name, path in (("info", f"{ADMIN}/info"), ("usage", f"{ADMIN}/usage"), ("lifecycle", f"{ADMIN}/lifecycle")):
        reply = await ctx.admin("GET", path)
        views[name] = reply.json() if reply.ok else {"error": reply.error()}
    events = await ctx.admin("GET", f"{ADMIN}/events", query=[("limit", str(EVENTS_SHOWN))])
    tail = list(reversed(events.json()["events"])) if events.ok else []
    top = sorted(views["usage"].get("buckets", []), key=lambda b: -b["bytes"])[:CHART_BUCKETS]
    return ctx.render("server.html", events=tail, node=views["info"].get("node_id", "local"),
                      bytes_by_bucket=[(b["name"], b["bytes"]) for b in top],
                      objects_by_bucket=[(b["name"], b["objects"]) for b in top], **views)


async def metrics_page(ctx: Ctx) -> Page:
    return ctx.render("metrics.html")


async def metrics_text(ctx: Ctx) -> Page:
    reply = await ctx.s3("GET", "/metrics")
    return Page.text(reply.body, reply.status, "text/plain; version=0.0.4; charset=utf-8")


ROUTES = (
    Route("GET", "/server", server, root=True),
    Route("GET", "/metrics", metrics_page, root=True),
    Route("GET", "/api/metrics", metrics_text, root=True),
)
