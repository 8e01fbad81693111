"""Object header handling: what a PUT stores, what a GET/HEAD returns, and checksum checks."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from rucket.blobs.base import WrittenBlob
from rucket.core import checksums
from rucket.core.errors import BadDigest
from rucket.core.model import NULL_VERSION, ObjectVersion
from rucket.s3.errors import InvalidDigest, InvalidRequest, S3Error
from rucket.s3.request import http_date

STORED_HEADERS = ("content-type", "content-encoding", "content-disposition", "content-language",
                  "cache-control", "expires", "x-amz-website-redirect-location")
OVERRIDES = {f"response-{h}": h for h in ("content-type", "content-language", "expires", "cache-control",
                                           "content-disposition", "content-encoding")}
STORAGE_CLASSES = frozenset({"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA",
                             "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "OUTPOSTS"})
MAX_USER_META = 2048


class MetadataTooLarge(S3Error):
    status, default_message = 400, "Your metadata headers exceed the maximum allowed metadata size."


class InvalidStorageClass(S3Error):
    status, default_message = 400, "The storage class you specified is not valid"


def stored_headers(h: Mapping[str, str]) -> dict[str, str]:
    out = {name: h[name] for name in STORED_HEADERS if name in h}
    if "content-encoding" in out:  # aws-chunked is transfer framing, not a property of the object
        kept = [e.strip() for e in out["content-encoding"].split(",") if e.strip() and e.strip() != "aws-chunked"]
        if kept:
            out["content-encoding"] = ", ".join(kept)
        else:
            del out["content-encoding"]
    return out


def user_meta(h: Mapping[str, str]) -> dict[str, str]:
    meta = {k[11:]: v for k, v in h.items() if k.startswith("x-amz-meta-")}
    if sum(len(k) + len(v) for k, v in meta.items()) > MAX_USER_META:
        raise MetadataTooLarge()
    return meta


def storage_class(h: Mapping[str, str]) -> str:
    sc = h.get("x-amz-storage-class", "STANDARD") or "STANDARD"
    if sc not in STORAGE_CLASSES:
        raise InvalidStorageClass(StorageClassRequested=sc)
    return sc


def requested_checksums(h: Mapping[str, str]) -> tuple[str, ...]:
    """Algorithms the client asked for, by value header, trailer declaration or SDK hint."""
    algs = {k[len(checksums.HEADER_PREFIX):].upper() for k in h if k.startswith(checksums.HEADER_PREFIX)}
    algs.discard("TYPE")
    algs.discard("ALGORITHM")
    for t in h.get("x-amz-trailer", "").split(","):
        if t.strip().startswith(checksums.HEADER_PREFIX):
            algs.add(t.strip()[len(checksums.HEADER_PREFIX):].upper())
    if sdk := h.get("x-amz-sdk-checksum-algorithm"):
        algs.add(sdk.upper())
    unknown = algs - checksums.ALGORITHMS.keys()
    if unknown:
        raise InvalidRequest("Value for x-amz-checksum-algorithm header is invalid.")
    if len(algs) > 1 and not h.get("x-amz-sdk-checksum-algorithm"):
        raise InvalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
    return tuple(sorted(algs))


def _decode_b64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidDigest() from exc


def check_content_md5_syntax(h: Mapping[str, str]) -> None:
    """Refuse a malformed Content-MD5 before reading any of the body."""
    if (md5 := h.get("content-md5")) is not None and len(_decode_b64(md5)) != 16:
        raise InvalidDigest()


def verify_written(h: Mapping[str, str], trailers: Mapping[str, str], written: WrittenBlob,
                   algorithms: tuple[str, ...]) -> dict[str, str]:
    """Compare every digest the client sent (headers, then trailers) with what we computed."""
    if (md5 := h.get("content-md5")) is not None and _decode_b64(md5) != written.digests["MD5"]:
        raise BadDigest("Content-MD5")
    stored: dict[str, str] = {}
    for alg in algorithms:
        name = checksums.header_name(alg)
        sent = trailers.get(name) or h.get(name)
        actual = checksums.b64(written.digests[alg])
        if sent is not None and sent != actual:
            raise BadDigest(alg)
        stored[alg] = actual
    return stored


def object_headers(v: ObjectVersion, versioned: bool) -> list[tuple[str, str]]:
    """Headers shared by GET and HEAD of a version."""
    out = [("etag", v.etag), ("last-modified", http_date(v.mtime_ms)), ("accept-ranges", "bytes")]
    out.append(("content-type", v.headers.get("content-type", "binary/octet-stream")))
    out += [(k, val) for k, val in v.headers.items() if k != "content-type"]
    out += [("x-amz-meta-" + k, val) for k, val in v.user_meta.items()]
    if versioned or v.version_id != NULL_VERSION:
        out.append(("x-amz-version-id", v.version_id))
    if v.storage_class != "STANDARD":
        out.append(("x-amz-storage-class", v.storage_class))
    return out


def apply_overrides(headers: list[tuple[str, str]], query: Mapping[str, str]) -> list[tuple[str, str]]:
    wanted = {OVERRIDES[k]: v for k, v in query.items() if k in OVERRIDES}
    if not wanted:
        return headers
    return [(k, v) for k, v in headers if k not in wanted] + list(wanted.items())


def checksum_headers(v: ObjectVersion) -> list[tuple[str, str]]:
    """With the checksum type: COMPOSITE or FULL_OBJECT for multipart versions, FULL_OBJECT otherwise."""
    out = [(checksums.header_name(alg), value) for alg, value in v.checksums.items()]
    if out:
        out.append(("x-amz-checksum-type", str(v.extra.get("checksum_type", "FULL_OBJECT"))))
    return out
