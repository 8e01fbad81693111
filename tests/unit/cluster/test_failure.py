"""Phi-accrual detector and the up/suspect/down/out state machine, on a fake clock."""

from __future__ import annotations

import pytest

from rucket.cluster.failure import Membership, MembershipSettings, PhiAccrualDetector, PhiSettings, State
from rucket.core.hlc import FakeClock

FAST = MembershipSettings(down_out_interval_ms=20_000, flap_window_ms=120_000, damp_hold_ms=30_000)


def steady(detector: PhiAccrualDetector, clock: FakeClock, beats: int, every_ms: int = 1000) -> None:
    for _ in range(beats):
        detector.heartbeat(clock.now_ms())
        clock.ms += every_ms
    clock.ms -= every_ms


def silence_until_suspected(detector: PhiAccrualDetector, clock: FakeClock) -> int:
    start = clock.now_ms()
    while detector.available(clock.now_ms()):
        clock.ms += 10
    return clock.now_ms() - start


def test_steady_1s_heartbeats_cross_phi_8_about_4_5s_after_the_last() -> None:
    clock, detector = FakeClock(), PhiAccrualDetector()
    steady(detector, clock, 60)
    assert detector.phi(clock.now_ms() + 1000) < 1  # one interval late: nothing unusual
    # Akka defaults: mean 1 s + acceptable pause 3 s, std dev floored at 100 ms → phi 8 at ≈ 4 s + 5.2 std devs
    assert 4300 <= silence_until_suspected(detector, clock) <= 4800


def test_jittery_network_widens_the_margin_instead_of_raising_false_alarms() -> None:
    clock, detector = FakeClock(), PhiAccrualDetector()
    for i in range(200):
        detector.heartbeat(clock.now_ms())
        clock.ms += 500 if i % 2 else 1500
    clock.ms -= 500
    assert detector.available(clock.now_ms() + 4500)  # steady heartbeats would be suspected by now
    assert silence_until_suspected(detector, clock) > 5500


def test_first_heartbeat_uses_the_estimate() -> None:
    clock, detector = FakeClock(), PhiAccrualDetector()
    assert detector.phi(clock.now_ms()) == 0.0  # never heard from: no opinion
    detector.heartbeat(clock.now_ms())
    assert detector.available(clock.now_ms() + 2000)
    assert not detector.available(clock.now_ms() + 10_000)


def test_heartbeat_after_a_long_pause_does_not_poison_the_history() -> None:
    clock, detector = FakeClock(), PhiAccrualDetector()
    steady(detector, clock, 30)
    clock.advance(seconds=60)  # paused (GC, SIGSTOP): suspected
    assert not detector.available(clock.now_ms())
    detector.heartbeat(clock.now_ms())
    assert detector.available(clock.now_ms())
    clock.ms += 1000
    steady(detector, clock, 5)
    assert 4300 <= silence_until_suspected(detector, clock) <= 4800  # the 60 s gap was not learned


def test_history_is_bounded_by_max_sample_size() -> None:
    clock, detector = FakeClock(), PhiAccrualDetector(PhiSettings(max_sample_size=10))
    steady(detector, clock, 100, every_ms=2000)
    steady(detector, clock, 11, every_ms=1000)  # the last 10 intervals are all 1 s: old 2 s ones forgotten
    assert 4300 <= silence_until_suspected(detector, clock) <= 4800


def cluster(clock: FakeClock, settings: MembershipSettings = FAST) -> Membership:
    m = Membership("n1", "z1", clock, settings)
    for node, zone in (("n2", "z2"), ("n3", "z3"), ("n4", "z4"), ("n5", "z4")):
        m.add(node, zone)
    return m


def run(m: Membership, clock: FakeClock, seconds: int, beating: tuple[str, ...]) -> list[tuple[str, State]]:
    changes = []
    for _ in range(seconds):
        clock.advance(seconds=1)
        for node in beating:
            m.heartbeat(node)
        changes += [(t.node, t.new) for t in m.tick()]
    return changes


