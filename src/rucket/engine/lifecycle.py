"""The lifecycle worker: applies every bucket's enabled rules, one pass at a time.

Time comes from the store's injectable clock and the length of a day is a parameter, so unit
tests advance a `FakeClock` by 40 days and `await run_once()`, and `RUCKET_LIFECYCLE_TIME_SCALE`
makes a "day" last seconds on a real server. Every deletion goes through `Objects.delete`
(event log, blob reclaim) guarded by `if_latest`: a write that lands between evaluation
and action wins, and the next pass looks again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from rucket.core import errors, faults
from rucket.core.model import ObjectVersion
from rucket.engine.lifecycle_rules import Rule, due_ms, parse_date_ms, rules_of
from rucket.engine.multipart import Multipart, UploadsQuery

if TYPE_CHECKING:
    from rucket.engine import Engine

log = logging.getLogger("rucket.lifecycle")
BATCH = 1000
TagReader = Callable[[ObjectVersion], list[tuple[str, str]]]


class Uploads(Protocol):
    """What the worker needs from the multipart engine for AbortIncompleteMultipartUpload."""

    def incomplete(self, bucket: str) -> Iterable[tuple[str, str, int]]: ...  # (key, upload id, initiated ms)

    async def abort(self, bucket: str, key: str, upload_id: str) -> None: ...


class MultipartUploads:
    """The multipart engine's uploads in progress, as the worker's `Uploads`; aborting one
    reclaims its part blobs and appends a MultipartUploadAborted event."""

    def __init__(self, multipart: Multipart) -> None:
        self.m = multipart

    def incomplete(self, bucket: str) -> Iterator[tuple[str, str, int]]:
        key_marker = upload_marker = ""
        while True:
            page = self.m.list_uploads(UploadsQuery(bucket, key_marker=key_marker, upload_id_marker=upload_marker))
            yield from ((u.key, u.upload_id, u.initiated_ms) for u in page.uploads)
            if not page.truncated or not page.uploads:
                return
            key_marker, upload_marker = page.uploads[-1].key, page.uploads[-1].upload_id

    async def abort(self, bucket: str, key: str, upload_id: str) -> None:
        await self.m.abort(bucket, key, upload_id)


@dataclass
class PassReport:
    expired: int = 0  # current versions removed (unversioned) or hidden behind a delete marker
    noncurrent: int = 0  # noncurrent versions deleted
    markers: int = 0  # expired object delete markers removed
    uploads: int = 0  # incomplete multipart uploads aborted
    skipped: int = 0  # raced with a concurrent write; the next pass re-evaluates


class Lifecycle:
    def __init__(self, engine: Engine, *, day_ms: int | None = None, uploads: Uploads | None = None) -> None:
        self.engine = engine
        self.s = engine.store
        self.day_ms = day_ms or self.s.lifecycle_day_ms
        self.uploads = uploads if uploads is not None else MultipartUploads(engine.multipart)

    @property
    def interval_s(self) -> float:
        """Pause between passes: a tenth of a day, between half a second and an hour."""
        return min(3600.0, max(0.5, self.day_ms / 10_000))

    async def run_forever(self) -> None:
        while True:
            try:
                report = await self.run_once()
                if report != PassReport():
                    log.info("lifecycle pass: %s", report)
            except Exception:
                log.exception("lifecycle pass failed")
            await asyncio.sleep(self.interval_s)

    async def run_once(self) -> PassReport:
        report = PassReport()
        now = self.s.clock.now_ms()
        for bucket in self.s.config.list_buckets():
            rules = [r for r in rules_of(bucket.config) if r.enabled]
            if any(r.abort_days is not None for r in rules):
                await self._abort_uploads(bucket.name, rules, now, report)
            rules = [r for r in rules if _touches_versions(r)]
            if not rules:
                continue
            tags = self._tag_reader(rules)
            for versions in self._keys(bucket.name):
                await self._key(bucket.name, versions, rules, now, tags, report)
        return report

    def _tag_reader(self, rules: list[Rule]) -> TagReader:
        if not any(r.uses_tags for r in rules):
            return lambda v: []
        return lambda v: [] if v.delete_marker else self.s.index.get_tags(v.row_id)

    def _keys(self, bucket: str) -> Iterator[list[ObjectVersion]]:
        """Every key's versions, newest first, one key at a time, in pages of BATCH rows."""
        lower, before = "", None
        group: list[ObjectVersion] = []
        while True:
            rows = self.s.index.list_versions(bucket, lower, None, BATCH, before)
            for v in rows:
                if group and v.key != group[0].key:
                    yield group
                    group = []
                group.append(v)
            if len(rows) < BATCH:
                break
            lower, before = rows[-1].key, (rows[-1].hlc, rows[-1].version_id)
        if group:
            yield group

    async def _key(self, bucket: str, versions: list[ObjectVersion], rules: list[Rule], now: int,
                   tags: TagReader, report: PassReport) -> None:
        latest = versions[0]
        doomed = [v for i, v in enumerate(versions[1:])  # versions[i] is the next newer one
                  if any(self._noncurrent_due(r, v, i, versions[i].mtime_ms, now, tags) for r in rules)]
        gone = 0
        for v in doomed:
            gone += await self._delete(bucket, v, v.version_id, latest, report, "noncurrent")
        if not latest.delete_marker:
            if any(self._current_due(r, latest, now, tags) for r in rules):
                await self._delete(bucket, latest, None, latest, report, "expired")
        elif len(versions) - gone == 1 and any(self._marker_expired(r, latest, now) for r in rules):
            await self._delete(bucket, latest, latest.version_id, latest, report, "markers")

    async def _delete(self, bucket: str, v: ObjectVersion, version_id: str | None, latest: ObjectVersion,
                      report: PassReport, counter: str) -> int:
        faults.point("lifecycle.before_delete")
        try:
            await self.engine.objects.delete(bucket, v.key, version_id, if_latest=latest)
        except errors.DomainError:  # changed meanwhile (PreconditionFailed) or bucket gone
            report.skipped += 1
            return 0
        setattr(report, counter, getattr(report, counter) + 1)
        return 1

    def _noncurrent_due(self, r: Rule, v: ObjectVersion, newer: int, since_ms: int, now: int,
                        tags: TagReader) -> bool:
        if r.noncurrent_days is None or newer < (r.newer_noncurrent or 0):
            return False
        if now < due_ms(since_ms, r.noncurrent_days, self.day_ms):
            return False
        return r.effective.matches(v.key, v.size, tags(v))

    def _current_due(self, r: Rule, v: ObjectVersion, now: int, tags: TagReader) -> bool:
        if not self._expiration_reached(r, v, now):
            return False
        return r.effective.matches(v.key, v.size, tags(v))

    def _marker_expired(self, r: Rule, marker: ObjectVersion, now: int) -> bool:
        """A delete marker with no versions left: removed by ExpiredObjectDeleteMarker, or by an
        Expiration Days/Date rule once the marker itself is old enough (AWS documents both)."""
        if not r.effective.matches(marker.key, 0, []):
            return False
        return bool(r.expired_object_delete_marker) or self._expiration_reached(r, marker, now)

    def _expiration_reached(self, r: Rule, v: ObjectVersion, now: int) -> bool:
        if r.expiration_days is not None:
            return now >= due_ms(v.mtime_ms, r.expiration_days, self.day_ms)
        if r.expiration_date is not None:
            return now >= parse_date_ms(r.expiration_date)
        return False

    async def _abort_uploads(self, bucket: str, rules: list[Rule], now: int, report: PassReport) -> None:
        for key, upload_id, initiated_ms in list(self.uploads.incomplete(bucket)):
            if any(r.abort_days is not None and key.startswith(r.effective.prefix or "")
                   and now >= due_ms(initiated_ms, r.abort_days, self.day_ms) for r in rules):
                try:
                    await self.uploads.abort(bucket, key, upload_id)
                    report.uploads += 1
                except errors.DomainError:
                    report.skipped += 1


def _touches_versions(r: Rule) -> bool:
    return any(a is not None for a in (r.expiration_days, r.expiration_date, r.expired_object_delete_marker,
                                       r.noncurrent_days))
