"""Authorization: the single place where every S3 request is allowed or denied.

`s3/app.py` builds one `Authorizer` per request (principal, headers, query, source IP, TLS)
and asks it about the routed operation before any handler runs; the decision itself is
`s3/iam/evaluate.decide` (identity policies, bucket policy, ownership, ACLs,
PublicAccessBlock, ObjectOwnership). Handlers that act on a second resource ask the same
authorizer: CopyObject/UploadPartCopy for their source (`authorize_copy_source`),
DeleteObjects for each key, PostObject once the form has named the principal and key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from rucket.core.model import Bucket, ObjectVersion, Principal
from rucket.engine import Engine
from rucket.s3.auth import AuthType
from rucket.s3.errors import AccessDenied
from rucket.s3.iam.evaluate import ACL_WRITE_ACTIONS, decide
from rucket.s3.iam.keys import RequestKeys
from rucket.s3.iam.model import AccessRequest, Decision, ObjectFacts
from rucket.s3.iam.public import bucket_policy
from rucket.s3.ops import Operation, Target
from rucket.s3.request import RequestContext

log = logging.getLogger("rucket.s3.policy")

# Not decided at routing time: preflight is unauthenticated by design; the handler of
# PostObject (principal and key come from the form) and DeleteObjects (one decision per key)
# call `Authorizer.require` themselves.
UNAUTHENTICATED = frozenset({Operation.OPTIONS_BUCKET, Operation.OPTIONS_OBJECT})
DEFERRED = frozenset({Operation.POST_OBJECT, Operation.DELETE_OBJECTS})

VERSIONED_ACTION: Mapping[str, str] = {  # with ?versionId=, AWS checks the *Version* action
    "s3:getobject": "s3:getobjectversion",
    "s3:deleteobject": "s3:deleteobjectversion",
    "s3:getobjectacl": "s3:getobjectversionacl",
    "s3:putobjectacl": "s3:putobjectversionacl",
    "s3:getobjecttagging": "s3:getobjectversiontagging",
    "s3:putobjecttagging": "s3:putobjectversiontagging",
    "s3:deleteobjecttagging": "s3:deleteobjectversiontagging",
    "s3:getobjectattributes": "s3:getobjectversionattributes",
}


_AUTH_KEYS: Mapping[AuthType, tuple[str, str]] = {  # s3:authType, s3:signatureversion
    AuthType.ANONYMOUS: ("", ""),
    AuthType.SIGV4_HEADER: ("REST-HEADER", "AWS4-HMAC-SHA256"),
    AuthType.SIGV4_QUERY: ("REST-QUERY-STRING", "AWS4-HMAC-SHA256"),
    AuthType.SIGV2_HEADER: ("REST-HEADER", "AWS"),
    AuthType.SIGV2_QUERY: ("REST-QUERY-STRING", "AWS"),
}


def auth_keys(auth_type: AuthType) -> tuple[str, str]:
    return _AUTH_KEYS.get(auth_type, ("", ""))


class _ObjectFacts:
    """Loads the target version once, and only if a rule asks (owner, ACL, tags)."""

    def __init__(self, engine: Engine, bucket: str, key: str, version_id: str | None,
                 read: Callable[[str, str, str | None], ObjectVersion | None]) -> None:
        self.engine, self.bucket, self.key, self.version_id, self.read = engine, bucket, key, version_id, read
        self._loaded = False
        self._version: ObjectVersion | None = None

    def _v(self) -> ObjectVersion | None:
        if not self._loaded:
            v = self.read(self.bucket, self.key, self.version_id)
            self._version = None if v is None or v.delete_marker else v
            self._loaded = True
        return self._version

    def object(self) -> ObjectFacts | None:
        v = self._v()
        return None if v is None else ObjectFacts(v.owner, self.engine.acls.of_object(v))

    def owner_id(self) -> str | None:
        """The latest version's owner is in the `latest` index row: one cheap read, no version load."""
        if self.version_id is None and not self._loaded:
            return self.engine.objects.latest_owner(self.bucket, self.key)
        v = self._v()
        return None if v is None else v.owner

    def tags(self) -> list[tuple[str, str]]:
        v = self._v()
        return self.engine.tagging.get(v) if v is not None else []


