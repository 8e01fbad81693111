"""The event feed over the admin API: read by LSN, and named consumers with checkpoints.

`GET /events?after=LSN&limit=N` pages forward (without `after`: the last `limit` events);
`GET /events?consumer=NAME` returns what that consumer has not processed yet, or 409
`ResyncRequired` when it was gone longer than the retention or missed trimmed events.
Consumers register (`PUT /events/consumers/{name}`, body `{"from_lsn": N}` optional), move
their checkpoint (`PUT ...` with `{"lsn": N}`), and are listed with their resync flag. Each
event is `events.records.to_json`: lsn, hlc, type, bucket, key, version_id, pg, region, the
full record and the summary payload.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from rucket.admin.request import AdminError, AdminRequest, Params, Route, Services
from rucket.admin.views import _query_int
from rucket.events.log import Consumer, ResyncRequired, UnknownConsumer
from rucket.events.records import CorruptEvent, decode, to_json

MAX_EVENTS = 1000
DEFAULT_EVENTS = 100


def _event(row: tuple[Any, ...]) -> dict[str, Any]:
    try:
        return to_json(decode(row))
    except CorruptEvent:
        return {"lsn": row[0], "corrupt": True}


def _consumer(c: Consumer, resync: bool) -> dict[str, Any]:
    return {"name": c.name, "lsn": c.lsn, "seen_ms": c.seen_ms, "registered_ms": c.registered_ms,
            "resync_required": resync}


def _resync(exc: ResyncRequired) -> AdminError:
    return AdminError(409, "ResyncRequired", str(exc))


async def events(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    engine = svc.engine
    limit = _query_int(req, "limit", DEFAULT_EVENTS, 1, MAX_EVENTS)
    last, consumer = engine.last_lsn(), parse_qs(req.raw_query).get("consumer", [""])[0]
    if consumer:
        try:
            out = [to_json(ev) for ev in engine.feed.pending(consumer, limit)]
        except UnknownConsumer as exc:
            raise AdminError(404, "NoSuchConsumer", f"no consumer {exc}") from exc
        except ResyncRequired as exc:
            raise _resync(exc) from exc
        after = out[0]["lsn"] - 1 if out else last
    else:
        after = _query_int(req, "after", max(0, last - limit), 0, 2**63 - 1)
        out = [_event(r) for r in engine.events_after(after, limit)]
    return 200, {"events": out, "last_lsn": last, "first_lsn": engine.first_lsn(),
                 "next_after": out[-1]["lsn"] if out else after}


async def list_consumers(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    feed = svc.engine.feed
    return 200, {"consumers": [_consumer(*c) for c in feed.consumers()], "retention_ms": feed.retention_ms}


async def put_consumer(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    """`{"lsn": N}` moves an existing consumer's checkpoint; otherwise (re)registers it."""
    body, feed = req.json(), svc.engine.feed
    try:
        if "lsn" in body:
            c, resync = await feed.checkpoint(p["name"], int(body["lsn"]))
        else:
            start = body.get("from_lsn")
            c, resync = await feed.register(p["name"], None if start is None else int(start))
    except UnknownConsumer as exc:
        raise AdminError(404, "NoSuchConsumer", f"no consumer {exc}: register it first") from exc
    except ResyncRequired as exc:
        raise _resync(exc) from exc
    except (TypeError, ValueError) as exc:
        raise AdminError(400, "InvalidArgument", str(exc)) from exc
    return 200, _consumer(c, resync)


async def delete_consumer(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    if not await svc.engine.feed.unregister(p["name"]):
        raise AdminError(404, "NoSuchConsumer", f"no consumer {p['name']}")
    return 200, {"deleted": p["name"]}


ROUTES = (
    Route("GET", "/events", events),
    Route("GET", "/events/consumers", list_consumers),
    Route("PUT", "/events/consumers/{name}", put_consumer),
    Route("DELETE", "/events/consumers/{name}", delete_consumer),
)
