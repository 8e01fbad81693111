"""Server-side encryption headers: validation, the data key a request needs, response headers.

Used by the object, multipart, copy, attributes and POST handlers. Writes: `x-amz-server-side-encryption`
(`AES256` | `aws:kms`), `-aws-kms-key-id`, `-context` (base64 JSON), `-bucket-key-enabled`,
or SSE-C's `-customer-algorithm` / `-customer-key` / `-customer-key-MD5`; with none of them
the bucket's default encryption applies (engine/encryption.py `resolve`). Reads: an SSE-C
object needs its key again (also as `x-amz-copy-source-server-side-encryption-customer-*`
for a copy source); `x-amz-server-side-encryption` itself is refused on GET/HEAD, as AWS does.

SSE-C over plain HTTP: refused with 400 InvalidRequest, as AWS does (the customer key would cross
the network in the clear), unless the operator sets `allow_insecure_sse_c = true`
(RUCKET_ALLOW_INSECURE_SSE_C) or runs `--dev`: for a laptop, a test suite such as Ceph's s3-tests,
or a TLS-terminating proxy in front (X-Forwarded-Proto is not trusted: any client can send it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping

from rucket.core import errors as core
from rucket.core.model import Bucket, ObjectVersion
from rucket.core.multipart import Upload
from rucket.engine.encryption import (
    MODE_C,
    MODE_KMS,
    MODE_S3,
    CustomerKey,
    DataKey,
    Envelope,
    SseRequest,
    canonical_context,
    record_of,
)
from rucket.s3.errors import InvalidArgument, InvalidEncryptionAlgorithmError, InvalidRequest, S3NotImplemented
from rucket.s3.request import RequestContext

SSE = "x-amz-server-side-encryption"
KMS_KEY_ID = f"{SSE}-aws-kms-key-id"
CONTEXT = f"{SSE}-context"
BUCKET_KEY = f"{SSE}-bucket-key-enabled"
C_ALGORITHM = f"{SSE}-customer-algorithm"
C_KEY = f"{SSE}-customer-key"
C_KEY_MD5 = f"{SSE}-customer-key-md5"
COPY_SOURCE = "x-amz-copy-source-"
MODES = {"AES256": MODE_S3, "aws:kms": MODE_KMS}
UNSUPPORTED_MODES = frozenset({"aws:kms:dsse"})
_C_NEEDS = "Requests specifying Server Side Encryption with Customer provided keys must provide "


def _invalid(message: str, name: str, value: str | None = None) -> InvalidArgument:
    if value is None:
        return InvalidArgument(message, ArgumentName=name)
    return InvalidArgument(message, ArgumentName=name, ArgumentValue=value)


_C_PREFIXES = (f"{SSE}-customer-", f"{COPY_SOURCE}{SSE.removeprefix('x-amz-')}-customer-")


def refuse_insecure_customer_key(h: Mapping[str, str], query: Mapping[str, str]) -> None:
    """SSE-C headers (or their presigned-query form) on a plain-HTTP request: 400, as AWS answers."""
    names = [*h, *(k.lower() for k in query)]
    if any(n.startswith(_C_PREFIXES) for n in names):
        raise InvalidRequest("Requests specifying Server Side Encryption with Customer provided keys must be "
                             "made over a secure connection.")


def customer_key(h: Mapping[str, str], prefix: str = "") -> CustomerKey | None:
    """The SSE-C key of a request, or of its copy source with `prefix` COPY_SOURCE
    (x-amz-copy-source-server-side-encryption-customer-*); None if absent."""
    names = [prefix + n.removeprefix("x-amz-") if prefix else n for n in (C_ALGORITHM, C_KEY, C_KEY_MD5)]
    alg, key, md5 = (h.get(n) for n in names)
    if alg is None and key is None and md5 is None:
        return None
    if alg is None:
        raise _invalid(_C_NEEDS + "a valid encryption algorithm.", names[0])
    if alg != "AES256":
        raise InvalidEncryptionAlgorithmError(ArgumentName=names[0], ArgumentValue=alg)
    if key is None:
        raise _invalid(_C_NEEDS + "an appropriate secret key.", names[1])
    raw = _b64(key)
    if raw is None or len(raw) != 32:
        raise _invalid("The secret key was invalid for the specified algorithm.", names[1])
    if md5 is None:
        raise _invalid(_C_NEEDS + "the client calculated MD5 of the secret key.", names[2])
    sent = _b64(md5)
    if sent is None or not hmac.compare_digest(sent, hashlib.md5(raw).digest()):
        raise _invalid("The calculated MD5 hash of the key did not match the hash that was provided.", names[2])
    return CustomerKey(raw, md5)


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def _context(text: str) -> str:
    """x-amz-server-side-encryption-context: base64 of a JSON object of strings -> canonical JSON."""
    raw = _b64(text)
    try:
        obj = json.loads(raw) if raw is not None else None
    except (UnicodeDecodeError, ValueError):
        obj = None
    if not isinstance(obj, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in obj.items()):
        raise _invalid("The encryption context must be base64 of a JSON object of strings.", CONTEXT)
    return canonical_context(obj)


def write_request(h: Mapping[str, str]) -> SseRequest:
    """What a PutObject / CreateMultipartUpload / CopyObject destination asks for."""
    text, customer = h.get(SSE), customer_key(h)
    if text is not None and customer is not None:
        raise _invalid("Server Side Encryption with Customer provided key is incompatible with the "
                       "encryption method specified", SSE, text)
    if text in UNSUPPORTED_MODES:
        raise S3NotImplemented(f"{SSE}: {text} is not implemented")
    if text is not None and text not in MODES:
        raise _invalid("The encryption method specified is not supported", SSE, text)
    mode = MODES[text] if text is not None else MODE_C if customer is not None else ""
    kms_key, context = h.get(KMS_KEY_ID), h.get(CONTEXT)
    if (kms_key is not None or context is not None) and mode != MODE_KMS:
        raise _invalid("Server Side Encryption with AWS KMS managed key requires HTTP header "
                       f"{SSE} : aws:kms", KMS_KEY_ID if kms_key is not None else CONTEXT)
    return SseRequest(mode, (kms_key or "").strip(), _context(context) if context else "", customer,
                      h.get(BUCKET_KEY, "").strip().lower() == "true")


def _headers(ctx: RequestContext) -> Mapping[str, str]:
    """Presigned URLs carry x-amz-server-side-encryption* in the query string (botocore hoists them
    there, and the signature covers the query): they count as headers."""
    hoisted = {k.lower(): v for k, v in ctx.query.items() if len(k) >= len(SSE) and k.lower().startswith(SSE)}
    return {**hoisted, **ctx.headers} if hoisted else ctx.headers


def new_key(ctx: RequestContext, bucket: Bucket) -> DataKey | None:
    """The data key a new version gets (None: stored in the clear)."""
    enc = ctx.engine.encryption
    return enc.new_key(enc.resolve(write_request(_headers(ctx)), bucket))


def refuse_write_headers(h: Mapping[str, str]) -> None:
    """GET/HEAD: only SSE-C headers belong on a read."""
    for name in (SSE, KMS_KEY_ID, CONTEXT):
        if name in h:
            raise _invalid(f"{name} is only valid on writes", name, h[name])


def read_key(ctx: RequestContext, v: ObjectVersion) -> DataKey | None:
    """GET/HEAD: the data key of `v`, checking the SSE-C key the request brought (or did not)."""
    h = _headers(ctx)
    refuse_write_headers(h)
    return ctx.engine.encryption.open(record_of(v.extra), customer_key(h))


def source_key(ctx: RequestContext, src: ObjectVersion) -> DataKey | None:
    """CopyObject / UploadPartCopy: the source's data key (SSE-C as x-amz-copy-source-...-customer-*)."""
    return ctx.engine.encryption.open(record_of(src.extra), customer_key(_headers(ctx), COPY_SOURCE))


