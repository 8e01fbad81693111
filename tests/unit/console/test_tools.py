"""The pure parts of the issue-21 console tools: expiry arithmetic, the XML bodies the forms
become, the copy-source header."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from rucket.console.views.bucket_panels import encryption_xml, lock_xml, pab_xml, tags_xml
from rucket.console.views.bulk import delete_xml
from rucket.console.views.format import duration
from rucket.console.views.identity import DAY_MS, expiry_ms
from rucket.console.views.object_tools import MAX_SHARE_SECONDS, copy_source, share_seconds, tagging_xml

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


@pytest.mark.parametrize(("amount", "unit", "seconds"), [
    pytest.param("1", "minutes", 60, id="shortest"),
    pytest.param("7", "days", MAX_SHARE_SECONDS, id="longest"),
    pytest.param("168", "hours", MAX_SHARE_SECONDS, id="a-week-in-hours"),
])
def test_share_seconds_in_range(amount: str, unit: str, seconds: int) -> None:
    assert share_seconds(amount, unit) == seconds


@pytest.mark.parametrize(("amount", "unit"), [("8", "days"), ("169", "hours"), ("0", "minutes"), ("-1", "days"),
                                              ("1.5", "days"), ("", "days"), ("1", "weeks")])
def test_share_seconds_out_of_range_refused(amount: str, unit: str) -> None:
    with pytest.raises(ValueError):
        share_seconds(amount, unit)


def test_expiry_days() -> None:
    assert expiry_ms("", 1000) is None and expiry_ms("  ", 1000) is None
    assert expiry_ms("30", 1000) == 1000 + 30 * DAY_MS
    for bad in ("0", "36501", "soon", "1.5"):
        with pytest.raises(ValueError):
            expiry_ms(bad, 1000)


def test_xml_bodies_escape_what_users_type() -> None:
    tags = ET.fromstring(tagging_xml([("a<b", "x&y"), ("k", '"q"')]))
    assert [(t.findtext(f"{NS}Key"), t.findtext(f"{NS}Value")) for t in tags.iter(f"{NS}Tag")] == \
        [("a<b", "x&y"), ("k", '"q"')]
    delete = ET.fromstring(delete_xml(["a&b", "</Key>"]))
    assert [k.text for k in delete.iter("Key")] == ["a&b", "</Key>"] and delete.findtext("Quiet") == "true"


def test_lock_xml() -> None:
    root = ET.fromstring(lock_xml({"mode": "COMPLIANCE", "amount": "2", "unit": "Years"}))
    assert root.findtext(f"{NS}ObjectLockEnabled") == "Enabled"
    assert root.findtext(f"{NS}Rule/{NS}DefaultRetention/{NS}Years") == "2"
    assert ET.fromstring(lock_xml({"mode": ""})).find(f"{NS}Rule") is None  # no default retention
    odd = ET.fromstring(lock_xml({"mode": "GOVERNANCE", "amount": "5", "unit": "Weeks"}))
    assert odd.findtext(f"{NS}Rule/{NS}DefaultRetention/{NS}Days") == "5"  # never an element named by the user


def test_encryption_tags_and_pab_xml() -> None:
    assert encryption_xml({"algorithm": ""}) is None  # "None": delete the default
    kms = ET.fromstring(encryption_xml({"algorithm": "aws:kms", "kms_key": "k1"}) or b"")
    assert kms.findtext(f".//{NS}KMSMasterKeyID") == "k1"
    s3 = ET.fromstring(encryption_xml({"algorithm": "AES256", "kms_key": "ignored"}) or b"")
    assert s3.find(f".//{NS}KMSMasterKeyID") is None
    assert tags_xml({"tag_key_0": " ", "tag_value_0": "v"}) is None
    pab = ET.fromstring(pab_xml({"BlockPublicAcls": "on"}))
    assert [(c.tag.removeprefix(NS), c.text) for c in pab] == [
        ("BlockPublicAcls", "true"), ("IgnorePublicAcls", "false"), ("BlockPublicPolicy", "false"),
        ("RestrictPublicBuckets", "false")]


def test_copy_source_is_url_encoded_with_the_version() -> None:
    assert copy_source("b", "dir/a b+c.txt") == "/b/dir/a%20b%2Bc.txt"
    assert copy_source("b", "k", "v/1") == "/b/k?versionId=v%2F1"


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (59.9, "59s"), (61, "1m 1s"), (3600, "1h 0m"),
                                               (90061, "1d 1h"), (None, "0s")])
def test_duration(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text

