"""A streaming multipart/form-data reader for browser POST uploads.

Written here rather than taken from python-multipart: we need exactly one shape (small text
fields, then one file streamed straight into the blob writer, then nothing that matters),
with hard bounds on everything that is buffered, and an async iterator the engine can
consume; a callback parser would need a queue between the two. Fields before the file are
kept (at most `FIELDS_LIMIT` bytes in all); the file is yielded chunk by chunk, holding back
only enough bytes to recognise the closing boundary.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator

from rucket.s3.errors import S3Error

FIELDS_LIMIT = 64 * 1024
HEADER_LIMIT = 8 * 1024
_DISPOSITION = re.compile(r'(\w+)\*?="([^"]*)"|(\w+)=([^;\s]+)')


class MalformedPOSTRequest(S3Error):
    status = 400
    default_message = "The body of your POST request is not well-formed multipart/form-data."


def boundary_of(content_type: str) -> bytes:
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        raise MalformedPOSTRequest("POST requires a multipart/form-data body")
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary" and value.strip('"'):
            return value.strip('"').encode("latin-1")
    raise MalformedPOSTRequest("multipart/form-data without a boundary")


class FormReader:
    def __init__(self, body: AsyncIterable[bytes], boundary: bytes) -> None:
        self._it = body.__aiter__()
        self._buf = bytearray()
        self._delim = b"\r\n--" + boundary
        self._done = False

    async def _more(self) -> bool:
        try:
            self._buf += await self._it.__anext__()
            return True
        except StopAsyncIteration:
            return False

    async def _until(self, marker: bytes, limit: int) -> bytes:
        while (i := self._buf.find(marker)) < 0:
            if len(self._buf) > limit or not await self._more():
                raise MalformedPOSTRequest()
        out = bytes(self._buf[:i])
        del self._buf[:i + len(marker)]
        return out

    async def start(self) -> None:
        self._buf[:0] = b"\r\n"  # the first boundary has no CRLF in front of it
        await self._until(self._delim, HEADER_LIMIT)
        await self._after_boundary()

    async def _after_boundary(self) -> None:
        while len(self._buf) < 2 and await self._more():
            pass
        if self._buf[:2] == b"--":
            self._done = True
        elif self._buf[:2] == b"\r\n":
            del self._buf[:2]
        else:
            raise MalformedPOSTRequest()

    async def next_part(self) -> tuple[str, str | None] | None:
        """(field name, filename or None) of the next part, None after the last one."""
        if self._done:
            return None
        head = (await self._until(b"\r\n\r\n", HEADER_LIMIT)).decode("utf-8", "replace")
        params: dict[str, str] = {}
        for line in head.split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-disposition":
                for m in _DISPOSITION.finditer(value):
                    params[(m.group(1) or m.group(3)).lower()] = m.group(2) if m.group(1) else m.group(4)
        if "name" not in params:
            raise MalformedPOSTRequest("a part without a name")
        return params["name"], params.get("filename")

    async def value(self, limit: int = FIELDS_LIMIT) -> bytes:
        data = await self._until(self._delim, limit)
        await self._after_boundary()
        return data

    async def stream(self) -> AsyncIterator[bytes]:
        """The current part's bytes, streamed; ends at the part's closing boundary."""
        keep = len(self._delim)
        while True:
            i = self._buf.find(self._delim)
            if i >= 0:
                if i:
                    yield bytes(self._buf[:i])
                del self._buf[:i + keep]
                await self._after_boundary()
                return
            if len(self._buf) > keep:
                cut = len(self._buf) - keep
                yield bytes(self._buf[:cut])
                del self._buf[:cut]
            if not await self._more():
                raise MalformedPOSTRequest("the body ended inside the file part")

    async def drain(self) -> None:
        """Fields after the file are ignored (as AWS does), but the body is still consumed."""
        self._buf.clear()
        while await self._more():
            self._buf.clear()
