"""The one evaluator: identity policies + bucket policy + ownership + ACLs + PublicAccessBlock.

Order, as AWS documents it:
1. Missing bucket: allowed here, the handler answers NoSuchBucket.
2. BlockPublicAcls refuses writes that carry a public ACL.
3. An explicit Deny in any applicable statement wins (the bucket owner keeps Get/Put/
   DeleteBucketPolicy so it can never lock itself out, as AWS keeps it for the root user).
   A condition the evaluator cannot decide makes a Deny apply and an Allow not (fail closed).
4. Allowed by: an identity policy; the bucket policy (with RestrictPublicBuckets, a public
   policy grants nothing to other principals); ownership (the bucket owner for bucket
   actions and for writes/deletes of any object in its bucket; the object owner for its
   object); an ACL grant (ignored under BucketOwnerEnforced; public grants ignored under
   IgnorePublicAcls).
5. Reads of an object that does not exist are decided as s3:ListBucket with s3:prefix=key,
   so callers without list permission get 403, never a 404 that reveals absence.
6. Otherwise: implicit deny.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from rucket.core.model import Bucket, Principal
from rucket.engine.acl import bucket_acl
from rucket.s3.iam.conditions import Context, PolicyConditionError, all_hold, glob_match
from rucket.s3.iam.document import Policy, Statement
from rucket.s3.iam.document import Principal as PolicyPrincipal
from rucket.s3.iam.document import cached as parse_cached
from rucket.s3.iam.grants import (
    ACL_PERMISSION,
    BUCKET,
    BUCKET_OWNER_OBJECT_ACTIONS,
    LOCK_ACTIONS,
    acl_grants,
    headers_carry_public_acl,
)
from rucket.s3.iam.model import ACCOUNT_ID, ENFORCED, AccessRequest, Decision, PublicAccessBlock, ownership_of
from rucket.s3.iam.public import bucket_policy, policy_is_public, statement_is_public
from rucket.s3.ops import Target

POLICY_ACTIONS = frozenset({"s3:getbucketpolicy", "s3:putbucketpolicy", "s3:deletebucketpolicy"})
# An account principal may always do these; an IAM user needs them in its policies, as on AWS.
ACCOUNT_ACTIONS = frozenset({"s3:listallmybuckets", "s3:createbucket"})
ACL_WRITE_ACTIONS = frozenset({"s3:putobject", "s3:putobjectacl", "s3:putobjectversionacl", "s3:putbucketacl",
                               "s3:createbucket"})


def principal_matches(p: PolicyPrincipal, user: Principal | None) -> bool:
    if p.kind == "*":
        return True
    if user is None or p.kind not in ("AWS", "CanonicalUser"):
        return False
    name = user.name or user.access_key
    ids = (name,) if user.member else (user.id, name)  # an IAM user is not its account's canonical id
    if p.kind == "CanonicalUser" or not p.value.startswith("arn:"):
        return p.value in ids
    account, _, rest = p.value.removeprefix("arn:aws:iam::").partition(":")
    if rest == "root":
        return account in ids or (account == ACCOUNT_ID and user.is_root)
    return account in (ACCOUNT_ID, *ids, "*") and rest.rpartition("/")[2] == name


def _principal_ok(st: Statement, user: Principal | None) -> bool:
    if st.principals is None:
        return True  # identity policy: it applies to the user it is attached to
    hit = any(principal_matches(p, user) for p in st.principals)
    return not hit if st.not_principal else hit


def _listed(patterns: Iterable[str], value: str, negated: bool, *, ignore_case: bool) -> bool:
    hit = any(p == "*" or glob_match(p, value, ignore_case=ignore_case) for p in patterns)
    return not hit if negated else hit


def statement_applies(st: Statement, req: AccessRequest) -> bool:
    """Principal, action, resource and conditions all match; an undecidable condition fails closed."""
    if not (_principal_ok(st, req.user) and _listed(st.actions, req.action, st.not_action, ignore_case=True)
            and _listed(st.resources, req.resource, st.not_resource, ignore_case=False)):
        return False
    try:
        return all_hold(st.conditions, req.context)
    except PolicyConditionError:
        return not st.allow


def _first(policies: Iterable[tuple[str, Policy]], req: AccessRequest, allow: bool) -> str | None:
    for source, policy in policies:
        for st in policy.statements:
            if st.allow == allow and statement_applies(st, req):
                return f"{source} statement {st.sid!r}" if st.sid else f"{source} statement"
    return None


def _ownership(req: AccessRequest) -> str | None:
    """Owner rights belong to account principals; an IAM user (member) has only its policies."""
    bucket, user = req.bucket, req.user
    if bucket is None or user is None or user.member:
        return None
    if req.target is not Target.OBJECT:
        return "bucket owner" if bucket.owner == user.id else None
    if bucket.owner == user.id and (req.action in BUCKET_OWNER_OBJECT_ACTIONS | LOCK_ACTIONS
                                    or ownership_of(bucket) == ENFORCED):
        return "bucket owner"
    owner = req.facts.owner_id()
    if owner is not None and owner == user.id and req.action not in BUCKET_OWNER_OBJECT_ACTIONS | LOCK_ACTIONS:
        return "object owner"  # writing or deleting needs the bucket's WRITE, whoever owns the old version
    if owner is None and bucket.owner == user.id:
        return "bucket owner (no such object)"
    return None


def _acl(req: AccessRequest, pab: PublicAccessBlock) -> str | None:
    need = ACL_PERMISSION.get(req.action)
    if need is None or req.bucket is None or ownership_of(req.bucket) == ENFORCED:
        return None
    where, permission = need
    if where == BUCKET:
        acl = bucket_acl(req.bucket)
    else:
        obj = req.facts.object()
        if obj is None:
            return None
        acl = obj.acl
    if pab.ignore_acls:
        acl = acl.without_public()
    # ACLs grant to accounts: an IAM user gets only the group grants (AllUsers, AuthenticatedUsers)
    grantee = None if req.user is None else f"iam-user:{req.user.name}" if req.user.member else req.user.id
    return f"{where} ACL grants {permission}" if acl_grants(acl, permission, grantee) else None


def _policies(req: AccessRequest) -> tuple[list[tuple[str, Policy]], Policy | None]:
    identity = [("identity policy", parse_cached(doc, False)) for doc in (req.user.policies if req.user else ())]
    return identity, bucket_policy(req.bucket)


def decide(req: AccessRequest) -> Decision:
    """The decision for the user, then narrowed by its key's own policy (a service account)."""
    decision = _decide_for_user(req)
    key_policy = req.user.key_policy if req.user is not None else None
    if not decision.allowed or key_policy is None:
        return decision
    return _narrowed(req, decision, parse_cached(key_policy, False))


