"""Documents of the smaller bucket sub-resources: public access block, ownership controls,
request payment, default encryption, notifications, and the empty answers of the
features this store does not offer (logging, accelerate, analytics/inventory/metrics lists)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from rucket.s3.errors import MalformedXML
from rucket.s3.xml.base import S3_NS, doc, parse_root, sub

PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
OWNERSHIP_VALUES = ("BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter")
PAYERS = ("BucketOwner", "Requester")
NOTIFICATION_TARGETS = ("TopicConfiguration", "QueueConfiguration", "CloudFunctionConfiguration",
                        "EventBridgeConfiguration")


def _bool(text: str | None) -> bool:
    value = (text or "false").strip().lower()
    if value not in ("true", "false"):
        raise MalformedXML()
    return value == "true"


def parse_public_access_block(body: bytes) -> dict[str, bool]:
    root = parse_root(body, "PublicAccessBlockConfiguration")
    return {flag: _bool(root.findtext(flag)) for flag in PAB_FLAGS}


def render_public_access_block(conf: dict[str, bool]) -> bytes:
    root = ET.Element("PublicAccessBlockConfiguration", xmlns=S3_NS)
    for flag in PAB_FLAGS:
        sub(root, flag, "true" if conf.get(flag) else "false")
    return doc(root)


def parse_ownership(body: bytes) -> str:
    root = parse_root(body, "OwnershipControls")
    rules = root.findall("Rule")
    value = rules[0].findtext("ObjectOwnership") if len(rules) == 1 else None
    if value not in OWNERSHIP_VALUES:
        raise MalformedXML()
    return value


def render_ownership(value: str) -> bytes:
    root = ET.Element("OwnershipControls", xmlns=S3_NS)
    sub(sub(root, "Rule"), "ObjectOwnership", value)
    return doc(root)


def parse_request_payment(body: bytes) -> str:
    payer = parse_root(body, "RequestPaymentConfiguration").findtext("Payer")
    if payer not in PAYERS:
        raise MalformedXML()
    return payer


def render_request_payment(payer: str) -> bytes:
    root = ET.Element("RequestPaymentConfiguration", xmlns=S3_NS)
    sub(root, "Payer", payer)
    return doc(root)


def parse_encryption(body: bytes) -> dict[str, Any]:
    """{"algorithm": "AES256" | "aws:kms" | ..., "kms_key": str | None, "bucket_key": bool}."""
    root = parse_root(body, "ServerSideEncryptionConfiguration")
    rules = root.findall("Rule")
    default = rules[0].find("ApplyServerSideEncryptionByDefault") if len(rules) == 1 else None
    algorithm = None if default is None else default.findtext("SSEAlgorithm")
    if default is None or not algorithm:
        raise MalformedXML()
    return {"algorithm": algorithm.strip(), "kms_key": default.findtext("KMSMasterKeyID"),
            "bucket_key": _bool(rules[0].findtext("BucketKeyEnabled"))}


def render_encryption(conf: dict[str, Any]) -> bytes:
    root = ET.Element("ServerSideEncryptionConfiguration", xmlns=S3_NS)
    rule = sub(root, "Rule")
    default = sub(rule, "ApplyServerSideEncryptionByDefault")
    sub(default, "SSEAlgorithm", conf["algorithm"])
    if conf.get("kms_key"):
        sub(default, "KMSMasterKeyID", conf["kms_key"])
    sub(rule, "BucketKeyEnabled", "true" if conf.get("bucket_key") else "false")
    return doc(root)


def notification_targets(body: bytes) -> list[str]:
    """The target kinds a NotificationConfiguration names (empty: notifications off)."""
    root = parse_root(body, "NotificationConfiguration")
    return [c.tag for c in root if c.tag in NOTIFICATION_TARGETS]


def render_empty(root_tag: str) -> bytes:
    """<NotificationConfiguration/>, <BucketLoggingStatus/>, <AccelerateConfiguration/>: "not set"."""
    return doc(ET.Element(root_tag, xmlns=S3_NS))


def parse_logging_enabled(body: bytes) -> bool:
    return parse_root(body, "BucketLoggingStatus").find("LoggingEnabled") is not None


def render_empty_list(root_tag: str) -> bytes:
    """ListBucket{Analytics,Inventory,Metrics,IntelligentTiering}Configurations: nothing configured."""
    root = ET.Element(root_tag, xmlns=S3_NS)
    sub(root, "IsTruncated", "false")
    return doc(root)
