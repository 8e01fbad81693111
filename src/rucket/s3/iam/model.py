"""What the evaluator decides about: the principal, the action on a resource, and the facts.

Facts that cost a metadata read (the object's owner and ACL, its tags) are behind the
`Facts` protocol and fetched only when a rule needs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from rucket.core.model import Bucket, Principal
from rucket.engine.acl import Acl
from rucket.s3.iam.conditions import Context
from rucket.s3.ops import Target

ANONYMOUS_ID = "65a011a29cdf8ec533ec3d1ccaae921c"  # the canonical id AWS shows for anonymous writers
ACCOUNT_ID = "000000000000"  # the account segment of our ARNs: arn:aws:iam::000000000000:user/<name>
PAB_KEY = "public_access_block"  # bucket.config keys, as named in engine/bucket_config.py
OWNERSHIP_KEY = "ownership"
ENFORCED, PREFERRED, WRITER = "BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


@dataclass(frozen=True)
class ObjectFacts:
    owner: str
    acl: Acl


class Facts(Protocol):
    def object(self) -> ObjectFacts | None:
        """The target version's owner and ACL; None when it does not exist."""

    def owner_id(self) -> str | None:
        """Just the owner (None when absent): answers the common case without loading the ACL."""

    def tags(self) -> list[tuple[str, str]]:
        """The target version's tags ([] when absent or tags are not stored)."""


@dataclass(frozen=True)
class PublicAccessBlock:
    block_acls: bool = False
    ignore_acls: bool = False
    block_policy: bool = False
    restrict_buckets: bool = False

    @classmethod
    def of(cls, bucket: Bucket | None) -> PublicAccessBlock:
        raw: Mapping[str, Any] = (bucket.config.get(PAB_KEY) if bucket else None) or {}
        return cls(bool(raw.get("BlockPublicAcls")), bool(raw.get("IgnorePublicAcls")),
                   bool(raw.get("BlockPublicPolicy")), bool(raw.get("RestrictPublicBuckets")))


def ownership_of(bucket: Bucket | None) -> str:
    raw = bucket.config.get(OWNERSHIP_KEY) if bucket else None
    if isinstance(raw, dict):  # tolerate {"ObjectOwnership": ...} shapes
        raw = raw.get("ObjectOwnership") or raw.get("Rules", [{}])[0].get("ObjectOwnership")
    return str(raw) if raw else WRITER


@dataclass
class AccessRequest:
    """One question: may `user` perform `action` on `resource`?"""

    action: str  # lower case, e.g. "s3:getobject"
    target: Target
    user: Principal | None  # None: anonymous
    bucket: Bucket | None
    key: str
    context: Context
    facts: Facts
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def resource(self) -> str:
        if self.target is Target.SERVICE or self.bucket is None:
            return "*"
        return f"arn:aws:s3:::{self.bucket.name}" + (f"/{self.key}" if self.target is Target.OBJECT else "")

    @property
    def principal_id(self) -> str:
        return self.user.id if self.user else ANONYMOUS_ID
