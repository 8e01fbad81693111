"""JSON (boto3 shape) ⇄ S3 XML for the lifecycle and CORS editors."""

from __future__ import annotations

import json

import pytest
from defusedxml import ElementTree

from rucket.console.shapes import CORS, LIFECYCLE, S3_XMLNS, Shape, ShapeError, from_xml, to_xml

LIFECYCLE_DOC = {"Rules": [
    {"ID": "logs", "Status": "Enabled", "Filter": {"And": {"Prefix": "logs/", "Tags": [{"Key": "a", "Value": "1"}],
                                                         "ObjectSizeGreaterThan": 10}},
     "Expiration": {"Days": 30}, "NoncurrentVersionExpiration": {"NoncurrentDays": 7},
     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}},
    {"ID": "markers", "Status": "Disabled", "Filter": {}, "Expiration": {"ExpiredObjectDeleteMarker": True}},
]}
CORS_DOC = {"CORSRules": [{"AllowedMethods": ["GET", "PUT"], "AllowedOrigins": ["https://a.example"],
                           "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3000}]}


def parse(xml: bytes) -> object:
    root = ElementTree.fromstring(xml)
    for el in root.iter():
        el.tag = el.tag.removeprefix("{" + S3_XMLNS + "}")
    return root


@pytest.mark.parametrize(("doc", "shape"), [pytest.param(LIFECYCLE_DOC, LIFECYCLE, id="lifecycle"),
                                            pytest.param(CORS_DOC, CORS, id="cors")])
def test_round_trip(doc: dict[str, object], shape: Shape) -> None:
    xml = to_xml(json.dumps(doc), shape)
    assert json.loads(from_xml(parse(xml), shape)) == doc  # type: ignore[arg-type]


def test_lists_become_repeated_singular_elements() -> None:
    root = parse(to_xml(json.dumps(CORS_DOC), CORS))
    rule = root.find("CORSRule")  # type: ignore[attr-defined]
    assert [m.text for m in rule.findall("AllowedMethod")] == ["GET", "PUT"]
    assert rule.findtext("MaxAgeSeconds") == "3000"


@pytest.mark.parametrize("text", ['{"Rules": ', "[1, 2]", '{"Rules": {"ID": "x"}}', '{"Rules": [{"ID": ["a"]}]}',
                                  '{"Rules": [{"ID": null}]}'])
def test_not_a_document_of_the_shape(text: str) -> None:
    with pytest.raises(ShapeError):
        to_xml(text, LIFECYCLE)