ALL = ("n2", "n3", "n4", "n5")


def test_silent_node_is_only_suspected_by_one_reporter() -> None:
    clock = FakeClock()
    m = cluster(clock)
    run(m, clock, 10, ALL)
    assert run(m, clock, 30, ("n3", "n4", "n5")) == [("n2", State.SUSPECT)]
    assert m.suspects() == ["n2"]


def test_second_reporter_takes_it_down_and_its_report_expires() -> None:
    clock = FakeClock()
    m = cluster(clock)
    run(m, clock, 10, ALL)
    run(m, clock, 6, ("n3", "n4", "n5"))
    m.report("n3", "n2", suspect=True)
    assert run(m, clock, 1, ("n3", "n4", "n5")) == [("n2", State.DOWN)]
    m2 = cluster(clock)
    run(m2, clock, 10, ALL)
    m2.report("n3", "n2", suspect=True)  # an old opinion: expired by the time we suspect n2 ourselves
    clock.advance(seconds=11)
    assert run(m2, clock, 10, ("n3", "n4", "n5")) == [("n2", State.SUSPECT)]


def test_lease_expiry_alone_takes_a_suspect_down() -> None:
    clock = FakeClock()
    m = cluster(clock)
    run(m, clock, 5, ALL)
    m.lease("n3", alive=False)
    assert run(m, clock, 2, ALL) == [("n3", State.SUSPECT), ("n3", State.DOWN)]


def test_down_becomes_out_after_down_out_interval_unless_noout() -> None:
    clock = FakeClock()
    for noout in (False, True):
        m = cluster(clock)
        m.noout = noout
        run(m, clock, 5, ALL)
        m.lease("n2", alive=False)
        run(m, clock, 2, ("n3", "n4", "n5"))
        assert m.state("n2") is State.DOWN
        assert run(m, clock, 19, ("n3", "n4", "n5")) == []
        assert run(m, clock, 2, ("n3", "n4", "n5")) == ([] if noout else [("n2", State.OUT)])


def test_never_auto_out_a_whole_zone() -> None:
    clock = FakeClock()
    m = cluster(clock)
    run(m, clock, 5, ALL)
    m.lease("n4", alive=False)
    m.lease("n5", alive=False)  # z4 = {n4, n5}: the whole zone is gone
    run(m, clock, 60, ("n2", "n3"))
    assert (m.state("n4"), m.state("n5")) == (State.DOWN, State.DOWN)
    m.lease("n5", alive=True)
    run(m, clock, 25, ("n2", "n3", "n5"))  # n5 back: z4 is not wholly down, so n4 may go out now
    assert (m.state("n4"), m.state("n5")) == (State.OUT, State.UP)


def test_returning_node_comes_back_up_even_from_out() -> None:
    clock = FakeClock()
    m = cluster(clock)
    run(m, clock, 5, ALL)
    m.lease("n2", alive=False)
    run(m, clock, 30, ("n3", "n4", "n5"))
    assert m.state("n2") is State.OUT
    m.lease("n2", alive=True)
    assert run(m, clock, 1, ALL) == [("n2", State.UP)]


def test_flapping_node_is_held_down_until_healthy_for_the_damping_period() -> None:
    clock = FakeClock()
    m = cluster(clock)
    run(m, clock, 5, ALL)
    for _ in range(3):
        m.lease("n2", alive=False)
        run(m, clock, 2, ("n3", "n4", "n5"))
        m.lease("n2", alive=True)
        run(m, clock, 1, ALL)
    assert m.state("n2") is State.DOWN  # third down within the window: damped
    assert run(m, clock, 28, ALL) == []
    assert run(m, clock, 2, ALL) == [("n2", State.UP)]


def test_a_node_does_not_monitor_itself_and_unknown_nodes_fail_loudly() -> None:
    m = Membership("n1", "z1", FakeClock())
    with pytest.raises(ValueError):
        m.add("n1", "z1")
    with pytest.raises(KeyError):
        m.heartbeat("n9")
