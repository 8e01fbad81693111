"""Server-side encryption: a random data key per object version, wrapped in an envelope.

**Key hierarchy.**

    master key (engine/secrets.py: RUCKET_MASTER_KEY / config / data/master.key, 0600)
      ├─ HKDF "rucket/sse-s3/kek/v1" ─▶ SSE-S3 KEK ─────────────┐
      └─ HKDF "rucket/kms/material/v1" ─▶ wraps KMS key versions │ wraps
                       KMS key `name` version N ─────────────────┤ the object's
    customer key (SSE-C, never stored) ─ HKDF(salt) ─▶ SSE-C KEK ─┘ data key
    data key (32 random bytes per version / multipart upload) ─▶ blob blocks (blobs/crypto.py)

The data key never touches disk in the clear: the version's metadata (`extra["sse"]`, an
`Envelope` record) holds it wrapped with AES-256-GCM under one of the three KEKs. For
SSE-KMS the associated data binds the KMS key id, its version and the encryption context
(`x-amz-server-side-encryption-context`), so an envelope opens only under the same context.
For SSE-C the record holds a random salt and HMAC-SHA256(customer key, salt) - a salted
verifier, never the key or its MD5 - so a wrong key is refused before any data is read.

Because the envelope is separate from the bytes, CopyObject between encrypted modes (and
KMS keys, and SSE-C keys) rewraps the same data key for the copy and shares the blob; only a
copy between plaintext and ciphertext moves bytes.

**ETags.** SSE-S3 keeps the MD5 of the plaintext, as AWS does. For SSE-C and SSE-KMS AWS
documents the ETag as "not an MD5 of the object data"; we use HMAC-SHA256(data key, MD5)
truncated to 16 bytes: stable for the version, equal for the client's copies made by rewrap,
and revealing nothing about the plaintext to someone without the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets as rnd
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from rucket.core import errors
from rucket.core.model import Bucket
from rucket.engine import secrets
from rucket.engine.kms import Kms
from rucket.engine.store import Store

MODE_S3, MODE_KMS, MODE_C = "AES256", "aws:kms", "SSE-C"
RECORD = "sse"  # the key of ObjectVersion.extra / Upload.extra holding the envelope record
BUCKET_DEFAULT = "encryption"  # bucket.config key written by PutBucketEncryption (engine/bucket_config.py)
_NONCE = 12

NOT_APPLICABLE = "The encryption parameters are not applicable to this object."
KEY_REQUIRED = ("The object was stored using a form of Server Side Encryption. "
                "The correct parameters must be provided to retrieve the object.")


def derive(secret: bytes, label: bytes, salt: bytes | None = None) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=label).derive(secret)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


@dataclass(frozen=True)
class CustomerKey:
    """An SSE-C key as the request carried it (validated by s3/handlers/encryption.py)."""

    key: bytes
    md5: str  # base64 MD5 of the key, echoed in responses


@dataclass(frozen=True)
class SseRequest:
    """The encryption a write asks for; `mode` "" means none (the bucket default may apply)."""

    mode: str = ""
    kms_key: str = ""
    context: str = ""  # canonical JSON of the encryption context ("" = none)
    customer: CustomerKey | None = None
    bucket_key: bool = False


@dataclass(frozen=True)
class Envelope:
    """The stored part: which KEK wrapped the data key, and the wrapped key itself."""

    mode: str
    wrapped: bytes  # nonce || AES-256-GCM(data key)
    kms_key: str = ""
    kms_version: int = 0
    context: str = ""
    salt: bytes = b""  # SSE-C: HKDF salt and verifier input
    check: bytes = b""  # SSE-C: HMAC-SHA256(customer key, label || salt)
    bucket_key: bool = False

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mode": self.mode, "dk": _b64(self.wrapped)}
        if self.mode == MODE_KMS:
            out.update(kms=self.kms_key, kv=self.kms_version, ctx=self.context)
        if self.mode == MODE_C:
            out.update(salt=_b64(self.salt), check=_b64(self.check))
        if self.bucket_key:
            out["bk"] = True
        return out

    @classmethod
    def of(cls, rec: Mapping[str, Any]) -> Envelope:
        return cls(rec["mode"], _unb64(rec["dk"]), rec.get("kms", ""), int(rec.get("kv", 0)), rec.get("ctx", ""),
                   _unb64(rec.get("salt", "")), _unb64(rec.get("check", "")), bool(rec.get("bk", False)))


@dataclass(frozen=True)
class DataKey:
    """A data key in the clear, for the duration of one request."""

    key: bytes
    envelope: Envelope
    customer_md5: str = ""  # SSE-C: the MD5 the request sent, echoed back

    @property
    def mode(self) -> str:
        return self.envelope.mode

    def etag(self, md5: bytes) -> str:
        if self.mode == MODE_S3:
            return f'"{md5.hex()}"'
        return '"' + hmac.new(self.key, b"rucket/etag/v1" + md5, hashlib.sha256).hexdigest()[:32] + '"'

    def record(self) -> dict[str, Any]:
        return self.envelope.record()


def record_of(extra: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The envelope record of a version's / upload's `extra`, or None when stored in the clear."""
    rec = extra.get(RECORD)
    return rec if isinstance(rec, Mapping) else None


