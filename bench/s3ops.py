"""The few S3 calls the harness makes itself: create a bucket, a multipart upload, a LIST walk."""

from __future__ import annotations

import html
import http.client
import re
import time
from dataclasses import dataclass, field

from bench.client import BulkResult, Pool
from bench.presign import Presigner

_TOKEN = re.compile(rb"<NextContinuationToken>(.*?)</NextContinuationToken>", re.S)
_CODE = re.compile(rb"<Code>(.*?)</Code>", re.S)
_UPLOAD_ID = re.compile(rb"<UploadId>(.*?)</UploadId>", re.S)


def answer(status: int, body: bytes) -> str:
    """A short description of an S3 answer for error notes: the status and the error code."""
    code = _CODE.search(body)
    return f"{status} {code.group(1).decode(errors='replace')}" if code else f"{status} {body[:120]!r}"


class Session:
    """One keep-alive connection to a server, for sequential requests."""

    def __init__(self, signer: Presigner) -> None:
        self.signer = signer
        host, _, port = signer.host.partition(":")
        self._conn = http.client.HTTPConnection(host, int(port), timeout=120)

    def call(self, method: str, path: str, query: dict[str, str] | None = None,
             body: bytes | None = None) -> tuple[int, bytes]:
        target = self.signer.path_qs(method, path, query)
        try:
            self._conn.request(method, target, body=body)
            resp = self._conn.getresponse()
            return resp.status, resp.read()
        except (OSError, http.client.HTTPException):
            self._conn.close()  # reconnects on the next request
            raise

    def close(self) -> None:
        self._conn.close()


def create_bucket(signer: Presigner, bucket: str) -> None:
    session = Session(signer)
    try:
        status, body = session.call("PUT", f"/{bucket}")
    finally:
        session.close()
    if status != 200 and b"BucketAlreadyOwnedByYou" not in body:
        raise RuntimeError(f"CreateBucket {bucket}: {answer(status, body)}")


@dataclass
class Walk:
    keys: int = 0
    seconds: float = 0.0
    page_ms: list[float] = field(default_factory=list)


def list_walk(session: Session, bucket: str, page: int = 1000, start_after: str = "",
              max_pages: int = 1 << 30) -> Walk:
    """Full paginated ListObjectsV2 walk; the client only counts keys and finds the token."""
    walk, token = Walk(), ""
    t_walk = time.perf_counter()
    while len(walk.page_ms) < max_pages:
        query = {"list-type": "2", "max-keys": str(page)}
        query |= {"continuation-token": token} if token else ({"start-after": start_after} if start_after else {})
        t0 = time.perf_counter()
        status, body = session.call("GET", f"/{bucket}", query)
        walk.page_ms.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise RuntimeError(f"ListObjectsV2: {answer(status, body)}")
        walk.keys += body.count(b"<Key>")
        found = _TOKEN.search(body)
        if b"<IsTruncated>true</IsTruncated>" not in body or found is None:
            break
        token = html.unescape(found.group(1).decode())
    walk.seconds = time.perf_counter() - t_walk
    return walk


@dataclass
class Upload:
    result: BulkResult
    seconds: float
    complete: bool
    error: str = ""


def multipart(signer: Presigner, pool: Pool, bucket: str, key: str, total: int, part: int,
              concurrency: int, cap_seconds: float) -> Upload:
    """Create, upload every part from the client processes, complete; timed end to end."""
    session, path = Session(signer), f"/{bucket}/{key}"
    t0 = time.perf_counter()
    try:
        status, body = session.call("POST", path, {"uploads": ""})
        found = _UPLOAD_ID.search(body)
        if status != 200 or found is None:
            raise RuntimeError(f"CreateMultipartUpload: {answer(status, body)}")
        upload_id = html.unescape(found.group(1).decode())
        urls = [signer.url("PUT", path, {"partNumber": str(n), "uploadId": upload_id})
                for n in range(1, total // part + 1)]
        result = pool.run("PUT", urls, part, concurrency, cap_seconds, once=True)
        if result.ops != len(urls):
            session.call("DELETE", path, {"uploadId": upload_id})
            return Upload(result, time.perf_counter() - t0, False, result.first_error or "time cap reached")
        status, body = session.call("POST", path, {"uploadId": upload_id}, _complete_xml(urls, result))
        ok = status == 200 and b"<Error>" not in body
        return Upload(result, time.perf_counter() - t0, ok, "" if ok else f"Complete: {answer(status, body)}")
    finally:
        session.close()


def _complete_xml(urls: list[str], result: BulkResult) -> bytes:
    parts = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>{html.escape(result.etags[u])}</ETag></Part>"
                    for n, u in enumerate(urls, 1))
    return f"<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>".encode()
