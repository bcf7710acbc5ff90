"""Each simulation metric on a hand-computed case; Gini, interval and summary by hand."""

from __future__ import annotations

import math

import pytest

from seatalloc import Group, Problem, Request, Session, allocate
from seatalloc.demand import DemandModel, sample_requests
from seatalloc.scenarios import workshop
from seatalloc.simulate import allocation_metrics, gini, interval, summarize
from seatalloc.simulate.metrics import metrics_recorder


def _problem() -> Problem:
    """s1 has 2 seats, s2 has 1. A: r1 (s1), r2 (s1, s2); B: r3 (s1, s2), r4 (s2); C sends none.

    FCFS seats r1 and r2 in s1, r3 in s2 (its second choice); r4 finds s2 full.
    """
    return Problem(
        [Session("s1", 2), Session("s2", 1)],
        [Group("A"), Group("B"), Group("C")],
        [
            Request("r1", "A", "planner", 1, ("s1",)),
            Request("r2", "A", "transport", 2, ("s1", "s2")),
            Request("r3", "B", "planner", 3, ("s1", "s2")),
            Request("r4", "B", "transport", 4, ("s2",)),
        ],
    )


METRICS = allocation_metrics(allocate(_problem()), roles=("planner", "transport"))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("requests", 4),
        ("seats_filled", 3),
        ("empty_seats", 0),
        ("waitlisted", 1),
        ("groups_requesting", 2),  # C sent nobody
        ("groups_split", 0),  # A only in s1, B only in s2
        ("groups_fully_seated", 1),  # A: 2 of 2; B: 1 of 2
        ("seats_per_group_min", 1),
        ("seats_per_group_max", 2),
        ("seats_per_group_gini", 1 / 6),  # |2 - 1| * 2 / (2 * 2^2 * 1.5)
        ("first_choice_rate", 2 / 3),  # r1, r2 first choice; r3 second
        ("last_seated_rank", 3),  # r3, third in arrival order
        ("filled.s1", 2),
        ("filled.s2", 1),
        ("seats.A", 2),
        ("seats.B", 1),
        ("seats.C", 0),
        ("role_mix.s1.planner", 1),
        ("role_mix.s1.transport", 1),
        ("role_mix.s2.planner", 1),
        ("role_mix.s2.transport", 0),
    ],
)
def test_metric_on_the_hand_computed_case(name: str, expected: float) -> None:
    assert METRICS[name] == pytest.approx(expected)


def test_a_recorder_reused_gives_the_same_records_with_shared_column_names() -> None:
    scenario = workshop()
    allocations = [
        allocate(scenario.replace(requests=sample_requests(scenario, DemandModel(), seed)))
        for seed in range(3)
    ]
    record = metrics_recorder(("planner",))
    rows = [record(a) for a in allocations]
    assert rows == [allocation_metrics(a, ("planner",)) for a in allocations]
    # The same name objects in every row: pickle sends each name once per chunk.
    first, last = sorted(rows[0]), sorted(rows[-1])
    assert all(a is b for a, b in zip(first, last, strict=True))


def test_a_group_in_two_sessions_is_split() -> None:
    problem = Problem(
        [Session("s1", 1), Session("s2", 1)],
        [Group("A")],
        [Request("r1", "A", arrival=1, sessions=("s1",)), Request("r2", "A", arrival=2)],
    )
    metrics = allocation_metrics(allocate(problem))
    assert metrics["groups_split"] == 1
    assert metrics["first_choice_rate"] == 1.0  # "any session" counts as a first choice


def test_rates_and_ranks_are_none_when_nobody_is_seated() -> None:
    problem = Problem([Session("s1", 0)], [Group("A")], [Request("r1", "A")])
    metrics = allocation_metrics(allocate(problem))
    assert metrics["first_choice_rate"] is None
    assert metrics["last_seated_rank"] is None
    assert metrics["empty_seats"] == 0 and metrics["waitlisted"] == 1


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], 0.0), ([0, 0], 0.0), ([3, 3, 3], 0.0), ([0, 0, 4], 2 / 3), ([1, 2], 1 / 6)],
)
def test_gini_by_hand(values: list[float], expected: float) -> None:
    assert gini(values) == pytest.approx(expected)


def test_interval_is_student_t_by_hand() -> None:
    result = interval([1.0, 2.0, 3.0])
    half = 4.303 * 1.0 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n)
    assert result == pytest.approx(
        {"n": 3, "mean": 2.0, "sd": 1.0, "low": 2.0 - half, "high": 2.0 + half}
    )
    assert interval([5.0])["low"] is None and interval([])["mean"] is None


def test_interval_beyond_the_table_uses_the_expansion() -> None:
    values = [float(i % 2) for i in range(41)]  # df 40: t = 2.021
    result = interval(values)
    assert (result["high"] - result["mean"]) / (result["sd"] / math.sqrt(41)) == pytest.approx(
        2.021, abs=1e-3
    )


def test_summarize_groups_and_skips_by_hand() -> None:
    records = [
        {"policy": "a", "seed": 1, "x": 1, "y": None},
        {"policy": "a", "seed": 2, "x": 3, "y": 0.5},
        {"policy": "b", "seed": 1, "x": 2, "y": None},
    ]
    rows = summarize(records, by=("policy",), skip=("seed",))
    assert [(r["policy"], r["metric"], r["n"], r["mean"]) for r in rows] == [
        ("a", "x", 2, 2.0),
        ("a", "y", 1, 0.5),
        ("b", "x", 1, 2.0),
        ("b", "y", 0, None),
    ]
    assert rows[0]["high"] - rows[0]["mean"] == pytest.approx(12.706 * math.sqrt(2) / math.sqrt(2))
