"""Bucket and key validation: the rules AWS applies, so bad names fail before any I/O."""

from __future__ import annotations

import re

from rucket.core.errors import InvalidBucketName, InvalidKey, KeyTooLong

MAX_KEY_BYTES = 1024
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_BAD_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BAD_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", ".mrap", "--table-s3")


def validate_bucket_name(name: str) -> str:
    """Apply the current AWS general-purpose bucket naming rules (DNS-compatible)."""
    if not _BUCKET_RE.match(name):
        raise InvalidBucketName(name)
    if ".." in name or ".-" in name or "-." in name or _IP_RE.match(name):
        raise InvalidBucketName(name)
    if name.startswith(_BAD_PREFIXES) or name.endswith(_BAD_SUFFIXES):
        raise InvalidBucketName(name)
    return name


def validate_key(key: str) -> str:
    """Keys are 1..1024 bytes of UTF-8; surrogates (undecodable input) are refused."""
    if not key:
        raise InvalidKey("empty key")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise InvalidKey("key is not valid UTF-8") from exc
    if size > MAX_KEY_BYTES:
        raise KeyTooLong(key)
    return key
