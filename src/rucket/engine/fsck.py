"""`rucket fsck`: check a stopped server's data directory, and optionally repair it.

What it finds: temp files (a write that crashed before its rename), orphan blobs (a crash
between the blob rename and the metadata commit, or before a reclaim), missing blobs
(a version or upload part naming a file that is gone), blobs failing the CRC64NVME in
their name, inline rows not matching their MD5 ETag, and event-log records failing their
CRC32. `--repair` deletes temp files and orphans, moves corrupt blobs to
`<data>/lost+found/`, removes the versions whose bytes are gone or wrong (so a GET answers
404 instead of 500 or wrong bytes; Object Lock cannot keep data that no longer exists, and
every removed row is written to `lost+found/fsck-<time>.jsonl` first), forgets upload parts
whose blob is gone (the client re-uploads them) and drops damaged event records.

`check_event_tail` is the cheap start-up form of the event-log check: the server refuses to
start on a damaged tail unless told otherwise (see cli.py `serve --accept-damaged-log`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rucket.core import errors
from rucket.core.model import ObjectVersion
from rucket.core.mutations import Batch, DeletePart, DeleteVersion, DropEvents, Mutation
from rucket.engine.scrub import inline_intact
from rucket.engine.store import Store
from rucket.events.records import CorruptEvent, EventType, StorageEvent, decode
from rucket.meta.base import EventFeed

TAIL_RECORDS = 10_000  # how much of the event log start-up verifies (fsck reads all of it)


@dataclass
class FsckReport:
    tmp_files: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    unverifiable: list[str] = field(default_factory=list)  # blobs named before checksums: not an error
    corrupt_inline: list[str] = field(default_factory=list)  # bucket/key@version
    damaged_events: list[int] = field(default_factory=list)  # LSNs
    lost: list[str] = field(default_factory=list)  # versions / upload parts whose bytes are gone or wrong
    checked_blobs: int = 0
    repaired: bool = False

    @property
    def problems(self) -> int:
        # temp files are not problems: `rucket serve` removes them at start (a write cut short by a crash)
        found: tuple[list[str] | list[int], ...] = (self.orphans, self.missing, self.corrupt,
                                                    self.corrupt_inline, self.damaged_events)
        return sum(len(items) for items in found)

    def lines(self) -> list[str]:
        out = [f"checked {self.checked_blobs} blobs"]
        for title, items in (("temp file (informational: serve removes it at start)", self.tmp_files),
                             ("orphan blob", self.orphans),
                             ("missing blob", self.missing), ("corrupt blob", self.corrupt),
                             ("corrupt inline object", self.corrupt_inline),
                             ("damaged event LSN", [str(n) for n in self.damaged_events]),
                             ("lost data of", self.lost), ("unverifiable (pre-checksum) blob", self.unverifiable)):
            out += [f"{title}: {item}" for item in items]
        verdict = "repaired" if self.repaired and self.problems else ("clean" if not self.problems else "PROBLEMS")
        out.append(f"{verdict}: {self.problems} problem(s)")
        return out


def all_rows(feed: EventFeed, after_lsn: int = 0, page: int = 1000) -> Iterator[tuple[Any, ...]]:
    """Every event row after `after_lsn`, a page at a time."""
    while rows := feed.rows_after(after_lsn, page):
        yield from rows
        if len(rows) < page:
            return
        after_lsn = rows[-1][0]


def check_event_tail(store: Store, records: int = TAIL_RECORDS) -> int | None:
    """LSN of the first record in the last `records` that fails its CRC32, else None."""
    for row in all_rows(store.feed, max(0, store.feed.last_lsn() - records)):
        try:
            decode(row)
        except (CorruptEvent, ValueError, TypeError):
            return int(row[0])
    return None


class Fsck:
    def __init__(self, store: Store) -> None:
        self.s = store
        self.lost_found = store.blobs.root / "lost+found"

    async def run(self, repair: bool = False) -> FsckReport:
        report = FsckReport()
        report.tmp_files = sorted(f.name for f in self.s.blobs.tmp.iterdir())
        on_disk = set(self.s.blobs.files())
        referenced = self.s.index.referenced_blobs()
        report.orphans = sorted(on_disk - referenced - self.s.index.gc_pending())  # queued: freed at the next start
        report.missing = sorted(referenced - on_disk)
        for blob_id in sorted(on_disk & referenced):
            status, _ = await self.s.blobs.check(blob_id)
            report.checked_blobs += 1
            if status in ("corrupt", "unverifiable"):
                (report.corrupt if status == "corrupt" else report.unverifiable).append(blob_id)
        self._inline(report)
        self._events(report)
        self._lost(report)
        if repair:
            await self._repair(report)
        return report

    def _inline(self, report: FsckReport) -> None:
        for v, data in self.s.index.inline_rows():
            if inline_intact(v.etag, data) is False and "sse" not in v.extra:
                report.corrupt_inline.append(_name(v))

    def _events(self, report: FsckReport) -> None:
        for row in all_rows(self.s.feed):
            try:
                decode(row)
            except (CorruptEvent, ValueError, TypeError):
                report.damaged_events.append(int(row[0]))

    def _lost(self, report: FsckReport) -> None:
        for blob_id in report.missing + report.corrupt:
            report.lost += [_name(v) for v in self.s.index.versions_using(blob_id)]
            report.lost += [f"upload {u} part {n}" for u, n in self.s.index.upload_parts_using(blob_id)]
        report.lost += report.corrupt_inline

    async def _repair(self, report: FsckReport) -> None:
        for name in report.tmp_files:
            (self.s.blobs.tmp / name).unlink(missing_ok=True)
        for blob_id in report.orphans:
            self.s.blobs.delete(blob_id)
        self.lost_found.mkdir(exist_ok=True)
        for blob_id in report.corrupt:
            os.replace(self.s.blobs.path(blob_id), self.lost_found / blob_id)
        journal = self.lost_found / f"fsck-{self.s.clock.now_ms()}.jsonl"
        gone = report.missing + report.corrupt
        bad_inline = set(report.corrupt_inline)
        batch = self._drop(gone, bad_inline, report.damaged_events, journal, self.s.hlc.now())
        applied = await self.s.index.apply(batch)
        for blob_id in applied.freed:
            if blob_id not in gone:
                self.s.blobs.delete(blob_id)
        report.repaired = True

    def _drop(self, gone: list[str], bad_inline: set[str], lsns: list[int], journal: Path, hlc: int) -> Batch:
        """Journal (fsync'd), then one batch removing what points at lost bytes (a stopped server:
        nothing else writes, so the batch needs no preconditions)."""
        meta = self.s.index
        doomed = {(v.bucket, v.key, v.version_id): v for b in gone for v in meta.versions_using(b)}
        if bad_inline:
            doomed |= {(v.bucket, v.key, v.version_id): v for v, _ in meta.inline_rows() if _name(v) in bad_inline}
        records: list[dict[str, Any]] = [{"version": dataclasses.asdict(v) | {"data": None}} for v in doomed.values()]
        if lsns:
            records += [{"event": list(row)} for row in all_rows(self.s.feed, min(lsns) - 1) if row[0] in set(lsns)]
        with open(journal, "a", encoding="utf-8") as f:
            for rec in records:
                f.write(json.dumps(rec, default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())
        mutations: list[Mutation] = [DeleteVersion(*k) for k in doomed]
        mutations += [DeletePart(u, n) for b in gone for u, n in meta.upload_parts_using(b)]
        if lsns:
            mutations.append(DropEvents(tuple(lsns)))
        events = [StorageEvent(EventType.VERSION_DELETED, hlc, v.bucket, v.key, v.version_id,
                               {"reason": "fsck: bytes lost"}) for v in doomed.values()]
        return Batch(tuple(mutations), (), tuple(events))


def _name(v: ObjectVersion) -> str:
    return f"{v.bucket}/{v.key}@{v.version_id}"


class DamagedEventLog(errors.DomainError):
    """The event log fails its CRC32 check at `lsn`: start-up stops rather than build on it."""

    def __init__(self, lsn: int) -> None:
        super().__init__(f"event log record LSN {lsn} fails its CRC32 check")
        self.lsn = lsn
