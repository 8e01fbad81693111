"""Request metrics rendered at scrape time: the same families the client's own types would give."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from rucket.s3.metrics import S3Metrics


def _samples(m: S3Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(m.render().decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_counters_sums_and_cumulative_buckets() -> None:
    m = S3Metrics()
    m.observe("GetObject", 200, 0.0004, 0, 4096)
    m.observe("GetObject", 200, 0.003, 0, 4096)
    m.observe("GetObject", 404, 0.001, 0, 0)  # exactly on a bound: counted in le="0.001"
    m.observe("PutObject", 200, 40.0, 1000, 0)  # above the last bound: only in +Inf
    s = _samples(m)
    assert s[("rucket_s3_requests_total", (("operation", "GetObject"), ("status", "200")))] == 2
    assert s[("rucket_s3_requests_total", (("operation", "GetObject"), ("status", "404")))] == 1
    assert s[("rucket_s3_sent_bytes_total", (("operation", "GetObject"),))] == 8192
    assert s[("rucket_s3_received_bytes_total", (("operation", "PutObject"),))] == 1000
    get = ("operation", "GetObject")
    bucket = "rucket_s3_request_duration_seconds_bucket"
    assert s[(bucket, (("le", "0.0005"), get))] == 1
    assert s[(bucket, (("le", "0.001"), get))] == 2
    assert s[(bucket, (("le", "0.005"), get))] == 3
    assert s[(bucket, (("le", "+Inf"), get))] == 3
    assert s[("rucket_s3_request_duration_seconds_count", (get,))] == 3
    assert abs(s[("rucket_s3_request_duration_seconds_sum", (get,))] - 0.0044) < 1e-9
    put = ("operation", "PutObject")
    assert s[(bucket, (("le", "30.0"), put))] == 0 and s[(bucket, (("le", "+Inf"), put))] == 1
