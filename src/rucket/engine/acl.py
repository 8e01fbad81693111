"""Access control lists: the grant model, canned ACLs, and the object-ACL record.

A bucket's ACL is a config sub-resource (`bucket.config["acl"]`). An object's ACL is given
at write time (kept in the version's `extra["acl"]`, immutable like the rest of the
version) and may be replaced later by PutObjectAcl, which writes a separate record keyed by
the version's row id (`object_acls`), as tags are. No ACL stored means the default:
the owner has FULL_CONTROL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rucket.core.model import Bucket, ObjectVersion
from rucket.core.mutations import PutObjectAcl, VersionIs
from rucket.engine import writes
from rucket.engine.buckets import Buckets
from rucket.engine.store import Store
from rucket.engine.writes import Plan
from rucket.events.records import EventType, StorageEvent

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
GROUPS = frozenset({ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY})
PUBLIC_GROUPS = frozenset({ALL_USERS, AUTHENTICATED_USERS})
PERMISSIONS = ("FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP")
CANONICAL, GROUP = "CanonicalUser", "Group"
BUCKET_ACL_KEY = "acl"  # bucket.config key


@dataclass(frozen=True)
class Grant:
    kind: str  # CanonicalUser or Group
    grantee: str  # canonical user id, or group URI
    permission: str


@dataclass(frozen=True)
class Acl:
    owner: str
    grants: tuple[Grant, ...]

    def to_json(self) -> dict[str, Any]:
        return {"owner": self.owner, "grants": [[g.kind, g.grantee, g.permission] for g in self.grants]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Acl:
        return cls(str(data["owner"]), tuple(Grant(k, g, p) for k, g, p in data.get("grants", [])))

    @property
    def is_public(self) -> bool:
        return any(g.kind == GROUP and g.grantee in PUBLIC_GROUPS for g in self.grants)

    def without_public(self) -> Acl:
        return Acl(self.owner, tuple(g for g in self.grants if not (g.kind == GROUP and g.grantee in PUBLIC_GROUPS)))


def private(owner: str) -> Acl:
    return Acl(owner, (Grant(CANONICAL, owner, "FULL_CONTROL"),))


def _with(owner: str, *extra: Grant) -> Acl:
    return Acl(owner, (*extra, Grant(CANONICAL, owner, "FULL_CONTROL")))


def _bucket_owner(owner: str, bucket_owner: str, permission: str) -> Acl:
    if bucket_owner == owner:
        return private(owner)
    return Acl(owner, (Grant(CANONICAL, owner, "FULL_CONTROL"), Grant(CANONICAL, bucket_owner, permission)))


CANNED = {  # name -> (owner, bucket owner) -> ACL
    "private": lambda o, b: private(o),
    "public-read": lambda o, b: _with(o, Grant(GROUP, ALL_USERS, "READ")),
    "public-read-write": lambda o, b: _with(o, Grant(GROUP, ALL_USERS, "READ"), Grant(GROUP, ALL_USERS, "WRITE")),
    "authenticated-read": lambda o, b: _with(o, Grant(GROUP, AUTHENTICATED_USERS, "READ")),
    "bucket-owner-read": lambda o, b: _bucket_owner(o, b, "READ"),
    "bucket-owner-full-control": lambda o, b: _bucket_owner(o, b, "FULL_CONTROL"),
    "log-delivery-write": lambda o, b: _with(o, Grant(GROUP, LOG_DELIVERY, "WRITE"),
                                             Grant(GROUP, LOG_DELIVERY, "READ_ACP")),
}


def canned(name: str, owner: str, bucket_owner: str) -> Acl:
    """Callers check `name in CANNED` first and answer InvalidArgument themselves."""
    return CANNED[name](owner, bucket_owner)


def bucket_acl(bucket: Bucket) -> Acl:
    raw = bucket.config.get(BUCKET_ACL_KEY)
    return Acl.from_json(raw) if raw else private(bucket.owner)


def stored_object_acl(v: ObjectVersion) -> dict[str, Any] | None:
    """The write-time ACL of a version (`extra["acl"]`), None for the default."""
    raw = v.extra.get("acl")
    return raw if isinstance(raw, dict) else None


class Acls:
    def __init__(self, store: Store) -> None:
        self.s = store

    def of_object(self, v: ObjectVersion) -> Acl:
        raw = self.s.index.object_acl(v.row_id) or stored_object_acl(v)
        return Acl.from_json(raw) if raw else private(v.owner)

    async def set_object(self, v: ObjectVersion, acl: Acl) -> None:
        """Replace the ACL of version `v` (resolved by the caller) as a separate record plus an event."""
        hlc = self.s.hlc.now()
        plan: Plan[None] = Plan(
            mutations=[PutObjectAcl(v.bucket, v.key, v.version_id, acl.to_json())],
            preconditions=[VersionIs(v.bucket, v.key, v.version_id, v.hlc)],  # replaced or deleted meanwhile: 404
            events=[StorageEvent(EventType.OBJECT_ACL, hlc, v.bucket, v.key, v.version_id,
                                 {"owner": acl.owner, "grants": len(acl.grants), "public": acl.is_public})])
        await writes.run(self.s.index.apply, lambda: plan, writes.version_gone)

    async def set_bucket(self, bucket: str, acl: Acl) -> Bucket:
        return await Buckets(self.s).update(bucket, config={BUCKET_ACL_KEY: acl.to_json()})
