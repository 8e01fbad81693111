"""The metadata seam's contract (core/mutations.py), checked on both implementations: SQLite and
tests/memstore.py. A batch is all or nothing; a refused batch names the precondition that failed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.memstore import MemStore

from rucket.core import mutations as m
from rucket.core.model import Bucket, ObjectVersion
from rucket.core.records import UserRow
from rucket.meta.sqlite import SqliteMeta

Meta = SqliteMeta | MemStore
BUCKET = Bucket("bkt", "owner", 1, "us-east-1")


@pytest.fixture(params=["sqlite", "memory"])
def meta(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Meta]:
    store: Meta = SqliteMeta(tmp_path / "m.db") if request.param == "sqlite" else MemStore()
    store.apply_sync(m.Batch((m.PutBucket(BUCKET),)))
    yield store
    store.close()


def version(key: str, vid: str, hlc: int, blob: str | None = "b1") -> ObjectVersion:
    return ObjectVersion(bucket="bkt", key=key, version_id=vid, row_id=0, size=3, etag='"e"', mtime_ms=hlc,
                         hlc=hlc, owner="owner", blob_id=blob)


def apply(meta: Meta, *mutations: m.Mutation, pre: tuple[m.Precondition, ...] = ()) -> m.Applied:
    return asyncio.run(meta.apply(m.Batch(mutations, pre)))


def test_refused_batch_names_the_failed_precondition_and_applies_nothing(meta: Meta) -> None:
    failing = m.LatestIs("bkt", "k", "v0", 1)
    with pytest.raises(m.Conflict) as info:
        apply(meta, m.PutVersion(version("k", "v1", 5)), pre=(m.BucketExists("bkt"), failing))
    assert info.value.failed == failing
    assert meta.get_latest("bkt", "k") is None


def test_a_failing_mutation_undoes_the_batch(meta: Meta) -> None:
    with pytest.raises(LookupError):  # tags for a version that does not exist: a programming error
        apply(meta, m.PutVersion(version("k", "v1", 5)), m.PutTags("bkt", "k", "nope", (("a", "b"),)))
    assert meta.get_latest("bkt", "k") is None and meta.list_versions("bkt", "", None, 10) == []


def test_latest_falls_back_to_the_next_newest_and_freed_blobs_are_unreferenced_ones(meta: Meta) -> None:
    apply(meta, m.PutVersion(version("k", "v1", 5, "shared")))
    apply(meta, m.PutVersion(version("k", "v2", 6, "own")), m.PutVersion(version("copy", "c1", 6, "shared")))
    assert meta.get_latest("bkt", "k").version_id == "v2"  # type: ignore[union-attr]
    assert apply(meta, m.DeleteVersion("bkt", "k", "v2")).freed == ("own",)
    assert meta.get_latest("bkt", "k").version_id == "v1"  # type: ignore[union-attr]
    assert apply(meta, m.DeleteVersion("bkt", "k", "v1")).freed == ()  # the copy still uses it
    assert meta.get_latest("bkt", "k") is None
    assert apply(meta, m.DeleteVersion("bkt", "k", "v1")).freed == ()  # absent: a no-op


def test_preconditions_pin_what_a_plan_read(meta: Meta) -> None:
    stored = apply(meta, m.PutVersion(version("k", "null", 5))).versions[0]
    assert (stored.version_id, stored.hlc, stored.is_latest) == ("null", 5, True)
    pins = (m.LatestIs("bkt", "k", "null", 5), m.VersionIs("bkt", "k", "null", 5), m.LockIs("bkt", "k", "null", None),
            m.BucketIs("bkt", BUCKET), m.VersionIs("bkt", "k", "other", None), m.LatestIs("bkt", "absent", None))
    apply(meta, m.PutLock("bkt", "k", "null", ("GOVERNANCE", 99, None)), pre=pins)
    for stale in (m.LockIs("bkt", "k", "null", None), m.LatestIs("bkt", "k", None), m.BucketEmpty("bkt"),
                  m.BucketIs("bkt", None), m.VersionIs("bkt", "k", "null", 4)):
        with pytest.raises(m.Conflict):
            apply(meta, m.PutTags("bkt", "k", "null", (("a", "b"),)), pre=(stale,))
    assert meta.get_lock(stored.row_id) == ("GOVERNANCE", 99, None)
    assert meta.get_tags(stored.row_id) == []


def test_adopt_members_gives_what_member_users_own_to_the_account_and_leaves_other_accounts(meta: Meta) -> None:
    apply(meta, m.PutUser(UserRow("ann", "owner", "ann", "", "api", 1)),
          m.PutUser(UserRow("alt", "alt-id", "alt", "", "config", 1)),
          m.PutBucket(Bucket("alts", "alt-id", 2, "us-east-1")), m.PutVersion(version("k", "v1", 5)))
    apply(meta, m.AdoptMembers(("api", "config-member"), "root-id"))
    assert meta.get_bucket("bkt").owner == "root-id"  # type: ignore[union-attr]
    assert meta.get_latest("bkt", "k").owner == "root-id"  # type: ignore[union-attr]
    assert meta.get_bucket("alts").owner == "alt-id"  # type: ignore[union-attr]
