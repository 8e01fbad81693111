"""The one ASGI body reader and header parser (core/asgi.py) used by s3, admin and console."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from rucket.core.asgi import BodyTooLarge, Disconnected, body_chunks, header_dict, read_body


def receiver(*messages: dict[str, Any]) -> Callable[[], Awaitable[dict[str, Any]]]:
    queue = list(messages)

    async def receive() -> dict[str, Any]:
        return queue.pop(0)
    return receive


def body(data: bytes, more: bool = False) -> dict[str, Any]:
    return {"type": "http.request", "body": data, "more_body": more}


def test_read_body_joins_the_chunks() -> None:
    assert asyncio.run(read_body(receiver(body(b"ab", True), body(b"", True), body(b"c")), 10)) == b"abc"


def test_read_body_refuses_more_than_the_limit() -> None:
    with pytest.raises(BodyTooLarge):
        asyncio.run(read_body(receiver(body(b"abc", True), body(b"de")), 4))
    assert asyncio.run(read_body(receiver(body(b"abc", True), body(b"d")), 4)) == b"abcd"


def test_a_disconnect_is_never_the_end_of_a_body() -> None:
    with pytest.raises(Disconnected):
        asyncio.run(read_body(receiver(body(b"abc", True), {"type": "http.disconnect"}), 10))

    async def chunks() -> list[bytes]:
        return [c async for c in body_chunks(receiver(body(b"a", True), body(b"", True), body(b"b")))]
    assert asyncio.run(chunks()) == [b"a", b"b"]  # empty chunks are not yielded


def test_header_dict_lowercases_and_joins_repeats() -> None:
    raw = [(b"X-Amz-Meta-A", b"1"), (b"x-amz-meta-a", b"2"), (b"Cookie", b"a=1"), (b"cookie", b"b=2")]
    assert header_dict(raw) == {"x-amz-meta-a": "1,2", "cookie": "a=1; b=2"}
