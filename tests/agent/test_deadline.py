"""The one Deadline and the reserve it keeps back, on an injected clock: no wall time."""

from __future__ import annotations

import pytest

from agent.deadline import REPAIR_MIN_S, RESERVE_FLOOR_S, Deadline, ReserveMeter


class Clock:
    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def test_the_deadline_counts_from_the_arrival_not_from_when_it_is_made() -> None:
    clock = Clock(107.25)
    deadline = Deadline.start(400, arrived=107.0, reserve_s=0.05, now=clock)
    assert deadline.at == pytest.approx(107.4)
    assert deadline.remaining() == pytest.approx(0.15)
    assert deadline.model_until == pytest.approx(107.35)
    assert deadline.model_remaining() == pytest.approx(0.1)
    assert deadline.elapsed_ms() == pytest.approx(250.0)


def test_without_an_arrival_the_deadline_starts_now() -> None:
    deadline = Deadline.start(120, now=Clock(3.5))
    assert (deadline.started, deadline.at) == (3.5, pytest.approx(3.62))


def test_the_reserve_never_takes_more_than_half_the_budget() -> None:
    deadline = Deadline.start(60, arrived=0.0, reserve_s=0.2, now=Clock(0.0))
    assert deadline.kept_s == pytest.approx(0.03)
    assert deadline.model_until == pytest.approx(0.03)


def test_the_reply_keeps_its_measured_share_of_the_reserve_after_the_commit() -> None:
    deadline = Deadline.start(500, arrived=0.0, reserve_s=0.08, reply_s=0.05, now=Clock(0.2))
    assert deadline.reply_remaining() == pytest.approx(0.3 - 0.05)
    unmeasured = Deadline.start(500, arrived=0.0, reserve_s=0.08, now=Clock(0.2))
    assert unmeasured.reply_remaining() == pytest.approx(0.3 - 0.02)  # a quarter of the reserve at least


def test_a_repair_turn_needs_its_minimum_of_model_time() -> None:
    clock = Clock(0.0)
    deadline = Deadline.start(1000, arrived=0.0, reserve_s=0.1, now=clock)
    clock.at = 0.9 - REPAIR_MIN_S - 0.001
    assert deadline.allows_repair()
    clock.at = 0.9 - REPAIR_MIN_S + 0.001
    assert not deadline.allows_repair()


def test_the_reserve_starts_at_its_floor() -> None:
    assert ReserveMeter().reserve_s == RESERVE_FLOOR_S


def test_the_first_cold_samples_do_not_set_the_reserve() -> None:
    meter = ReserveMeter(warmup=2, window=16, every=4)
    meter.record(0.4)  # the first decisions of a process: imports, first connections
    meter.record(0.4)
    for _ in range(16):
        meter.record(0.04)
    assert meter.reserve_s == pytest.approx(0.05)
    assert meter.samples == (16, 0)


def test_cheap_commits_keep_the_floor() -> None:
    meter = ReserveMeter()
    for _ in range(100):
        meter.record(0.002)
    assert meter.reserve_s == RESERVE_FLOOR_S


def test_the_reserve_is_the_rolling_p99_of_commit_cost_times_a_quarter_more() -> None:
    meter = ReserveMeter(warmup=0, window=100, every=10)
    for index in range(100):
        meter.record(0.040 if index % 50 == 7 else 0.010)  # two slow commits in a hundred
    assert meter.reserve_s == pytest.approx(0.040 * 1.25)


def test_slow_commits_roll_out_of_the_window() -> None:
    meter = ReserveMeter(warmup=0, window=32, every=8)
    for _ in range(32):
        meter.record(0.08)
    assert meter.reserve_s == pytest.approx(0.1)
    for _ in range(40):  # a window's worth, plus the samples until the next recomputation
        meter.record(0.001)
    assert meter.reserve_s == RESERVE_FLOOR_S


def test_the_reply_cost_is_reserved_on_top_of_the_commit_cost() -> None:
    meter = ReserveMeter(warmup=0, window=16, every=4)
    for _ in range(16):
        meter.record(0.03)
        meter.record_reply(0.01)
    assert meter.reserve_s == pytest.approx((0.03 + 0.01) * 1.25)
    assert meter.deadline(1000, now=Clock(0.0)).reply_s == pytest.approx(0.0125)
    assert meter.samples == (16, 16)


def test_until_commits_are_measured_the_reserve_is_a_quarter_of_the_budget() -> None:
    meter = ReserveMeter(warmup=0, window=32, every=8)
    assert meter.deadline(400, now=Clock(0.0)).reserve_s == pytest.approx(0.1)
    assert meter.deadline(40, now=Clock(0.0)).reserve_s == RESERVE_FLOOR_S
    for _ in range(8):
        meter.record(0.002)
    assert meter.measured
    assert meter.deadline(400, now=Clock(0.0)).reserve_s == RESERVE_FLOOR_S


def test_the_meter_hands_out_deadlines_carrying_its_reserve() -> None:
    meter = ReserveMeter(warmup=0, window=16, every=4)
    for _ in range(16):
        meter.record(0.06)
    deadline = meter.deadline(1000, arrived=5.0, now=Clock(5.0))
    assert deadline.reserve_s == pytest.approx(0.075)
    assert deadline.model_until == pytest.approx(5.925)
