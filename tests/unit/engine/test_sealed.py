"""Encrypted GETs through engine/sealed.py: pooled output buffers never change a chunk someone
still holds, long reads and ranges across the 1 MiB read steps are exact, and a tampered block
stops the stream before any of its bytes are yielded."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from pathlib import Path

import pytest
from tests.fakes import chunks, make_engine

from rucket.blobs import crypto
from rucket.core import errors
from rucket.core.model import ObjectVersion
from rucket.engine import Engine, sealed
from rucket.engine.encryption import MODE_S3, SseRequest, record_of
from rucket.engine.objects import PutSpec

MiB = 1 << 20
STEP = (sealed.READ_STEP // (65536 + crypto.TAG)) * 65536  # plaintext bytes per read step


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


# ---- the pool ------------------------------------------------------------------------------
def test_a_dropped_buffer_is_reused() -> None:
    pool = sealed.Reusable(least=16)
    first = id(pool.take(100))  # dropped at once
    assert id(pool.take(100)) == first


@pytest.mark.parametrize("holder", [lambda b: [b], memoryview, lambda b: (lambda: b)], ids=["list", "view", "closure"])
def test_a_held_buffer_is_never_handed_out_again(holder) -> None:  # type: ignore[no-untyped-def]
    pool = sealed.Reusable(least=16)
    buf = pool.take(100)
    buf[:] = b"x" * 100
    kept = holder(buf)
    del buf
    other = pool.take(100)
    other[:] = b"y" * 100
    assert kept is not None
    held = kept[0] if isinstance(kept, list) else kept() if callable(kept) else kept
    assert bytes(held) == b"x" * 100


def test_small_buffers_are_not_pooled_and_the_pool_is_bounded() -> None:
    pool = sealed.Reusable(keep=3, least=64)
    small = pool.take(10)
    assert pool.take(10) is not small and not pool._bufs  # fresh each time, nothing kept
    held = [pool.take(100) for _ in range(10)]
    assert len({id(b) for b in held}) == 10
    assert len(pool._bufs) == 3


def test_without_readable_reference_counts_nothing_is_pooled() -> None:
    pool = sealed.Reusable(least=16, refcounts=False)
    assert len(pool.take(100)) == 100 and not pool._bufs


def test_threads_taking_at_once_never_share_a_buffer() -> None:
    pool = sealed.Reusable(keep=4, least=16)
    got: list[bytearray] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(200):
            b = pool.take(64)
            with lock:
                got.append(b)
                if len(got) > 8:
                    got.pop(0)
                assert len({id(x) for x in got}) == len(got)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# ---- long reads through the engine -----------------------------------------------------------
@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    e = make_engine(tmp_path, inline_limit=4096)
    run(e.buckets.create("bkt", "owner"))
    return e


def _put(engine: Engine, plain: bytes) -> ObjectVersion:
    dk = engine.encryption.new_key(SseRequest(MODE_S3))
    return run(engine.objects.put("bkt", "k", chunks(plain), PutSpec(owner="o", sse=dk)))  # type: ignore[no-any-return]


def _stream(engine: Engine, v: ObjectVersion, start: int, end: int):  # type: ignore[no-untyped-def]
    return engine.objects.read(v, start, end, engine.encryption.open(record_of(v.extra), None))


def test_chunks_kept_by_the_consumer_stay_intact(engine: Engine) -> None:
    plain = os.urandom(6 * STEP + 12345)
    v = _put(engine, plain)

    async def keep_all() -> list[bytes]:
        return [c async for c in _stream(engine, v, 0, v.size)]

    kept = run(keep_all())
    assert len(kept) >= 7 and b"".join(kept) == plain


def test_chunks_dropped_by_the_consumer_are_reused_and_exact(engine: Engine) -> None:
    """What the ASGI server does: copy each chunk out, drop it, ask for the next."""
    plain = os.urandom(8 * STEP + 777)
    v = _put(engine, plain)

    async def digest() -> tuple[str, int]:
        h, ids = hashlib.sha256(), set()
        async for c in _stream(engine, v, 0, v.size):
            h.update(c)
            ids.add(id(c))
        return h.hexdigest(), len(ids)

    hexdigest, distinct = run(digest())
    assert hexdigest == hashlib.sha256(plain).hexdigest()
    assert distinct < 9  # buffers came back round


@pytest.mark.parametrize("start,end", [
    (STEP - 1, STEP + 1), (STEP, 2 * STEP), (STEP - 5, 3 * STEP + 5), (1, 4 * STEP - 1), (65535, 65537),
    (4 * STEP + 3, 4 * STEP + 4), (0, STEP)])
def test_ranges_across_read_steps(engine: Engine, start: int, end: int) -> None:
    plain = os.urandom(4 * STEP + 1000)
    v = _put(engine, plain)

    async def read() -> bytes:
        return b"".join([bytes(c) async for c in _stream(engine, v, start, end)])

    assert run(read()) == plain[start:end]


def test_a_tampered_block_stops_the_stream_before_its_bytes(engine: Engine) -> None:
    plain = os.urandom(5 * STEP)
    v = _put(engine, plain)
    assert v.blob_id
    path = engine.store.blobs.path(v.blob_id)
    raw = bytearray(path.read_bytes())
    bad_block = (3 * STEP) // 65536 + 2  # inside the fourth read step
    raw[crypto.HEADER_SIZE + bad_block * (65536 + crypto.TAG) + 10] ^= 0x80
    path.write_bytes(bytes(raw))
    got = bytearray()

    async def read() -> None:
        async for c in _stream(engine, v, 0, v.size):
            got.extend(c)

    with pytest.raises(errors.CorruptBlob):
        run(read())
    assert len(got) <= 3 * STEP and bytes(got) == plain[:len(got)]


# ---- PUT batches ---------------------------------------------------------------------------
def _pieces(plain: bytes, sizes: list[int]) -> list[bytes]:
    out, pos, i = [], 0, 0
    while pos < len(plain):
        n = sizes[i % len(sizes)]
        out.append(plain[pos:pos + n])
        pos, i = pos + n, i + 1
    return out


@pytest.mark.parametrize("total,sizes", [
    (3 * MiB + 5, [65536]), (5 * MiB + 3, [5 * MiB + 3]), (4 * MiB, [MiB - 1, 2, 2 * MiB - 1]),
    (2 * MiB, [MiB]), (MiB + 1, [MiB, 1]), (3 * MiB + 77, [1000, 300_000, 7])])
def test_any_write_pattern_seals_the_same_object(engine: Engine, total: int, sizes: list[int]) -> None:
    """Batches fill two pooled buffers in turn; whatever the body's chunking, the object reads
    back exactly and its ETag is the plaintext's MD5."""
    plain = os.urandom(total)
    dk = engine.encryption.new_key(SseRequest(MODE_S3))
    v = run(engine.objects.put("bkt", "k", chunks(*_pieces(plain, sizes)), PutSpec(owner="o", sse=dk)))
    assert v.etag == f'"{hashlib.md5(plain).hexdigest()}"'

    async def read() -> bytes:
        return b"".join([bytes(c) async for c in _stream(engine, v, 0, v.size)])

    assert run(read()) == plain


