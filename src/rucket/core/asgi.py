"""The one ASGI request reader shared by the S3 API, the admin API and the console.

ASGI hands a request body over as `http.request` messages with `more_body`; a client that
goes away mid-body sends `http.disconnect`, which must never pass for the end of a body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

Receive = Callable[[], Awaitable[dict[str, Any]]]


class Disconnected(Exception):
    """The client closed the connection before the body was complete."""


class BodyTooLarge(Exception):
    """The body passed the caller's limit (the rest is not read)."""


async def body_chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The body's non-empty chunks as they arrive."""
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            raise Disconnected()
        if chunk := msg.get("body", b""):
            yield chunk
        if not msg.get("more_body", False):
            return


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole body, for small JSON and form requests; more than `limit` bytes is refused."""
    body = bytearray()
    async for chunk in body_chunks(receive):
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge()
    return bytes(body)


def header_dict(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Lower-case names; repeated headers joined by "," (RFC 9110 §5.3), Cookie by "; " (RFC 6265 §5.4)."""
    out: dict[str, str] = {}
    for name, value in raw:
        k, v = name.decode("latin-1").lower(), value.decode("latin-1")
        if k in out:
            v = f"{out[k]}; {v}" if k == "cookie" else f"{out[k]},{v}"
        out[k] = v
    return out