class Decisions:
    """Decisions that can only change with a commit, remembered until the next one.

    Without identity policies and without a bucket policy no condition key is ever read, so a
    decision depends only on stored state (ownership, ACLs, PublicAccessBlock, ObjectOwnership)
    and the request's principal, action and resource. ACL writes are the exception (their
    headers may carry a public ACL) and are never remembered. `generation` is the metadata
    store's: it moves with every commit, and is None when reads may not be cached."""

    def __init__(self, generation: Callable[[], int | None], limit: int = 8192) -> None:
        self.generation, self.limit = generation, limit
        self.entries: dict[tuple[object, ...], tuple[int, Decision]] = {}

    def key(self, user: Principal | None, action: str, bucket: Bucket | None, key: str,
            version_id: str | None, target: Target = Target.OBJECT) -> tuple[object, ...] | None:
        if action in ACL_WRITE_ACTIONS or (user is not None and (user.policies or user.key_policy)) \
                or bucket_policy(bucket) is not None:
            return None  # a service account shares its user's id: never answer it from the user's memo
        return (user.id if user else None, action, target, bucket.name if bucket else "", key, version_id)

    def get(self, memo_key: tuple[object, ...]) -> Decision | None:
        entry = self.entries.get(memo_key)
        return entry[1] if entry is not None and entry[0] == self.generation() else None

    def put(self, memo_key: tuple[object, ...], gen: int | None, decision: Decision) -> None:
        if gen is None or gen != self.generation():
            return
        if len(self.entries) >= self.limit:
            self.entries = {}
        self.entries[memo_key] = (gen, decision)


@dataclass
class Authorizer:
    """Everything about one request that a decision may depend on, minus the resource."""

    engine: Engine
    user: Principal | None
    headers: Mapping[str, str]
    query: Mapping[str, str]
    source_ip: str = ""
    secure: bool = False
    auth_type: str = ""
    signature_version: str = ""
    decisions: Decisions | None = None
    _versions: dict[tuple[str, str, str | None], ObjectVersion | None] = field(default_factory=dict, repr=False)

    def version(self, bucket: str, key: str, version_id: str | None) -> ObjectVersion | None:
        """A version this request reads (latest if no id), read at most once: the decision and the
        handler share it (a GET reads its version once)."""
        ident = (bucket, key, version_id)
        if ident not in self._versions:
            self._versions[ident] = self.engine.objects.find(bucket, key, version_id)
        return self._versions[ident]

    def check(self, action: str, target: Target, bucket: Bucket | None, key: str = "",
              version_id: str | None = None, headers: Mapping[str, str] | None = None) -> Decision:
        action = action.lower()
        if version_id is not None and target is Target.OBJECT:
            action = VERSIONED_ACTION.get(action, action)
        memo = self.decisions
        memo_key = memo.key(self.user, action, bucket, key, version_id, target) if memo is not None else None
        if memo_key is not None:
            assert memo is not None
            if (known := memo.get(memo_key)) is not None:
                return known
            gen = memo.generation()
            decision = self._decide(action, target, bucket, key, version_id, headers)
            memo.put(memo_key, gen, decision)
            return decision
        return self._decide(action, target, bucket, key, version_id, headers)

    def _decide(self, action: str, target: Target, bucket: Bucket | None, key: str, version_id: str | None,
                headers: Mapping[str, str] | None) -> Decision:
        facts = _ObjectFacts(self.engine, bucket.name if bucket else "", key, version_id, self.version)
        hdrs = self.headers if headers is None else headers
        keys = RequestKeys(self.user, hdrs, self.query, self.source_ip, self.secure, self.auth_type,
                           self.signature_version, object_tags=facts.tags)
        decision = decide(AccessRequest(action, target, self.user, bucket, key, keys, facts, hdrs))
        log.debug("%s %s %s/%s: %s (%s)", self.user.access_key if self.user else "anonymous", action,
                  bucket.name if bucket else "-", key, "allow" if decision else "deny", decision.reason)
        return decision

    def require(self, action: str, target: Target, bucket: Bucket | None, key: str = "",
                version_id: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        if not self.check(action, target, bucket, key, version_id, headers):
            raise AccessDenied()

    def require_op(self, op: Operation, bucket_name: str, key: str) -> Bucket | None:
        """The routing-time decision for `op`; returns the bucket record (None if it does not exist)."""
        bucket = self.engine.buckets.find(bucket_name) if bucket_name else None
        if op in UNAUTHENTICATED or op in DEFERRED:
            return bucket
        self.require(op.action, op.target, bucket, key, self.query.get("versionId"))
        return bucket


def authorize_copy_source(ctx: RequestContext, bucket: str, key: str, version_id: str | None = None) -> None:
    """CopyObject / UploadPartCopy: the caller must also be allowed s3:GetObject on the source."""
    src = ctx.engine.buckets.find(bucket)
    ctx.authz.require("s3:GetObject", Target.OBJECT, src, key, version_id, headers={})


def authorize_object(ctx: RequestContext, action: str, key: str, version_id: str | None = None) -> bool:
    """A per-key decision inside a bucket-level request (DeleteObjects)."""
    bucket = ctx.known_bucket()
    return bool(ctx.authz.check(action, Target.OBJECT, bucket, key, version_id))

