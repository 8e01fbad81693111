"""Failed SigV4 and failed console logins are throttled per client address and per access key.

In-process against the composed ASGI app (S3 + admin + console), on a FakeClock so the window
passes in a line instead of a minute.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from rucket import config, server
from rucket.core.hlc import FakeClock
from rucket.core.paths import CONSOLE
from rucket.s3.auth.client import AccessKey, sign_headers

ROOT = config.DEFAULT_ROOT
EMPTY = hashlib.sha256(b"").hexdigest()


def _app(tmp_path: Path, **settings: Any) -> tuple[Any, FakeClock]:
    cfg = config.load(None, {"data_dir": str(tmp_path), **settings}, env={})
    engine = server.build_engine(cfg)
    clock = FakeClock()
    engine.store.clock = clock
    return server.with_admin(server.build_app(cfg, engine), cfg), clock


def _call(app: Any, method: str, path: str, headers: dict[str, str], ip: str, body: bytes = b"",
          query: str = "") -> tuple[int, dict[str, str], bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(),
             "query_string": query.encode(), "client": (ip, 5000), "scheme": "http", "http_version": "1.1",
             "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": "localhost", **headers}.items()]}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    out = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return int(start["status"]), {k.decode().lower(): v.decode() for k, v in start["headers"]}, out


def _list_buckets(app: Any, clock: FakeClock, ip: str, key: str, secret: str) -> tuple[int, dict[str, str], bytes]:
    headers = sign_headers(AccessKey(key, secret), "GET", "/", "", "localhost", EMPTY, clock.now_ms(), "us-east-1")
    return _call(app, "GET", "/", {k: v for k, v in headers.items() if k != "host"}, ip)


def test_failed_signatures_turn_into_slowdown_per_client_and_per_key(tmp_path: Path) -> None:
    app, clock = _app(tmp_path, auth_failures_per_minute=5)
    for _ in range(4):
        assert _list_buckets(app, clock, "10.0.0.1", ROOT, "wrong")[0] == 403
    status, headers, body = _list_buckets(app, clock, "10.0.0.1", ROOT, "wrong")
    assert status == 503 and b"<Code>SlowDown</Code>" in body and int(headers["retry-after"]) == 60
    assert _list_buckets(app, clock, "10.0.0.1", ROOT, ROOT)[0] == 200  # a valid signature always passes
    assert _list_buckets(app, clock, "10.0.0.2", "otherkey", "wrong")[0] == 403  # another client, another key
    assert _list_buckets(app, clock, "10.0.0.3", ROOT, "wrong")[0] == 503  # the key is throttled from anywhere
    clock.advance(seconds=61)
    assert _list_buckets(app, clock, "10.0.0.1", ROOT, "wrong")[0] == 403  # the window passed


def _login(app: Any, ip: str, key: str, secret: str) -> tuple[int, dict[str, str], bytes]:
    status, headers, page = _call(app, "GET", f"{CONSOLE}/login", {}, ip)
    token = re.search(rb'name="login_token" value="([^"]+)"', page)
    assert status == 200 and token, page
    form = urlencode({"login_token": token.group(1).decode(), "access_key": key, "secret_key": secret}).encode()
    cookie = headers["set-cookie"].split(";", 1)[0]
    return _call(app, "POST", f"{CONSOLE}/login", {"cookie": cookie, "origin": "http://localhost",
                 "content-type": "application/x-www-form-urlencoded", "content-length": str(len(form))}, ip, form)


def test_console_login_is_throttled_per_client_and_per_access_key(tmp_path: Path) -> None:
    app, clock = _app(tmp_path, login_failures=3)
    for _ in range(3):
        assert _login(app, "10.0.0.1", ROOT, "guess")[0] == 401
    status, headers, _ = _login(app, "10.0.0.1", ROOT, ROOT)
    assert status == 429 and int(headers["retry-after"]) == 300  # even the right password waits: no oracle
    assert _login(app, "10.0.0.9", ROOT, ROOT)[0] == 429  # the key is locked from every address
    assert _login(app, "10.0.0.1", "someone-else", "x")[0] == 429  # and the address for every key
    assert _login(app, "10.0.0.9", "someone-else", "x")[0] == 401
    clock.advance(seconds=301)
    assert _login(app, "10.0.0.1", ROOT, ROOT)[0] == 303


def test_claimed_access_key_from_every_signature_form() -> None:
    from rucket.s3.auth import AuthInput
    from rucket.s3.auth_throttle import claimed_access_key

    cases = [
        ({"authorization": "AWS4-HMAC-SHA256 Credential=AKIA1/20261204/us-east-1/s3/aws4_request, X"}, "", "AKIA1"),
        ({"authorization": "AWS AKIA2:c2lnbmF0dXJl"}, "", "AKIA2"),
        ({}, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA3%2F20261204%2Fus-east-1", "AKIA3"),
        ({}, "AWSAccessKeyId=AKIA4&Expires=1&Signature=x", "AKIA4"),
        ({}, "", ""),
    ]
    for headers, query, key in cases:
        assert claimed_access_key(AuthInput("GET", "/", query, headers, 0)) == key, (headers, query)
