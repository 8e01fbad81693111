"""ACL documents (AccessControlPolicy) and the bucket policy status."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from rucket.core.model import Owner
from rucket.s3.errors import MalformedACLError, MalformedXML
from rucket.s3.xml.base import S3_NS, doc, owner_el, parse_root, sub

XSI = "http://www.w3.org/2001/XMLSchema-instance"
ET.register_namespace("xsi", XSI)
PERMISSIONS = frozenset({"FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP"})
GRANTEE_TYPES = frozenset({"CanonicalUser", "Group", "AmazonCustomerByEmail"})


@dataclass(frozen=True)
class GrantIn:
    """One parsed grant: `value` is the ID, URI or EmailAddress, as `kind` says."""

    kind: str
    value: str
    permission: str


@dataclass(frozen=True)
class GrantOut:
    kind: str  # CanonicalUser or Group
    permission: str
    owner: Owner | None = None  # CanonicalUser
    uri: str = ""  # Group


def render_acl(owner: Owner, grants: Sequence[GrantOut]) -> bytes:
    root = ET.Element("AccessControlPolicy", xmlns=S3_NS)
    owner_el(root, owner)
    listing = sub(root, "AccessControlList")
    for g in grants:
        grant = sub(listing, "Grant")
        grantee = sub(grant, "Grantee")
        grantee.set(f"{{{XSI}}}type", g.kind)
        if g.owner is not None:
            sub(grantee, "ID", g.owner.id)
            sub(grantee, "DisplayName", g.owner.display_name)
        else:
            sub(grantee, "URI", g.uri)
        sub(grant, "Permission", g.permission)
    return doc(root)


def _grantee_type(el: ET.Element) -> str:
    return next((v for k, v in el.attrib.items() if k == "type" or k.endswith("}type")), "")


def _grant(el: ET.Element) -> GrantIn:
    grantee, permission = el.find("Grantee"), el.findtext("Permission", "").strip()
    if grantee is None or permission not in PERMISSIONS:
        raise MalformedACLError()
    kind = _grantee_type(grantee)
    field = {"CanonicalUser": "ID", "Group": "URI", "AmazonCustomerByEmail": "EmailAddress"}.get(kind)
    value = (grantee.findtext(field) or "").strip() if field else ""
    if not value:
        raise MalformedACLError()
    return GrantIn(kind, value, permission)


def parse_acl(body: bytes) -> tuple[str | None, list[GrantIn]]:
    """(owner id or None, grants) of an AccessControlPolicy document."""
    try:
        root = parse_root(body, "AccessControlPolicy")
    except MalformedXML as exc:
        raise MalformedACLError() from exc
    owner = root.findtext("Owner/ID")
    listing = root.find("AccessControlList")
    grants = [_grant(g) for g in listing.findall("Grant")] if listing is not None else []
    return (owner.strip() if owner else None), grants


def render_policy_status(public: bool) -> bytes:
    root = ET.Element("PolicyStatus", xmlns=S3_NS)
    sub(root, "IsPublic", "true" if public else "false")
    return doc(root)
