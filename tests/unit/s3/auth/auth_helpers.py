"""Shared fixtures for the auth tests: AWS example credentials, body feeding, reference signers.

The signers here are written from the AWS documents with hashlib/hmac only (no rucket code), or
wrap an independent implementation (botocore, awscrt), so they can serve as oracles.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
from collections.abc import AsyncIterator, Mapping
from urllib.parse import urlsplit

from awscrt import auth as crt_auth
from awscrt import http as crt_http
from botocore.awsrequest import AWSRequest

from rucket.s3.auth import AuthInput, VerifiedBody

AK = "AKIAIOSFODNN7EXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
DOC_NOW_MS = 1_369_353_600_000  # 20130524T000000Z, the time of every AWS SigV4 example
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def secrets(access_key: str) -> str | None:
    return SK if access_key == AK else None


async def pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    """The body as a server receives it: arbitrary piece sizes, with empty pieces mixed in."""
    yield b""
    for i in range(0, len(data), size):
        yield data[i : i + size]
        yield b""


def drain(body: VerifiedBody) -> tuple[list[bytes], Exception | None]:
    """Everything the body yielded before it ended or raised, and what it raised."""
    got: list[bytes] = []

    async def run() -> None:
        async for piece in body:
            got.append(piece)

    try:
        asyncio.run(run())
    except Exception as exc:
        return got, exc
    return got, None


def hmac_hex(key: bytes, msg: str) -> str:
    return hmac.new(key, msg.encode(), hashlib.sha256).hexdigest()


def doc_signing_key(secret: str = SK, date: str = "20130524", region: str = REGION) -> bytes:
    key = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def encode_signed_chunks(chunks: list[bytes], seed: str, *, stamp: str = "20130524T000000Z",
                         key: bytes | None = None, trailers: list[tuple[str, str]] | None = None) -> bytes:
    """aws-chunked with chained chunk signatures (and a signed trailer), straight from the AWS pages."""
    key = key or doc_signing_key(date=stamp[:8])
    scope = f"{stamp[:8]}/{REGION}/s3/aws4_request"
    out, previous = [], seed
    for data in [*chunks, b""]:
        sts = "\n".join(("AWS4-HMAC-SHA256-PAYLOAD", stamp, scope, previous, EMPTY_SHA256,
                         hashlib.sha256(data).hexdigest()))
        previous = hmac_hex(key, sts)
        out.append(f"{len(data):x};chunk-signature={previous}\r\n".encode() + data + (b"\r\n" if data else b""))
    if trailers is None:
        return b"".join(out) + b"\r\n"
    canonical = "".join(f"{n}:{v}\n" for n, v in sorted(trailers))
    trailer_hash = hashlib.sha256(canonical.encode()).hexdigest()
    sts = "\n".join(("AWS4-HMAC-SHA256-TRAILER", stamp, scope, previous, trailer_hash))
    lines = "".join(f"{n}:{v}\r\n" for n, v in trailers) + f"x-amz-trailer-signature:{hmac_hex(key, sts)}\r\n\r\n"
    return b"".join(out) + lines.encode()


def crt_sign(method: str, path_and_query: str, headers: Mapping[str, str], body_value: str,
             when: dt.datetime, region: str = REGION, secret: str = SK) -> dict[str, str]:
    """Sign with awscrt, the C signer the AWS SDKs share; unlike botocore it takes the date as input."""
    request = crt_http.HttpRequest(method, path_and_query, crt_http.HttpHeaders(list(headers.items())))
    config = crt_auth.AwsSigningConfig(
        algorithm=crt_auth.AwsSigningAlgorithm.V4,
        signature_type=crt_auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
        credentials_provider=crt_auth.AwsCredentialsProvider.new_static(AK, secret),
        region=region, service="s3", date=when, use_double_uri_encode=False, should_normalize_uri_path=False,
        signed_body_value=body_value, signed_body_header_type=crt_auth.AwsSignedBodyHeaderType.X_AMZ_CONTENT_SHA_256)
    crt_auth.aws_sign_request(request, config).result()
    return {name.lower(): value for name, value in request.headers}


def from_botocore(request: AWSRequest, now_ms: int, vhost_bucket: str = "") -> AuthInput:
    """What the server sees of a botocore request: raw path and query, lower-case stripped headers."""
    split = urlsplit(request.url)
    headers = {name.lower(): str(value).strip() for name, value in request.headers.items()}
    headers.setdefault("host", split.netloc)
    return AuthInput(request.method, split.path, split.query, headers, now_ms, vhost_bucket)
