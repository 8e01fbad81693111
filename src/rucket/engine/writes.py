"""Plan → apply → retry: how every engine write reaches the metadata store.

A write is planned from plain reads (which may already answer 404/409/412), turned into a
`Batch` whose preconditions pin exactly the facts the plan relied on, and applied. If one
of those facts changed in between, the store applies nothing and raises `Conflict`; the
plan runs again on fresh reads, so the outcome is the one a serial execution would give
(one winner for If-None-Match, Object Lock rules checked against the state that is
replaced). `explain` turns a conflict that has a definite answer (the bucket is gone) into
its domain error instead of a re-plan.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from rucket.core import errors
from rucket.core.mutations import Applied, Batch, BucketExists, Conflict, Mutation, Precondition, VersionIs
from rucket.events.records import StorageEvent

T = TypeVar("T")
Apply = Callable[[Batch], Awaitable[Applied]]
MAX_ATTEMPTS = 16  # each retry needs a commit by someone else in between: this bounds a livelock, not a wait


@dataclass
class Plan(Generic[T]):
    """What a planned write applies, and what it answers: `result(applied)`, or `done` when the
    plan writes nothing (deleting an absent version answers without a commit)."""

    mutations: list[Mutation] = field(default_factory=list)
    preconditions: list[Precondition] = field(default_factory=list)
    events: list[StorageEvent] = field(default_factory=list)
    result: Callable[[Applied], T] | None = None
    done: T | None = None

    def batch(self) -> Batch:
        return Batch(tuple(self.mutations), tuple(self.preconditions), tuple(self.events))

    def answer(self, applied: Applied) -> T:
        return self.result(applied) if self.result is not None else self.done  # type: ignore[return-value]


def no_explanation(c: Conflict) -> Exception | None:
    return None


async def run(apply: Apply, plan: Callable[[], Plan[T]],
              explain: Callable[[Conflict], Exception | None] = no_explanation) -> tuple[T, Applied]:
    """Plan, apply, and on a conflict explain it or plan again on fresh reads."""
    for _ in range(MAX_ATTEMPTS):
        p = plan()
        if not p.mutations and not p.events:
            return p.answer(Applied()), Applied()
        try:
            applied = await apply(p.batch())
        except Conflict as c:
            err = explain(c)
            if err is not None:
                raise err from None
            continue
        return p.answer(applied), applied
    raise errors.Unavailable("the record changed under every attempt; retry")


def explain(c: Conflict) -> Exception | None:
    """The conflicts with one answer: the bucket went away; the rest re-plan."""
    if isinstance(c.failed, BucketExists):
        return errors.BucketNotFound(c.failed.name)
    return None


def version_gone(c: Conflict) -> Exception | None:
    """For changes to one resolved version (tags, ACL, lock): replaced or deleted meanwhile → 404."""
    if isinstance(c.failed, VersionIs):
        return errors.VersionNotFound(c.failed.version_id)
    return None
