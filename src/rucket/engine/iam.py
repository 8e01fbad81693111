"""Identities: users, their access keys (secrets sealed at rest), identity policies.

Accounts, as on AWS: the root user (from the configuration, never stored here) is the root of
the main account. Users created through the admin API (source "api") are IAM users inside
that account: what they create belongs to the account, they may do only what their identity
policies (or a bucket policy naming them) allow, and deleting one orphans nothing. Users listed
in `rucket.toml` are bootstrapped on every start: by default each is the root of an account of
its own (source "config"; the Ceph s3-tests alt and tenant users compare owner ids), or, with
`own_account = false`, an IAM user of the main account (source "config-member"). Policy
documents are validated by the caller (the policy language lives with the evaluator in `s3/iam`).
"""

from __future__ import annotations

import dataclasses
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass

from rucket.core import errors
from rucket.core.model import Principal
from rucket.core.mutations import (
    AdoptMembers,
    AttachmentExists,
    CanonicalIdFree,
    Conflict,
    DeleteAttachment,
    DeleteKey,
    DeletePolicy,
    DeleteUser,
    KeyExists,
    Mutation,
    PolicyExists,
    PolicyUnused,
    Precondition,
    PutAttachment,
    PutKey,
    PutKeyScope,
    PutPolicy,
    PutUser,
    UserExists,
)
from rucket.core.records import KeyRow, KeyScope, UserRow
from rucket.engine import writes
from rucket.engine.secrets import SecretBox
from rucket.engine.store import Store
from rucket.engine.writes import Plan
from rucket.events.records import EventType, StorageEvent

_AK_CHARS = string.ascii_uppercase + string.digits
MEMBER_SOURCES = frozenset({"api", "config-member"})  # IAM users inside the root's account
CONFIG_SOURCES = ("config", "config-member")
_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "+=,.@_-")


class IamConflict(errors.DomainError):
    """A user, key or policy with that name exists, or a policy is still attached."""


class IamNotFound(errors.DomainError):
    """No such user, access key or policy."""


class IamInvalid(errors.DomainError):
    """A name or value the admin API cannot accept."""


@dataclass(frozen=True)
class BootstrapUser:
    access_key: str
    secret_key: str
    canonical_id: str = ""
    display_name: str = ""
    email: str = ""
    own_account: bool = True  # False: an IAM user inside the root's account


def new_access_key() -> str:
    return "RK" + "".join(secrets.choice(_AK_CHARS) for _ in range(18))


def new_secret() -> str:
    return secrets.token_urlsafe(30)[:40]


def check_name(name: str) -> str:
    if not 1 <= len(name) <= 64 or not set(name) <= _NAME_CHARS:
        raise IamInvalid("names are 1-64 characters of letters, digits and +=,.@_-")
    return name


