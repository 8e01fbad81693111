"""The request body as the handler reads it: decoded and verified while it streams.

`authenticate` only checks headers; the payload half of the signature (a whole-body digest,
chained chunk signatures, trailers) can only be checked as bytes arrive. `verified_body` picks
the checker from the payload mode the signature fixed, so a handler cannot forget one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Mapping

from rucket.core import checksums
from rucket.s3.auth.base import AuthInput, AuthResult, PayloadMode
from rucket.s3.auth.chunked import ChunkedSpec, ChunkVerifier, decode_aws_chunked
from rucket.s3.errors import InvalidArgument, InvalidRequest, MissingContentLength, XAmzContentSHA256Mismatch

DECODED_LENGTH = "x-amz-decoded-content-length"
TRAILABLE = frozenset(checksums.header_name(a) for a in checksums.ALGORITHMS)  # what AWS accepts in x-amz-trailer
_DIGITS = re.compile(r"\d{1,19}")


class VerifiedBody:
    """Async iterator over the decoded payload; raises (after the last bytes) if verification fails."""

    def __init__(self, chunks: AsyncIterator[bytes], *, decoded_length: int | None = None,
                 is_chunked: bool = False, trailers: dict[str, str] | None = None) -> None:
        self._chunks = chunks
        self.decoded_length = decoded_length  # x-amz-decoded-content-length for aws-chunked, else None
        self.is_chunked = is_chunked
        self.trailers: dict[str, str] = trailers if trailers is not None else {}  # filled once exhausted

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks


def verified_body(result: AuthResult, req: AuthInput, body: AsyncIterator[bytes]) -> VerifiedBody:
    """Choose the checker for this request's payload mode; header problems raise here, before any byte."""
    mode = result.payload_mode
    if mode is PayloadMode.UNSIGNED:
        return VerifiedBody(_passthrough(body))
    if mode is PayloadMode.SHA256:
        assert result.payload_sha256 is not None
        return VerifiedBody(_sha256_checked(body, result.payload_sha256))
    spec = chunked_spec(result, req.headers)
    return VerifiedBody(decode_aws_chunked(body, spec), decoded_length=spec.decoded_length, is_chunked=True,
                        trailers=spec.trailers)


def chunked_spec(result: AuthResult, headers: Mapping[str, str]) -> ChunkedSpec:
    """Fix length, trailers and signer from the (already authenticated) headers, before any byte is read."""
    mode = result.payload_mode
    verifier = None
    if mode.signs_chunks:
        assert result.chunk_signing is not None, "signed streaming needs the seed from header auth"
        verifier = ChunkVerifier(result.chunk_signing)
    declared = declared_trailers(headers) if mode.has_trailer else frozenset()
    return ChunkedSpec(decoded_length(headers), declared, verifier,
                       signed_trailer=mode is PayloadMode.STREAMING_SIGNED_TRAILER)


def decoded_length(headers: Mapping[str, str]) -> int:
    """aws-chunked carries its payload size here; without it the end of the object is unknowable."""
    if (value := headers.get(DECODED_LENGTH)) is None:
        raise MissingContentLength(f"You must provide the {DECODED_LENGTH} HTTP header for aws-chunked uploads.")
    if not _DIGITS.fullmatch(value):
        raise InvalidArgument(f"Invalid {DECODED_LENGTH}", ArgumentName=DECODED_LENGTH, ArgumentValue=value)
    return int(value)


def declared_trailers(headers: Mapping[str, str]) -> frozenset[str]:
    """Names from x-amz-trailer; AWS only accepts checksum headers there."""
    names = frozenset(n.strip().lower() for n in headers.get("x-amz-trailer", "").split(",") if n.strip())
    if not names <= TRAILABLE:
        raise InvalidRequest("The value specified in the x-amz-trailer header is not supported")
    return names


async def _passthrough(body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async for piece in body:
        if piece:
            yield piece


async def _sha256_checked(body: AsyncIterator[bytes], expected: str) -> AsyncIterator[bytes]:
    """Hash as it streams; the mismatch surfaces after the last byte, before the caller commits."""
    digest = hashlib.sha256()
    async for piece in body:
        if piece:
            digest.update(piece)
            yield piece
    if (actual := digest.hexdigest()) != expected:
        raise XAmzContentSHA256Mismatch(ClientComputedContentSHA256=expected, S3ComputedContentSHA256=actual)
