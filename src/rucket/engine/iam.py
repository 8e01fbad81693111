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
from rucket.engine.secrets import SecretBox
from rucket.engine.store import Store, emit
from rucket.events.records import EventType, StorageEvent
from rucket.meta import accounts
from rucket.meta import iam as sql
from rucket.meta.iam import KeyRow, UserRow
from rucket.meta.tx import Tx

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
class Identity:
    """An enabled access key with its user and attached policy documents: one request's principal."""

    name: str
    canonical_id: str
    display_name: str
    email: str
    access_key: str
    secret: str
    policies: tuple[str, ...]
    key_policy: str | None = None  # a service account's own policy: it narrows `policies`, never widens
    member: bool = False  # an IAM user of the root's account (its own canonical id owns nothing)


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
        self.reads = sql.IamReads(store.meta)
        self._plain: dict[bytes, str] = {}  # sealed -> secret: one AES-GCM open per key, not per request

    # ---- request path -------------------------------------------------------
    def lookup(self, access_key: str) -> Identity | None:
        """The principal of an enabled access key, None if unknown or disabled."""
        found = self.reads.key_with_user(access_key)
        if found is None or not found[0].enabled:
            return None
        scope = sql.key_scope(self.s.meta, access_key)
        if scope is not None and scope.expires_ms is not None and scope.expires_ms <= self.s.clock.now_ms():
            return None  # expired: as unknown as a deleted key
        key, user = found
        secret = self._plain.get(key.secret_enc)
        if secret is None:
            secret = self._plain[key.secret_enc] = self.box.open(key.access_key, key.secret_enc)
        return Identity(user.name, user.canonical_id, user.display_name, user.email, access_key, secret,
                        tuple(self.reads.policy_documents_of(user.name)), scope.policy if scope else None,
                        user.source in MEMBER_SOURCES)

    def user_by_canonical_id(self, canonical_id: str) -> UserRow | None:
        return self.reads.user_by_canonical_id(canonical_id)

    def user_by_email(self, email: str) -> UserRow | None:
        return self.reads.user_by_email(email)

    # ---- users --------------------------------------------------------------
    async def create_user(self, name: str, *, display_name: str = "", email: str = "",
                          canonical_id: str = "") -> UserRow:
        row = UserRow(check_name(name), canonical_id or secrets.token_hex(32), display_name or name, email, "api",
                      self.s.clock.now_ms())

        def txn(tx: Tx) -> UserRow:
            if sql.tx_user(tx, name) is not None or sql.tx_user_by_canonical_id(tx, row.canonical_id) is not None:
                raise IamConflict(f"user {name} exists")
            sql.tx_upsert_user(tx, row)
            self._event(tx, "user-created", user=name)
            return row

        return await self.s.meta.write(txn)

    async def delete_user(self, name: str) -> None:
        def txn(tx: Tx) -> None:
            if not sql.tx_delete_user(tx, name):
                raise IamNotFound(f"no user {name}")
            self._event(tx, "user-deleted", user=name)

        await self.s.meta.write(txn)

    # ---- keys ---------------------------------------------------------------
    async def create_key(self, user: str, access_key: str = "", secret: str = "", *, expires_ms: int | None = None,
                         policy: str | None = None, description: str = "") -> tuple[str, str]:
        """A new enabled key for `user`; the secret is returned once and stored sealed. With
        `policy` it is a service account: the key can do only what both its user's policies and
        this (already validated) policy allow. With `expires_ms` it stops working at that time."""
        ak, sk = access_key or new_access_key(), secret or new_secret()
        row = KeyRow(ak, user, self.box.seal(ak, sk), True, self.s.clock.now_ms())
        scope = sql.KeyScope(ak, expires_ms, policy, description) \
            if expires_ms is not None or policy is not None or description else None

        def txn(tx: Tx) -> tuple[str, str]:
            if sql.tx_user(tx, user) is None:
                raise IamNotFound(f"no user {user}")
            if sql.tx_key(tx, ak) is not None:
                raise IamConflict(f"access key {ak} exists")
            sql.tx_put_key(tx, row)
            if scope is not None:
                sql.tx_put_key_scope(tx, scope)
            self._event(tx, "key-created", user=user, access_key=ak, service_account=policy is not None)
            return ak, sk

        return await self.s.meta.write(txn)

    async def set_key_enabled(self, access_key: str, enabled: bool) -> None:
        def txn(tx: Tx) -> None:
            if not sql.tx_set_key_enabled(tx, access_key, enabled):
                raise IamNotFound(f"no access key {access_key}")
            self._event(tx, "key-enabled" if enabled else "key-disabled", access_key=access_key)

        await self.s.meta.write(txn)

    async def set_key_expiry(self, access_key: str, expires_ms: int | None) -> None:
        def txn(tx: Tx) -> None:
            if sql.tx_key(tx, access_key) is None:
                raise IamNotFound(f"no access key {access_key}")
            old = sql.tx_key_scope(tx, access_key) or sql.KeyScope(access_key, None, None)
            sql.tx_put_key_scope(tx, dataclasses.replace(old, expires_ms=expires_ms))
            self._event(tx, "key-expiry-set", access_key=access_key, expires_ms=expires_ms)

        await self.s.meta.write(txn)

    async def delete_key(self, access_key: str) -> None:
        def txn(tx: Tx) -> None:
            if not sql.tx_delete_key(tx, access_key):
                raise IamNotFound(f"no access key {access_key}")
            self._event(tx, "key-deleted", access_key=access_key)

        await self.s.meta.write(txn)

    async def rotate_key(self, access_key: str) -> tuple[str, str]:
        """A new key for the same user; the old one is disabled (delete it once clients moved)."""
        ak, sk = new_access_key(), new_secret()

        def txn(tx: Tx) -> tuple[str, str]:
            old = sql.tx_key(tx, access_key)
            if old is None:
                raise IamNotFound(f"no access key {access_key}")
            sql.tx_put_key(tx, KeyRow(ak, old.user_name, self.box.seal(ak, sk), True, self.s.clock.now_ms()))
            if (scope := sql.tx_key_scope(tx, access_key)) is not None:  # a service account stays one
                sql.tx_put_key_scope(tx, dataclasses.replace(scope, access_key=ak))
            sql.tx_set_key_enabled(tx, access_key, False)
            self._event(tx, "key-rotated", user=old.user_name, access_key=access_key, new_access_key=ak)
            return ak, sk

        return await self.s.meta.write(txn)

    # ---- identity policies --------------------------------------------------
    async def put_policy(self, name: str, document: str) -> None:
        def txn(tx: Tx) -> None:
            sql.tx_put_policy(tx, check_name(name), document, self.s.clock.now_ms())
            self._event(tx, "policy-set", policy=name)

        await self.s.meta.write(txn)

    async def delete_policy(self, name: str) -> None:
        def txn(tx: Tx) -> None:
            if sql.tx_policy_in_use(tx, name):
                raise IamConflict(f"policy {name} is attached to a user")
            if not sql.tx_delete_policy(tx, name):
                raise IamNotFound(f"no policy {name}")
            self._event(tx, "policy-deleted", policy=name)

        await self.s.meta.write(txn)

    async def attach(self, user: str, policy: str, *, attach: bool = True) -> None:
        def txn(tx: Tx) -> None:
            if sql.tx_user(tx, user) is None:
                raise IamNotFound(f"no user {user}")
            if not sql.tx_policy_exists(tx, policy):
                raise IamNotFound(f"no policy {policy}")
            if attach:
                sql.tx_attach(tx, user, policy)
            elif not sql.tx_detach(tx, user, policy):
                raise IamNotFound(f"policy {policy} is not attached to {user}")
            self._event(tx, "policy-attached" if attach else "policy-detached", user=user, policy=policy)

        await self.s.meta.write(txn)

    # ---- bootstrap ----------------------------------------------------------
    def bootstrap(self, users: Sequence[BootstrapUser], root_id: str = "") -> None:
        """Make the stored config users exactly those of the configuration, and give what IAM users
        of the root's account own to the account (`root_id`; data dirs from before accounts). Runs
        once, before serving."""
        now = self.s.clock.now_ms()
        wanted = {u.access_key: u for u in users}

        def txn(tx: Tx) -> None:
            for name in sql.tx_user_names(tx, CONFIG_SOURCES):
                if name not in wanted:
                    sql.tx_delete_user(tx, name)
            for u in users:
                cid = u.canonical_id or u.access_key
                other = sql.tx_user_by_canonical_id(tx, cid)
                if other is not None and other.name != u.access_key:
                    raise IamConflict(f"canonical id {cid} of {u.access_key} belongs to user {other.name}")
                source = "config" if u.own_account else "config-member"
                sql.tx_upsert_user(tx, UserRow(u.access_key, cid, u.display_name or cid, u.email, source, now))
                sql.tx_put_key(tx, KeyRow(u.access_key, u.access_key, self.box.seal(u.access_key, u.secret_key),
                                          True, now))
            if root_id:
                accounts.tx_adopt(tx, sql.tx_canonical_ids(tx, tuple(MEMBER_SOURCES)), root_id)
            self._event(tx, "bootstrap", users=sorted(wanted))

        self.s.meta.write_sync(txn)

    def _event(self, tx: Tx, what: str, **detail: object) -> None:
        """Never carries a secret: the payload names what changed, not the key material."""
        emit(tx, StorageEvent(EventType.IAM_CHANGED, self.s.hlc.now(), "", payload={"what": what, **detail}))
