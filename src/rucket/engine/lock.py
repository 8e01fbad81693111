"""Object Lock: WORM retention and legal holds, as pure rules plus the calls that apply them.

A version's lock state is (mode, retain-until, legal hold). The state given at write time
(the `x-amz-object-lock-*` headers, else the bucket's default retention) is stored in the
version's attrs (`extra["lock"]`) by the same commit that creates the version, so a PUT,
a copy or a completed multipart upload is never briefly unlocked; later changes
(PutObjectRetention, PutObjectLegalHold) are a separate record (`PutLock`) that replaces it.

The rules, as AWS documents them, all as functions of the state and an injected `now`:
- a version under an active retention or a legal hold cannot be deleted (by version id:
  DeleteObject, DeleteObjects, lifecycle, anything through `Objects.delete`). GOVERNANCE
  yields to `bypass` (the caller proved `x-amz-bypass-governance-retention` and the
  `s3:BypassGovernanceRetention` permission); COMPLIANCE and legal holds never do, root
  included. A delete without version id only adds a delete marker, which is always allowed.
- COMPLIANCE retention can only be extended; GOVERNANCE can be extended freely and shortened,
  removed or turned into COMPLIANCE only with bypass. Once retain-until passes, anything goes.
- overwriting a key adds a version (Object Lock forces versioning, which cannot be suspended).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rucket.core import errors, faults
from rucket.core.model import Bucket, ObjectVersion
from rucket.core.mutations import BucketIs, LockIs, PutBucket, PutLock, VersionIs
from rucket.core.records import LockRow
from rucket.engine import writes
from rucket.engine.store import Store
from rucket.engine.writes import Plan
from rucket.events.records import EventType, StorageEvent

GOVERNANCE, COMPLIANCE = "GOVERNANCE", "COMPLIANCE"
MODES = (GOVERNANCE, COMPLIANCE)
CONFIG_KEY = "object_lock"  # bucket.config: the default retention rule ({} when none)
DAY_MS = 86_400_000
MAX_DAYS, MAX_YEARS = 36_500, 100


@dataclass(frozen=True)
class LockState:
    mode: str = ""  # "", GOVERNANCE or COMPLIANCE
    until_ms: int = 0
    legal_hold: bool | None = None  # None: never set (GetObjectLegalHold answers 404)

    def retained(self, now_ms: int) -> bool:
        return bool(self.mode) and self.until_ms > now_ms

    def locked(self, now_ms: int) -> bool:
        return bool(self.legal_hold) or self.retained(now_ms)

    def to_attrs(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mode": self.mode, "until": self.until_ms} if self.mode else {}
        if self.legal_hold is not None:
            out["hold"] = self.legal_hold
        return out

    @classmethod
    def from_attrs(cls, a: Mapping[str, Any]) -> LockState:
        return cls(a.get("mode", ""), int(a.get("until", 0)), a.get("hold"))


@dataclass(frozen=True)
class DefaultRetention:
    mode: str
    days: int | None = None
    years: int | None = None

    def until_ms(self, now_ms: int) -> int:
        """Days are 24 h; years are calendar years (Feb 29 rolls to Feb 28), as AWS counts them."""
        if self.days is not None:
            return now_ms + self.days * DAY_MS
        t = dt.datetime.fromtimestamp(now_ms / 1000, tz=dt.UTC)
        years = self.years or 0
        try:
            later = t.replace(year=t.year + years)
        except ValueError:
            later = t.replace(year=t.year + years, day=28)
        return int(later.timestamp() * 1000)


@dataclass(frozen=True)
class LockRequest:
    """The x-amz-object-lock-* headers of a PUT, copy or CreateMultipartUpload (all optional)."""

    mode: str = ""
    until_ms: int | None = None
    legal_hold: bool | None = None

    def empty(self) -> bool:
        return not self.mode and self.until_ms is None and self.legal_hold is None


# ---- pure rules ---------------------------------------------------------------------
def validate_default(mode: str, days: int | None, years: int | None) -> DefaultRetention:
    """A bucket's default retention: exactly one of Days/Years, positive and bounded."""
    if mode not in MODES or (days is None) == (years is None):
        raise errors.MalformedConfiguration("DefaultRetention needs a valid Mode and exactly one of Days, Years")
    n, limit = (days, MAX_DAYS) if days is not None else (years, MAX_YEARS)
    if n is None or not 0 < n <= limit:
        raise errors.InvalidRetentionPeriod(f"the retention period must be between 1 and {limit}")
    return DefaultRetention(mode, days, years)


