"""Who signed: access key → `Principal`, from the configured root or the IAM store.

One lookup per request (the app wraps `secret_for` so the signature check and the principal
share it); nothing is cached across requests, so a disabled or deleted key stops working at
once in every worker process.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping

from rucket.core.model import Owner, Principal
from rucket.engine.iam import Iam


def as_seen(p: Principal, root: Principal) -> Principal:
    """An IAM user of the root's account carries the account's canonical id (as on AWS, what it
    creates is the account's) and `member`, so the evaluator grants it only what policies allow."""
    return dataclasses.replace(p, id=root.id, display_name=root.display_name) if p.member else p


class Identities:
    def __init__(self, iam: Iam, root: Principal) -> None:
        self.iam = iam
        self.root = root

    def lookup(self, access_key: str) -> Principal | None:
        if access_key == self.root.access_key:
            return self.root
        found = self.iam.lookup(access_key)
        return as_seen(found, self.root) if found is not None else None

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


class Directory(Mapping[str, Principal]):
    """`RequestContext.users`: canonical id → Principal, looked up on demand to render owners."""

    def __init__(self, identities: Identities) -> None:
        self.identities = identities

    def __getitem__(self, canonical_id: str) -> Principal:
        owner = self.identities.owner(canonical_id)
        if owner is None:
            raise KeyError(canonical_id)
        return Principal(owner.id, owner.display_name, "", "")

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0
