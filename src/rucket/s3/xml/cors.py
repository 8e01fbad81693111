"""CORSConfiguration documents."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from rucket.engine.cors import CorsRule
from rucket.s3.errors import MalformedXML
from rucket.s3.xml.base import S3_NS, doc, parse_root, sub

_FIELDS = (("AllowedOrigin", "origins"), ("AllowedMethod", "methods"), ("AllowedHeader", "headers"),
           ("ExposeHeader", "expose"))


def _texts(rule: ET.Element, tag: str) -> tuple[str, ...]:
    return tuple((el.text or "").strip() for el in rule.findall(tag))


def _rule(el: ET.Element) -> CorsRule:
    max_age = el.findtext("MaxAgeSeconds")
    try:
        age = int(max_age) if max_age is not None else None
    except ValueError as exc:
        raise MalformedXML() from exc
    origins, methods, headers, expose = (_texts(el, tag) for tag, _ in _FIELDS)
    if not origins or not methods:
        raise MalformedXML()
    return CorsRule(origins, methods, headers, expose, age, (el.findtext("ID") or "").strip())


def parse_cors(body: bytes) -> list[CorsRule]:
    root = parse_root(body, "CORSConfiguration")
    rules = [_rule(el) for el in root.findall("CORSRule")]
    if not rules:
        raise MalformedXML()
    return rules


def render_cors(rules: Sequence[CorsRule]) -> bytes:
    root = ET.Element("CORSConfiguration", xmlns=S3_NS)
    for r in rules:
        el = sub(root, "CORSRule")
        if r.id:
            sub(el, "ID", r.id)
        for tag, attr in _FIELDS:
            for value in getattr(r, attr):
                sub(el, tag, value)
        if r.max_age is not None:
            sub(el, "MaxAgeSeconds", str(r.max_age))
    return doc(root)
