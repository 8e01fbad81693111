from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rucket.core.hlc import HLC, ClockSkewError, FakeClock, pack, unpack


@given(st.integers(0, (1 << 48) - 1), st.integers(0, (1 << 16) - 1))
def test_pack_unpack_roundtrip(phys: int, logical: int) -> None:
    assert unpack(pack(phys, logical)) == (phys, logical)


def test_hlc_monotonic_when_wall_clock_steps_back() -> None:
    clock = FakeClock(10_000)
    hlc = HLC(clock)
    a = hlc.now()
    clock.ms = 5_000
    b = hlc.now()
    assert b > a
    assert unpack(b)[0] == 10_000


def test_hlc_same_ms_bumps_logical() -> None:
    hlc = HLC(FakeClock(1))
    assert [unpack(hlc.now()) for _ in range(3)] == [(1, 0), (1, 1), (1, 2)]


def test_hlc_update_follows_remote_within_skew() -> None:
    clock = FakeClock(1_000)
    hlc = HLC(clock, max_skew_ms=500)
    ts = hlc.update(pack(1_400, 7))
    assert unpack(ts) == (1_400, 8)
    assert hlc.now() > ts


def test_hlc_update_rejects_remote_too_far_ahead() -> None:
    hlc = HLC(FakeClock(1_000), max_skew_ms=500)
    with pytest.raises(ClockSkewError):
        hlc.update(pack(1_501, 0))
