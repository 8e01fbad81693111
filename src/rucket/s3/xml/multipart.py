"""Documents of multipart uploads, copies and GetObjectAttributes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from rucket.core import checksums
from rucket.core.model import Owner
from rucket.core.multipart import Part, Upload
from rucket.engine.multipart import PartRef
from rucket.s3.errors import MalformedXML
from rucket.s3.xml.base import S3_NS, doc, iso8601_ms, owner_el, parse_root, sub

CHECKSUM_TAGS = {f"Checksum{alg}": alg for alg in checksums.ALGORITHMS}  # <ChecksumCRC32> -> CRC32


def _checksum_els(parent: ET.Element, sums: Mapping[str, str], checksum_type: str = "") -> None:
    for alg, value in sums.items():
        sub(parent, f"Checksum{alg}", value)
    if checksum_type:
        sub(parent, "ChecksumType", checksum_type)


def render_initiate(bucket: str, key: str, upload_id: str) -> bytes:
    root = ET.Element("InitiateMultipartUploadResult", xmlns=S3_NS)
    sub(root, "Bucket", bucket)
    sub(root, "Key", key)
    sub(root, "UploadId", upload_id)
    return doc(root)


def parse_complete(body: bytes) -> list[PartRef]:
    """<CompleteMultipartUpload><Part><PartNumber/><ETag/><ChecksumX/>...; no part at all is MalformedXML."""
    root = parse_root(body, "CompleteMultipartUpload")
    refs = []
    for el in root.findall("Part"):
        number, etag = el.findtext("PartNumber"), el.findtext("ETag")
        if number is None or not number.strip().isdigit() or etag is None:
            raise MalformedXML()
        sums = {alg: (el.findtext(tag) or "").strip() for tag, alg in CHECKSUM_TAGS.items()
                if el.find(tag) is not None}
        refs.append(PartRef(int(number), etag.strip(), sums))
    if not refs:
        raise MalformedXML()
    return refs


def render_complete(location: str, bucket: str, key: str, etag: str, sums: Mapping[str, str],
                    checksum_type: str) -> bytes:
    root = ET.Element("CompleteMultipartUploadResult", xmlns=S3_NS)
    sub(root, "Location", location)
    sub(root, "Bucket", bucket)
    sub(root, "Key", key)
    sub(root, "ETag", etag)
    _checksum_els(root, sums, checksum_type)
    return doc(root)


def _part_el(parent: ET.Element, p: Part, with_mtime: bool = True) -> None:
    el = sub(parent, "Part")
    sub(el, "PartNumber", str(p.number))
    if with_mtime:
        sub(el, "LastModified", iso8601_ms(p.mtime_ms))
        sub(el, "ETag", p.etag)
    sub(el, "Size", str(p.size))
    _checksum_els(el, p.checksums)


def render_list_parts(upload: Upload, parts: Sequence[Part], marker: int, max_parts: int, truncated: bool,
                      owner: Owner) -> bytes:
    root = ET.Element("ListPartsResult", xmlns=S3_NS)
    for tag, text in (("Bucket", upload.bucket), ("Key", upload.key), ("UploadId", upload.upload_id)):
        sub(root, tag, text)
    owner_el(root, owner, "Initiator")
    owner_el(root, owner)
    sub(root, "StorageClass", upload.storage_class)
    sub(root, "PartNumberMarker", str(marker))
    sub(root, "NextPartNumberMarker", str(parts[-1].number if parts else marker))
    sub(root, "MaxParts", str(max_parts))
    sub(root, "IsTruncated", "true" if truncated else "false")
    if upload.checksum_algorithm:
        sub(root, "ChecksumAlgorithm", upload.checksum_algorithm)
        sub(root, "ChecksumType", upload.checksum_type)
    for p in parts:
        _part_el(root, p)
    return doc(root)


@dataclass(frozen=True)
class UploadsParams:
    """Echoed request parameters of ListMultipartUploads."""

    bucket: str
    prefix: str
    delimiter: str
    key_marker: str
    upload_id_marker: str
    max_uploads: int
    encode: bool


def render_list_uploads(p: UploadsParams, uploads: Sequence[Upload], prefixes: Sequence[str], truncated: bool,
                        owner_of: Callable[[str], Owner]) -> bytes:
    enc: Callable[[str], str] = (lambda s: quote(s, safe="/")) if p.encode else (lambda s: s)
    root = ET.Element("ListMultipartUploadsResult", xmlns=S3_NS)
    sub(root, "Bucket", p.bucket)
    sub(root, "KeyMarker", enc(p.key_marker))
    sub(root, "UploadIdMarker", p.upload_id_marker)
    last = uploads[-1] if uploads else None
    sub(root, "NextKeyMarker", enc(last.key) if last else "")
    sub(root, "NextUploadIdMarker", last.upload_id if last else "")
    if p.encode:
        sub(root, "EncodingType", "url")
    if p.delimiter:
        sub(root, "Delimiter", enc(p.delimiter))
    sub(root, "Prefix", enc(p.prefix))
    sub(root, "MaxUploads", str(p.max_uploads))
    sub(root, "IsTruncated", "true" if truncated else "false")
    for u in uploads:
        el = sub(root, "Upload")
        sub(el, "Key", enc(u.key))
        sub(el, "UploadId", u.upload_id)
        owner_el(el, owner_of(u.owner), "Initiator")
        owner_el(el, owner_of(u.owner))
        sub(el, "StorageClass", u.storage_class)
        sub(el, "Initiated", iso8601_ms(u.initiated_ms))
        if u.checksum_algorithm:
            sub(el, "ChecksumAlgorithm", u.checksum_algorithm)
            sub(el, "ChecksumType", u.checksum_type)
    for prefix in prefixes:
        sub(sub(root, "CommonPrefixes"), "Prefix", enc(prefix))
    return doc(root)


def render_copy_result(tag: str, etag: str, mtime_ms: int, sums: Mapping[str, str], checksum_type: str = "") -> bytes:
    """CopyObjectResult (tag "CopyObjectResult") or CopyPartResult."""
    root = ET.Element(tag, xmlns=S3_NS)
    sub(root, "ETag", etag)
    sub(root, "LastModified", iso8601_ms(mtime_ms))
    _checksum_els(root, sums, checksum_type)
    return doc(root)


@dataclass(frozen=True)
class Attributes:
    """What GetObjectAttributes answers; None/empty fields are left out as S3 does."""

    wanted: frozenset[str]
    etag: str
    size: int
    storage_class: str
    checksums: Mapping[str, str]
    checksum_type: str
    parts: Sequence[Part] | None  # None: not a multipart object
    parts_count: int = 0
    part_marker: int = 0
    max_parts: int = 1000
    truncated: bool = False


def render_attributes(a: Attributes) -> bytes:
    root = ET.Element("GetObjectAttributesResponse", xmlns=S3_NS)
    if "ETag" in a.wanted:
        sub(root, "ETag", a.etag.strip('"'))
    if "Checksum" in a.wanted and a.checksums:
        _checksum_els(sub(root, "Checksum"), a.checksums, a.checksum_type)
    if "ObjectParts" in a.wanted and a.parts is not None:
        el = sub(root, "ObjectParts")
        sub(el, "PartsCount", str(a.parts_count))
        sub(el, "PartNumberMarker", str(a.part_marker))
        sub(el, "NextPartNumberMarker", str(a.part_marker + len(a.parts)))
        sub(el, "MaxParts", str(a.max_parts))
        sub(el, "IsTruncated", "true" if a.truncated else "false")
        for i, p in enumerate(a.parts, a.part_marker + 1):
            _part_el(el, Part(i, p.size, p.etag, p.blob_id, 0, p.checksums), with_mtime=False)
    if "StorageClass" in a.wanted:
        sub(root, "StorageClass", a.storage_class)
    if "ObjectSize" in a.wanted:
        sub(root, "ObjectSize", str(a.size))
    return doc(root)
