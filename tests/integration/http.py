"""Raw HTTP helpers: sign a request with botocore, then send exactly the bytes we want."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.server import ServerProcess


class _FixedPayload(S3SigV4Auth):
    """Signs with a payload hash we choose (UNSIGNED-PAYLOAD, or a deliberately wrong digest)."""

    def __init__(self, creds: Credentials, payload_hash: str) -> None:
        super().__init__(creds, "s3", "us-east-1")
        self._hash = payload_hash

    def payload(self, request: AWSRequest) -> str:
        return self._hash


def signed(server: ServerProcess, method: str, path: str, body: bytes = b"",
           headers: dict[str, str] | None = None, payload_hash: str | None = None) -> dict[str, str]:
    """Headers (Host included) of a SigV4-signed request; `payload_hash` overrides the body digest."""
    req = AWSRequest(method=method, url=server.endpoint + path, data=body, headers=dict(headers or {}))
    creds = Credentials(server.access_key, server.secret_key)
    signer = S3SigV4Auth(creds, "s3", "us-east-1") if payload_hash is None else _FixedPayload(creds, payload_hash)
    signer.add_auth(req)
    return {"Host": urlsplit(server.endpoint).netloc, **dict(req.headers.items())}


def raw_exchange(server: ServerProcess, request: bytes, *, read_timeout: float = 5.0) -> bytes:
    """Send raw bytes on one connection and return everything the server answers until it goes quiet."""
    parts = urlsplit(server.endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=read_timeout) as sock:
        sock.sendall(request)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except TimeoutError:
            pass
        return out