def test_back_to_back_puts_reusing_batch_buffers_keep_their_own_bytes(engine: Engine) -> None:
    bodies = [os.urandom(3 * MiB + 100 * i) for i in range(3)]
    versions = []
    for i, body in enumerate(bodies):
        dk = engine.encryption.new_key(SseRequest(MODE_S3))
        versions.append(run(engine.objects.put("bkt", f"k{i}", chunks(*_pieces(body, [70_000])),
                                               PutSpec(owner="o", sse=dk))))

    async def read(v: ObjectVersion) -> bytes:
        return b"".join([bytes(c) async for c in _stream(engine, v, 0, v.size)])

    assert [run(read(v)) for v in versions] == bodies


def test_concurrent_gets_and_puts_share_the_pool_without_mixing_bytes(engine: Engine) -> None:
    """Several streams take and drop pooled buffers at once (GET outputs, PUT batches): each
    still sees only its own object's bytes."""
    bodies = {f"k{i}": os.urandom(4 * STEP + 999 * i) for i in range(3)}
    versions = {k: _put_key(engine, k, b) for k, b in bodies.items()}
    extra = os.urandom(5 * MiB + 3)

    async def digest(key: str) -> tuple[str, str]:
        v, h = versions[key], hashlib.sha256()
        async for c in _stream(engine, v, 0, v.size):
            h.update(c)
            await asyncio.sleep(0)  # let the other streams take buffers in between
        return key, h.hexdigest()

    async def put() -> tuple[str, str]:
        dk = engine.encryption.new_key(SseRequest(MODE_S3))
        v = await engine.objects.put("bkt", "extra", chunks(*_pieces(extra, [100_000])), PutSpec(owner="o", sse=dk))
        return "extra", v.etag

    async def all_at_once() -> list[tuple[str, str]]:
        return list(await asyncio.gather(*(digest(k) for k in [*bodies, *bodies]), put()))

    for key, value in run(all_at_once()):
        if key == "extra":
            assert value == f'"{hashlib.md5(extra).hexdigest()}"'
        else:
            assert value == hashlib.sha256(bodies[key]).hexdigest()


def _put_key(engine: Engine, key: str, plain: bytes) -> ObjectVersion:
    dk = engine.encryption.new_key(SseRequest(MODE_S3))
    return run(engine.objects.put("bkt", key, chunks(plain), PutSpec(owner="o", sse=dk)))  # type: ignore[no-any-return]
