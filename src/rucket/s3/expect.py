"""`Expect: 100-continue`: answering before the body was sent must end the connection.

granian sends `100 Continue` only when the app first reads the body, so auth, conditions and
upload checks that fail answer before the client sends a byte of it: the point of the
expectation. The client then never sends the body (botocore does exactly this), yet the
server would read the next request's first Content-Length bytes as that body and answer the
mangled rest (e.g. "UT /bucket/key" -> 405). RFC 9110 §10.1.1: a server answering before it
read the body must say whether it closes the connection; we always close.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Receive = Callable[[], Awaitable[dict[str, Any]]]


class BodyTracker:
    """Wraps ASGI `receive` to remember whether the request body was read to its end."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.complete = False

    async def __call__(self) -> dict[str, Any]:
        msg = await self._receive()
        if msg.get("type") == "http.request" and not msg.get("more_body", False):
            self.complete = True
        return msg


DRAIN_LIMIT = 1 << 20


def _expects_continue(raw_headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"expect" and value.strip().lower() == b"100-continue" for name, value in raw_headers)


async def drain_if_small(raw_headers: list[tuple[bytes, bytes]], tracker: BodyTracker, length: int) -> None:
    """Read and drop a small body the handler refused without reading (auth, bucket, validation
    errors), so a keep-alive connection stays usable for the client's next request. Large bodies
    are not worth receiving to throw away: the server closes the connection instead."""
    if tracker.complete or not 0 < length <= DRAIN_LIMIT or _expects_continue(raw_headers):
        return
    while not tracker.complete:
        if (await tracker()).get("type") == "http.disconnect":
            return


def close_if_unread(raw_headers: list[tuple[bytes, bytes]], tracker: BodyTracker,
                    headers: list[tuple[str, str]]) -> None:
    """Add `connection: close` when the client waited for 100 Continue and never got to send its body."""
    if not tracker.complete and any(name.lower() == b"expect" and value.strip().lower() == b"100-continue"
                                    for name, value in raw_headers):
        headers.append(("connection", "close"))
