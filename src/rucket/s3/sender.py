"""Writing a Response to ASGI `send`: Content-Length always, zero-copy file when offered."""

from __future__ import annotations

from typing import Any

from rucket.s3.request import Response, http_date_now


def _encode(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1", "replace")) for k, v in headers]


async def send_response(send: Any, scope: dict[str, Any], resp: Response, request_id: str, host_id: str,
                        *, head: bool = False) -> None:
    length = resp.length if resp.length is not None else len(resp.body)
    headers = [*resp.headers, ("content-length", str(length)), ("x-amz-request-id", request_id),
               ("x-amz-id-2", host_id), ("date", http_date_now()), ("server", "Rucket")]
    await send({"type": "http.response.start", "status": resp.status, "headers": _encode(headers)})
    if head or resp.status in (204, 304):
        await send({"type": "http.response.body", "body": b""})
        if resp.stream is not None:
            await resp.stream.aclose()  # type: ignore[attr-defined]
        return
    if resp.file is not None:
        if "http.response.pathsend" in scope.get("extensions", {}):
            await send({"type": "http.response.pathsend", "path": str(resp.file)})
            return
        resp.stream = _file_chunks(resp.file, length)
    if resp.stream is None:
        await send({"type": "http.response.body", "body": resp.body})
        return
    async for chunk in resp.stream:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def _file_chunks(path: Any, length: int) -> Any:
    import asyncio

    with open(path, "rb") as f:
        remaining = length
        while remaining > 0:
            data = await asyncio.to_thread(f.read, min(1 << 20, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
