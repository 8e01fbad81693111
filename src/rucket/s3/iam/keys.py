"""Condition keys of one request, computed on demand (object tags cost a read: only if asked)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from rucket.core.model import Principal

_HEADER_KEYS = ("x-amz-acl", "x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp",
                "x-amz-grant-write-acp", "x-amz-grant-full-control", "x-amz-copy-source",
                "x-amz-metadata-directive", "x-amz-server-side-encryption",
                "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-server-side-encryption-customer-algorithm",
                "x-amz-storage-class", "x-amz-content-sha256", "x-amz-website-redirect-location",
                "x-amz-object-ownership")
_LOCK_HEADERS = {"s3:object-lock-mode": "x-amz-object-lock-mode",
                 "s3:object-lock-retain-until-date": "x-amz-object-lock-retain-until-date",
                 "s3:object-lock-legal-hold": "x-amz-object-lock-legal-hold"}
_QUERY_KEYS = {"s3:prefix": "prefix", "s3:delimiter": "delimiter", "s3:max-keys": "max-keys",
               "s3:versionid": "versionId"}


@dataclass
class RequestKeys:
    """The `Context` of one request. Query keys (s3:prefix, ...) are present only when sent."""

    user: Principal | None
    headers: Mapping[str, str]
    query: Mapping[str, str]
    source_ip: str
    secure: bool
    auth_type: str = ""  # REST-HEADER, REST-QUERY-STRING, POST; "" when anonymous
    signature_version: str = ""  # AWS4-HMAC-SHA256 or AWS
    now: Callable[[], float] = time.time
    object_tags: Callable[[], list[tuple[str, str]]] = field(default=lambda: [])

    def values(self, key: str) -> list[str] | None:
        if key.startswith("s3:existingobjecttag/"):
            return _tag(self.object_tags(), key)
        if key.startswith("s3:requestobjecttag/"):
            return _tag(self._request_tags(), key)
        if key.startswith("s3:x-amz-"):
            return _one(self.headers.get(key[3:]))
        if (q := _QUERY_KEYS.get(key)) is not None:
            return _one(self.query.get(q))
        if (h := _LOCK_HEADERS.get(key)) is not None:
            return _one(self.headers.get(h))
        getter = _GETTERS.get(key)
        return getter(self) if getter is not None else None

    def _request_tags(self) -> list[tuple[str, str]]:
        return parse_qsl(self.headers.get("x-amz-tagging", ""), keep_blank_values=True)


def _one(value: str | None) -> list[str] | None:
    return None if value is None else [value]


def _tag(tags: list[tuple[str, str]], key: str) -> list[str] | None:
    wanted = key.partition("/")[2]
    found = [v for k, v in tags if k.lower() == wanted]
    return found or None


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _principal_type(k: RequestKeys) -> list[str]:
    return ["Anonymous" if k.user is None else "Account" if k.user.is_root else "User"]


_GETTERS: Mapping[str, Callable[[RequestKeys], list[str] | None]] = {
    "aws:sourceip": lambda k: _one(k.source_ip or None),
    "aws:securetransport": lambda k: ["true" if k.secure else "false"],
    "aws:referer": lambda k: _one(k.headers.get("referer")),
    "aws:useragent": lambda k: _one(k.headers.get("user-agent")),
    "aws:currenttime": lambda k: [_iso(k.now())],
    "aws:epochtime": lambda k: [str(int(k.now()))],
    "aws:username": lambda k: _one(k.user.name if k.user and not k.user.is_root else None),
    "aws:userid": lambda k: _one(k.user.id if k.user else None),
    "aws:principaltype": _principal_type,
    "aws:principalarn": lambda k: _one(k.user.arn if k.user else None),
    "s3:authtype": lambda k: _one(k.auth_type or None),
    "s3:signatureversion": lambda k: _one(k.signature_version or None),
    "s3:requestobjecttagkeys": lambda k: [t for t, _ in k._request_tags()] or None,
}
