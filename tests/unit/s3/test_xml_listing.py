"""ListBucketResult is rendered as text for speed: it must parse to exactly what it means."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from rucket.core.model import ListEntry, ListPage, Owner
from rucket.s3.xml import ListParams, iso8601_ms, render_list_objects

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
KEYS = ["plain/key.txt", "a&b<c>d", "sp ace+plus", "é/\U0001f600", "quote\"'"]


def parse(doc: bytes) -> ET.Element:
    assert doc.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n")
    return ET.fromstring(doc)


@pytest.mark.parametrize("encode", [False, True])
def test_keys_round_trip(encode: bool) -> None:
    from urllib.parse import unquote

    entries = [ListEntry(k, 3, '"etag"', 1_700_000_000_123, "STANDARD", "owner1") for k in KEYS]
    page = ListPage(entries, ["p&x/"], True, "p&x/")
    doc = render_list_objects(ListParams("bkt", "", "/", 1000, encode, fetch_owner=True, v2=True, token="",
                                         next_token="tok"), page, {"owner1": Owner("id1", "Name <1>")})
    root = parse(doc)
    keys = [c.findtext(f"{NS}Key") for c in root.iter(f"{NS}Contents")]
    assert [unquote(k) if encode else k for k in keys] == KEYS  # type: ignore[arg-type]
    if encode:
        assert keys[2] == "sp%20ace%2Bplus"
    assert root.findtext(f"{NS}NextContinuationToken") == "tok"
    assert root.findtext(f"{NS}ContinuationToken") == ""
    assert root.findtext(f"{NS}KeyCount") == str(len(KEYS) + 1)
    first = next(root.iter(f"{NS}Contents"))
    assert first.findtext(f"{NS}ETag") == '"etag"'
    assert first.findtext(f"{NS}LastModified") == iso8601_ms(1_700_000_000_123) == "2023-11-14T22:13:20.123Z"
    assert first.findtext(f"{NS}Owner/{NS}DisplayName") == "Name <1>"
    prefix = root.find(f"{NS}CommonPrefixes/{NS}Prefix")
    assert prefix is not None and (unquote(prefix.text or "") if encode else prefix.text) == "p&x/"


def test_v1_without_owner_and_with_next_marker() -> None:
    page = ListPage([ListEntry("k", 1, '"e"', 0, "STANDARD", "o")], [], True, "k")
    root = parse(render_list_objects(ListParams("b", "", "/", 1, False, fetch_owner=False, marker="a"), page, {}))
    assert root.findtext(f"{NS}Marker") == "a" and root.findtext(f"{NS}NextMarker") == "k"
    assert root.find(f"{NS}Contents/{NS}Owner") is None
    assert root.findtext(f"{NS}IsTruncated") == "true"
