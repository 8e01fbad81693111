"""The background scrubber: re-reads every blob (and inline row) and compares its checksum.

A blob's CRC64NVME is in its name (blobs/integrity.py), so a pass needs no metadata to
check the files: it walks the blob directory, re-reads each file at a bounded rate
(`rate_bytes_s`, so a pass never starves client I/O), and logs and counts every mismatch
with the versions that reference the blob. Inline objects are checked against their MD5
ETag. Blobs a version references but that are gone from disk are reported as missing.
There is no second copy to repair from on a single node: the scrubber detects (reads of a
corrupt blob already answer 500 on their own); `rucket fsck --repair` quarantines. Every
blob it verifies also refreshes the per-process trust that lets GET use pathsend.

Time comes from the injected clock and sleeping from an injected `sleep`, so unit tests run
a rate-limited pass instantly and check the pauses it asked for.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from rucket.blobs.integrity import IntegrityStats
from rucket.engine.store import Store

__all__ = ["IntegrityStats", "ScrubReport", "Scrubber", "inline_intact"]  # IntegrityStats: for /metrics

log = logging.getLogger("rucket.scrub")
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class ScrubReport:
    blobs: int = 0
    bytes: int = 0
    inline: int = 0
    corrupt: list[str] = field(default_factory=list)  # blob ids, and bucket/key@version for inline rows
    missing: list[str] = field(default_factory=list)
    unverifiable: int = 0


def inline_intact(etag: str, data: bytes) -> bool | None:
    """None when the ETag is not the MD5 of the stored bytes (multipart, encrypted) and proves nothing."""
    raw = etag.strip('"')
    if len(raw) != 32 or "-" in raw:
        return None
    return hashlib.md5(data).hexdigest() == raw  # ETag semantics, not security


class Scrubber:
    def __init__(self, store: Store, *, rate_bytes_s: int = 32 << 20, interval_s: float = 86_400.0,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.s = store
        self.rate = max(1, rate_bytes_s)
        self.interval_s = interval_s
        self.sleep = sleep
        self.last_pass_ms = 0
        self.last_report: ScrubReport | None = None

    async def run_forever(self) -> None:
        await self.sleep(min(self.interval_s, 60.0))  # let start-up and the first requests go first
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("scrub pass failed")
            await self.sleep(self.interval_s)

    async def _pace(self, n: int) -> None:
        await self.sleep(n / self.rate)

    async def run_once(self) -> ScrubReport:
        report = ScrubReport()
        stats = self.s.blobs.stats
        on_disk = sorted(self.s.blobs.files())
        for blob_id in on_disk:
            status, size = await self.s.blobs.check(blob_id, self._pace)
            if status == "corrupt":
                report.corrupt.append(blob_id)
                stats.scrub_corrupt += 1
                log.error("scrub: blob %s fails its CRC64NVME check; referenced by %s", blob_id,
                          self._users(blob_id) or "nothing (an orphan)")
            elif status == "unverifiable":
                report.unverifiable += 1
            elif status == "ok":
                report.blobs += 1
                report.bytes += size
        await self._inline(report)
        self._missing(set(on_disk), report)
        stats.scrubbed_blobs += report.blobs
        stats.scrubbed_bytes += report.bytes
        stats.scrub_passes += 1
        self.last_pass_ms, self.last_report = self.s.clock.now_ms(), report
        log.info("scrub pass: %d blobs (%d bytes), %d inline rows, %d corrupt, %d missing", report.blobs,
                 report.bytes, report.inline, len(report.corrupt), len(report.missing))
        return report

    async def _inline(self, report: ScrubReport) -> None:
        for v, data in self.s.index.inline_rows():
            report.inline += 1
            if inline_intact(v.etag, data) is False and "sse" not in v.extra:
                name = f"{v.bucket}/{v.key}@{v.version_id}"
                report.corrupt.append(name)
                self.s.blobs.stats.scrub_corrupt += 1
                log.error("scrub: inline object %s does not match its ETag %s", name, v.etag)
            await self._pace(len(data))

    def _missing(self, on_disk: set[str], report: ScrubReport) -> None:
        """Referenced but absent. Re-checked one by one, so a version deleted (and its blob unlinked)
        while the pass ran is not reported."""
        meta = self.s.index
        for blob_id in sorted(meta.referenced_blobs() - on_disk):
            if not self.s.blobs.path(blob_id).exists() and meta.is_referenced(blob_id):
                report.missing.append(blob_id)
                self.s.blobs.stats.scrub_missing += 1
                log.error("scrub: blob %s is missing; referenced by %s", blob_id, self._users(blob_id))

    def _users(self, blob_id: str) -> str:
        names = [f"{v.bucket}/{v.key}@{v.version_id}" for v in self.s.index.versions_using(blob_id)]
        names += [f"upload {u} part {n}" for u, n in self.s.index.upload_parts_using(blob_id)]
        return ", ".join(names)
