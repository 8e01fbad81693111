"""Plain records passed between layers. Immutable: an object version never changes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

INLINE = "inline"  # blob_id of versions whose bytes live in the metadata database
NULL_VERSION = "null"
VERSIONING_EXCLUSIONS = "versioning_exclusions"  # Bucket.config key: {"prefixes": [...], "folders": bool}


@dataclass(frozen=True)
class Owner:
    id: str
    display_name: str


@dataclass(frozen=True)
class Principal:
    """Who signed a request: one access key with its user and attached identity policies.

    The one type for it everywhere: the IAM store returns it (engine/iam.py), authorization
    decides on it (s3/), the console signs as it (console/)."""

    id: str  # canonical id: owner of what it creates
    display_name: str
    access_key: str
    secret: str
    is_root: bool = False
    name: str = ""  # IAM user name (ARN arn:aws:iam::000000000000:user/<name>); the access key if unset
    email: str = ""
    policies: tuple[str, ...] = ()  # attached identity policy documents (JSON), see s3/iam
    member: bool = False  # an IAM user inside the root's account: `id` is the account's, rights come from policies
    key_policy: str | None = None  # a service account key's own policy: narrows `policies` (s3/iam/evaluate.py)

    @property
    def owner(self) -> Owner:
        return Owner(self.id, self.display_name)

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::000000000000:user/{self.name or self.access_key}"


@dataclass(frozen=True)
class Bucket:
    name: str
    owner: str
    created_ms: int
    region: str
    versioning: str = ""  # "", "Enabled" or "Suspended"
    object_lock: bool = False
    config: dict[str, Any] = field(default_factory=dict)

    def versioning_of(self, key: str) -> str:
        """The versioning state that applies to `key`.

        MinIO's extensions (ExcludedPrefixes, ExcludeFolders) exempt keys of an Enabled bucket:
        those get "null" versions, exactly as in a Suspended bucket (MinIO's PrefixSuspended).
        """
        exclusions = self.config.get(VERSIONING_EXCLUSIONS)
        if self.versioning != "Enabled" or not exclusions or not key:
            return self.versioning
        if exclusions.get("folders") and key.endswith("/"):
            return "Suspended"
        if any(_prefix_matches(p, key) for p in exclusions.get("prefixes", ())):
            return "Suspended"
        return self.versioning


def _prefix_matches(prefix: str, key: str) -> bool:
    """MinIO matches `prefix + "*"` with "*" as the only wildcard (wildcard.MatchSimple)."""
    if "*" not in prefix:
        return key.startswith(prefix)
    return re.match(".*".join(map(re.escape, prefix.split("*"))), key, re.DOTALL) is not None


@dataclass(frozen=True)
class ObjectVersion:
    """One immutable version of a key (or a delete marker)."""

    bucket: str
    key: str
    version_id: str
    row_id: int
    size: int
    etag: str  # quoted, as sent on the wire
    mtime_ms: int
    hlc: int
    owner: str
    blob_id: str | None = None
    delete_marker: bool = False
    is_latest: bool = True
    storage_class: str = "STANDARD"
    headers: dict[str, str] = field(default_factory=dict)  # content-type, cache-control, ...
    user_meta: dict[str, str] = field(default_factory=dict)  # x-amz-meta-* without the prefix
    checksums: dict[str, str] = field(default_factory=dict)  # "CRC32" -> base64
    extra: dict[str, Any] = field(default_factory=dict)  # parts, placement group, ...
    data: bytes | None = field(default=None, compare=False, repr=False)  # inline bytes when already fetched

    @property
    def inline(self) -> bool:
        return self.blob_id == INLINE


@dataclass(frozen=True)
class ListEntry:
    key: str
    size: int
    etag: str
    mtime_ms: int
    storage_class: str
    owner: str


@dataclass(frozen=True)
class ListPage:
    entries: list[ListEntry]
    prefixes: list[str]
    truncated: bool
    next_marker: str = ""  # last key or common prefix returned: where the next page resumes
