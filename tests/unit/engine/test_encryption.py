"""Envelopes, SSE-C verification, the built-in KMS and encrypted objects through the engine."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
from pathlib import Path

import pytest
from tests.fakes import chunks, make_engine

from rucket.core import errors
from rucket.core.model import Bucket
from rucket.engine import Engine
from rucket.engine.encryption import (
    MODE_C,
    MODE_KMS,
    MODE_S3,
    CustomerKey,
    Encryption,
    Envelope,
    SseRequest,
    record_of,
)
from rucket.engine.kms import canonical_id
from rucket.engine.objects import PutSpec
from rucket.events.records import EventType, decode

CK = CustomerKey(bytes(range(32)), base64.b64encode(hashlib.md5(bytes(range(32))).digest()).decode())
OTHER = CustomerKey(bytes(32), base64.b64encode(hashlib.md5(bytes(32)).digest()).decode())


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    e = make_engine(tmp_path, inline_limit=4096)
    run(e.buckets.create("bkt", "owner"))
    return e


def roundtrip(enc: Encryption, req: SseRequest, customer: CustomerKey | None = None) -> tuple[bytes, bytes]:
    dk = enc.new_key(req)
    assert dk is not None
    stored = json.loads(json.dumps(dk.record()))  # what the metadata row keeps
    opened = enc.open(stored, customer)
    assert opened is not None
    return dk.key, opened.key


# ---- envelopes ---------------------------------------------------------------------------
def test_sse_s3_data_keys_are_fresh_and_reopen(engine: Engine) -> None:
    enc = engine.encryption
    a, a2 = roundtrip(enc, SseRequest(MODE_S3))
    b, _ = roundtrip(enc, SseRequest(MODE_S3))
    assert a == a2 and a != b and len(a) == 32


def test_master_key_comes_from_the_data_dir_file_and_another_one_cannot_open(engine: Engine, tmp_path: Path) -> None:
    dk = engine.encryption.new_key(SseRequest(MODE_S3))
    assert dk is not None
    assert (tmp_path / "master.key").stat().st_mode & 0o777 == 0o600
    stranger = Encryption(engine.store, master_key=os.urandom(32))
    with pytest.raises(errors.CorruptBlob):
        stranger.open(dk.record(), None)


def test_sse_c_record_holds_neither_the_key_nor_its_md5(engine: Engine) -> None:
    dk = engine.encryption.new_key(SseRequest(MODE_C, customer=CK))
    assert dk is not None and dk.customer_md5 == CK.md5
    text = json.dumps(dk.record())
    assert base64.b64encode(CK.key).decode() not in text and CK.md5 not in text and CK.key.hex() not in text
    assert set(dk.record()) == {"mode", "dk", "salt", "check"}
    opened = engine.encryption.open(dk.record(), CK)
    assert opened is not None and opened.key == dk.key and opened.customer_md5 == CK.md5


def test_sse_c_same_key_different_salt_per_object(engine: Engine) -> None:
    a = engine.encryption.new_key(SseRequest(MODE_C, customer=CK))
    b = engine.encryption.new_key(SseRequest(MODE_C, customer=CK))
    assert a is not None and b is not None and a.record()["check"] != b.record()["check"]


@pytest.mark.parametrize(("wrong", "expected"), [(errors.EncryptionKeyMismatch, errors.EncryptionKeyMismatch),
                                                  (errors.InvalidArgument, errors.InvalidArgument)])
def test_sse_c_wrong_key_refused_with_the_callers_error(engine: Engine, wrong: type, expected: type) -> None:
    dk = engine.encryption.new_key(SseRequest(MODE_C, customer=CK))
    assert dk is not None
    with pytest.raises(expected):
        engine.encryption.open(dk.record(), OTHER, wrong)


def test_sse_c_tampered_verifier_still_cannot_open(engine: Engine) -> None:
    """Even with the verifier forged to accept another key, the wrapped key does not open."""
    from rucket.engine.encryption import _c_check

    dk = engine.encryption.new_key(SseRequest(MODE_C, customer=CK))
    assert dk is not None
    rec = dk.record()
    env = Envelope.of(rec)
    rec["check"] = base64.b64encode(_c_check(OTHER.key, env.salt)).decode()
    with pytest.raises(errors.EncryptionKeyMismatch):
        engine.encryption.open(rec, OTHER)


@pytest.mark.parametrize("mode", [MODE_S3, MODE_C, None])
def test_customer_headers_must_match_the_objects_mode(engine: Engine, mode: str | None) -> None:
    enc = engine.encryption
    record = None if mode is None else enc.new_key(SseRequest(mode, customer=CK)).record()  # type: ignore[union-attr]
    customer = None if mode == MODE_C else CK
    with pytest.raises(errors.InvalidRequest):
        enc.open(record, customer)


def test_plain_record_needs_nothing(engine: Engine) -> None:
    assert engine.encryption.open(None, None) is None
    assert engine.encryption.new_key(SseRequest()) is None


def test_etags_md5_for_sse_s3_opaque_otherwise(engine: Engine) -> None:
    md5 = hashlib.md5(b"data").digest()
    s3 = engine.encryption.new_key(SseRequest(MODE_S3))
    c = engine.encryption.new_key(SseRequest(MODE_C, customer=CK))
    assert s3 is not None and c is not None
    assert s3.etag(md5) == f'"{md5.hex()}"'
    assert c.etag(md5) != f'"{md5.hex()}"' and len(c.etag(md5)) == 34 and c.etag(md5) == c.etag(md5)


def test_rewrap_keeps_the_data_key_across_modes(engine: Engine) -> None:
    enc = engine.encryption
    run(enc.kms.create("k1"))
    s3 = enc.new_key(SseRequest(MODE_S3))
    assert s3 is not None
    c = enc.rewrap(s3, SseRequest(MODE_C, customer=CK))
    kms = enc.rewrap(c, SseRequest(MODE_KMS, kms_key="k1"))
    assert c.mode == MODE_C and c.customer_md5 == CK.md5 and kms.mode == MODE_KMS
    assert enc.open(c.record(), CK).key == enc.open(kms.record(), None).key == s3.key  # type: ignore[union-attr]


def test_resolve_prefers_the_request_then_the_bucket_default() -> None:
    bucket = Bucket("b", "o", 0, "us-east-1", config={"encryption": {"algorithm": "aws:kms", "kms_key": "k",
                                                                     "bucket_key": True}})
    assert Encryption.resolve(SseRequest(MODE_S3), bucket) == SseRequest(MODE_S3)
    assert Encryption.resolve(SseRequest(), bucket) == SseRequest(MODE_KMS, "k", bucket_key=True)
    assert Encryption.resolve(SseRequest(), Bucket("b", "o", 0, "us-east-1")) == SseRequest()


# ---- KMS ------------------------------------------------------------------------------------
def test_kms_unknown_key_is_not_found(engine: Engine) -> None:
    with pytest.raises(errors.KmsKeyNotFound):
        engine.encryption.new_key(SseRequest(MODE_KMS, kms_key="nope"))


def test_kms_without_a_key_id_is_an_invalid_argument(engine: Engine) -> None:
    with pytest.raises(errors.InvalidArgument):
        engine.encryption.new_key(SseRequest(MODE_KMS))


def test_kms_rotation_keeps_old_objects_readable(engine: Engine) -> None:
    enc = engine.encryption
    assert run(enc.kms.create("app", "for the app")).versions == 1
    old = enc.new_key(SseRequest(MODE_KMS, kms_key="app"))
    assert run(enc.kms.rotate("app")).versions == 2
    new = enc.new_key(SseRequest(MODE_KMS, kms_key="alias/app"))
    assert old is not None and new is not None
    assert (old.envelope.kms_version, new.envelope.kms_version) == (1, 2)
    fresh = Encryption(engine.store)  # a restarted process: material comes back from the database
    assert fresh.open(old.record(), None).key == old.key  # type: ignore[union-attr]
    assert fresh.open(new.record(), None).key == new.key  # type: ignore[union-attr]
    assert [k.key_id for k in enc.kms.all_keys()] == ["app"]


def test_kms_context_is_bound_into_the_wrapping(engine: Engine) -> None:
    enc = engine.encryption
    run(enc.kms.create("k"))
    dk = enc.new_key(SseRequest(MODE_KMS, kms_key="k", context='{"a":"1"}'))
    assert dk is not None
    rec = dk.record()
    assert enc.open(rec, None).key == dk.key  # type: ignore[union-attr]
    with pytest.raises(errors.CorruptBlob):
        enc.open({**rec, "ctx": '{"a":"2"}'}, None)
    with pytest.raises(errors.KmsKeyNotFound):
        enc.open({**rec, "kv": 7}, None)


def test_declared_kms_keys_are_created_once_and_keep_their_material(engine: Engine) -> None:
    enc = engine.encryption
    assert enc.kms.ensure(["testkey-1", "alias/testkey-2", "testkey-1"]) == ["testkey-1", "testkey-2"]
    dk = enc.new_key(SseRequest(MODE_KMS, kms_key="testkey-1"))
    assert dk is not None
    assert enc.kms.ensure(["testkey-1", "testkey-2"]) == []  # a restart declares them again: no change
    assert Encryption(engine.store).open(dk.record(), None).key == dk.key  # type: ignore[union-attr]
    assert [k.versions for k in enc.kms.all_keys()] == [1, 1]
    with pytest.raises(errors.InvalidArgument):
        enc.kms.ensure(["bad name"])
    assert [k.key_id for k in enc.kms.all_keys()] == ["testkey-1", "testkey-2"]


def test_the_default_kms_key_serves_writes_that_name_none(engine: Engine) -> None:
    engine.encryption.kms.ensure(["dflt"])
    engine.store.kms_default_key = "dflt"
    dk = engine.encryption.new_key(SseRequest(MODE_KMS))
    assert dk is not None and dk.envelope.kms_key == "dflt"
    engine.encryption.kms.ensure(["other"])
    named = engine.encryption.new_key(SseRequest(MODE_KMS, kms_key="other"))  # a named key wins
    assert named is not None and named.envelope.kms_key == "other"


def test_kms_create_validates_and_refuses_duplicates(engine: Engine) -> None:
    run(engine.encryption.kms.create("k"))
    with pytest.raises(errors.InvalidRequest):
        run(engine.encryption.kms.create("k"))
    with pytest.raises(errors.InvalidArgument):
        run(engine.encryption.kms.create("bad name"))
    with pytest.raises(errors.KmsKeyNotFound):
        run(engine.encryption.kms.rotate("missing"))


def test_kms_material_is_stored_wrapped_and_changes_are_events(engine: Engine) -> None:
    enc = engine.encryption
    run(enc.kms.create("k"))
    run(enc.kms.rotate("k"))
    material = enc.kms.material("k", 1)
    for f in engine.store.blobs.root.glob("meta.db*"):  # the database and its WAL
        assert material not in f.read_bytes()
    events = [decode(row) for row in engine.store.feed.rows_after(0, 100)]
    changes = [e.payload for e in events if e.type is EventType.KMS_CHANGED]
    assert changes == [{"key": "k", "version": 1, "change": "created"}, {"key": "k", "version": 2, "change": "rotated"}]


@pytest.mark.parametrize(("text", "expected"), [
    ("k1", "k1"), ("alias/k1", "k1"), ("arn:aws:kms:us-east-1:123456789012:key/k1", "k1"),
    ("arn:aws:kms:us-east-1:123456789012:alias/k1", "k1")])
def test_kms_key_ids_in_aws_forms(text: str, expected: str) -> None:
    assert canonical_id(text) == expected


# ---- encrypted objects through the engine ----------------------------------------------------
async def _read(engine: Engine, bucket: str, key: str, start: int, end: int, customer: CustomerKey | None) -> bytes:
    v = engine.objects.head(bucket, key)
    dk = engine.encryption.open(record_of(v.extra), customer)
    return b"".join([c async for c in engine.objects.read(v, start, end, dk)])


@pytest.mark.parametrize("size", [0, 1, 100, 5000, 200_000, 3 * 1024 * 1024 + 7])
@pytest.mark.parametrize("mode", [MODE_S3, MODE_C])
def test_encrypted_object_roundtrip_and_ranges(engine: Engine, tmp_path: Path, size: int, mode: str) -> None:
    plain = os.urandom(size)
    dk = engine.encryption.new_key(SseRequest(mode, customer=CK))
    v = run(engine.objects.put("bkt", "k", chunks(plain[: size // 3], plain[size // 3:]), PutSpec(owner="o", sse=dk)))
    assert v.size == size and record_of(v.extra) == dk.record()  # type: ignore[union-attr]
    md5 = hashlib.md5(plain).hexdigest()
    assert (v.etag == f'"{md5}"') == (mode == MODE_S3)
    customer = CK if mode == MODE_C else None
    assert run(_read(engine, "bkt", "k", 0, size, customer)) == plain
    for start, end in [(0, 1), (size // 2, size), (65535, 65537), (size - 1, size), (1, max(1, size - 1))]:
        if 0 <= start < end <= size:
            assert run(_read(engine, "bkt", "k", start, end, customer)) == plain[start:end]
    assert engine.objects.blob_path(v) is None  # never pathsend ciphertext


def test_encrypted_bytes_never_reach_disk_in_the_clear(engine: Engine, tmp_path: Path) -> None:
    marker = b"PLAINTEXT-MARKER-" * 64
    small, large = marker, marker * 2000  # inline row, blob file
    for key, body in (("small", small), ("large", large)):
        dk = engine.encryption.new_key(SseRequest(MODE_S3))
        run(engine.objects.put("bkt", key, chunks(body), PutSpec(owner="o", sse=dk)))
    assert engine.objects.head("bkt", "small").inline and not engine.objects.head("bkt", "large").inline
    for f in tmp_path.rglob("*"):
        if f.is_file():
            assert b"PLAINTEXT-MARKER" not in f.read_bytes(), f


def test_reading_an_encrypted_version_without_its_key_fails_closed(engine: Engine) -> None:
    dk = engine.encryption.new_key(SseRequest(MODE_S3))
    v = run(engine.objects.put("bkt", "k", chunks(b"secret" * 20_000), PutSpec(owner="o", sse=dk)))

    async def read() -> bytes:
        return b"".join([c async for c in engine.objects.read(v, 0, v.size)])

    with pytest.raises(errors.InvalidRequest):
        run(read())


def test_tampered_ciphertext_is_a_corrupt_blob(engine: Engine) -> None:
    dk = engine.encryption.new_key(SseRequest(MODE_S3))
    v = run(engine.objects.put("bkt", "k", chunks(os.urandom(300_000)), PutSpec(owner="o", sse=dk)))
    assert v.blob_id
    path = engine.store.blobs.path(v.blob_id)
    raw = bytearray(path.read_bytes())
    raw[100_000] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(errors.CorruptBlob):
        run(_read(engine, "bkt", "k", 0, v.size, None))


def test_range_read_touches_only_the_blocks_it_needs(engine: Engine) -> None:
    """Damage a block far from the range: the range still reads (it never looked there), the
    whole object does not."""
    plain = os.urandom(4 * 1024 * 1024)
    dk = engine.encryption.new_key(SseRequest(MODE_S3))
    v = run(engine.objects.put("bkt", "k", chunks(plain), PutSpec(owner="o", sse=dk)))
    assert v.blob_id
    path = engine.store.blobs.path(v.blob_id)
    raw = bytearray(path.read_bytes())
    raw[-1000] ^= 1  # inside the last block
    path.write_bytes(bytes(raw))
    assert run(_read(engine, "bkt", "k", 70_000, 200_000, None)) == plain[70_000:200_000]
    with pytest.raises(errors.CorruptBlob):
        run(_read(engine, "bkt", "k", 0, v.size, None))


def test_failed_encrypted_upload_leaves_no_temp_file(engine: Engine, tmp_path: Path) -> None:
    async def body():  # type: ignore[no-untyped-def]
        for _ in range(5):
            yield os.urandom(1 << 20)
        raise ConnectionError("client went away")

    async def put_then_settle() -> None:
        dk = engine.encryption.new_key(SseRequest(MODE_S3))
        with pytest.raises(ConnectionError):
            await engine.objects.put("bkt", "k", body(), PutSpec(owner="o", sse=dk))
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        await asyncio.gather(*others, return_exceptions=True)  # the batch in flight ends, then the abort runs

    run(put_then_settle())
    assert list((tmp_path / "tmp").iterdir()) == []
    assert list((tmp_path / "blobs").rglob("*-*")) == []
