"""Conditional requests: GET/HEAD (304/412, S3's precedence), ranges, conditional writes with exactly
one winner under concurrency, conditional deletes, and `Expect: 100-continue` deciding before the body."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Callable
from email.utils import formatdate
from urllib.parse import urlsplit

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.integration.conftest import make_client
from tests.integration.http import signed
from tests.integration.test_objects import code
from tests.server import ServerProcess

PAST, FUTURE = formatdate(946684800, usegmt=True), formatdate(4102444800, usegmt=True)  # 2000, 2100


def status_of(call: Callable[[], object]) -> int:
    try:
        call()
    except ClientError as e:
        return int(e.response["ResponseMetadata"]["HTTPStatusCode"])
    return 200


@pytest.mark.parametrize(("headers", "expected"), [
    pytest.param({"IfMatch": "ETAG"}, 200, id="if-match-true"),
    pytest.param({"IfMatch": '"nope"'}, 412, id="if-match-false"),
    pytest.param({"IfMatch": "*"}, 200, id="if-match-star"),
    pytest.param({"IfNoneMatch": "ETAG"}, 304, id="if-none-match-false"),
    pytest.param({"IfNoneMatch": '"nope"'}, 200, id="if-none-match-true"),
    pytest.param({"IfModifiedSince": FUTURE}, 304, id="if-modified-since-false"),
    pytest.param({"IfModifiedSince": PAST}, 200, id="if-modified-since-true"),
    pytest.param({"IfUnmodifiedSince": PAST}, 412, id="if-unmodified-since-false"),
    pytest.param({"IfUnmodifiedSince": FUTURE}, 200, id="if-unmodified-since-true"),
    pytest.param({"IfMatch": "ETAG", "IfUnmodifiedSince": PAST}, 200, id="true-if-match-beats-unmodified"),
    pytest.param({"IfNoneMatch": "ETAG", "IfModifiedSince": PAST}, 304, id="false-if-none-match-beats-modified"),
    pytest.param({"IfMatch": '"nope"', "IfNoneMatch": "ETAG"}, 412, id="412-before-304"),
])
def test_get_and_head_conditions(s3: BaseClient, bucket: str, headers: dict[str, str], expected: int) -> None:
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"body")["ETag"]
    kw = {k: etag if v == "ETAG" else v for k, v in headers.items()}
    assert status_of(lambda: s3.get_object(Bucket=bucket, Key="c", **kw)) == expected
    assert status_of(lambda: s3.head_object(Bucket=bucket, Key="c", **kw)) == expected


@pytest.mark.parametrize(("rng", "status", "body"), [
    ("bytes=2-5", 206, b"2345"), ("bytes=7-", 206, b"789"), ("bytes=-3", 206, b"789"),
    ("bytes=8-100", 206, b"89"), ("bytes=0-1,4-5", 200, b"0123456789"),
])
def test_ranges(s3: BaseClient, bucket: str, rng: str, status: int, body: bytes) -> None:
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    r = s3.get_object(Bucket=bucket, Key="r", Range=rng)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == status and r["Body"].read() == body


def test_range_past_the_end_is_416(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-20")
    assert code(e) == (416, "InvalidRange")


def test_conditional_put(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="w", Body=b"0", IfMatch="*")
    assert code(e) == (404, "NoSuchKey")
    etag = s3.put_object(Bucket=bucket, Key="w", Body=b"1", IfNoneMatch="*")["ETag"]
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="w", Body=b"2", IfNoneMatch="*")
    assert code(e) == (412, "PreconditionFailed")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="w", Body=b"2", IfMatch='"nope"')
    assert code(e) == (412, "PreconditionFailed")
    s3.put_object(Bucket=bucket, Key="w", Body=b"3", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="w")["Body"].read() == b"3"


def test_conditional_delete(s3: BaseClient, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="d", Body=b"x")["ETag"]
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=bucket, Key="d", IfMatch='"nope"')
    assert code(e) == (412, "PreconditionFailed")
    assert s3.get_object(Bucket=bucket, Key="d")["Body"].read() == b"x"
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=bucket, Key="d", IfMatchSize=2)
    assert code(e) == (412, "PreconditionFailed")
    s3.delete_object(Bucket=bucket, Key="d", IfMatch=etag, IfMatchSize=1)
    assert status_of(lambda: s3.head_object(Bucket=bucket, Key="d")) == 404
    assert s3.delete_object(Bucket=bucket, Key="d", IfMatch=etag)["ResponseMetadata"]["HTTPStatusCode"] == 204


N = 12


def race(server: ServerProcess, attempt: Callable[[BaseClient], object]) -> Counter[int]:
    """Run `attempt` from N threads released together; count the HTTP statuses."""
    clients = [make_client(server) for _ in range(N)]
    barrier, results = threading.Barrier(N), Counter[int]()
    lock = threading.Lock()

    def one(c: BaseClient) -> None:
        barrier.wait()
        status = status_of(lambda: attempt(c))
        with lock:
            results[status] += 1

    threads = [threading.Thread(target=one, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_if_none_match_put_race_has_exactly_one_winner(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    for round_ in range(3):
        key = f"race-{round_}"
        results = race(server, lambda c, k=key: c.put_object(Bucket=bucket, Key=k, Body=b"w" * 70_000,
                                                             IfNoneMatch="*"))
        assert results[200] == 1 and results[200] + results[412] + results[409] == N, results


def test_if_match_put_race_has_exactly_one_winner(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="cas", Body=b"v0")["ETag"]
    results = race(server, lambda c: c.put_object(Bucket=bucket, Key="cas", Body=b"v1" * 40_000, IfMatch=etag))
    assert results[200] == 1 and results[200] + results[412] + results[409] == N, results


def test_complete_multipart_race_has_exactly_one_winner(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    uploads = []
    for _ in range(N):
        uid = s3.create_multipart_upload(Bucket=bucket, Key="mp-race")["UploadId"]
        etag = s3.upload_part(Bucket=bucket, Key="mp-race", UploadId=uid, PartNumber=1, Body=b"p")["ETag"]
        uploads.append((uid, etag))
    queue = list(uploads)
    take = threading.Lock()

    def attempt(c: BaseClient) -> object:
        with take:
            uid, etag = queue.pop()
        return c.complete_multipart_upload(Bucket=bucket, Key="mp-race", UploadId=uid, IfNoneMatch="*",
                                           MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})

    results = race(server, attempt)
    assert results[200] == 1 and results[200] + results[412] + results[409] == N, results
    aborted = [status_of(lambda u=uid: s3.abort_multipart_upload(Bucket=bucket, Key="mp-race", UploadId=u))
               for uid, _ in uploads]
    assert sorted(aborted) == [200] * (N - 1) + [404]  # the losers' uploads are still there to retry or abort


def _expect_continue(server: ServerProcess, path: str, extra: dict[str, str], body: bytes,
                     bad_signature: bool = False) -> tuple[bytes, bytes]:
    """Send only the headers with `Expect: 100-continue`; return the first answer, and the final one
    if the server said 100 Continue and we then sent the body."""
    headers = signed(server, "PUT", path, b"", headers=extra, payload_hash="UNSIGNED-PAYLOAD")
    if bad_signature:
        headers["Authorization"] = headers["Authorization"][:-4] + "0000"
    p = urlsplit(server.endpoint)
    head = f"PUT {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()
                                                 if k.lower() != "content-length")
    head += f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
    with socket.create_connection((p.hostname, p.port), timeout=5) as sock:
        sock.sendall(head.encode())
        first = sock.recv(65536)
        final = b""
        if first.startswith(b"HTTP/1.1 100"):
            sock.sendall(body)
            final = sock.recv(65536)
        else:  # answered before the body: the server must close, or it would read our next request as the body
            assert b"\r\nconnection: close\r\n" in first.lower()
            while sock.recv(65536):
                pass
        return first, final


def test_expect_100_continue_checks_auth_and_conditions_before_the_body(
        server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="exists", Body=b"x")
    first, _ = _expect_continue(server, f"/{bucket}/exists", {"If-None-Match": "*"}, b"new body")
    assert first.startswith(b"HTTP/1.1 412")  # refused without asking for the body
    first, _ = _expect_continue(server, f"/{bucket}/k", {}, b"new body", bad_signature=True)
    assert first.startswith(b"HTTP/1.1 403")
    first, _ = _expect_continue(server, f"/{bucket}/k?partNumber=1&uploadId=nope", {}, b"part")
    assert first.startswith(b"HTTP/1.1 404") and b"NoSuchUpload" in first
    first, final = _expect_continue(server, f"/{bucket}/k", {}, b"new body")
    assert first.startswith(b"HTTP/1.1 100 Continue") and final.startswith(b"HTTP/1.1 200")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"new body"
