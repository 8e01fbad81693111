"""The internal API (node ↔ node, port S3 + 1): signed, versioned, dispatched by a route table.

Every request is checked by `signing.Verifier` before any handler runs: a bad or missing signature
is 403 and changes nothing, an unknown protocol version 400 naming the versions this node speaks.
A body with a signed payload hash is read and compared before the handler sees it; streamed blob
bodies are UNSIGNED-PAYLOAD (their bytes are checked by the CRC the holder computes and the
sender compares). Each verified request also feeds the node's HLC (a peer whose clock runs more
than the allowed skew ahead is refused and counted), so clocks converge on every message.

`PeerClient` is the other end: it signs what it sends.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rucket.cluster import wire
from rucket.cluster.signing import UNSIGNED_PAYLOAD, Signer, SigningError, Verified, Verifier, payload_hash
from rucket.core.hlc import HLC, ClockSkewError, pack

log = logging.getLogger("rucket.cluster.internal")
PREFIX = "/internal/v1"
MAX_JSON = 1 << 20

Handler = Callable[[wire.Request, Verified], Awaitable[wire.Response]]


def json_response(status: int, doc: Any) -> wire.Response:
    return wire.Response(status, {"content-type": "application/json"}, json.dumps(doc).encode())


def error(status: int, code: str, message: str) -> wire.Response:
    return json_response(status, {"error": code, "message": message})


@dataclass
class SkewReport:
    """What `rucket_clock_skew_seconds{peer}` shows: the last observed offset per peer, refusals counted."""

    seconds: dict[str, float] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)


class InternalApi:
    """Routes: (method, first path segment after /internal/v1) → handler; the rest of the path is the handler's."""

    def __init__(self, verifier: Verifier, hlc: HLC) -> None:
        self.verifier, self.hlc = verifier, hlc
        self.routes: dict[tuple[str, str], Handler] = {}
        self.skew = SkewReport()
        self.refused = 0

    def route(self, method: str, segment: str, handler: Handler) -> None:
        if (method, segment) in self.routes:
            raise ValueError(f"internal route {method} {segment} declared twice")
        self.routes[(method, segment)] = handler

    async def __call__(self, req: wire.Request) -> wire.Response:
        if not req.path.startswith(PREFIX + "/"):
            return error(404, "NoSuchRoute", req.path)
        segment = req.path[len(PREFIX) + 1:].split("/", 1)[0]
        handler = self.routes.get((req.method, segment))
        if handler is None:
            return error(404, "NoSuchRoute", f"{req.method} {req.path}")
        try:
            verified = self.verifier.verify(req.method, req.path, req.query, req.headers)
        except SigningError as exc:
            self.refused += 1
            log.warning("internal request %s %s from %s refused: %s", req.method, req.path,
                        req.headers.get("x-rucket-node", "?"), exc)
            return error(exc.status, type(exc).__name__, str(exc))
        if not self._clock_ok(verified.node, req.headers):
            return error(403, "ClockSkew", "sender's clock is too far ahead of this node's")
        try:
            return await handler(req, verified)
        except SigningError as exc:
            self.refused += 1
            return error(exc.status, type(exc).__name__, str(exc))

    def _clock_ok(self, node: str, headers: Mapping[str, str]) -> bool:
        """Merge the sender's wall clock into our HLC; refuse a sender too far ahead (DESIGN.md §7 clock safety)."""
        sent = int(headers.get("x-rucket-date", "0"))
        here = self.verifier.clock.now_ms()
        self.skew.seconds[node] = (sent - here) / 1000
        try:
            self.hlc.update(pack(sent, 0))
        except ClockSkewError as exc:
            self.skew.refused[node] = self.skew.refused.get(node, 0) + 1
            log.error("peer %s refused: %s", node, exc)
            return False
        return True


async def signed_json(req: wire.Request, verified: Verified) -> Any:
    """The request's JSON body, after checking it against the signed payload hash."""
    body = await req.body.read(MAX_JSON)
    if verified.payload != UNSIGNED_PAYLOAD and payload_hash(body) != verified.payload:
        raise SigningError("body does not match x-rucket-content-sha256")
    return json.loads(body) if body else None


class PeerError(Exception):
    """A peer did not answer, or answered with an error (the caller decides whether another holder can)."""


class PeerClient:
    """Signed requests to other nodes' internal API (address = host:internal_port)."""

    def __init__(self, signer: Signer, *, timeout: float = 5.0) -> None:
        self.signer, self.timeout = signer, timeout

    def headers(self, method: str, path: str, query: Mapping[str, str], payload: str) -> dict[str, str]:
        return self.signer.sign(method, path, query, payload)

    async def call(self, address: str, method: str, path: str, doc: Any = None, *,
                   query: Mapping[str, str] | None = None, timeout: float | None = None) -> Any:
        """A small JSON request/answer; raises PeerError on anything but 2xx."""
        q = dict(query or {})
        body = b"" if doc is None else json.dumps(doc).encode()
        headers = {"content-type": "application/json", **self.headers(method, path, q, payload_hash(body))}
        try:
            reply = await wire.request(address, method, path, q, headers, body, timeout=timeout or self.timeout)
            data = await reply.read(MAX_JSON)
        except wire.WireError as exc:
            raise PeerError(f"{address}: {exc}") from exc
        if not 200 <= reply.status < 300:
            raise PeerError(f"{address} {method} {path}: {reply.status} {data[:200]!r}")
        return json.loads(data) if data else None