class Iam:
    def __init__(self, store: Store, box: SecretBox) -> None:
        self.s = store
        self.box = box
        self.reads = store.config
        self._plain: dict[bytes, str] = {}  # sealed -> secret: one AES-GCM open per key, not per request

    # ---- request path -------------------------------------------------------
    def lookup(self, access_key: str) -> Principal | None:
        """The principal of an enabled access key, None if unknown or disabled."""
        found = self.reads.key_with_user(access_key)
        if found is None or not found[0].enabled:
            return None
        scope = self.reads.key_scope(access_key)
        if scope is not None and scope.expires_ms is not None and scope.expires_ms <= self.s.clock.now_ms():
            return None  # expired: as unknown as a deleted key
        key, user = found
        secret = self._plain.get(key.secret_enc)
        if secret is None:
            secret = self._plain[key.secret_enc] = self.box.open(key.access_key, key.secret_enc)
        return Principal(user.canonical_id, user.display_name, access_key, secret, name=user.name, email=user.email,
                         policies=tuple(self.reads.policy_documents_of(user.name)),
                         key_policy=scope.policy if scope else None, member=user.source in MEMBER_SOURCES)

    def user_by_canonical_id(self, canonical_id: str) -> UserRow | None:
        return self.reads.user_by_canonical_id(canonical_id)

    def user_by_email(self, email: str) -> UserRow | None:
        return self.reads.user_by_email(email)

    # ---- users --------------------------------------------------------------
    async def create_user(self, name: str, *, display_name: str = "", email: str = "",
                          canonical_id: str = "") -> UserRow:
        row = UserRow(check_name(name), canonical_id or secrets.token_hex(32), display_name or name, email, "api",
                      self.s.clock.now_ms())
        await self._apply([PutUser(row)], [UserExists(name, False), CanonicalIdFree(row.canonical_id)],
                          self._event("user-created", user=name), IamConflict(f"user {name} exists"))
        return row

    async def delete_user(self, name: str) -> None:
        await self._apply([DeleteUser(name)], [UserExists(name)], self._event("user-deleted", user=name),
                          IamNotFound(f"no user {name}"))

    # ---- keys ---------------------------------------------------------------
    async def create_key(self, user: str, access_key: str = "", secret: str = "", *, expires_ms: int | None = None,
                         policy: str | None = None, description: str = "") -> tuple[str, str]:
        """A new enabled key for `user`; the secret is returned once and stored sealed. With
        `policy` it is a service account: the key can do only what both its user's policies and
        this (already validated) policy allow. With `expires_ms` it stops working at that time."""
        ak, sk = access_key or new_access_key(), secret or new_secret()
        row = KeyRow(ak, user, self.box.seal(ak, sk), True, self.s.clock.now_ms())
        scope = KeyScope(ak, expires_ms, policy, description) \
            if expires_ms is not None or policy is not None or description else None
        await self._apply([PutKey(row), *([PutKeyScope(scope)] if scope is not None else [])],
                          [UserExists(user), KeyExists(ak, False)],
                          self._event("key-created", user=user, access_key=ak, service_account=policy is not None),
                          IamNotFound(f"no user {user}"), IamConflict(f"access key {ak} exists"))
        return ak, sk

    def _key(self, access_key: str) -> KeyRow:
        key = self.reads.iam_key(access_key)
        if key is None:
            raise IamNotFound(f"no access key {access_key}")
        return key

    async def set_key_enabled(self, access_key: str, enabled: bool) -> None:
        key = dataclasses.replace(self._key(access_key), enabled=enabled)
        await self._apply([PutKey(key)], [KeyExists(access_key)],
                          self._event("key-enabled" if enabled else "key-disabled", access_key=access_key),
                          IamNotFound(f"no access key {access_key}"))

    async def set_key_expiry(self, access_key: str, expires_ms: int | None) -> None:
        self._key(access_key)
        old = self.reads.key_scope(access_key) or KeyScope(access_key, None, None)
        await self._apply([PutKeyScope(dataclasses.replace(old, expires_ms=expires_ms))], [KeyExists(access_key)],
                          self._event("key-expiry-set", access_key=access_key, expires_ms=expires_ms),
                          IamNotFound(f"no access key {access_key}"))

    async def delete_key(self, access_key: str) -> None:
        await self._apply([DeleteKey(access_key)], [KeyExists(access_key)],
                          self._event("key-deleted", access_key=access_key), IamNotFound(f"no access key {access_key}"))

    async def rotate_key(self, access_key: str) -> tuple[str, str]:
        """A new key for the same user; the old one is disabled (delete it once clients moved)."""
        ak, sk = new_access_key(), new_secret()
        old = self._key(access_key)
        new = KeyRow(ak, old.user_name, self.box.seal(ak, sk), True, self.s.clock.now_ms())
        scope = self.reads.key_scope(access_key)  # a service account stays one
        moved = [PutKeyScope(dataclasses.replace(scope, access_key=ak))] if scope is not None else []
        await self._apply([PutKey(new), *moved, PutKey(dataclasses.replace(old, enabled=False))],
                          [KeyExists(access_key)],
                          self._event("key-rotated", user=old.user_name, access_key=access_key, new_access_key=ak),
                          IamNotFound(f"no access key {access_key}"))
        return ak, sk

    # ---- identity policies --------------------------------------------------
    async def put_policy(self, name: str, document: str) -> None:
        await self._apply([PutPolicy(check_name(name), document, self.s.clock.now_ms())], [],
                          self._event("policy-set", policy=name))

    async def delete_policy(self, name: str) -> None:
        await self._apply([DeletePolicy(name)], [PolicyUnused(name), PolicyExists(name)],
                          self._event("policy-deleted", policy=name),
                          IamConflict(f"policy {name} is attached to a user"), IamNotFound(f"no policy {name}"))

    async def attach(self, user: str, policy: str, *, attach: bool = True) -> None:
        pre: list[Precondition] = [UserExists(user), PolicyExists(policy)]
        errs = [IamNotFound(f"no user {user}"), IamNotFound(f"no policy {policy}")]
        if not attach:
            pre.append(AttachmentExists(user, policy))
            errs.append(IamNotFound(f"policy {policy} is not attached to {user}"))
        await self._apply([PutAttachment(user, policy) if attach else DeleteAttachment(user, policy)], pre,
                          self._event("policy-attached" if attach else "policy-detached", user=user, policy=policy),
                          *errs)

    async def _apply(self, mutations: list[Mutation], pre: list[Precondition], event: StorageEvent,
                     *errs: Exception) -> None:
        """One batch; the n-th precondition failing answers the n-th error."""
        def explain(c: Conflict) -> Exception | None:
            return errs[pre.index(c.failed)] if c.failed in pre and pre.index(c.failed) < len(errs) else None

        plan: Plan[None] = Plan(mutations=mutations, preconditions=pre, events=[event])
        await writes.run(self.s.config.apply, lambda: plan, explain)

    # ---- bootstrap ----------------------------------------------------------
    def bootstrap(self, users: Sequence[BootstrapUser], root_id: str = "") -> None:
        """Make the stored config users exactly those of the configuration, and give what IAM users
        of the root's account own to the account (`root_id`; data dirs from before accounts). Runs
        once, before serving."""
        now = self.s.clock.now_ms()
        wanted = {u.access_key: u for u in users}
        stale = {u.name for u in self.reads.users() if u.source in CONFIG_SOURCES and u.name not in wanted}
        mutations: list[Mutation] = [DeleteUser(name) for name in sorted(stale)]
        for u in users:
            cid = u.canonical_id or u.access_key
            other = self.reads.user_by_canonical_id(cid)
            if other is not None and other.name != u.access_key and other.name not in stale:
                raise IamConflict(f"canonical id {cid} of {u.access_key} belongs to user {other.name}")
            source = "config" if u.own_account else "config-member"
            mutations += [PutUser(UserRow(u.access_key, cid, u.display_name or cid, u.email, source, now)),
                          PutKey(KeyRow(u.access_key, u.access_key, self.box.seal(u.access_key, u.secret_key),
                                        True, now))]
        if root_id:
            mutations.append(AdoptMembers(tuple(sorted(MEMBER_SOURCES)), root_id))
        event = self._event("bootstrap", users=sorted(wanted))
        self.s.config.apply_sync(Plan(mutations=mutations, events=[event]).batch())

    def _event(self, what: str, **detail: object) -> StorageEvent:
        """Never carries a secret: the payload names what changed, not the key material."""
        return StorageEvent(EventType.IAM_CHANGED, self.s.hlc.now(), "", payload={"what": what, **detail})