def copy_keys(ctx: RequestContext, bucket: Bucket, src: ObjectVersion) -> tuple[DataKey | None, DataKey | None]:
    """CopyObject: the source's data key and the copy's. When both are encrypted the copy gets the
    source's key rewrapped in its own envelope, so it can share the source's bytes."""
    src_dk = source_key(ctx, src)
    enc = ctx.engine.encryption
    req = enc.resolve(write_request(_headers(ctx)), bucket)
    if not req.mode:
        return src_dk, None
    return src_dk, enc.rewrap(src_dk, req) if src_dk is not None else enc.new_key(req)


def upload_key(ctx: RequestContext, upload: Upload) -> DataKey | None:
    """UploadPart, UploadPartCopy, CompleteMultipartUpload: the upload's data key. An SSE-C upload
    needs its key again; another key is a 400 here (the s3-tests' expectation), not a read's 403."""
    return ctx.engine.encryption.open(record_of(upload.extra), customer_key(_headers(ctx)), core.InvalidArgument)


def check_complete(ctx: RequestContext, upload_id: str) -> None:
    """CompleteMultipartUpload of an SSE-C upload carries the key again (checked, not needed)."""
    upload = ctx.engine.multipart.find(upload_id)
    if upload is not None and (upload.bucket, upload.key) == (ctx.bucket, ctx.key):
        upload_key(ctx, upload)


def response_headers(dk: DataKey | None, *, context: bool = False) -> list[tuple[str, str]]:
    """`x-amz-server-side-encryption*` of a response; `context` on writes (PUT, create, copy)."""
    if dk is None:
        return []
    return _envelope_headers(dk.envelope, dk.customer_md5, context)


def stored_headers(v: ObjectVersion, h: Mapping[str, str]) -> list[tuple[str, str]]:
    """The same, for a stored version (GET/HEAD, after `read_key` checked the request)."""
    rec = record_of(v.extra)
    return [] if rec is None else _envelope_headers(Envelope.of(rec), h.get(C_KEY_MD5, ""), False)


def _envelope_headers(env: Envelope, customer_md5: str, context: bool) -> list[tuple[str, str]]:
    if env.mode == MODE_C:
        return [(C_ALGORITHM, "AES256"), (C_KEY_MD5, customer_md5)]
    out = [(SSE, env.mode)]
    if env.mode == MODE_KMS:
        out.append((KMS_KEY_ID, env.kms_key))
        if context and env.context:
            out.append((CONTEXT, base64.b64encode(env.context.encode()).decode()))
    if env.bucket_key:
        out.append((BUCKET_KEY, "true"))
    return out
