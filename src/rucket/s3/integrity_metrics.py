"""Prometheus view of data integrity: verified and refused reads, scrubber progress and findings."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from rucket.engine.scrub import IntegrityStats


class IntegrityCollector(Collector):
    """Read at scrape time from the blob store's counters (this worker process)."""

    def __init__(self, stats: IntegrityStats, last_scrub_ms: Callable[[], int] = lambda: 0) -> None:
        self._stats, self._last_scrub_ms = stats, last_scrub_ms

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        s = self._stats
        for name, doc, value in (
            ("rucket_blob_verified_reads", "Whole-blob checksum verifications done by reads", s.verified_reads),
            ("rucket_blob_corrupt_reads", "Reads refused because a blob failed its checksum", s.corrupt_reads),
            ("rucket_blob_unverifiable_reads", "Reads of blobs named before checksums", s.unverifiable_reads),
            ("rucket_scrub_blobs", "Blobs the scrubber verified", s.scrubbed_blobs),
            ("rucket_scrub_bytes", "Bytes the scrubber re-read", s.scrubbed_bytes),
            ("rucket_scrub_corrupt", "Corrupt blobs and inline objects the scrubber found", s.scrub_corrupt),
            ("rucket_scrub_missing", "Referenced blobs the scrubber found missing", s.scrub_missing),
            ("rucket_scrub_passes", "Completed scrub passes", s.scrub_passes),
        ):
            yield CounterMetricFamily(name, doc, value=value)
        yield GaugeMetricFamily("rucket_scrub_last_pass_timestamp_seconds", "When the last scrub pass ended",
                                value=self._last_scrub_ms() / 1000)
