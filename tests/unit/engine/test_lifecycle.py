"""The lifecycle worker on an injected clock: advance days, run one pass, check what is left."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.fakes import chunks, make_engine

from rucket.core import errors
from rucket.core.hlc import FakeClock
from rucket.core.multipart import Upload
from rucket.engine import Engine
from rucket.engine.bucket_config import LIFECYCLE
from rucket.engine.lifecycle import Lifecycle, PassReport
from rucket.engine.lifecycle_rules import DAY_MS, Filter, Rule, due_ms
from rucket.engine.multipart import UploadsQuery
from rucket.engine.objects import PutSpec
from rucket.engine.versioning import VersionQuery

run = asyncio.run


@dataclass
class Env:
    engine: Engine
    clock: FakeClock
    lifecycle: Lifecycle

    def put(self, key: str, body: bytes = b"x", tags: tuple[tuple[str, str], ...] = ()) -> str:
        spec = PutSpec(owner="o", tags=tags)
        return run(self.engine.objects.put("bkt", key, chunks(body), spec)).version_id

    def rules(self, *rules: Rule) -> None:
        run(self.engine.bucket_config.put("bkt", LIFECYCLE, list(rules)))

    def versioning(self, status: str) -> None:
        run(self.engine.versioning.set_status("bkt", status))

    def after(self, days: int) -> PassReport:
        self.clock.advance(days=days)
        return run(self.lifecycle.run_once())

    def live(self) -> list[str]:
        return [v.key for v in self.versions() if v.is_latest and not v.delete_marker]

    def versions(self):  # type: ignore[no-untyped-def]
        return self.engine.versioning.list_versions(VersionQuery("bkt")).versions


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    clock = FakeClock()
    engine = make_engine(tmp_path, clock=clock, inline_limit=0)  # real blob files, to check reclaim
    run(engine.buckets.create("bkt", "owner"))
    yield Env(engine, clock, Lifecycle(engine))
    engine.close()


def rule(**kw: object) -> Rule:
    return Rule(id=str(kw.pop("id", "r")), status=str(kw.pop("status", "Enabled")), **kw)  # type: ignore[arg-type]


def test_object_created_40_days_ago_disappears_and_its_blob_is_reclaimed(env: Env) -> None:
    env.put("old")
    blob = env.engine.objects.head("bkt", "old").blob_id
    assert blob and env.engine.store.blobs.path(blob).exists()
    env.rules(rule(expiration_days=30))
    assert env.after(days=40) == PassReport(expired=1)
    assert env.live() == []
    assert not env.engine.store.blobs.path(blob).exists()
    assert env.engine.store.feed.rows_after(0, 10_000)[-1][2] == "ObjectDeleted"


def test_not_expired_before_the_midnight_after_its_days(env: Env) -> None:
    env.put("k")
    env.rules(rule(expiration_days=30))
    assert env.after(days=29) == PassReport()
    assert env.live() == ["k"]
    env.clock.ms = due_ms(env.engine.objects.head("bkt", "k").mtime_ms, 30) - 1
    assert run(env.lifecycle.run_once()) == PassReport()
    env.clock.advance(seconds=0.001)
    assert run(env.lifecycle.run_once()).expired == 1


def test_due_time_rounds_up_to_the_next_midnight_utc() -> None:
    assert due_ms(0, 1) == DAY_MS
    assert due_ms(1, 1) == 2 * DAY_MS
    assert due_ms(10 * DAY_MS, 3, day_ms=DAY_MS) == 13 * DAY_MS


def test_versioned_expiration_adds_a_delete_marker(env: Env) -> None:
    env.versioning("Enabled")
    vid = env.put("k")
    env.rules(rule(expiration_days=1))
    assert env.after(days=2).expired == 1
    versions = env.versions()
    assert [(v.delete_marker, v.is_latest) for v in versions] == [(True, True), (False, False)]
    assert versions[1].version_id == vid
    assert env.after(days=2) == PassReport()  # a marker on top: nothing more to do


def test_noncurrent_versions_expire_after_noncurrent_days(env: Env) -> None:
    env.versioning("Enabled")
    v1 = env.put("k", b"1")
    env.clock.advance(days=10)
    v2 = env.put("k", b"2")  # v1 noncurrent from now
    env.clock.advance(days=10)
    v3 = env.put("k", b"3")  # v2 noncurrent from now
    env.rules(rule(noncurrent_days=15))
    assert env.after(days=6) == PassReport(noncurrent=1)  # v1: 16 days noncurrent; v2: 6
    assert [v.version_id for v in env.versions()] == [v3, v2]
    assert env.after(days=10) == PassReport(noncurrent=1)
    assert [v.version_id for v in env.versions()] == [v3]
    assert v1 != v2


def test_newer_noncurrent_versions_are_kept(env: Env) -> None:
    env.versioning("Enabled")
    ids = [env.put("k", bytes([i])) for i in range(5)]
    env.rules(rule(noncurrent_days=1, newer_noncurrent=2))
    assert env.after(days=3).noncurrent == 2
    assert [v.version_id for v in env.versions()] == ids[:1:-1]  # latest + the 2 newest noncurrent


def test_expired_object_delete_marker_is_removed(env: Env) -> None:
    env.versioning("Enabled")
    env.put("k")
    run(env.engine.objects.delete("bkt", "k"))
    env.rules(rule(noncurrent_days=1), rule(id="m", expired_object_delete_marker=True))
    report = env.after(days=2)
    assert (report.noncurrent, report.markers) == (1, 1)
    assert env.versions() == []


def test_marker_with_versions_behind_it_is_kept(env: Env) -> None:
    env.versioning("Enabled")
    env.put("k")
    run(env.engine.objects.delete("bkt", "k"))
    env.rules(rule(expired_object_delete_marker=True))
    assert env.after(days=100) == PassReport()
    assert len(env.versions()) == 2


def test_expiration_date_applies_once_passed(env: Env) -> None:
    env.put("k")
    env.rules(rule(expiration_date="2023-11-20T00:00:00Z"))  # FakeClock starts 2023-11-14
    assert env.after(days=1) == PassReport()
    assert env.after(days=6).expired == 1


@pytest.mark.parametrize(("flt", "expired"), [
    pytest.param(Filter(prefix="logs/"), ["logs/a"], id="prefix"),
    pytest.param(Filter(tags=(("t", "1"),)), ["tagged"], id="tag"),
    pytest.param(Filter(size_gt=10), ["big"], id="size-greater-than"),
    pytest.param(Filter(size_lt=10), ["logs/a", "tagged"], id="size-less-than"),
    pytest.param(Filter(prefix="logs/", size_lt=10, use_and=True), ["logs/a"], id="and"),
    pytest.param(Filter(), ["big", "logs/a", "tagged"], id="empty-filter"),
])
def test_filters_select_what_expires(env: Env, flt: Filter, expired: list[str]) -> None:
    env.put("logs/a")
    env.put("tagged", tags=(("t", "1"), ("u", "2")))
    env.put("big", b"x" * 100)
    env.rules(rule(filter=flt, expiration_days=1))
    env.after(days=2)
    assert sorted(set(["big", "logs/a", "tagged"]) - set(env.live())) == expired


def test_legacy_prefix_and_disabled_rules(env: Env) -> None:
    env.put("a/1")
    env.put("b/1")
    env.rules(rule(prefix="a/", expiration_days=1), rule(id="off", status="Disabled", expiration_days=1))
    env.after(days=2)
    assert env.live() == ["b/1"]


def test_a_write_between_evaluation_and_action_wins(env: Env) -> None:
    env.put("k")
    env.rules(rule(expiration_days=1))
    env.clock.advance(days=2)
    stale = env.engine.objects.head("bkt", "k")
    env.put("k", b"fresh")
    with pytest.raises(errors.PreconditionFailed):
        run(env.engine.objects.delete("bkt", "k", if_latest=stale))
    assert env.live() == ["k"]


@dataclass
class FakeUploads:
    uploads: list[tuple[str, str, int]]
    aborted: list[str] = field(default_factory=list)

    def incomplete(self, bucket: str) -> Iterable[tuple[str, str, int]]:
        return [u for u in self.uploads if u[1] not in self.aborted]

    async def abort(self, bucket: str, key: str, upload_id: str) -> None:
        self.aborted.append(upload_id)


def test_incomplete_uploads_older_than_the_rule_are_aborted(env: Env) -> None:
    now = env.clock.now_ms()
    uploads = FakeUploads([("tmp/a", "u1", now), ("tmp/b", "u2", now + 5 * DAY_MS), ("keep/c", "u3", now)])
    worker = Lifecycle(env.engine, uploads=uploads)
    env.rules(rule(filter=Filter(prefix="tmp/"), abort_days=3))
    env.clock.advance(days=4)
    assert run(worker.run_once()).uploads == 1
    assert uploads.aborted == ["u1"]


def test_scaled_day_length(env: Env) -> None:
    fast = Lifecycle(env.engine, day_ms=1000)  # RUCKET_LIFECYCLE_TIME_SCALE=1: a day lasts a second
    env.put("k")
    env.rules(rule(expiration_days=1))
    env.clock.advance(seconds=2.5)
    assert run(fast.run_once()).expired == 1
    assert fast.interval_s == 0.5


def test_a_scaled_day_counts_from_creation_not_from_a_day_boundary(env: Env) -> None:
    fast = Lifecycle(env.engine, day_ms=10_000)  # the s3-tests lc_debug_interval
    env.clock.advance(seconds=7)  # mid-"day": AWS rounding would push the due time to the boundary
    created = env.clock.now_ms()
    env.put("k")
    env.rules(rule(expiration_days=2))
    assert due_ms(created, 2, 10_000) == created + 20_000
    env.clock.advance(seconds=19.9)
    assert run(fast.run_once()).expired == 0
    env.clock.advance(seconds=0.1)
    assert run(fast.run_once()).expired == 1


def test_real_incomplete_upload_is_aborted_and_its_parts_reclaimed(env: Env) -> None:
    mp = env.engine.multipart
    old = run(mp.create("bkt", "tmp/big", Upload(upload_id="", bucket="", key="", initiated_ms=0, owner="o")))
    part = run(mp.upload_part("bkt", "tmp/big", old.upload_id, 1, chunks(b"p" * 100)))
    assert part.blob_id and env.engine.store.blobs.path(part.blob_id).exists()
    env.clock.advance(days=2)
    fresh = run(mp.create("bkt", "tmp/new", Upload(upload_id="", bucket="", key="", initiated_ms=0, owner="o")))
    env.rules(rule(filter=Filter(prefix="tmp/"), abort_days=3))
    assert env.after(days=2).uploads == 1  # 4 days old: aborted; 2 days old: kept
    remaining = mp.list_uploads(UploadsQuery("bkt")).uploads
    assert [u.upload_id for u in remaining] == [fresh.upload_id]
    assert not env.engine.store.blobs.path(part.blob_id).exists()
    assert "MultipartUploadAborted" in [e[2] for e in env.engine.store.feed.rows_after(0, 10_000)]
