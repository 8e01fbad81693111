"""Versioning documents: VersioningConfiguration (in and out) and ListVersionsResult."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from rucket.core.model import ObjectVersion, Owner
from rucket.engine.versioning import VersionPage
from rucket.s3.errors import IllegalVersioningConfigurationException, MalformedXML
from rucket.s3.xml.base import S3_NS, doc, iso8601_ms, owner_el, parse_root, sub

STATUSES = ("Enabled", "Suspended")
MFA_STATES = ("Enabled", "Disabled")


MAX_EXCLUDED_PREFIXES = 10  # MinIO's limit


@dataclass(frozen=True)
class VersioningRequest:
    status: str | None  # None: an empty <VersioningConfiguration/>, which changes nothing
    mfa_delete: str | None
    exclusions: dict[str, Any] | None = None  # MinIO extensions, as stored (see Bucket.versioning_of)


def parse_versioning(body: bytes) -> VersioningRequest:
    """AWS's document plus MinIO's `<ExcludedPrefixes><Prefix>p</Prefix></ExcludedPrefixes>` (repeated)
    and `<ExcludeFolders>true</ExcludeFolders>`, which only an Enabled configuration may carry."""
    root = parse_root(body, "VersioningConfiguration")
    status, mfa = root.findtext("Status"), root.findtext("MfaDelete")
    if status is not None and status.strip() not in STATUSES:
        raise MalformedXML()
    if mfa is not None and mfa.strip() not in MFA_STATES:
        raise MalformedXML()
    status = status.strip() if status else None
    prefixes = [el.findtext("Prefix") or "" for el in root.findall("ExcludedPrefixes")]
    folders_text = (root.findtext("ExcludeFolders") or "false").strip().lower()
    if folders_text not in ("true", "false") or any(not p for p in prefixes):
        raise MalformedXML()
    if prefixes and status != "Enabled":
        raise IllegalVersioningConfigurationException(
            "excluded prefixes extension supported only when versioning is enabled")
    if len(prefixes) > MAX_EXCLUDED_PREFIXES:
        raise IllegalVersioningConfigurationException("too many excluded prefixes")
    folders = folders_text == "true" and status == "Enabled"
    exclusions = {"prefixes": prefixes, "folders": folders} if prefixes or folders else None
    return VersioningRequest(status, mfa.strip() if mfa else None, exclusions)


def render_versioning(status: str, exclusions: dict[str, Any] | None = None) -> bytes:
    """A never-versioned bucket answers an empty document, as AWS does; MinIO's extensions follow."""
    root = ET.Element("VersioningConfiguration", xmlns=S3_NS)
    if status:
        sub(root, "Status", status)
    for prefix in (exclusions or {}).get("prefixes", ()):
        sub(sub(root, "ExcludedPrefixes"), "Prefix", prefix)
    if (exclusions or {}).get("folders"):
        sub(root, "ExcludeFolders", "true")
    return doc(root)


@dataclass(frozen=True)
class VersionListParams:
    bucket: str
    prefix: str
    delimiter: str
    key_marker: str
    version_id_marker: str
    max_keys: int
    encode: bool  # encoding-type=url


def _enc(value: str, encode: bool) -> str:
    return quote(value, safe="/") if encode else value


def render_list_versions(p: VersionListParams, page: VersionPage, owners: dict[str, Owner]) -> bytes:
    root = ET.Element("ListVersionsResult", xmlns=S3_NS)
    sub(root, "Name", p.bucket)
    sub(root, "Prefix", _enc(p.prefix, p.encode))
    sub(root, "KeyMarker", _enc(p.key_marker, p.encode))
    sub(root, "VersionIdMarker", p.version_id_marker)
    if page.truncated:
        sub(root, "NextKeyMarker", _enc(page.next_key_marker, p.encode))
        if page.next_version_id_marker:
            sub(root, "NextVersionIdMarker", page.next_version_id_marker)
    sub(root, "MaxKeys", str(p.max_keys))
    if p.delimiter:
        sub(root, "Delimiter", _enc(p.delimiter, p.encode))
    if p.encode:
        sub(root, "EncodingType", "url")
    sub(root, "IsTruncated", "true" if page.truncated else "false")
    for v in page.versions:
        _version(root, v, p.encode, owners)
    for cp in page.prefixes:
        sub(sub(root, "CommonPrefixes"), "Prefix", _enc(cp, p.encode))
    return doc(root)


def _version(root: ET.Element, v: ObjectVersion, encode: bool, owners: dict[str, Owner]) -> None:
    item = sub(root, "DeleteMarker" if v.delete_marker else "Version")
    sub(item, "Key", _enc(v.key, encode))
    sub(item, "VersionId", v.version_id)
    sub(item, "IsLatest", "true" if v.is_latest else "false")
    sub(item, "LastModified", iso8601_ms(v.mtime_ms))
    if not v.delete_marker:
        sub(item, "ETag", v.etag)
        sub(item, "Size", str(v.size))
        sub(item, "StorageClass", v.storage_class)
    owner = owners.get(v.owner)
    if owner is not None:
        owner_el(item, owner)
