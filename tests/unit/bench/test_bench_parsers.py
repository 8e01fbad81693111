"""Parsing the load generators' output into cells."""

from __future__ import annotations

import json

import pytest
from bench import hey, wrk

HEY_OUT = """
Summary:
  Total:\t0.5012 secs
  Requests/sec:\t1995.2

Latency distribution:
  10% in 0.0002 secs
  50% in 0.0005 secs
  99% in 0.0051 secs

Status code distribution:
  [200]\t990 responses
  [404]\t10 responses
"""


def test_hey_parse_counts_ops_errors_and_percentiles() -> None:
    cell = hey.parse(HEY_OUT, 16)
    assert (cell.ops, cell.errors, cell.concurrency) == (1000, 10, 16)
    assert cell.seconds == pytest.approx(0.5012)
    assert cell.p50_ms == pytest.approx(0.5)
    assert cell.p99_ms == pytest.approx(5.1)
    assert "404 10" in cell.note


def test_hey_parse_without_summary_raises() -> None:
    with pytest.raises(RuntimeError, match="hey failed"):
        hey.parse("dial tcp: connection refused", 1)


def test_wrk_parse_reads_the_json_line_of_done() -> None:
    result = {"requests": 5000, "duration_us": 500_000, "bytes": 1, "connect": 0, "read": 0, "write": 0,
              "status": 3, "timeout": 1, "p50_us": 1500, "p99_us": 9000, "max_us": 12000}
    out = "Running 1s test @ http://127.0.0.1:1/\n  Requests/sec: 10000\n" + json.dumps(result) + "\n"
    cell = wrk._parse(out, "", 64)
    assert (cell.ops, cell.errors, cell.ops_per_s) == (5000, 4, 10000)
    assert (cell.p50_ms, cell.p99_ms) == (1.5, 9.0)
    assert cell.note == "errors: status 3, timeout 1"


def test_wrk_parse_without_result_raises_with_stderr() -> None:
    with pytest.raises(RuntimeError, match="unable to connect"):
        wrk._parse("", "unable to connect to 127.0.0.1:1", 1)


@pytest.mark.parametrize(("connections", "threads"), [(1, 1), (3, 1), (4, 2), (64, 2)])
def test_wrk_threads_never_exceed_two(connections: int, threads: int) -> None:
    assert wrk.threads_for(connections) == threads
