"""The raw ASGI application: route → authenticate → authorize → handler → response.

No framework: the hot path is a handful of dict lookups and one handler call, and the
same callable runs under granian (with zero-copy `http.response.pathsend`) or uvicorn.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rucket.core import errors as core
from rucket.core import ids
from rucket.core.asgi import Disconnected, body_chunks, header_dict
from rucket.core.model import Bucket
from rucket.core.throttle import FailureThrottle, Limit
from rucket.engine import Engine
from rucket.s3 import auth_throttle, metrics_access, xml
from rucket.s3.access_log import AccessLog
from rucket.s3.auth import AuthInput, authenticate, verified_body
from rucket.s3.auth.base import anonymous, decode, parse_query
from rucket.s3.errors import (
    AccessDenied,
    IncompleteBody,
    InternalError,
    RequestHeaderSectionTooLarge,
    S3Error,
    S3NotImplemented,
    from_domain,
)
from rucket.s3.expect import BodyTracker, close_if_unread, drain_if_small
from rucket.s3.handlers import HANDLERS
from rucket.s3.handlers.cors import PREFLIGHT, actual_headers
from rucket.s3.handlers.encryption import refuse_insecure_customer_key
from rucket.s3.identity import Directory, Identities
from rucket.s3.metrics import S3Metrics, StorageCollector
from rucket.s3.metrics_access import MetricsAccess
from rucket.s3.ops import Operation
from rucket.s3.policy import Authorizer, Decisions, auth_keys
from rucket.s3.request import RequestContext, Response, Settings
from rucket.s3.router import Route, resolve
from rucket.s3.sender import send_response

log = logging.getLogger("rucket.s3")
HEALTH = {"/minio/health/live", "/minio/health/ready", "/health/live", "/health/ready", "/minio/health/cluster"}
READY = {"/minio/health/ready", "/health/ready"}
CLUSTER_HEALTH = "/minio/health/cluster"  # MinIO's: 200 only while the cluster can take writes
METRICS_PATH = "/metrics"
_BODY_METHODS = frozenset({"PUT", "POST"})
_FREES_SPACE = frozenset({Operation.DELETE_OBJECTS})  # a POST, but it must work on a full disk
MAX_HEADER_SECTION = 8 * 1024  # AWS: "the PUT request header is limited to 8 KB"; applied to every request

Scope = dict[str, Any]


@dataclass
class RequestInfo:
    """What the access log and the metrics need to know about a request, however it ended."""

    op: Operation | None = None
    bucket: str = ""
    key: str = ""
    principal: str = ""
    bytes_in: int = 0


def _check_header_section(raw: list[tuple[bytes, bytes]]) -> None:
    """Refuse a header section past AWS's 8 KiB (name, ": ", value, CRLF per field), as AWS does.

    Without it a 64 KiB header value was served: every header is parsed, logged and kept per request.
    """
    if sum(len(name) + len(value) + 4 for name, value in raw) > MAX_HEADER_SECTION:
        raise RequestHeaderSectionTooLarge()


async def _receive_body(receive: Any, expected: int | None) -> AsyncIterator[bytes]:
    """The body as it arrives (core/asgi.py); a cut connection or a short body is IncompleteBody."""
    got = 0
    try:
        async for chunk in body_chunks(receive):
            got += len(chunk)
            yield chunk
    except Disconnected as exc:
        raise IncompleteBody() from exc
    if expected is not None and got != expected:
        raise IncompleteBody()


@functools.lru_cache(maxsize=4096)
def _query(raw_query: str) -> Mapping[str, str]:
    """Decoded query parameters, first value wins; the same decoding the signature check uses.
    Cached: presigned URLs and SDK paginators repeat the same query strings (read-only result)."""
    out: dict[str, str] = {}
    for name, value in parse_query(raw_query):
        out.setdefault(decode(name), decode(value or ""))
    return out


@functools.lru_cache(maxsize=16384)
def _route(method: str, host: str, path: str, raw_query: str, copy_source: bool, domains: tuple[str, ...]) -> Route:
    """Routing is a pure function of these; hot objects are asked for again and again."""
    return resolve(method, host, path, _query(raw_query), copy_source=copy_source, domains=domains)


def _check_expected_owner(h: Mapping[str, str], bucket: Bucket | None) -> None:
    """`x-amz-expected-bucket-owner`: a guard against writing into a bucket someone else now owns."""
    expected = h.get("x-amz-expected-bucket-owner")
    if expected is not None and bucket is not None and expected != bucket.owner:
        raise AccessDenied()


def _content_length(h: Mapping[str, str]) -> int | None:
    """The body length the framing announces; None = chunked transfer coding, read to its end.

    RFC 9112 §6.3: a request with neither Content-Length nor Transfer-Encoding has no body. AWS
    treats it so (`curl --aws-sigv4 -X PUT` creates a bucket; object_store's CopyObject and
    UploadPartCopy are bodiless PUTs without Content-Length), so a missing length is not a 411.
    """
    raw = h.get("content-length")
    if raw is None:
        return None if "chunked" in h.get("transfer-encoding", "").lower() else 0
    if not raw.isdigit():
        raise IncompleteBody("Content-Length is not a number")
    return int(raw)


class S3App:
    def __init__(self, engine: Engine, identities: Identities, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.identities = identities
        self.directory = Directory(identities)
        self.host_id = ids.host_id()
        self.background: list[Callable[[], Awaitable[None]]] = []  # started by ASGI lifespan (lifecycle worker)
        self.ready_checks: list[Callable[[], bool]] = []  # all true or /health/ready answers 503 (server.py)
        self.writable: Callable[[], bool] = lambda: True  # cluster mode: can the cluster take writes now (server.py)
        self.cluster: Any = None  # cluster mode: the node runtime, opaque here (server.py builds and reads it)
        self.auth_failures = FailureThrottle(Limit(100, 60_000), engine.now_ms)  # server.py: configured
        self.metrics_access = MetricsAccess()  # who may scrape /metrics (server.py sets the configured one)
        self.room: Callable[[bool], None] = lambda adds_data: None  # StorageFull below the disk reserve (server.py)
        self.metrics = S3Metrics()
        self.access = AccessLog(json_lines=False)  # the server sets the configured format
        self.decisions = Decisions(engine.generation)
        self.metrics.add(StorageCollector(engine.usage, engine.last_lsn, lambda: 0.0))

    def secret_for(self, access_key: str) -> str | None:
        user = self.identities.lookup(access_key)
        return user.secret if user else None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self.background, self.engine.close)
            return
        if scope["type"] != "http":
            return
        request_id = ids.request_id()
        started = time.perf_counter()
        method = scope["method"]
        if method in ("GET", "HEAD") and (scope["path"] in HEALTH or scope["path"] == METRICS_PATH):
            resp = self._health(scope["path"]) if scope["path"] in HEALTH else self._scrape(scope, request_id)
            await send_response(send, scope, resp, request_id, self.host_id, head=method == "HEAD")
            return
        body = BodyTracker(receive)
        resp, info = await self._handle(scope, body, request_id)
        await drain_if_small(scope["headers"], body, info.bytes_in)  # keep the connection usable
        close_if_unread(scope["headers"], body, resp.headers)  # Expect: 100-continue answered early
        self._cors(scope, resp, info)
        await send_response(send, scope, resp, request_id, self.host_id, head=method == "HEAD")
        self._record(scope, resp, info, request_id, time.perf_counter() - started)

    def _scrape(self, scope: Scope, request_id: str) -> Response:
        headers = header_dict(scope["headers"])

        def signed_by_root() -> bool:
            raw_query = scope.get("query_string", b"").decode("latin-1")
            raw_path = (scope.get("raw_path") or scope["path"].encode("utf-8")).decode("latin-1")
            auth_in = AuthInput(scope["method"], raw_path, raw_query, headers, self.engine.now_ms())
            key = authenticate(auth_in, self.secret_for, self.settings.signing_region).access_key
            user = self.identities.lookup(key) if key else None
            return user is not None and user.is_root

        try:
            metrics_access.check(self.metrics_access, headers, signed_by_root)
        except S3Error as err:
            return self._error(err, scope, request_id)
        return Response(200, [("content-type", "text/plain; version=0.0.4")], self.metrics.render())

    def _health(self, path: str) -> Response:
        """Live: the process answers. Ready: every part a request needs works (a dead metadata writer
        would hang every write, so a probe must take this server out of rotation)."""
        if path == CLUSTER_HEALTH:
            return Response.empty(200 if all(check() for check in self.ready_checks) and self.writable() else 503)
        ready = path not in READY or all(check() for check in self.ready_checks)
        return Response.empty(200 if ready else 503)

    def _cors(self, scope: Scope, resp: Response, info: RequestInfo) -> None:
        """Access-Control-* headers on actual responses (the preflight handler answers its own)."""
        if info.op not in PREFLIGHT and any(name == b"origin" for name, _ in scope["headers"]):
            resp.headers += actual_headers(self.engine, header_dict(scope["headers"]), scope["method"], scope["path"],
                                           self.settings.domains)

    def _record(self, scope: Scope, resp: Response, info: RequestInfo, request_id: str, seconds: float) -> None:
        """One metrics observation and one access-log line per request."""
        op = info.op.s3_name if info.op else "Unknown"
        sent = 0 if scope["method"] == "HEAD" else (resp.length if resp.length is not None else len(resp.body))
        self.metrics.observe(op, resp.status, seconds, info.bytes_in, sent)
        if self.access.enabled:
            client = scope.get("client") or ("", 0)
            agent = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"user-agent"), "")
            fields = {"request_id": request_id, "method": scope["method"], "path": scope["path"], "operation": op,
                      "bucket": info.bucket, "key": info.key, "status": resp.status, "bytes_in": info.bytes_in,
                      "bytes_out": sent, "duration_ms": round(seconds * 1000, 3), "principal": info.principal,
                      "client_ip": str(client[0]), "user_agent": agent}
            self.access.record(text_line(fields), fields)

    async def _handle(self, scope: Scope, receive: Any, request_id: str) -> tuple[Response, RequestInfo]:
        headers = header_dict(scope["headers"])
        length = headers.get("content-length", "")
        info = RequestInfo(bytes_in=int(length) if length.isdigit() else 0)
        try:
            _check_header_section(scope["headers"])
            ctx = self._context(scope, receive, headers, request_id, info)
            handler = HANDLERS.get(ctx.op)
            if handler is None:
                raise S3NotImplemented(f"{ctx.op.s3_name} is not implemented", resource=scope["path"])
            return await handler(ctx), info
        except S3Error as err:
            return self._error(err, scope, request_id), info
        except core.DomainError as exc:
            return self._error(from_domain(exc, scope["path"]), scope, request_id), info
        except Exception as exc:
            if core.disk_full(exc):  # ENOSPC mid-body or SQLITE_FULL at commit: 507, not a retryable 500
                log.warning("%s disk full: %s", request_id, exc)
                return self._error(from_domain(core.StorageFull(str(exc)), scope["path"]), scope, request_id), info
            log.exception("%s internal error", request_id)
            return self._error(InternalError(resource=scope["path"]), scope, request_id), info

    def _context(self, scope: Scope, receive: Any, headers: dict[str, str], request_id: str,
                 info: RequestInfo) -> RequestContext:
        """Route first, so that a request refused later (bad signature, denied) is logged and counted
        under its operation; then authenticate and authorize."""
        method, path = scope["method"], scope["path"]
        raw_query = scope.get("query_string", b"").decode("latin-1")
        query = _query(raw_query)
        route = _route(method, headers.get("host", ""), path, raw_query, "x-amz-copy-source" in headers,
                       self.settings.domains)
        info.op, info.bucket, info.key = route.op, route.bucket, route.key
        if scope.get("scheme") != "https" and not self.settings.allow_insecure_sse_c:
            refuse_insecure_customer_key(headers, query)
        raw_path = scope.get("raw_path") or path.encode("utf-8")
        auth_in = AuthInput(method, raw_path.decode("latin-1"), raw_query, headers,
                            self.engine.now_ms(), vhost_bucket=route.bucket if route.virtual_host else "")
        preflight = route.op in PREFLIGHT  # browsers send OPTIONS unsigned, even for presigned URLs
        client = scope.get("client") or ("", 0)
        try:
            auth = anonymous(auth_in) if preflight else authenticate(auth_in, self.secret_for,
                                                                     self.settings.signing_region)
        except S3Error as err:
            answer = auth_throttle.on_failure(self.auth_failures, auth_in, str(client[0]), err)
            if answer is err:
                raise
            raise answer from err
        user = self.identities.lookup(auth.access_key) if auth.access_key else None
        info.principal = user.id if user else "anonymous"
        authz = Authorizer(self.engine, user, headers, query, str(client[0]), scope.get("scheme") == "https",
                           *auth_keys(auth.auth_type), decisions=self.decisions)
        bucket = authz.require_op(route.op, route.bucket, route.key)  # the one lookup: handlers reuse it
        _check_expected_owner(headers, bucket)
        if method in _BODY_METHODS or method == "DELETE":  # before the body is read: a full disk refuses new
            self.room(method != "DELETE" and route.op not in _FREES_SPACE)  # data, never a delete
        expected = _content_length(headers) if method in _BODY_METHODS else None
        body = verified_body(auth, auth_in, _receive_body(receive, expected))
        return RequestContext(self.engine, self.settings, route.op, route.bucket, route.key, method, path,
                              headers, query, request_id, user, body, authz, self.directory, bucket_record=bucket)

    def _error(self, err: S3Error, scope: Scope, request_id: str) -> Response:
        if not err.resource:
            err.resource = scope["path"]
        headers = list(err.headers.items())
        if err.status == 304:
            return Response.empty(304, headers)
        body = xml.render_error(err, request_id, self.host_id)
        return Response(err.status, [("content-type", "application/xml"), *headers], body)


def text_line(f: Mapping[str, Any]) -> str:
    """The text format's request line: the same facts as the JSON fields (the user agent quoted)."""
    agent = str(f["user_agent"]).replace("\\", "\\\\").replace('"', '\\"')
    return (f"{f['request_id']} {f['method']} {f['path']} {f['operation']} {f['status']} {f['duration_ms']:.1f}ms "
            f"in={f['bytes_in']} out={f['bytes_out']} principal={f['principal'] or '-'} "
            f"ip={f['client_ip'] or '-'} ua=\"{agent}\"")


async def _lifespan(receive: Any, send: Any, background: list[Callable[[], Awaitable[None]]],
                    close: Callable[[], None]) -> None:
    """Startup starts the background loops. Shutdown comes after the server stopped accepting and
    drained in-flight requests (granian: bounded by workers_kill_timeout): stop the loops, then close
    the engine, whose writer thread commits what is queued and checkpoints the WAL."""
    tasks: list[asyncio.Task[None]] = []
    while True:
        msg = await receive()
        if msg["type"] == "lifespan.startup":
            tasks = [asyncio.ensure_future(start()) for start in background]
            await send({"type": "lifespan.startup.complete"})
        elif msg["type"] == "lifespan.shutdown":
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.to_thread(close)
            await send({"type": "lifespan.shutdown.complete"})
            return