def _narrowed(req: AccessRequest, decision: Decision, policy: Policy) -> Decision:
    """A service account may do what its user may AND its own policy allows, as AWS intersects
    identity and session policies: an explicit Deny there wins, no Allow there denies."""
    scoped = [("service account policy", policy)]
    if (deny := _first(scoped, req, allow=False)) is not None:
        return Decision(False, f"explicit Deny in {deny}")
    if (why := _first(scoped, req, allow=True)) is None:
        return Decision(False, f"the service account policy does not allow {req.action} (its user may: "
                               f"{decision.reason})")
    return Decision(True, f"{decision.reason}, within the {why}")


def _decide_for_user(req: AccessRequest) -> Decision:
    bucket = req.bucket
    if bucket is None and req.target is not Target.SERVICE and req.action != "s3:createbucket":
        return Decision(True, "no such bucket: the handler answers NoSuchBucket")
    pab = PublicAccessBlock.of(bucket)
    if pab.block_acls and req.action in ACL_WRITE_ACTIONS and headers_carry_public_acl(req.headers):
        return Decision(False, "BlockPublicAcls refuses a public ACL")
    identity, bpolicy = _policies(req)
    everything = [*identity, *([("bucket policy", bpolicy)] if bpolicy else [])]
    deny = _first(everything, req, allow=False)
    owner = bucket is not None and req.user is not None and not req.user.member and bucket.owner == req.user.id
    if deny and not (owner and req.action in POLICY_ACTIONS):
        return Decision(False, f"explicit Deny in {deny}")
    if req.action in ACCOUNT_ACTIONS and (req.user is not None or req.action == "s3:listallmybuckets") and \
            not (req.user is not None and req.user.member):
        return Decision(True, "an account may list its buckets and create buckets (anonymous: an empty list)")
    # An identity policy speaks for its own account only: another account's bucket must grant too
    same_account = bucket is None or (req.user is not None and bucket.owner == req.user.id)
    if same_account and (why := _first(identity, req, allow=True)) is not None:
        return Decision(True, why)
    if bpolicy is not None and (why := _bucket_policy_allow(req, bpolicy, pab, owner)) is not None:
        return Decision(True, why)
    if (why := _ownership(req) or _acl(req, pab)) is not None:
        return Decision(True, why)
    return _missing_object(req) or Decision(False, f"no policy, grant or ownership allows {req.action}")


def _bucket_policy_allow(req: AccessRequest, policy: Policy, pab: PublicAccessBlock, owner: bool) -> str | None:
    if pab.restrict_buckets and policy_is_public(policy) and not owner:
        policy = Policy(policy.text, tuple(st for st in policy.statements if not statement_is_public(st)))
    return _first([("bucket policy", policy)], req, allow=True)


def _missing_object(req: AccessRequest) -> Decision | None:
    """Reads of an absent object: allowed (the handler answers 404) iff the caller may list the key."""
    if req.target is not Target.OBJECT or req.action in BUCKET_OWNER_OBJECT_ACTIONS or \
            req.facts.owner_id() is not None:
        return None
    listing = dataclasses.replace(req, action="s3:listbucket", target=Target.BUCKET,
                                  context=_PrefixContext(req.context, req.key))
    if decide(listing):
        return Decision(True, "no such object, and the caller may list it")
    return None


class _PrefixContext:
    """The ListBucket question about one key: s3:prefix is the key itself."""

    def __init__(self, inner: Context, key: str) -> None:
        self.inner, self.key = inner, key

    def values(self, key: str) -> list[str] | None:
        return [self.key] if key == "s3:prefix" else self.inner.values(key)


def can_put_policy(bucket: Bucket, policy: Policy) -> Decision:
    """BlockPublicPolicy: a public bucket policy is refused when the bucket blocks them."""
    if PublicAccessBlock.of(bucket).block_policy and policy_is_public(policy):
        return Decision(False, "BlockPublicPolicy refuses a public policy")
    return Decision(True, "")


def can_put_acl(bucket: Bucket, acl_is_public: bool) -> Decision:
    if PublicAccessBlock.of(bucket).block_acls and acl_is_public:
        return Decision(False, "BlockPublicAcls refuses a public ACL")
    return Decision(True, "")

