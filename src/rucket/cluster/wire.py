"""HTTP/1.1 for the internal API, on asyncio streams: just what node-to-node traffic needs.

The internal API streams blob bodies both ways (DESIGN.md §7: never buffer a whole object), so it
needs chunked request and response bodies, keep-alive and per-read deadlines — and nothing else:
no TLS (yet), no compression, no pipelining. The runtime carries no HTTP client library, so this
module is the client as well as the server; both ends are ours, which keeps the subset honest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlencode

log = logging.getLogger("rucket.cluster.wire")
MAX_HEAD = 64 * 1024
MAX_CHUNK = 16 << 20
_REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 409: "Conflict", 500: "Internal Server Error", 503: "Service Unavailable",
            507: "Insufficient Storage"}


class WireError(Exception):
    """The peer broke the protocol or the connection (the caller treats the peer as failed for this call)."""


@dataclass
class Body:
    """A request or response body being read: `read()` all of it (small bodies) or iterate chunks."""

    reader: asyncio.StreamReader
    length: int | None  # None: chunked
    timeout: float
    done: bool = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.done:
            return
        if self.length is not None:
            left = self.length
            while left > 0:
                data = await self._io(self.reader.read(min(left, 1 << 20)))
                if not data:
                    raise WireError("connection closed inside a body")
                left -= len(data)
                yield data
        else:
            while True:
                size_line = await self._io(self.reader.readline())
                try:
                    size = int(size_line.split(b";")[0].strip(), 16)
                except ValueError as exc:
                    raise WireError(f"bad chunk size {size_line[:20]!r}") from exc
                if size > MAX_CHUNK:
                    raise WireError("chunk too large")
                if size == 0:
                    await self._io(self.reader.readline())  # the blank line after the last chunk
                    break
                data = await self._io(self.reader.readexactly(size + 2))
                yield data[:-2]
        self.done = True

    async def read(self, limit: int = 16 << 20) -> bytes:
        out = bytearray()
        async for chunk in self:
            out += chunk
            if len(out) > limit:
                raise WireError("body larger than expected")
        return bytes(out)

    async def _io(self, aw: Awaitable[bytes]) -> bytes:
        try:
            return await asyncio.wait_for(aw, self.timeout)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            raise WireError(f"connection lost: {exc!r}") from exc
        except TimeoutError as exc:
            raise WireError(f"no data within {self.timeout}s") from exc


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Body


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | AsyncIterator[bytes] = b""


Handler = Callable[[Request], Awaitable[Response]]


async def _read_head(reader: asyncio.StreamReader, timeout: float | None) -> list[bytes] | None:
    """The start line and header lines, or None at a clean end of the connection."""
    try:
        raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise WireError("connection closed inside a header") from exc
    except asyncio.LimitOverrunError as exc:
        raise WireError("header too large") from exc
    except ConnectionError as exc:
        raise WireError(f"connection lost: {exc!r}") from exc
    return raw[:-4].split(b"\r\n")


def _headers(lines: list[bytes]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep:
            raise WireError(f"bad header line {line[:40]!r}")
        out[name.strip().lower()] = value.strip()
    return out


def _body_of(reader: asyncio.StreamReader, headers: Mapping[str, str], timeout: float) -> Body:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return Body(reader, None, timeout)
    length = headers.get("content-length", "0")
    if not length.isdigit():
        raise WireError("bad content-length")
    return Body(reader, int(length), timeout, done=int(length) == 0)


async def _send_body(writer: asyncio.StreamWriter, body: bytes | AsyncIterator[bytes]) -> None:
    if isinstance(body, bytes):
        writer.write(body)
        await writer.drain()
        return
    async for chunk in body:
        if chunk:
            writer.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            await writer.drain()
    writer.write(b"0\r\n\r\n")
    await writer.drain()


def _head_lines(start: str, headers: Mapping[str, str], length: int | None) -> bytes:
    """`length` None: a chunked body follows."""
    fields = dict(headers)
    if length is not None:
        fields["content-length"] = str(length)
    else:
        fields["transfer-encoding"] = "chunked"
    return (start + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n").encode("latin-1")


class Server:
    """Serves `handler` on host:port; one task per connection, keep-alive until the peer closes."""

    def __init__(self, handler: Handler, *, idle_timeout: float = 60.0, body_timeout: float = 30.0) -> None:
        self.handler, self.idle_timeout, self.body_timeout = handler, idle_timeout, body_timeout
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._connection, host, port, limit=MAX_HEAD, reuse_address=True)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._one(reader, writer):
                pass
        except (WireError, ConnectionError) as exc:
            log.debug("internal connection dropped: %s", exc)
        except Exception as exc:  # a streamed body failed half-way: the peer sees the cut and falls back
            log.warning("internal response cut short: %r", exc)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        lines = await _read_head(reader, self.idle_timeout)
        if lines is None:
            return False
        parts = lines[0].decode("latin-1").split(" ")
        if len(parts) != 3:
            raise WireError("bad request line")
        method, target, _ = parts
        path, _, raw_query = target.partition("?")
        headers = _headers(lines[1:])
        body = _body_of(reader, headers, self.body_timeout)
        req = Request(method, unquote(path), dict(parse_qsl(raw_query, keep_blank_values=True)), headers, body)
        try:
            resp = await self.handler(req)
        except WireError:
            raise
        except Exception:
            log.exception("internal API %s %s failed", method, path)
            resp = Response(500, {"content-type": "text/plain"}, b"internal error")
        if not body.done:  # the handler answered without reading (an error): the connection is unusable
            resp.headers["connection"] = "close"
        writer.write(_head_lines(f"HTTP/1.1 {resp.status} {_REASONS.get(resp.status, 'Status')}", resp.headers,
                                 len(resp.body) if isinstance(resp.body, bytes) else None))
        await _send_body(writer, resp.body)
        return body.done and headers.get("connection", "").lower() != "close"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Body
    writer: asyncio.StreamWriter  # held: a collected StreamWriter closes its connection under the body


    async def read(self, limit: int = 16 << 20) -> bytes:
        try:
            return await self.body.read(limit)
        finally:
            self.release()

    def release(self) -> None:
        self.writer.transport.abort()


class Upload:
    """A request whose body is still being written (a blob streamed to a holder): `send` chunks, then `finish`."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float) -> None:
        self._reader, self._writer, self.timeout = reader, writer, timeout

    async def send(self, chunk: bytes) -> None:
        if not chunk:
            return
        self._writer.write(b"%x\r\n" % len(chunk))
        self._writer.write(chunk)
        self._writer.write(b"\r\n")
        await self._io(self._writer.drain())

    async def finish(self) -> Reply:
        self._writer.write(b"0\r\n\r\n")
        await self._io(self._writer.drain())
        return await _reply(self._reader, self._writer, self.timeout)

    def abort(self) -> None:
        """Drop the connection: the receiver sees a body cut short and keeps nothing."""
        self._writer.transport.abort()

    async def _io(self, aw: Awaitable[None]) -> None:
        try:
            await asyncio.wait_for(aw, self.timeout)
        except (ConnectionError, TimeoutError) as exc:
            self.abort()
            raise WireError(f"upload stalled or lost: {exc!r}") from exc


