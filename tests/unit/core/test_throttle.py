"""FailureThrottle on a fake clock: blocks at the limit, ages failures out, stays bounded."""

from __future__ import annotations

from rucket.core.hlc import FakeClock
from rucket.core.throttle import FailureThrottle, Limit


def test_blocks_at_the_limit_and_frees_when_the_window_passes() -> None:
    clock = FakeClock()
    t = FailureThrottle(Limit(3, 60_000), clock.now_ms)
    for _ in range(2):
        t.fail(["ip:1", "key:a"])
        assert t.blocked(["ip:1"]) == 0
    clock.advance(seconds=10)
    t.fail(["ip:1", "key:a"])
    assert t.blocked(["ip:1"]) == 50  # the first failure leaves the window in 50 s
    assert t.blocked(["ip:2", "key:a"]) == 50 and t.blocked(["ip:2", "key:b"]) == 0
    clock.advance(seconds=50)
    assert t.blocked(["ip:1", "key:a"]) == 0  # one failure aged out: 2 < 3


def test_zero_limit_disables() -> None:
    t = FailureThrottle(Limit(0, 60_000), FakeClock().now_ms)
    for _ in range(100):
        t.fail(["ip:1"])
    assert t.blocked(["ip:1"]) == 0


def test_memory_is_bounded_by_evicting_the_least_recent_key() -> None:
    clock = FakeClock()
    t = FailureThrottle(Limit(1, 60_000), clock.now_ms, max_keys=2)
    for key in ("a", "b", "c"):
        t.fail([key])
    assert t.blocked(["a"]) == 0 and t.blocked(["b"]) > 0 and t.blocked(["c"]) > 0
