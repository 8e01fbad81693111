"""Prometheus metrics of the S3 front end, in a per-app registry (several apps may share a process in tests)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString as _untyped_float_to_go

_float_to_go: Callable[[float], str] = _untyped_float_to_go  # prometheus_client leaves it untyped

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class S3Metrics:
    """Request counters kept as plain numbers and turned into Prometheus families at scrape time.

    prometheus_client's Counter/Histogram take a lock per increment (four per request); the
    event loop is the only writer here, so a dict of lists does, and a scrape (rare) pays the
    formatting. Names, labels and buckets are those of the client's own types."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._series: dict[tuple[str, int], list[float]] = {}  # count, seconds, bytes in, bytes out
        self._buckets: dict[str, list[int]] = {}  # per operation: one count per LATENCY_BUCKETS bound, +Inf
        self.registry.register(_RequestCollector(self))

    def observe(self, operation: str, status: int, seconds: float, bytes_in: int, bytes_out: int) -> None:
        series = self._series.get((operation, status))
        if series is None:
            series = self._series[(operation, status)] = [0, 0.0, 0, 0]
        series[0] += 1
        series[1] += seconds
        series[2] += bytes_in
        series[3] += bytes_out
        counts = self._buckets.get(operation)
        if counts is None:
            counts = self._buckets[operation] = [0] * (len(LATENCY_BUCKETS) + 1)
        counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1

    def add(self, collector: Collector) -> None:
        self.registry.register(collector)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _RequestCollector(Collector):
    def __init__(self, metrics: S3Metrics) -> None:
        self.m = metrics

    def collect(self) -> Iterator[Metric]:
        series, buckets = dict(self.m._series), dict(self.m._buckets)
        requests = CounterMetricFamily("rucket_s3_requests", "S3 requests by operation and HTTP status",
                                       labels=["operation", "status"])
        received = CounterMetricFamily("rucket_s3_received_bytes", "Request body bytes received", labels=["operation"])
        sent = CounterMetricFamily("rucket_s3_sent_bytes", "Response body bytes sent", labels=["operation"])
        latency = HistogramMetricFamily("rucket_s3_request_duration_seconds", "Time to answer an S3 request",
                                        labels=["operation"])
        per_op: dict[str, list[float]] = {}
        for (op, status), (count, seconds, bytes_in, bytes_out) in sorted(series.items()):
            requests.add_metric([op, str(status)], count)
            total = per_op.setdefault(op, [0.0, 0, 0])
            total[0] += seconds
            total[1] += int(bytes_in)
            total[2] += int(bytes_out)
        for op, (seconds, bytes_in, bytes_out) in per_op.items():
            received.add_metric([op], bytes_in)
            sent.add_metric([op], bytes_out)
            cumulative, points = 0, []
            for bound, n in zip((*LATENCY_BUCKETS, float("inf")), buckets.get(op, ()), strict=False):
                cumulative += n
                points.append((_float_to_go(bound), cumulative))
            latency.add_metric([op], points, seconds)
        yield from (requests, latency, received, sent)


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
