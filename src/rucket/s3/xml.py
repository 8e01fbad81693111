"""All S3 XML: ElementTree out, defusedxml in. One function per document."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from rucket.core.model import Bucket, ListEntry, ListPage, Owner
from rucket.s3.errors import MalformedXML, S3Error

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


def iso8601_ms(ms: int) -> str:
    t = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def _doc(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _owner(parent: ET.Element, owner: Owner, tag: str = "Owner") -> None:
    el = _sub(parent, tag)
    _sub(el, "ID", owner.id)
    _sub(el, "DisplayName", owner.display_name)


def render_error(err: S3Error, request_id: str, host_id: str) -> bytes:
    root = ET.Element("Error")
    _sub(root, "Code", err.code)
    _sub(root, "Message", err.message)
    for name, value in err.extra.items():
        _sub(root, name, value)
    if err.resource:
        _sub(root, "Resource", err.resource)
    _sub(root, "RequestId", request_id)
    _sub(root, "HostId", host_id)
    return _doc(root)


def render_list_buckets(owner: Owner, buckets: Sequence[Bucket]) -> bytes:
    root = ET.Element("ListAllMyBucketsResult", xmlns=S3_NS)
    _owner(root, owner)
    listing = _sub(root, "Buckets")
    for b in buckets:
        item = _sub(listing, "Bucket")
        _sub(item, "Name", b.name)
        _sub(item, "CreationDate", iso8601_ms(b.created_ms))
    return _doc(root)


def render_location(region: str) -> bytes:
    root = ET.Element("LocationConstraint", xmlns=S3_NS)
    if region != "us-east-1":
        root.text = region
    return _doc(root)


@dataclass(frozen=True)
class ListParams:
    """Echoed request parameters of a ListObjects(V2) response."""

    bucket: str
    prefix: str
    delimiter: str
    max_keys: int
    encode: bool  # encoding-type=url
    fetch_owner: bool = True
    v2: bool = False
    marker: str = ""  # v1 Marker / v2 StartAfter
    token: str = ""  # v2 ContinuationToken
    next_token: str = ""  # v2 NextContinuationToken


def _enc(value: str, encode: bool) -> str:
    return quote(value, safe="/") if encode else value  # space -> %20, + -> %2B, as S3 answers


def render_list_objects(p: ListParams, page: ListPage, owners: dict[str, Owner]) -> bytes:
    root = ET.Element("ListBucketResult", xmlns=S3_NS)
    _sub(root, "Name", p.bucket)
    _sub(root, "Prefix", _enc(p.prefix, p.encode))
    if p.v2:
        if p.token:
            _sub(root, "ContinuationToken", p.token)
        if p.marker:
            _sub(root, "StartAfter", _enc(p.marker, p.encode))
        _sub(root, "KeyCount", str(len(page.entries) + len(page.prefixes)))
    else:
        _sub(root, "Marker", _enc(p.marker, p.encode))
    _sub(root, "MaxKeys", str(p.max_keys))
    if p.delimiter:
        _sub(root, "Delimiter", _enc(p.delimiter, p.encode))
    if p.encode:
        _sub(root, "EncodingType", "url")
    _sub(root, "IsTruncated", "true" if page.truncated else "false")
    if page.truncated and p.v2:
        _sub(root, "NextContinuationToken", p.next_token)
    elif page.truncated and p.delimiter:
        _sub(root, "NextMarker", _enc(page.next_marker, p.encode))
    for e in page.entries:
        _entry(root, e, p, owners)
    for cp in page.prefixes:
        _sub(_sub(root, "CommonPrefixes"), "Prefix", _enc(cp, p.encode))
    return _doc(root)


def _entry(root: ET.Element, e: ListEntry, p: ListParams, owners: dict[str, Owner]) -> None:
    item = _sub(root, "Contents")
    _sub(item, "Key", _enc(e.key, p.encode))
    _sub(item, "LastModified", iso8601_ms(e.mtime_ms))
    _sub(item, "ETag", e.etag)
    _sub(item, "Size", str(e.size))
    _sub(item, "StorageClass", e.storage_class)
    if p.fetch_owner:
        _owner(item, owners.get(e.owner) or Owner(e.owner, e.owner))


@dataclass(frozen=True)
class DeleteOutcome:
    key: str
    version_id: str | None = None
    delete_marker: bool = False
    marker_version_id: str | None = None
    error_code: str = ""
    error_message: str = ""


def render_delete_result(outcomes: Sequence[DeleteOutcome], quiet: bool) -> bytes:
    root = ET.Element("DeleteResult", xmlns=S3_NS)
    for o in outcomes:
        if o.error_code:
            err = _sub(root, "Error")
            _sub(err, "Key", o.key)
            if o.version_id:
                _sub(err, "VersionId", o.version_id)
            _sub(err, "Code", o.error_code)
            _sub(err, "Message", o.error_message)
        elif not quiet:
            item = _sub(root, "Deleted")
            _sub(item, "Key", o.key)
            if o.version_id:
                _sub(item, "VersionId", o.version_id)
            if o.delete_marker:
                _sub(item, "DeleteMarker", "true")
                if o.marker_version_id:
                    _sub(item, "DeleteMarkerVersionId", o.marker_version_id)
    return _doc(root)


# ---- parsing -----------------------------------------------------------------
def parse_root(body: bytes, expected: str) -> ET.Element:
    try:
        root = defused_fromstring(body)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise MalformedXML() from exc
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = el.tag.split("}", 1)[1]  # clients send it with and without xmlns
    if root.tag != expected:
        raise MalformedXML()
    return root


def parse_create_bucket(body: bytes) -> str | None:
    """LocationConstraint of a CreateBucketConfiguration, None when the body is empty."""
    if not body.strip():
        return None
    root = parse_root(body, "CreateBucketConfiguration")
    return (root.findtext("LocationConstraint") or "").strip()


@dataclass(frozen=True)
class DeleteRequest:
    quiet: bool
    objects: list[tuple[str, str | None]]  # (key, version id)


def parse_delete(body: bytes, max_keys: int = 1000) -> DeleteRequest:
    root = parse_root(body, "Delete")
    objects: list[tuple[str, str | None]] = []
    for obj in root.findall("Object"):
        key = obj.findtext("Key")
        if key is None:
            raise MalformedXML()
        objects.append((key, obj.findtext("VersionId")))
    if not objects or len(objects) > max_keys:
        raise MalformedXML()
    return DeleteRequest((root.findtext("Quiet") or "").strip().lower() == "true", objects)
