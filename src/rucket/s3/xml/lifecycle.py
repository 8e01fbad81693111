"""LifecycleConfiguration documents.

Parsing checks the vocabulary (element names, Status values, integers, one predicate per
Filter) and answers MalformedXML, as S3 does; limits and semantics are checked by
`engine/lifecycle_rules.validate`. Transitions are refused with InvalidStorageClass: every
object here lives in STANDARD, and STANDARD is not a valid transition target in S3 either.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from rucket.engine.lifecycle_rules import DISABLED, ENABLED, Filter, Rule
from rucket.s3.errors import MalformedXML
from rucket.s3.headers import InvalidStorageClass
from rucket.s3.xml.base import S3_NS, doc, parse_root, sub
from rucket.s3.xml.tagging import parse_tags, tags_el

_RULE_ELEMENTS = frozenset({"ID", "Status", "Prefix", "Filter", "Expiration", "NoncurrentVersionExpiration",
                            "AbortIncompleteMultipartUpload", "Transition", "NoncurrentVersionTransition"})
_SIZES = (("ObjectSizeGreaterThan", "size_gt"), ("ObjectSizeLessThan", "size_lt"))


def _int(el: ET.Element | None, tag: str) -> int | None:
    text = None if el is None else el.findtext(tag)
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError as exc:
        raise MalformedXML() from exc


def _predicates(el: ET.Element, *, use_and: bool) -> Filter:
    sizes = {attr: _int(el, tag) for tag, attr in _SIZES}
    return Filter(prefix=el.findtext("Prefix"), tags=tuple(parse_tags(el)), use_and=use_and, **sizes)


def _filter(el: ET.Element) -> Filter:
    """S3 documents one predicate or an <And>; several bare predicates are read as an And
    (Ceph accepts them too, and they cannot mean anything else)."""
    children = [c.tag for c in el]
    if any(tag not in {"Prefix", "Tag", "And", *dict(_SIZES)} for tag in children) or children.count("Prefix") > 1:
        raise MalformedXML()
    and_el = el.find("And")
    if and_el is not None and len(children) > 1:
        raise MalformedXML()
    return _predicates(and_el, use_and=True) if and_el is not None else _predicates(el, use_and=False)


def _expiration(rule: ET.Element) -> tuple[int | None, str | None, bool | None]:
    el = rule.find("Expiration")
    if el is None:
        return None, None, None
    days, date, marker = _int(el, "Days"), el.findtext("Date"), el.findtext("ExpiredObjectDeleteMarker")
    if sum(x is not None for x in (days, date, marker)) != 1:
        raise MalformedXML()
    if marker is not None and marker.strip().lower() not in ("true", "false"):
        raise MalformedXML()
    return days, date.strip() if date else None, None if marker is None else marker.strip().lower() == "true"


def _refuse_transitions(rule: ET.Element) -> None:
    for tag in ("Transition", "NoncurrentVersionTransition"):
        for el in rule.findall(tag):
            raise InvalidStorageClass(f"Lifecycle transitions are not supported: every object is stored as "
                                      f"STANDARD (requested {el.findtext('StorageClass') or '?'})")


def _rule(el: ET.Element) -> Rule:
    if any(c.tag not in _RULE_ELEMENTS for c in el):
        raise MalformedXML()
    status = el.findtext("Status")
    if status not in (ENABLED, DISABLED):
        raise MalformedXML()
    prefix, filt = el.findtext("Prefix"), el.find("Filter")
    if prefix is not None and filt is not None:
        raise MalformedXML()
    _refuse_transitions(el)
    days, date, marker = _expiration(el)
    nve = el.find("NoncurrentVersionExpiration")
    if nve is not None and nve.find("NoncurrentDays") is None:
        raise MalformedXML()
    return Rule(id=(el.findtext("ID") or "").strip(), status=status, prefix=prefix,
                filter=None if filt is None else _filter(filt), expiration_days=days, expiration_date=date,
                expired_object_delete_marker=marker, noncurrent_days=_int(nve, "NoncurrentDays"),
                newer_noncurrent=_int(nve, "NewerNoncurrentVersions"),
                abort_days=_int(el.find("AbortIncompleteMultipartUpload"), "DaysAfterInitiation"))


def parse_lifecycle(body: bytes) -> list[Rule]:
    root = parse_root(body, "LifecycleConfiguration")
    rules = [_rule(el) for el in root.findall("Rule")]
    if not rules:
        raise MalformedXML()
    return rules


def _render_filter(parent: ET.Element, f: Filter) -> None:
    el = sub(parent, "Filter")
    target = sub(el, "And") if f.use_and else el
    if f.prefix is not None:
        sub(target, "Prefix", f.prefix)
    tags_el(target, f.tags)
    for tag, attr in _SIZES:
        if getattr(f, attr) is not None:
            sub(target, tag, str(getattr(f, attr)))


def _render_rule(root: ET.Element, r: Rule) -> None:
    el = sub(root, "Rule")
    sub(el, "ID", r.id)
    if r.prefix is not None:
        sub(el, "Prefix", r.prefix)
    if r.filter is not None:
        _render_filter(el, r.filter)
    sub(el, "Status", r.status)
    if r.expiration_days is not None or r.expiration_date is not None or r.expired_object_delete_marker is not None:
        exp = sub(el, "Expiration")
        if r.expiration_days is not None:
            sub(exp, "Days", str(r.expiration_days))
        if r.expiration_date is not None:
            sub(exp, "Date", r.expiration_date)
        if r.expired_object_delete_marker is not None:
            sub(exp, "ExpiredObjectDeleteMarker", "true" if r.expired_object_delete_marker else "false")
    if r.noncurrent_days is not None:
        nve = sub(el, "NoncurrentVersionExpiration")
        sub(nve, "NoncurrentDays", str(r.noncurrent_days))
        if r.newer_noncurrent is not None:
            sub(nve, "NewerNoncurrentVersions", str(r.newer_noncurrent))
    if r.abort_days is not None:
        sub(sub(el, "AbortIncompleteMultipartUpload"), "DaysAfterInitiation", str(r.abort_days))


def render_lifecycle(rules: Sequence[Rule]) -> bytes:
    root = ET.Element("LifecycleConfiguration", xmlns=S3_NS)
    for r in rules:
        _render_rule(root, r)
    return doc(root)
