"""aws-chunked bodies, decoded and verified while streaming.

Wire format (docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html, ...-trailers.html):

    hex-size[;chunk-signature=sig] CRLF data CRLF ... 0[;chunk-signature=sig] CRLF [name:value CRLF ...] CRLF

Signed chunks chain: each signature covers the previous one, starting from the seed (the
header signature), so chunks cannot be dropped, reordered or replayed. Only verified bytes are
yielded; the caller commits the object only after the iterator ends without raising. Memory is
bounded by one chunk (at most MAX_CHUNK) plus one line (MAX_LINE).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from rucket.s3.auth.base import EMPTY_SHA256, ChunkSigning
from rucket.s3.errors import (
    IncompleteBody,
    InvalidChunkSizeError,
    InvalidRequest,
    MalformedTrailerError,
    SignatureDoesNotMatch,
)

MAX_LINE = 4096  # a chunk header or trailer line; real ones are under 100 bytes
MAX_CHUNK = 16 * 1024 * 1024  # SDKs send 64 KiB (Java, Go) to 1 MiB (botocore)
MIN_CHUNK = 8192  # signed chunks except the last, as AWS and Swift enforce
MAX_TRAILER_LINES = 16
TRAILER_SIGNATURE = "x-amz-trailer-signature"
_HEX_SIZE = re.compile(rb"[0-9a-fA-F]{1,16}")


class ByteReader:
    """A bounded buffer over the raw body, which arrives in pieces of any size (even 1 byte)."""

    def __init__(self, source: AsyncIterator[bytes]) -> None:
        self._source = source
        self._buf = bytearray()
        self._done = False

    async def _fill(self) -> bool:
        """Append the next non-empty piece; False once the body has ended."""
        while not self._done:
            try:
                piece = await anext(self._source)
            except StopAsyncIteration:
                self._done = True
                break
            if piece:
                self._buf += piece
                return True
        return False

    async def readline(self) -> bytes:
        """One CRLF-terminated line without its CRLF; a line over MAX_LINE is refused, not buffered."""
        start = 0
        while (end := self._buf.find(b"\r\n", start)) < 0:
            if len(self._buf) > MAX_LINE:
                raise InvalidRequest("aws-chunked: line longer than 4 KiB.")
            start = max(0, len(self._buf) - 1)
            if not await self._fill():
                raise IncompleteBody("The request body ended inside an aws-chunked line.")
        if end > MAX_LINE:
            raise InvalidRequest("aws-chunked: line longer than 4 KiB.")
        line = bytes(self._buf[:end])
        del self._buf[: end + 2]
        return line

    async def readexactly(self, n: int) -> bytes:
        """Exactly n bytes (a whole chunk, so its signature can be checked before any of it is yielded)."""
        while len(self._buf) < n:
            if not await self._fill():
                raise IncompleteBody("The request body ended inside an aws-chunked chunk.")
        with memoryview(self._buf) as view:
            data = view[:n].tobytes()  # one copy, not slice + bytes()
        del self._buf[:n]
        return data

    async def at_eof(self) -> bool:
        return not self._buf and not await self._fill()


class ChunkVerifier:
    """Chained chunk and trailer signatures (Garage's `previous_signature`, Swift's SigCheckerV4)."""

    def __init__(self, signing: ChunkSigning) -> None:
        self._key = signing.signing_key
        self._previous = signing.seed_signature
        self._chunk_prefix = f"AWS4-HMAC-SHA256-PAYLOAD\n{signing.amz_date}\n{signing.scope}\n"
        self._trailer_prefix = f"AWS4-HMAC-SHA256-TRAILER\n{signing.amz_date}\n{signing.scope}\n"

    def chunk(self, data: bytes, provided: str | None) -> None:
        digest = hashlib.sha256(data).hexdigest()
        self._check(f"{self._chunk_prefix}{self._previous}\n{EMPTY_SHA256}\n{digest}", provided)

    def trailer(self, canonical: bytes, provided: str | None) -> None:
        digest = hashlib.sha256(canonical).hexdigest()
        self._check(f"{self._trailer_prefix}{self._previous}\n{digest}", provided)

    def _check(self, sts: str, provided: str | None) -> None:
        expected = hmac.digest(self._key, sts.encode(), "sha256").hex()
        if provided is None or not hmac.compare_digest(expected.encode(), provided.lower().encode("utf-8", "replace")):
            raise SignatureDoesNotMatch(StringToSign=sts, SignatureProvided=provided or "")
        self._previous = expected


@dataclass(frozen=True)
class ChunkedSpec:
    """What one aws-chunked body must look like, fixed by the request headers."""

    decoded_length: int
    declared_trailers: frozenset[str] = frozenset()
    verifier: ChunkVerifier | None = None  # None: unsigned chunks
    signed_trailer: bool = False
    trailers: dict[str, str] = field(default_factory=dict)  # output, filled at the end


def parse_chunk_header(line: bytes) -> tuple[int, str | None]:
    """`hex-size[;chunk-signature=sig][;other-ext]` → (size, signature or None)."""
    size_part, _, extensions = line.partition(b";")
    size_part = size_part.strip(b" \t")
    if not _HEX_SIZE.fullmatch(size_part):
        raise InvalidRequest("aws-chunked: malformed chunk size.")
    if (size := int(size_part, 16)) > MAX_CHUNK:
        raise InvalidRequest(f"aws-chunked: chunk of {size} bytes exceeds the {MAX_CHUNK} byte limit.")
    signature = None
    for extension in extensions.split(b";") if extensions else ():
        name, _, value = extension.partition(b"=")
        if name.strip() == b"chunk-signature":
            signature = value.strip().decode("latin-1")
    return size, signature


async def decode_aws_chunked(body: AsyncIterator[bytes], spec: ChunkedSpec) -> AsyncIterator[bytes]:
    """Yield each chunk's data once its signature (if any) is checked; then read the trailers."""
    reader, total, previous, number = ByteReader(body), 0, -1, 0
    while True:
        size, signature = parse_chunk_header(await reader.readline())
        number += 1
        if spec.verifier is not None and 0 <= previous < MIN_CHUNK and size > 0:
            raise InvalidChunkSizeError(Chunk=str(number - 1), BadChunkSize=str(previous))
        if (total := total + size) > spec.decoded_length:
            raise IncompleteBody("The aws-chunked body is longer than x-amz-decoded-content-length.")
        data = await reader.readexactly(size) if size else b""
        if size and await reader.readexactly(2) != b"\r\n":
            raise InvalidRequest("aws-chunked: chunk data not followed by CRLF.")
        if spec.verifier is not None:
            spec.verifier.chunk(data, signature)
        if size == 0:
            break
        previous = size
        yield data
    if total != spec.decoded_length:
        raise IncompleteBody("The aws-chunked body is shorter than x-amz-decoded-content-length.")
    spec.trailers.update(await read_trailers(reader, spec))