def canonical_context(obj: Mapping[str, Any]) -> str:
    return json.dumps(dict(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _c_check(key: bytes, salt: bytes) -> bytes:
    return hmac.new(key, b"rucket/sse-c/check/v1" + salt, hashlib.sha256).digest()


def _seal(kek: bytes, dk: bytes, aad: bytes) -> bytes:
    nonce = rnd.token_bytes(_NONCE)
    return nonce + AESGCM(kek).encrypt(nonce, dk, aad)


def _unseal(kek: bytes, wrapped: bytes, aad: bytes) -> bytes:
    return AESGCM(kek).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], aad)


def _kms_aad(key_id: str, version: int, context: str) -> bytes:
    return f"rucket/sse-kms/v1\0{key_id}\0{version}\0{context}".encode()


_S3_AAD = b"rucket/sse-s3/v1"
_C_AAD = b"rucket/sse-c/v1"


class Encryption:
    """Creates, wraps and opens data keys. The master key is loaded on first use."""

    def __init__(self, store: Store, master_key: bytes | None = None) -> None:
        self.s = store
        self._master = master_key
        self._kms: Kms | None = None
        self._s3_kek: bytes | None = None

    @property
    def master(self) -> bytes:
        if self._master is None:
            self._master = secrets.load_or_create(self.s.blobs.root, self.s.master_key)
        return self._master

    @property
    def kms(self) -> Kms:
        if self._kms is None:
            self._kms = Kms(self.s, derive(self.master, b"rucket/kms/material/v1"))
        return self._kms

    @property
    def s3_kek(self) -> bytes:
        if self._s3_kek is None:
            self._s3_kek = derive(self.master, b"rucket/sse-s3/kek/v1")
        return self._s3_kek

    # ---- writes -------------------------------------------------------------------
    @staticmethod
    def resolve(req: SseRequest, bucket: Bucket) -> SseRequest:
        """The request's own encryption, else the bucket default (PutBucketEncryption), else none."""
        conf = bucket.config.get(BUCKET_DEFAULT)
        if req.mode or not isinstance(conf, Mapping):
            return req
        return SseRequest(str(conf.get("algorithm", "")), str(conf.get("kms_key") or ""),
                          bucket_key=bool(conf.get("bucket_key")))

    def new_key(self, req: SseRequest) -> DataKey | None:
        """A fresh data key wrapped as `req` asks; None when the write is not encrypted."""
        return self.wrap(rnd.token_bytes(32), req) if req.mode else None

    def wrap(self, dk: bytes, req: SseRequest) -> DataKey:
        """Wrap `dk` (fresh, or an existing version's for a copy) in the envelope `req` names."""
        wrapper = _WRAP.get(req.mode)
        if wrapper is None:
            raise errors.InvalidArgument(f"unsupported server-side encryption {req.mode!r}")
        return wrapper(self, dk, req)

    def _wrap_s3(self, dk: bytes, req: SseRequest) -> DataKey:
        return DataKey(dk, Envelope(MODE_S3, _seal(self.s3_kek, dk, _S3_AAD), bucket_key=req.bucket_key))

    def _wrap_kms(self, dk: bytes, req: SseRequest) -> DataKey:
        requested = req.kms_key or self.s.kms_default_key
        if not requested:
            raise errors.InvalidArgument("aws:kms needs x-amz-server-side-encryption-aws-kms-key-id "
                                         "(no default KMS key is configured)")
        key_id, version, material = self.kms.current(requested)
        wrapped = _seal(material, dk, _kms_aad(key_id, version, req.context))
        return DataKey(dk, Envelope(MODE_KMS, wrapped, key_id, version, req.context, bucket_key=req.bucket_key))

    def _wrap_c(self, dk: bytes, req: SseRequest) -> DataKey:
        ck = req.customer
        if ck is None:
            raise errors.InvalidArgument("SSE-C needs the customer key headers")
        salt = rnd.token_bytes(16)
        kek = derive(ck.key, b"rucket/sse-c/kek/v1", salt)
        return DataKey(dk, Envelope(MODE_C, _seal(kek, dk, _C_AAD), salt=salt, check=_c_check(ck.key, salt)),
                       customer_md5=ck.md5)

    # ---- reads ------------------------------------------------------------------------
    def open(self, record: Mapping[str, Any] | None, customer: CustomerKey | None,
             wrong_key: type[errors.DomainError] = errors.EncryptionKeyMismatch) -> DataKey | None:
        """The data key of a stored version or upload, given what the request brought.

        Plain object + SSE-C headers, or SSE-C object without them: InvalidRequest (400).
        SSE-C with another key: `wrong_key` (403 AccessDenied for reads, as AWS; uploads
        pass InvalidArgument, 400)."""
        if record is None:
            if customer is not None:
                raise errors.InvalidRequest(NOT_APPLICABLE)
            return None
        env = Envelope.of(record)
        if (env.mode == MODE_C) != (customer is not None):
            raise errors.InvalidRequest(KEY_REQUIRED if customer is None else NOT_APPLICABLE)
        try:
            return _OPEN[env.mode](self, env, customer, wrong_key)
        except InvalidTag as exc:
            if env.mode == MODE_C:
                raise wrong_key("The provided SSE-C key does not match the object's") from exc
            raise errors.CorruptBlob(f"the {env.mode} data key does not open: wrong master key?") from exc

    def _open_s3(self, env: Envelope, _c: CustomerKey | None, _w: type[errors.DomainError]) -> DataKey:
        return DataKey(_unseal(self.s3_kek, env.wrapped, _S3_AAD), env)

    def _open_kms(self, env: Envelope, _c: CustomerKey | None, _w: type[errors.DomainError]) -> DataKey:
        material = self.kms.material(env.kms_key, env.kms_version)
        return DataKey(_unseal(material, env.wrapped, _kms_aad(env.kms_key, env.kms_version, env.context)), env)

    def _open_c(self, env: Envelope, ck: CustomerKey | None, wrong_key: type[errors.DomainError]) -> DataKey:
        assert ck is not None
        if not hmac.compare_digest(_c_check(ck.key, env.salt), env.check):
            raise wrong_key("The provided SSE-C key does not match the object's")
        kek = derive(ck.key, b"rucket/sse-c/kek/v1", env.salt)
        return DataKey(_unseal(kek, env.wrapped, _C_AAD), env, customer_md5=ck.md5)

    def rewrap(self, source: DataKey, req: SseRequest) -> DataKey:
        """The same data key under the destination's envelope (CopyObject sharing the blob)."""
        out = self.wrap(source.key, req)
        return replace(out, customer_md5=req.customer.md5 if req.customer else "")


_Wrap = Callable[[Encryption, bytes, SseRequest], DataKey]
_Open = Callable[[Encryption, Envelope, "CustomerKey | None", "type[errors.DomainError]"], DataKey]
_WRAP: dict[str, _Wrap] = {MODE_S3: Encryption._wrap_s3, MODE_KMS: Encryption._wrap_kms, MODE_C: Encryption._wrap_c}
_OPEN: dict[str, _Open] = {MODE_S3: Encryption._open_s3, MODE_KMS: Encryption._open_kms, MODE_C: Encryption._open_c}