def check_delete(state: LockState, now_ms: int, bypass: bool) -> None:
    if state.legal_hold:
        raise errors.ObjectLocked("the version is under a legal hold")
    if state.retained(now_ms) and (state.mode == COMPLIANCE or not bypass):
        raise errors.ObjectLocked(f"the version is under {state.mode} retention")


def check_retention_change(current: LockState, mode: str, until_ms: int, now_ms: int, bypass: bool) -> None:
    """`mode == ""` removes the retention."""
    if mode and until_ms <= now_ms:
        raise errors.InvalidArgument("the retain until date must be in the future")
    if not current.retained(now_ms):
        return
    if current.mode == COMPLIANCE:
        if mode != COMPLIANCE or until_ms < current.until_ms:
            raise errors.ObjectLocked("COMPLIANCE retention can only be extended")
        return
    if mode == GOVERNANCE and until_ms >= current.until_ms:
        return
    if not bypass:
        raise errors.ObjectLocked("changing GOVERNANCE retention needs x-amz-bypass-governance-retention")


def initial_state(bucket: Bucket, req: LockRequest, now_ms: int) -> LockState | None:
    """The lock a new version is written with: the request's, else the bucket's default retention."""
    if not req.empty() and not bucket.object_lock:
        raise errors.InvalidRequest("Bucket is missing Object Lock Configuration")
    if (req.mode == "") != (req.until_ms is None):
        raise errors.InvalidArgument("x-amz-object-lock-mode and x-amz-object-lock-retain-until-date "
                                     "must both be supplied")
    if req.mode and req.mode not in MODES:
        raise errors.InvalidArgument("Unknown wormMode directive")
    if req.until_ms is not None and req.until_ms <= now_ms:
        raise errors.InvalidArgument("The retain until date must be in the future!")
    if req.mode:
        return LockState(req.mode, req.until_ms or 0, req.legal_hold)
    default = default_retention(bucket)
    if default is not None:
        return LockState(default.mode, default.until_ms(now_ms), req.legal_hold)
    return None if req.legal_hold is None else LockState(legal_hold=req.legal_hold)


def default_retention(bucket: Bucket) -> DefaultRetention | None:
    rule = bucket.config.get(CONFIG_KEY) or {}
    return DefaultRetention(rule["mode"], rule.get("days"), rule.get("years")) if rule else None


def state_of(v: ObjectVersion, row: LockRow | None) -> LockState:
    if row is not None:
        return LockState(*row)
    return LockState.from_attrs(v.extra.get("lock") or {})


