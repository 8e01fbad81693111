"""Large requests from several client processes, each running threads over http.client.

One process per 16 in-flight requests (at most 4), so Python's GIL in the client never caps
a transfer: bodies are sent from one shared buffer with sendall and read with readinto.
"""

from __future__ import annotations

import http.client
import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.model import Cell

MAX_PROCESSES = 4
_CHUNK = 1 << 20


@dataclass(frozen=True)
class BulkJob:
    method: str  # PUT or GET
    urls: list[str]  # full presigned URLs
    size: int  # body size (PUT) or expected size (GET)
    threads: int
    deadline: float  # time.monotonic() value; each thread sends at least one request
    once: bool = False  # each URL once (split over threads) instead of rotating until the deadline
    offset: int = 0  # where this job's threads start rotating


@dataclass
class BulkResult:
    ops: int = 0
    bytes: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    etags: dict[str, str] = field(default_factory=dict)  # url → ETag (multipart parts)
    first_error: str = ""
    start: float = 0.0
    end: float = 0.0

    def merge(self, other: BulkResult) -> None:
        self.ops += other.ops
        self.bytes += other.bytes
        self.errors += other.errors
        self.latencies_ms += other.latencies_ms
        self.etags |= other.etags
        self.first_error = self.first_error or other.first_error
        self.start = min(self.start or other.start, other.start)
        self.end = max(self.end, other.end)


class Pool:
    """The client processes, started once per run (spawned: no forked locks or threads)."""

    def __init__(self) -> None:
        self._executor = ProcessPoolExecutor(MAX_PROCESSES, mp_context=multiprocessing.get_context("spawn"))

    def run(self, method: str, urls: list[str], size: int, concurrency: int, seconds: float,
            once: bool = False) -> BulkResult:
        procs = max(1, min(MAX_PROCESSES, -(-concurrency // 16), len(urls) if once else concurrency))
        deadline = time.monotonic() + seconds
        jobs = [BulkJob(method, urls[i::procs] if once else urls, size,
                        concurrency // procs + (i < concurrency % procs), deadline, once, i * 7)
                for i in range(procs)]
        total = BulkResult()
        for result in self._executor.map(run_job, jobs):
            total.merge(result)
        return total

    def close(self) -> None:
        procs = list((getattr(self._executor, "_processes", None) or {}).values())
        self._executor.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.kill()


def to_cell(result: BulkResult, concurrency: int) -> Cell:
    lat = sorted(result.latencies_ms)

    def pct(p: float) -> float | None:
        return lat[min(len(lat) - 1, int(len(lat) * p / 100))] if lat else None

    return Cell("", "", concurrency, ops=result.ops, seconds=max(result.end - result.start, 1e-9),
                payload_bytes=result.bytes, p50_ms=pct(50), p99_ms=pct(99), errors=result.errors,
                tool="python http.client", note=f"error: {result.first_error}" if result.first_error else "")


# -- inside the client processes -------------------------------------------------------------
def run_job(job: BulkJob) -> BulkResult:
    body = memoryview(bytes(range(256)) * (job.size // 256) + bytes(job.size % 256)) if job.method == "PUT" else None
    results = [BulkResult() for _ in range(job.threads)]
    threads = [threading.Thread(target=_thread, args=(job, i, body, results[i])) for i in range(job.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = BulkResult()
    for r in results:
        total.merge(r)
    return total


def _thread(job: BulkJob, i: int, body: memoryview | None, out: BulkResult) -> None:
    urls = job.urls[i::job.threads] if job.once else job.urls
    if not urls:
        return
    parts = urlsplit(urls[0])
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=300)
    buf = bytearray(_CHUNK)
    out.start = time.monotonic()
    try:
        for n in range(len(urls) if job.once else 1 << 62):
            if n and time.monotonic() >= job.deadline:
                break
            url = urls[n] if job.once else urls[(job.offset + i + n) % len(urls)]
            conn = _one(conn, job, url, body, buf, out)
    finally:
        conn.close()
        out.end = time.monotonic()


def _one(conn: http.client.HTTPConnection, job: BulkJob, url: str, body: memoryview | None,
         buf: bytearray, out: BulkResult) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    target = parts.path + ("?" + parts.query if parts.query else "")
    t0 = time.perf_counter()
    try:
        headers = {"Content-Length": str(job.size)} if body is not None else {}
        conn.request(job.method, target, body=body, headers=headers)
        resp = conn.getresponse()
        got = _drain(resp, buf)
    except (OSError, http.client.HTTPException) as exc:
        out.errors += 1
        out.first_error = out.first_error or f"{type(exc).__name__}: {exc}"
        conn.close()
        return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=300)
    out.latencies_ms.append((time.perf_counter() - t0) * 1000)
    if resp.status >= 300 or (job.method == "GET" and got != job.size):
        out.errors += 1
        out.first_error = out.first_error or f"{job.method} {resp.status}, {got} bytes"
        return conn
    out.ops += 1
    out.bytes += job.size
    if (etag := resp.getheader("ETag")) is not None:
        out.etags[url] = etag
    return conn


def _drain(resp: http.client.HTTPResponse, buf: bytearray) -> int:
    got = 0
    while n := resp.readinto(buf):
        got += n
    return got