async def read_trailers(reader: ByteReader, spec: ChunkedSpec) -> dict[str, str]:
    """Exactly the declared trailers, each once; in signed mode the trailer signature must match."""
    found: dict[str, str] = {}
    signature: str | None = None
    for line in await _trailer_lines(reader, bool(spec.declared_trailers)):
        name, colon, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if not colon or signature is not None or name in found:
            raise MalformedTrailerError()
        if name == TRAILER_SIGNATURE:
            signature = value.strip()
        elif name in spec.declared_trailers:
            found[name] = value.strip()
        else:
            raise MalformedTrailerError(f"Trailer {name} was not declared in x-amz-trailer.")
    if found.keys() != spec.declared_trailers:
        raise MalformedTrailerError("A trailer declared in x-amz-trailer is missing.")
    if spec.signed_trailer and spec.verifier is not None and (found or signature is not None):
        canonical = "".join(f"{n}:{found[n]}\n" for n in sorted(found))
        spec.verifier.trailer(canonical.encode("latin-1"), signature)
    return found


async def _trailer_lines(reader: ByteReader, expected: bool) -> list[bytes]:
    """Lines up to the blank line that ends the body.

    When trailers are expected, also accepts the layout of AWS's own trailer example, which puts a
    blank line before the trailers and none after them.
    """
    lines: list[bytes] = []
    skipped_blank = not expected
    while True:
        if line := await reader.readline():
            if len(lines) >= MAX_TRAILER_LINES:
                raise MalformedTrailerError("Too many trailers.")
            lines.append(line)
            if await reader.at_eof():
                break
        elif lines or skipped_blank or await reader.at_eof():
            break
        else:
            skipped_blank = True
    if not await reader.at_eof():
        raise InvalidRequest("aws-chunked: data after the end of the body.")
    return lines
