"""Bucket configurations as JSON in the console, XML on the wire.

The editors show lifecycle and CORS configurations in the JSON shape boto3 and the AWS CLI
use (`{"Rules": [...]}`, `{"CORSRules": [...]}`), which people already know and can paste;
this module maps that shape to the S3 XML document and back. Only the structure is mapped:
whether the document is valid is decided by the S3 API the console then calls.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"


@dataclass(frozen=True)
class Shape:
    root: str  # XML root element
    lists: Mapping[str, str]  # JSON list name -> repeated XML element name
    numbers: frozenset[str] = frozenset()
    booleans: frozenset[str] = frozenset()
    containers: frozenset[str] = frozenset()  # elements that are objects even when empty

    @property
    def singular(self) -> dict[str, str]:
        return {v: k for k, v in self.lists.items()}


LIFECYCLE = Shape("LifecycleConfiguration",
                  {"Rules": "Rule", "Tags": "Tag", "Transitions": "Transition",
                   "NoncurrentVersionTransitions": "NoncurrentVersionTransition"},
                  frozenset({"Days", "NoncurrentDays", "NewerNoncurrentVersions", "DaysAfterInitiation",
                             "ObjectSizeGreaterThan", "ObjectSizeLessThan"}),
                  frozenset({"ExpiredObjectDeleteMarker"}), frozenset({"Filter", "And"}))
CORS = Shape("CORSConfiguration",
             {"CORSRules": "CORSRule", "AllowedHeaders": "AllowedHeader", "AllowedMethods": "AllowedMethod",
              "AllowedOrigins": "AllowedOrigin", "ExposeHeaders": "ExposeHeader"},
             frozenset({"MaxAgeSeconds"}))


class ShapeError(ValueError):
    """The JSON text is not a document of this shape (shown to the user like a server error)."""


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise ShapeError(f"expected a string, number or boolean, got {type(value).__name__}")


def _fill(parent: ET.Element, obj: Mapping[str, Any], shape: Shape) -> None:
    for name, value in obj.items():
        if name in shape.lists:
            if not isinstance(value, list):
                raise ShapeError(f'"{name}" must be a list')
            for item in value:
                _element(parent, shape.lists[name], item, shape)
        else:
            _element(parent, name, value, shape)


def _element(parent: ET.Element, tag: str, value: Any, shape: Shape) -> None:
    el = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        _fill(el, value, shape)
    elif isinstance(value, list):
        raise ShapeError(f'"{tag}" cannot be a list')
    else:
        el.text = _text(value)


def to_xml(text: str, shape: Shape) -> bytes:
    """JSON text → the S3 XML body; ShapeError with the reason when it is not JSON of the right form."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ShapeError(f"not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ShapeError("the document must be a JSON object")
    root = ET.Element(shape.root, xmlns=S3_XMLNS)
    _fill(root, data, shape)
    out: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return out


def _value(el: ET.Element, shape: Shape) -> Any:
    if len(el) or el.tag in shape.containers:
        out: dict[str, Any] = {}
        for child in el:
            plural = shape.singular.get(child.tag)
            if plural is not None:
                out.setdefault(plural, []).append(_value(child, shape))
            else:
                out[child.tag] = _value(child, shape)
        return out
    text = (el.text or "").strip()
    if el.tag in shape.numbers and text.lstrip("-").isdigit():
        return int(text)
    if el.tag in shape.booleans and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def from_xml(root: ET.Element, shape: Shape) -> str:
    """A namespace-free XML document → pretty JSON text for the editor."""
    return json.dumps(_value(root, shape), indent=2)
