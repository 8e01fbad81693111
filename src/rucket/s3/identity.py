"""Who signed: access key → `User`, from the configured root or the IAM store.

One lookup per request (the app wraps `secret_for` so the signature check and the principal
share it); nothing is cached across requests, so a disabled or deleted key stops working at
once in every worker process.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from rucket.core.model import Owner
from rucket.engine.iam import Iam, Identity
from rucket.s3.request import User


def user_of(identity: Identity) -> User:
    return User(identity.canonical_id, identity.display_name, identity.access_key, identity.secret,
                name=identity.name, email=identity.email, policies=identity.policies, key_policy=identity.key_policy)


class Identities:
    def __init__(self, iam: Iam, root: User) -> None:
        self.iam = iam
        self.root = root

    def lookup(self, access_key: str) -> User | None:
        if access_key == self.root.access_key:
            return self.root
        identity = self.iam.lookup(access_key)
        return user_of(identity) if identity is not None else None

    def owner(self, canonical_id: str) -> Owner | None:
        """Owner (id, display name) of a canonical id; None when no such principal exists."""
        if canonical_id == self.root.id:
            return self.root.owner
        row = self.iam.user_by_canonical_id(canonical_id)
        return Owner(row.canonical_id, row.display_name) if row else None

    def by_email(self, email: str) -> Owner | None:
        if email and email == self.root.email:
            return self.root.owner
        row = self.iam.user_by_email(email)
        return Owner(row.canonical_id, row.display_name) if row else None


class Directory(Mapping[str, User]):
    """`RequestContext.users`: canonical id → User, looked up on demand to render owners."""

    def __init__(self, identities: Identities) -> None:
        self.identities = identities

    def __getitem__(self, canonical_id: str) -> User:
        owner = self.identities.owner(canonical_id)
        if owner is None:
            raise KeyError(canonical_id)
        return User(owner.id, owner.display_name, "", "")

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0