# ---- engine calls ---------------------------------------------------------------------
class ObjectLock:
    def __init__(self, store: Store) -> None:
        self.s = store

    def _bucket(self, name: str) -> Bucket:
        bucket = self.s.config.get_bucket(name)
        if bucket is None:
            raise errors.BucketNotFound(name)
        return bucket

    def now_ms(self) -> int:
        return self.s.clock.now_ms()

    def configuration(self, bucket: str) -> tuple[bool, DefaultRetention | None]:
        b = self._bucket(bucket)
        return b.object_lock, default_retention(b) if b.object_lock else None

    async def configure(self, bucket: str, default: DefaultRetention | None) -> None:
        """PutObjectLockConfiguration: also turns Object Lock on for a bucket with versioning Enabled
        (AWS allows that since 2023); never off."""
        rule = dataclasses.asdict(default) if default else {}
        rule = {k: v for k, v in rule.items() if v is not None}
        hlc = self.s.hlc.now()

        def plan() -> Plan[None]:
            b = self._bucket(bucket)
            if not b.object_lock and b.versioning != "Enabled":
                raise errors.InvalidBucketState("Versioning must be 'Enabled' on the bucket to apply "
                                                "a Object Lock configuration")
            new = dataclasses.replace(b, object_lock=True, config={**b.config, CONFIG_KEY: rule})
            return Plan(mutations=[PutBucket(new)], preconditions=[BucketIs(bucket, b)],
                        events=[StorageEvent(EventType.BUCKET_CONFIG, hlc, bucket, payload={"keys": [CONFIG_KEY]})])

        await writes.run(self.s.index.apply, plan)

    def for_write(self, bucket: str | Bucket, req: LockRequest) -> dict[str, Any]:
        """`extra` entries for the PutSpec/Upload of a new version (empty when it is not locked)."""
        state = initial_state(bucket if isinstance(bucket, Bucket) else self._bucket(bucket), req, self.now_ms())
        return {"lock": state.to_attrs()} if state is not None and state.to_attrs() else {}

    def state(self, v: ObjectVersion, known: Bucket | None = None) -> LockState:
        bucket = known if known is not None and known.name == v.bucket else self._bucket(v.bucket)
        if "lock" not in v.extra and not bucket.object_lock:
            return LockState()
        return state_of(v, self.s.index.get_lock(v.row_id))

    def target(self, bucket: str, key: str, version_id: str | None) -> ObjectVersion:
        """The version a retention/legal-hold request acts on; the bucket must have Object Lock."""
        if not self._bucket(bucket).object_lock:
            raise errors.InvalidRequest("Bucket is missing Object Lock Configuration")
        v = self.s.index.get_version(bucket, key, version_id) if version_id else self.s.index.get_latest(bucket, key)
        if v is None:
            raise errors.VersionNotFound(version_id) if version_id else errors.KeyNotFound(key)
        if v.delete_marker:
            raise errors.KeyNotFound(key)
        return v

    async def put_retention(self, v: ObjectVersion, mode: str, until_ms: int, bypass: bool) -> None:
        await self._change(v, lambda cur, now: _with_retention(cur, mode, until_ms, now, bypass))

    async def put_legal_hold(self, v: ObjectVersion, on: bool) -> None:
        await self._change(v, lambda cur, now: dataclasses.replace(cur, legal_hold=on))

    async def _change(self, v: ObjectVersion, change: Any) -> None:
        """Read, check the rules, write with the state read as a precondition: of two concurrent
        changes the second re-reads and is checked against the first's result."""
        hlc, now = self.s.hlc.now(), self.now_ms()

        def plan() -> Plan[None]:
            cur_v = self.s.index.get_version(v.bucket, v.key, v.version_id)
            if cur_v is None or cur_v.hlc != v.hlc:
                raise errors.VersionNotFound(v.version_id)
            row = self.s.index.get_lock(cur_v.row_id)
            new: LockState = change(state_of(cur_v, row), now)
            faults.point("lock.txn")
            return Plan(mutations=[PutLock(v.bucket, v.key, v.version_id, (new.mode, new.until_ms, new.legal_hold))],
                        preconditions=[VersionIs(v.bucket, v.key, v.version_id, v.hlc),
                                       LockIs(v.bucket, v.key, v.version_id, row)],
                        events=[StorageEvent(EventType.OBJECT_LOCK, hlc, v.bucket, v.key, v.version_id,
                                             new.to_attrs())])

        await writes.run(self.s.index.apply, plan, writes.version_gone)


def _with_retention(cur: LockState, mode: str, until_ms: int, now_ms: int, bypass: bool) -> LockState:
    check_retention_change(cur, mode, until_ms, now_ms, bypass)
    return dataclasses.replace(cur, mode=mode, until_ms=until_ms if mode else 0)
