"""Bucket and key validation: the rules AWS applies, so bad names fail before any I/O."""

from __future__ import annotations

import re
from collections.abc import Callable

from rucket.core.errors import InvalidBucketName, InvalidKey, KeyTooLong

MAX_KEY_BYTES = 1024
_CHARS_RE = re.compile(r"[a-z0-9.-]*")
_IP_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_BAD_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BAD_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", ".mrap", "--table-s3")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")

# AWS's general-purpose bucket naming rules, each with the sentence InvalidBucketName carries
# (AWS only says "The specified bucket is not valid."; a user should not have to guess which rule).
_BUCKET_RULES: tuple[tuple[Callable[[str], bool], Callable[[str], str]], ...] = (
    (lambda n: 3 <= len(n) <= 63, lambda n: f"it must be 3 to 63 characters long, not {len(n)}"),
    (lambda n: _CHARS_RE.fullmatch(n) is not None,
     lambda n: "only lowercase letters, digits, periods (.) and hyphens (-) are allowed"),
    (lambda n: n[0] in _ALNUM and n[-1] in _ALNUM, lambda n: "it must begin and end with a letter or digit"),
    (lambda n: ".." not in n, lambda n: "it must not contain two adjacent periods"),
    (lambda n: ".-" not in n and "-." not in n, lambda n: "a period must not be next to a hyphen"),
    (lambda n: not _IP_RE.match(n), lambda n: "it must not be formatted as an IP address"),
    (lambda n: not n.startswith(_BAD_PREFIXES),
     lambda n: f"the prefix {next(p for p in _BAD_PREFIXES if n.startswith(p))!r} is reserved"),
    (lambda n: not n.endswith(_BAD_SUFFIXES),
     lambda n: f"the suffix {next(x for x in _BAD_SUFFIXES if n.endswith(x))!r} is reserved"),
)


def validate_bucket_name(name: str) -> str:
    """Apply the current AWS general-purpose bucket naming rules (DNS-compatible); the error names
    the first rule that failed."""
    for holds, reason in _BUCKET_RULES:
        if not holds(name):
            raise InvalidBucketName(f"The specified bucket is not valid: {reason(name)}.")
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
