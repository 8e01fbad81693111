"""The request path reads each stored fact once: the bucket record authorization resolved is the
one every handler step uses, and a GET reads its version once (issue 14). Counted on the real
store by wrapping its read methods (the store is otherwise untouched)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from tests.fakes import chunks, make_engine

from rucket.core.model import Principal
from rucket.engine import Engine
from rucket.engine.objects import PutSpec
from rucket.s3.auth.body import VerifiedBody
from rucket.s3.handlers.object import get_object, head_object, put_object
from rucket.s3.ops import Operation
from rucket.s3.policy import Authorizer
from rucket.s3.request import RequestContext, Settings

OWNER = Principal("owner", "owner", "owner", "s", name="owner")


def count_reads(engine: Engine, calls: Counter[str]) -> None:
    def counted(obj: Any, name: str) -> None:
        inner: Callable[..., Any] = getattr(obj, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return inner(*args, **kwargs)
        setattr(obj, name, wrapper)

    for name in ("get_bucket",):
        counted(engine.store.config, name)
    for name in ("get_latest", "get_version"):
        counted(engine.store.index, name)


async def _body(data: bytes) -> AsyncIterator[bytes]:
    yield data


def request(engine: Engine, op: Operation, method: str, headers: dict[str, str] | None = None,
            body: bytes = b"") -> RequestContext:
    """What S3App._context builds: authorization resolves the bucket and hands it on."""
    authz = Authorizer(engine, OWNER, headers or {}, {})
    bucket = authz.require_op(op, "bkt", "k")
    return RequestContext(engine, Settings(), op, "bkt", "k", method, "/bkt/k", headers or {}, {}, "req", OWNER,
                          VerifiedBody(_body(body)), authz, bucket_record=bucket)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    e = make_engine(tmp_path)
    asyncio.run(e.buckets.create("bkt", "owner"))
    asyncio.run(e.objects.put("bkt", "k", chunks(b"hello"), PutSpec("owner")))
    return e


@pytest.mark.parametrize("handler", [get_object, head_object], ids=["get", "head"])
def test_get_and_head_resolve_the_bucket_once_and_read_the_version_once(engine: Engine, handler: Any) -> None:
    calls: Counter[str] = Counter()
    count_reads(engine, calls)
    op = Operation.GET_OBJECT if handler is get_object else Operation.HEAD_OBJECT
    resp = asyncio.run(handler(request(engine, op, "GET" if handler is get_object else "HEAD")))
    assert resp.status == 200
    assert calls["get_bucket"] == 1
    assert calls["get_latest"] + calls["get_version"] == 1


def test_put_resolves_the_bucket_once(engine: Engine) -> None:
    calls: Counter[str] = Counter()
    count_reads(engine, calls)
    resp = asyncio.run(put_object(request(engine, Operation.PUT_OBJECT, "PUT", {"content-length": "3"}, b"new")))
    assert resp.status == 200
    assert calls["get_bucket"] == 1
    assert engine.objects.head("bkt", "k").size == 3
