"""Prometheus metrics of the S3 front end, in a per-app registry (several apps may share a process in tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class S3Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("rucket_s3_requests", "S3 requests by operation and HTTP status",
                                ["operation", "status"], registry=self.registry)
        self.latency = Histogram("rucket_s3_request_duration_seconds", "Time to answer an S3 request",
                                 ["operation"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.received = Counter("rucket_s3_received_bytes", "Request body bytes received", ["operation"],
                                registry=self.registry)
        self.sent = Counter("rucket_s3_sent_bytes", "Response body bytes sent", ["operation"],
                            registry=self.registry)
        self._children: dict[tuple[str, int], tuple[Any, Any, Any, Any]] = {}

    def observe(self, operation: str, status: int, seconds: float, bytes_in: int, bytes_out: int) -> None:
        children = self._children.get((operation, status))
        if children is None:  # labels() costs a lock and a dict walk: resolve each series once
            children = self._children[(operation, status)] = (
                self.requests.labels(operation, str(status)), self.latency.labels(operation),
                self.received.labels(operation), self.sent.labels(operation))
        requests, latency, received, sent = children
        requests.inc()
        latency.observe(seconds)
        if bytes_in:
            received.inc(bytes_in)
        if bytes_out:
            sent.inc(bytes_out)

    def add(self, collector: Collector) -> None:
        self.registry.register(collector)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class StorageCollector(Collector):
    """Read at scrape time from the metadata store, so the numbers are never stale counters."""

    def __init__(self, usage: Callable[[], list[tuple[str, int, int]]], last_lsn: Callable[[], int],
                 clock_skew_seconds: Callable[[], float]) -> None:
        self._usage, self._last_lsn, self._skew = usage, last_lsn, clock_skew_seconds

    def collect(self) -> Iterator[GaugeMetricFamily]:
        objects = GaugeMetricFamily("rucket_bucket_objects", "Current (live) objects per bucket", labels=["bucket"])
        size = GaugeMetricFamily("rucket_bucket_bytes", "Bytes of current objects per bucket", labels=["bucket"])
        for bucket, count, total in self._usage():
            objects.add_metric([bucket], count)
            size.add_metric([bucket], total)
        yield objects
        yield size
        yield GaugeMetricFamily("rucket_event_log_lsn", "Last LSN appended to the event log", value=self._last_lsn())
        yield GaugeMetricFamily("rucket_clock_skew_seconds", "HLC physical time minus the wall clock",
                                value=self._skew())
