"""Object Lock documents: ObjectLockConfiguration, Retention and LegalHold (in and out)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from rucket.s3.errors import MalformedXML
from rucket.s3.xml.base import S3_NS, doc, iso8601_ms, parse_root, sub

LockRule = tuple[str, int | None, int | None]  # (mode, days, years) as sent; engine/lock.py validates


def parse_iso8601_ms(text: str) -> int | None:
    """RetainUntilDate / x-amz-object-lock-retain-until-date: ISO 8601, UTC unless an offset is given."""
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp() * 1000)


def _text(parent: ET.Element, tag: str) -> str | None:
    el = parent.find(tag)
    return None if el is None else (el.text or "").strip()


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise MalformedXML() from exc


def parse_lock_configuration(body: bytes) -> LockRule | None:
    """The default retention rule (None: no rule). ObjectLockEnabled must say Enabled."""
    root = parse_root(body, "ObjectLockConfiguration")
    if _text(root, "ObjectLockEnabled") != "Enabled":
        raise MalformedXML()
    rule = root.find("Rule")
    if rule is None:
        return None
    default = rule.find("DefaultRetention")
    if default is None:
        raise MalformedXML()
    return _text(default, "Mode") or "", _int(_text(default, "Days")), _int(_text(default, "Years"))


def render_lock_configuration(rule: LockRule | None) -> bytes:
    root = ET.Element("ObjectLockConfiguration", xmlns=S3_NS)
    sub(root, "ObjectLockEnabled", "Enabled")
    if rule is not None:
        mode, days, years = rule
        default = sub(sub(root, "Rule"), "DefaultRetention")
        sub(default, "Mode", mode)
        if days is not None:
            sub(default, "Days", str(days))
        if years is not None:
            sub(default, "Years", str(years))
    return doc(root)


def parse_retention(body: bytes, modes: tuple[str, ...]) -> tuple[str, int | None]:
    """(mode, retain-until ms); ("", None) removes the retention. Modes are case-sensitive."""
    root = parse_root(body, "Retention")
    mode, date = _text(root, "Mode"), _text(root, "RetainUntilDate")
    if mode is None and date is None:
        return "", None
    until = parse_iso8601_ms(date) if date else None
    if mode not in modes or until is None:
        raise MalformedXML()
    return mode, until


def render_retention(mode: str, until_ms: int) -> bytes:
    root = ET.Element("Retention", xmlns=S3_NS)
    sub(root, "Mode", mode)
    sub(root, "RetainUntilDate", iso8601_ms(until_ms))
    return doc(root)


def parse_legal_hold(body: bytes) -> bool:
    status = _text(parse_root(body, "LegalHold"), "Status")
    if status not in ("ON", "OFF"):
        raise MalformedXML()
    return status == "ON"


def render_legal_hold(on: bool) -> bytes:
    root = ET.Element("LegalHold", xmlns=S3_NS)
    sub(root, "Status", "ON" if on else "OFF")
    return doc(root)
