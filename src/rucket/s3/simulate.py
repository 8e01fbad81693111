"""The policy simulator: "may principal X do action Y on resource Z?", answered by the same
`Authorizer` (and so the same `iam/evaluate.decide`) every S3 request goes through, with its
reason. Exposed as `POST /_rucket/admin/simulate`; the admin layer gets it injected by
`server.py`, since admin and s3 are peers.

The question is asked without a request: no headers, no query, no source IP, not over TLS.
A condition on any of those is decided as for such a request (a Deny with an unknown
condition applies, an Allow with one does not), and the answer says which statement decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rucket.core.model import Principal
from rucket.engine import Engine
from rucket.engine.iam import MEMBER_SOURCES
from rucket.s3.identity import Identities, as_seen
from rucket.s3.ops import Operation, Target
from rucket.s3.policy import VERSIONED_ACTION, Authorizer

ARN = "arn:aws:s3:::"
ACTIONS = frozenset({op.action.lower() for op in Operation} | set(VERSIONED_ACTION.values()))


class SimulationError(ValueError):
    """The question cannot be asked: unknown principal or action, or a resource that is not an S3 ARN."""


def parse_resource(resource: str) -> tuple[Target, str, str]:
    """`*` (the service), `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key` → (target, bucket, key)."""
    if resource == "*":
        return Target.SERVICE, "", ""
    if not resource.startswith(ARN) or len(resource) == len(ARN):
        raise SimulationError("resource must be * or arn:aws:s3:::bucket[/key]")
    bucket, slash, key = resource.removeprefix(ARN).partition("/")
    if slash and not key:
        raise SimulationError("an object resource needs a key after the bucket name")
    return (Target.OBJECT if key else Target.BUCKET), bucket, key


@dataclass
class Simulator:
    engine: Engine
    identities: Identities

    def principal(self, who: str) -> Principal:
        """An access key (a user's key, a service account, the root key) or a user name."""
        user = self.identities.lookup(who)
        if user is not None:
            return user
        reads = self.identities.iam.reads
        row = reads.user(who)
        if row is None:
            raise SimulationError(f"no enabled access key or user named {who!r}")
        # a user asked about by name: its own permissions, as any plain key of it would have
        return as_seen(Principal(row.canonical_id, row.display_name, "", "", name=row.name, email=row.email,
                                 policies=tuple(reads.policy_documents_of(row.name)),
                                 member=row.source in MEMBER_SOURCES), self.identities.root)

    def __call__(self, who: str, action: str, resource: str) -> dict[str, Any]:
        user = self.principal(who)
        act = action.strip().lower()
        if act not in ACTIONS:
            raise SimulationError(f"unknown action {action!r}: name one S3 action, e.g. s3:GetObject")
        target, bucket_name, key = parse_resource(resource.strip())
        bucket = self.engine.buckets.find(bucket_name) if bucket_name else None
        decision = Authorizer(self.engine, user, {}, {}).check(act, target, bucket, key)
        return {"allowed": decision.allowed, "reason": decision.reason, "action": act, "resource": resource,
                "principal": {"name": user.name or user.access_key, "access_key": user.access_key,
                              "arn": user.arn, "root": user.is_root, "service_account": user.key_policy is not None},
                "bucket_exists": bucket is not None or not bucket_name}

