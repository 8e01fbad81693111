"""Is a bucket public? (GetBucketPolicyStatus, BlockPublicPolicy, RestrictPublicBuckets.)

A policy is public when an Allow statement names everyone (`*`, `{"AWS": "*"}`) and no
condition pins the caller down to fixed values of a key that identifies who or where they
are (source IP range, VPC, account, ARN, user id). An ACL is public when it grants anything
to AllUsers or AuthenticatedUsers.
"""

from __future__ import annotations

import ipaddress

from rucket.core.model import Bucket
from rucket.engine.acl import bucket_acl
from rucket.s3.iam.conditions import Condition
from rucket.s3.iam.document import Policy, Statement
from rucket.s3.iam.document import cached as parse_cached

POLICY_KEY = "policy"  # bucket.config key holding the bucket policy text
_PINNING_KEYS = frozenset({"aws:sourcevpc", "aws:sourcevpce", "aws:sourcearn", "aws:sourceaccount",
                           "aws:principalorgid", "aws:userid", "aws:principalarn", "aws:principalaccount",
                           "aws:sourceowner", "s3:resourceaccount"})
_POSITIVE = frozenset({"StringEquals", "StringEqualsIgnoreCase", "ArnEquals", "StringLike", "ArnLike"})


def _pins(c: Condition) -> bool:
    if c.key == "aws:sourceip" and c.operator == "IpAddress" and not c.if_exists:
        try:
            return all(ipaddress.ip_network(v, strict=False).prefixlen > 0 for v in c.values)
        except ValueError:
            return False
    return (c.key in _PINNING_KEYS and c.operator in _POSITIVE and not c.if_exists
            and not any("*" in v for v in c.values))


def statement_is_public(st: Statement) -> bool:
    if not st.allow or st.principals is None:
        return False
    everyone = any(p.kind == "*" for p in st.principals)
    return everyone and not any(_pins(c) for c in st.conditions)


def policy_is_public(policy: Policy | None) -> bool:
    return policy is not None and any(statement_is_public(st) for st in policy.statements)


def bucket_policy(bucket: Bucket | None) -> Policy | None:
    text = bucket.config.get(POLICY_KEY) if bucket else None
    return parse_cached(text) if isinstance(text, str) and text else None


def bucket_is_public(bucket: Bucket) -> bool:
    return policy_is_public(bucket_policy(bucket)) or bucket_acl(bucket).is_public
