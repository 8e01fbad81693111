"""Tagging documents (objects and buckets): <Tagging><TagSet><Tag><Key/><Value/></Tag>..."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from rucket.s3.errors import MalformedXML
from rucket.s3.xml.base import S3_NS, doc, parse_root, sub


def parse_tags(parent: ET.Element) -> list[tuple[str, str]]:
    """<Tag><Key/><Value/></Tag> children of `parent` (a TagSet, a lifecycle Filter or And)."""
    out: list[tuple[str, str]] = []
    for tag in parent.findall("Tag"):
        key, value = tag.find("Key"), tag.find("Value")
        if key is None or value is None:
            raise MalformedXML()
        out.append((key.text or "", value.text or ""))
    return out


def parse_tagging(body: bytes) -> list[tuple[str, str]]:
    root = parse_root(body, "Tagging")
    tag_set = root.find("TagSet")
    if tag_set is None:
        raise MalformedXML()
    return parse_tags(tag_set)


def tags_el(parent: ET.Element, tags: Sequence[tuple[str, str]]) -> None:
    for key, value in tags:
        tag = sub(parent, "Tag")
        sub(tag, "Key", key)
        sub(tag, "Value", value)


def render_tagging(tags: Sequence[tuple[str, str]]) -> bytes:
    root = ET.Element("Tagging", xmlns=S3_NS)
    tags_el(sub(root, "TagSet"), tags)
    return doc(root)