async def _reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float) -> Reply:
    try:
        lines = await _read_head(reader, timeout)
    except TimeoutError as exc:
        writer.transport.abort()
        raise WireError(f"no answer within {timeout}s") from exc
    if lines is None:
        writer.transport.abort()
        raise WireError("connection closed before the answer")
    parts = lines[0].decode("latin-1").split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        writer.transport.abort()
        raise WireError("bad status line")
    headers = _headers(lines[1:])
    return Reply(int(parts[1]), headers, _body_of(reader, headers, timeout), writer)


async def connect(address: str, timeout: float) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, _, port = address.rpartition(":")
    try:
        return await asyncio.wait_for(asyncio.open_connection(host, int(port), limit=MAX_HEAD), timeout)
    except (OSError, TimeoutError) as exc:
        raise WireError(f"cannot connect to {address}: {exc!r}") from exc


def target(path: str, query: Mapping[str, str]) -> str:
    q = urlencode(sorted(query.items()))
    return quote(path, safe="/-_.~") + (f"?{q}" if q else "")


async def request(address: str, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str],
                  body: bytes = b"", *, timeout: float = 5.0) -> Reply:
    """One request on a fresh connection (internal calls are few and small; blobs use `upload`/`download`)."""
    reader, writer = await connect(address, timeout)
    writer.write(_head_lines(f"{method} {target(path, query)} HTTP/1.1", {"host": address, **headers,
                                                                          "connection": "close"}, len(body)))
    try:
        await asyncio.wait_for(_send_body(writer, body), timeout)
    except (ConnectionError, TimeoutError) as exc:
        writer.transport.abort()
        raise WireError(f"request to {address} failed: {exc!r}") from exc
    return await _reply(reader, writer, timeout)


async def upload(address: str, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], *,
                 timeout: float = 10.0) -> Upload:
    reader, writer = await connect(address, timeout)
    writer.write(_head_lines(f"{method} {target(path, query)} HTTP/1.1",
                             {"host": address, **headers, "connection": "close"}, None))
    return Upload(reader, writer, timeout)

