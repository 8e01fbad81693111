"""Shared XML building blocks: `_sub` is the only builder helper, `parse_root` the only parser entry."""

from __future__ import annotations

import datetime as dt
import functools
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from rucket.core.model import Owner
from rucket.s3.errors import MalformedXML

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


XML_DECL = "<?xml version='1.0' encoding='utf-8'?>\n"  # what ElementTree writes, so documents look alike


def iso8601_ms(ms: int) -> str:
    return f"{_iso8601_s(ms // 1000)}.{ms % 1000:03d}Z"


@functools.lru_cache(maxsize=65536)
def _iso8601_s(seconds: int) -> str:
    """Objects written in the same second share this prefix; listings format thousands of them."""
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def escape(text: str) -> str:
    """XML character data, escaped exactly as ElementTree does (&, <, >)."""
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def doc(root: ET.Element) -> bytes:
    out: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return out


def owner_el(parent: ET.Element, owner: Owner, tag: str = "Owner") -> None:
    el = sub(parent, tag)
    sub(el, "ID", owner.id)
    sub(el, "DisplayName", owner.display_name)


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
