"""Object Lock on an injected clock: the pure rules as tables, then the engine proving expiry."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.fakes import chunks, make_engine

from rucket.core import errors
from rucket.core.hlc import FakeClock
from rucket.engine import Engine
from rucket.engine.bucket_config import LIFECYCLE
from rucket.engine.lifecycle import Lifecycle
from rucket.engine.lifecycle_rules import Filter, Rule
from rucket.engine.lock import (
    COMPLIANCE,
    DAY_MS,
    GOVERNANCE,
    DefaultRetention,
    LockRequest,
    LockState,
    check_delete,
    check_retention_change,
    validate_default,
)
from rucket.engine.objects import PutSpec

run = asyncio.run
NOW = 1_700_000_000_000
LATER, SOONER = NOW + 10 * DAY_MS, NOW + 5 * DAY_MS
GOV, COMP = LockState(GOVERNANCE, LATER), LockState(COMPLIANCE, LATER)
EXPIRED = LockState(COMPLIANCE, NOW - 1)


# ---- pure rules ---------------------------------------------------------------------------
@pytest.mark.parametrize(("state", "bypass", "allowed"), [
    pytest.param(LockState(), False, True, id="unlocked"),
    pytest.param(GOV, False, False, id="governance"),
    pytest.param(GOV, True, True, id="governance-bypass"),
    pytest.param(COMP, True, False, id="compliance-even-bypass"),
    pytest.param(EXPIRED, False, True, id="expired-compliance"),
    pytest.param(LockState(legal_hold=True), True, False, id="legal-hold-even-bypass"),
    pytest.param(LockState(legal_hold=False), False, True, id="legal-hold-off"),
    pytest.param(LockState(GOVERNANCE, NOW - 1, True), True, False, id="expired-retention-but-hold"),
])
def test_check_delete(state: LockState, bypass: bool, allowed: bool) -> None:
    if allowed:
        check_delete(state, NOW, bypass)
    else:
        with pytest.raises(errors.ObjectLocked):
            check_delete(state, NOW, bypass)


@pytest.mark.parametrize(("current", "mode", "until", "bypass", "allowed"), [
    pytest.param(LockState(), GOVERNANCE, SOONER, False, True, id="set-on-unlocked"),
    pytest.param(GOV, GOVERNANCE, LATER + 1, False, True, id="governance-extend"),
    pytest.param(GOV, GOVERNANCE, SOONER, False, False, id="governance-shorten"),
    pytest.param(GOV, GOVERNANCE, SOONER, True, True, id="governance-shorten-bypass"),
    pytest.param(GOV, "", 0, False, False, id="governance-remove"),
    pytest.param(GOV, "", 0, True, True, id="governance-remove-bypass"),
    pytest.param(GOV, COMPLIANCE, LATER, False, False, id="governance-to-compliance"),
    pytest.param(GOV, COMPLIANCE, LATER, True, True, id="governance-to-compliance-bypass"),
    pytest.param(COMP, COMPLIANCE, LATER + 1, False, True, id="compliance-extend"),
    pytest.param(COMP, COMPLIANCE, SOONER, True, False, id="compliance-shorten-even-bypass"),
    pytest.param(COMP, GOVERNANCE, LATER + 1, True, False, id="compliance-to-governance"),
    pytest.param(COMP, "", 0, True, False, id="compliance-remove"),
    pytest.param(EXPIRED, GOVERNANCE, SOONER, False, True, id="expired-compliance-anything"),
])
def test_check_retention_change(current: LockState, mode: str, until: int, bypass: bool, allowed: bool) -> None:
    if allowed:
        check_retention_change(current, mode, until, NOW, bypass)
    else:
        with pytest.raises(errors.ObjectLocked):
            check_retention_change(current, mode, until, NOW, bypass)


def test_retention_in_the_past_is_refused() -> None:
    with pytest.raises(errors.InvalidArgument):
        check_retention_change(LockState(), GOVERNANCE, NOW - 1, NOW, False)


@pytest.mark.parametrize(("mode", "days", "years", "error"), [
    pytest.param(GOVERNANCE, 1, None, None, id="days"),
    pytest.param(COMPLIANCE, None, 100, None, id="max-years"),
    pytest.param(GOVERNANCE, 1, 1, errors.MalformedConfiguration, id="days-and-years"),
    pytest.param(GOVERNANCE, None, None, errors.MalformedConfiguration, id="neither"),
    pytest.param("governance", 1, None, errors.MalformedConfiguration, id="lowercase-mode"),
    pytest.param(GOVERNANCE, 0, None, errors.InvalidRetentionPeriod, id="zero-days"),
    pytest.param(GOVERNANCE, None, -1, errors.InvalidRetentionPeriod, id="negative-years"),
    pytest.param(GOVERNANCE, 36_501, None, errors.InvalidRetentionPeriod, id="too-many-days"),
])
def test_validate_default(mode: str, days: int | None, years: int | None, error: type[Exception] | None) -> None:
    if error is None:
        assert validate_default(mode, days, years) == DefaultRetention(mode, days, years)
    else:
        with pytest.raises(error):
            validate_default(mode, days, years)


def test_default_years_are_calendar_years() -> None:
    leap_day = 1_709_208_000_000  # 2024-02-29T12:00:00Z
    assert DefaultRetention(GOVERNANCE, years=1).until_ms(leap_day) == 1_740_744_000_000  # 2025-02-28T12:00Z
    assert DefaultRetention(GOVERNANCE, days=2).until_ms(NOW) == NOW + 2 * DAY_MS


def test_lock_state_round_trips_through_attrs() -> None:
    for state in (GOV, LockState(legal_hold=False), LockState(COMPLIANCE, LATER, True)):
        assert LockState.from_attrs(state.to_attrs()) == state


# ---- the engine on a FakeClock ------------------------------------------------------------
@dataclass
class Env:
    engine: Engine
    clock: FakeClock

    def put(self, key: str = "k", req: LockRequest | None = None) -> str:
        extra = self.engine.lock.for_write("lkb", req or LockRequest())
        return run(self.engine.objects.put("lkb", key, chunks(b"data"), PutSpec(owner="o", extra=extra))).version_id

    def delete(self, vid: str | None, key: str = "k", bypass: bool = False) -> None:
        run(self.engine.objects.delete("lkb", key, vid, bypass_governance=bypass))

    def state(self, vid: str, key: str = "k") -> LockState:
        return self.engine.lock.state(self.engine.lock.target("lkb", key, vid))


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    clock = FakeClock(NOW)
    engine = make_engine(tmp_path, clock=clock)
    run(engine.buckets.create("lkb", "owner", object_lock=True))
    yield Env(engine, clock)
    engine.close()


def test_compliance_version_undeletable_until_expiry_then_deletable(env: Env) -> None:
    vid = env.put(req=LockRequest(COMPLIANCE, NOW + 3 * DAY_MS))
    with pytest.raises(errors.ObjectLocked):
        env.delete(vid, bypass=True)
    env.clock.advance(days=3)  # retain-until == now: no longer retained
    env.delete(vid)
    with pytest.raises(errors.VersionNotFound):
        env.engine.objects.head("lkb", "k", vid)


def test_locked_version_survives_overwrite_and_delete_marker(env: Env) -> None:
    vid = env.put(req=LockRequest(GOVERNANCE, NOW + DAY_MS))
    second = env.put()
    env.delete(None)  # a delete marker: always allowed
    assert vid != second
    assert env.engine.objects.head("lkb", "k", vid).size == 4
    with pytest.raises(errors.ObjectLocked):
        env.delete(vid)
    env.delete(vid, bypass=True)


def test_default_retention_applies_to_new_versions_only(env: Env) -> None:
    before = env.put()
    run(env.engine.lock.configure("lkb", DefaultRetention(GOVERNANCE, days=2)))
    after = env.put()
    assert env.state(before) == LockState()
    assert env.state(after) == LockState(GOVERNANCE, NOW + 2 * DAY_MS)
    explicit = env.put(req=LockRequest(COMPLIANCE, NOW + 5 * DAY_MS))
    assert env.state(explicit).mode == COMPLIANCE  # headers win over the default


def test_legal_hold_blocks_until_released(env: Env) -> None:
    vid = env.put(req=LockRequest(legal_hold=True))
    with pytest.raises(errors.ObjectLocked):
        env.delete(vid, bypass=True)
    v = env.engine.lock.target("lkb", "k", vid)
    run(env.engine.lock.put_legal_hold(v, False))
    assert env.state(vid).legal_hold is False
    env.delete(vid)


def test_retention_record_overrides_write_time_state(env: Env) -> None:
    vid = env.put(req=LockRequest(GOVERNANCE, NOW + DAY_MS))
    v = env.engine.lock.target("lkb", "k", vid)
    run(env.engine.lock.put_retention(v, COMPLIANCE, NOW + 2 * DAY_MS, bypass=True))
    run(env.engine.lock.put_legal_hold(v, True))
    assert env.state(vid) == LockState(COMPLIANCE, NOW + 2 * DAY_MS, True)
    with pytest.raises(errors.ObjectLocked):
        run(env.engine.lock.put_retention(v, COMPLIANCE, NOW + DAY_MS, bypass=True))
    assert env.state(vid).until_ms == NOW + 2 * DAY_MS


def test_lock_headers_refused_on_bucket_without_object_lock(env: Env) -> None:
    run(env.engine.buckets.create("plain", "owner"))
    with pytest.raises(errors.InvalidRequest):
        env.engine.lock.for_write("plain", LockRequest(legal_hold=True))
    with pytest.raises(errors.InvalidRequest):
        env.engine.lock.target("plain", "k", None)
    assert env.engine.lock.for_write("plain", LockRequest()) == {}


@pytest.mark.parametrize("req", [
    pytest.param(LockRequest(GOVERNANCE), id="mode-without-date"),
    pytest.param(LockRequest(until_ms=NOW + 1), id="date-without-mode"),
    pytest.param(LockRequest(GOVERNANCE, NOW - 1), id="date-in-the-past"),
])
def test_bad_lock_headers(env: Env, req: LockRequest) -> None:
    with pytest.raises(errors.InvalidArgument):
        env.engine.lock.for_write("lkb", req)


def test_configure_needs_versioning_enabled_and_never_turns_lock_off(env: Env) -> None:
    run(env.engine.buckets.create("plain", "owner"))
    with pytest.raises(errors.InvalidBucketState):
        run(env.engine.lock.configure("plain", None))
    run(env.engine.versioning.set_status("plain", "Enabled"))
    run(env.engine.lock.configure("plain", DefaultRetention(COMPLIANCE, years=1)))
    assert env.engine.lock.configuration("plain") == (True, DefaultRetention(COMPLIANCE, years=1))
    run(env.engine.lock.configure("plain", None))
    assert env.engine.lock.configuration("plain") == (True, None)
    with pytest.raises(errors.InvalidBucketState):
        run(env.engine.versioning.set_status("plain", "Suspended"))


def test_lifecycle_never_removes_a_locked_version(env: Env) -> None:
    locked = env.put(req=LockRequest(COMPLIANCE, NOW + 30 * DAY_MS))
    env.put()  # `locked` becomes noncurrent
    rule = Rule(id="r", status="Enabled", filter=Filter(), noncurrent_days=1, expiration_days=1)
    run(env.engine.bucket_config.put("lkb", LIFECYCLE, [rule]))
    worker = Lifecycle(env.engine)
    env.clock.advance(days=10)
    run(worker.run_once())
    assert env.engine.objects.head("lkb", "k", locked).version_id == locked
    env.clock.advance(days=25)  # retention over: the next pass may remove it
    run(worker.run_once())
    with pytest.raises(errors.VersionNotFound):
        env.engine.objects.head("lkb", "k", locked)
