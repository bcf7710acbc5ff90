"""optimize_sessions: guarantees, rules, explanations, report, determinism, time limit, extras.

Optimal values are checked against exhaustive search in test_optimize_exhaustive.py.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seatalloc import (
    FieldError,
    Group,
    MissingExtraError,
    Problem,
    Quota,
    Reason,
    Request,
    Session,
    Status,
    allocate,
)
from seatalloc.demand import DemandModel, sample_requests
from seatalloc.fairness import violations
from seatalloc.optimize import Guarantee, Objective, optimize_sessions
from seatalloc.optimize._solvers import Expr, LinearModel, make_backend
from seatalloc.scenarios import workshop
from seatalloc.testing import problems

RULES = ("capacity", "quota", "party", "acceptability")
GUARANTEES = [g.value for g in Guarantee]


def _solver() -> None:
    pytest.importorskip("ortools", reason="the optimiser needs the 'solver' extra")


def _workshop(seed: int) -> Problem:
    """The embedded workshop with seeded demand (1.5 times the seats)."""
    problem = workshop()
    return problem.replace(requests=sample_requests(problem, DemandModel(), seed))


def _kept_guarantee(problem: Problem, guarantee: str) -> None:
    """The rules hold, and the guarantee over FCFS, checked from the outcome alone."""
    fcfs = allocate(problem)
    result = optimize_sessions(problem, guarantee=guarantee, time_limit=None)
    assert violations(problem, result, checks=RULES) == []
    assert result.method == "optimal"
    if guarantee == "none":
        return
    for request in problem.requests:
        before, after = fcfs.assignments[request.id], result.assignments[request.id]
        if before is not None:
            assert after is not None, f"{request.id} lost its FCFS seat"
            if guarantee == "fcfs-pareto" and request.sessions:
                assert request.sessions.index(after) <= request.sessions.index(before)


@settings(max_examples=40)
@given(problem=problems(max_requests=12), guarantee=st.sampled_from(GUARANTEES))
def test_rules_and_guarantee_hold_on_generated_problems(problem: Problem, guarantee: str) -> None:
    _solver()
    _kept_guarantee(problem, guarantee)


@pytest.mark.parametrize("guarantee", GUARANTEES)
def test_rules_and_guarantee_hold_on_the_workshop(guarantee: str) -> None:
    _solver()
    for seed in range(3):
        _kept_guarantee(_workshop(seed), guarantee)


def test_optimum_splits_fewer_groups_than_fcfs_on_the_workshop() -> None:
    """The demo promise: strictly fewer groups split whenever FCFS splits any."""
    _solver()
    splits = []
    for seed in range(8):
        problem = _workshop(seed)
        before = allocate(problem).metrics()["groups_split"]
        after = optimize_sessions(problem).metrics()["groups_split"]
        splits.append((before, after))
        assert after < before or before == 0, (seed, before, after)
    assert any(before > 0 for before, _ in splits)


def _uppsala() -> Problem:
    """Uppsala's first registrant takes 4-5 November; three colleagues can only come later."""
    sessions = [Session("nov04", 4, "4-5 November"), Session("nov25", 4, "25-26 November")]
    groups = [Group("uppsala", "Uppsala"), Group("skane", "Skåne")]
    requests = [
        Request("u1", "uppsala", arrival=0, sessions=("nov04", "nov25")),
        Request("u2", "uppsala", arrival=1, sessions=("nov25",)),
        Request("u3", "uppsala", arrival=2, sessions=("nov25",)),
        Request("u4", "uppsala", arrival=3, sessions=("nov25",)),
        Request("s1", "skane", arrival=4, sessions=("nov04",)),
    ]
    return Problem(sessions, groups, requests, [Quota(4, group="uppsala")])


def test_a_moved_request_is_explained_and_the_rest_keep_fcfs_decisions() -> None:
    _solver()
    problem = _uppsala()
    fcfs = allocate(problem)
    result = optimize_sessions(problem)
    assert fcfs.metrics()["groups_split"] == 1
    assert result.metrics()["groups_split"] == 0
    moved = result.decisions["u1"]
    assert (moved.status, moved.reason, moved.session, moved.rank) == (
        Status.SEATED, Reason.MOVED, "nov25", 2,
    )  # fmt: skip
    assert moved.note == (
        "moved from 4-5 November (1st choice) to 25-26 November (2nd choice), "
        "to sit with 3 colleagues from Uppsala"
    )
    assert "to sit with 3 colleagues from Uppsala" in result.explain("u1")
    for rid in ("u2", "u3", "u4", "s1"):
        assert result.decisions[rid] == fcfs.decisions[rid]


def test_a_waitlisted_request_is_added_by_moving_another() -> None:
    """r2 accepts only s1, held by r1, who also accepts the empty s2."""
    _solver()
    problem = Problem(
        [Session("s1", 1), Session("s2", 1)],
        [Group("g")],
        [
            Request("r1", "g", arrival=0, sessions=("s1", "s2")),
            Request("r2", "g", arrival=1, sessions=("s1",)),
            Request("r3", "g", arrival=2, sessions=("s1",)),
        ],
    )
    result = optimize_sessions(problem)
    assert dict(result.assignments) == {"r1": "s2", "r2": "s1", "r3": None}
    assert result.waitlist == ("r3",)
    assert result.decisions["r2"].reason is Reason.ADDED
    assert result.decisions["r2"].note == (
        "added from the FCFS waitlist (position 1), into a seat freed by re-planning"
    )
    assert (
        result.decisions["r1"].note
        == "moved from s1 (1st choice) to s2 (2nd choice), to free a seat in s1"
    )
    assert result.decisions["r3"].position == 1
    assert result.report["admission"]["admitted"] == ["r2"]


def test_earliest_waitlisted_request_is_seated_first() -> None:
    """One seat can be freed; the earlier of two waitlisted requests gets it, whatever else."""
    _solver()
    problem = Problem(
        [Session("s1", 1), Session("s2", 1)],
        [Group("a"), Group("b")],
        [
            Request("r1", "a", arrival=0, sessions=("s1", "s2")),
            Request("late", "b", arrival=2, sessions=("s1",)),
            Request("early", "a", arrival=1, sessions=("s1",)),
        ],
    )
    # Seating "late" instead would keep group a in one session; the guarantee says "early".
    result = optimize_sessions(problem, objectives=("together", "seats"))
    assert result.assignments["early"] == "s1"
    assert result.assignments["late"] is None


def test_pareto_keeps_everyone_at_least_as_well_ranked() -> None:
    _solver()
    problem = _uppsala()
    result = optimize_sessions(problem, guarantee=Guarantee.FCFS_PARETO)
    assert result.assignments["u1"] == "nov04"  # moving would mean a 2nd choice
    assert result.report["guarantee"] == "fcfs-pareto"


def test_without_guarantee_a_seat_may_change_hands() -> None:
    """b1 took s1 first and b2 sits alone in s2; keeping b together costs b1 its seat."""
    _solver()
    problem = Problem(
        [Session("s1", 1), Session("s2", 1)],
        [Group("a"), Group("b")],
        [
            Request("b1", "b", arrival=0, sessions=("s1", "s2")),
            Request("a1", "a", arrival=1, sessions=("s1",)),
            Request("b2", "b", arrival=2, sessions=("s2",)),
        ],
    )
    kept = optimize_sessions(problem)
    assert dict(kept.assignments) == dict(allocate(problem).assignments)
    assert kept.metrics()["groups_split"] == 1
    free = optimize_sessions(problem, guarantee="none")
    assert dict(free.assignments) == {"a1": "s1", "b1": None, "b2": "s2"}
    assert free.metrics()["groups_split"] == 0
    dropped = free.decisions["b1"]
    assert (dropped.status, dropped.position) == (Status.WAITLISTED, 1)
    assert dropped.note is not None and "FCFS seated it in s1" in dropped.note


def test_report_is_plain_data_with_every_level() -> None:
    _solver()
    result = optimize_sessions(_workshop(1), objectives=[Objective.SEATS, "together"])
    report = result.report
    assert report is not None
    assert [lv["objective"] for lv in report["levels"]] == ["seats", "together"]
    for level in report["levels"]:
        assert level["status"] == "optimal"
        assert level["bound"] == level["value"]
        assert level["seconds"] >= 0
    assert report["backend"] == "cp-sat"  # auto, for a workshop-size model
    assert report["parameters"]["seed"] == 0 and report["parameters"]["workers"] == 1
    assert report["stopped_early"] is False
    data = json.loads(result.to_json())
    assert data["method"] == "optimal"
    assert data["report"]["levels"][1]["value"] == result.metrics()["groups_split"]


@pytest.mark.parametrize("backend", ["cp-sat", "highs", "scip"])
def test_same_input_and_seed_give_the_same_allocation(backend: str) -> None:
    _solver()
    problem = _workshop(2)
    first = optimize_sessions(problem, backend=backend, seed=7)
    second = optimize_sessions(problem, backend=backend, seed=7)
    assert dict(first.assignments) == dict(second.assignments)
    assert first.waitlist == second.waitlist
    values = [[lv["value"] for lv in r.report["levels"]] for r in (first, second)]
    assert values[0] == values[1]


def test_time_limit_stops_early_and_keeps_the_guarantee() -> None:
    _solver()
    problem = _workshop(3)
    result = optimize_sessions(problem, time_limit=1e-9)
    assert result.report["stopped_early"] is True
    assert {lv["status"] for lv in result.report["levels"]} <= {"feasible", "optimal"}
    assert violations(problem, result, checks=RULES) == []
    fcfs = allocate(problem)
    assert all(
        result.assignments[r] is not None for r, s in fcfs.assignments.items() if s is not None
    )
    # What it returns is no worse than FCFS at the first level.
    assert result.metrics()["seated"] >= fcfs.metrics()["seated"]


def test_given_fcfs_allocation_is_the_baseline() -> None:
    _solver()
    problem = _uppsala()
    fcfs = allocate(problem)
    assert optimize_sessions(problem, fcfs=fcfs) == optimize_sessions(problem)
    other = problem.replace(requests=problem.requests[:-1])
    with pytest.raises(FieldError, match="fcfs"):
        optimize_sessions(other, fcfs=fcfs)


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        ("guarantee", "fcfs", "guarantee"),
        ("objectives", ["seats", "fun"], "objectives"),
        ("objectives", ["seats", "seats"], "objectives"),
        ("backend", "gurobi", "backend"),
        ("time_limit", 0, "time_limit"),
        ("workers", 0, "workers"),
        ("seed", 2**31, "seed"),
    ],
)
def test_bad_options_name_the_field(option: str, value: object, field: str) -> None:
    with pytest.raises(FieldError, match=f"field '{field}'"):
        optimize_sessions(_uppsala(), **{option: value})  # type: ignore[arg-type]


def test_without_ortools_the_optimiser_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "ortools" or m.startswith("ortools.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ortools", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'seatalloc\[solver\]'"):
        optimize_sessions(_uppsala())


def test_importing_seatalloc_needs_no_ortools() -> None:
    code = (
        "import sys; sys.modules['ortools'] = None\n"
        "import seatalloc, seatalloc.optimize, seatalloc.scenarios\n"
        "print(seatalloc.allocate(seatalloc.scenarios.workshop()).method)\n"
        "assert not [m for m in sys.modules if m.startswith('ortools.')]\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        check=False, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "fcfs"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mip_optimum_is_exact_on_large_objective_values(seed: int) -> None:
    """HiGHS's own default relative gap (1e-4) once passed for "optimal" here; CP-SAT is exact."""
    rng = random.Random(seed)
    weights = [rng.randint(10_000, 20_000) for _ in range(40)]
    model = LinearModel()
    items = [model.new_var() for _ in weights]
    model.add(dict(zip(items, weights, strict=True)), None, sum(weights) // 2)
    value = Expr({x: w + 1000 for x, w in zip(items, weights, strict=True)})
    found = {}
    for name in ("highs", "scip", "cp-sat"):
        outcome = make_backend(name, model, 0, 1).solve(
            value, True, [0] * len(items), 60.0, None, lambda: None
        )
        assert outcome.status == "optimal" and outcome.values is not None
        found[name] = value.value(outcome.values)
    assert found["highs"] == found["scip"] == found["cp-sat"]


@given(
    st.dictionaries(st.integers(0, 5), st.integers(-4, 4), min_size=1),
    st.dictionaries(st.integers(0, 5), st.integers(-4, 4)),
    st.integers(-10, 10),
    st.booleans(),
    st.lists(st.integers(0, 2), min_size=6, max_size=6),
)
def test_a_steered_objective_maps_back_to_the_level(
    level: dict[int, int], pinned: dict[int, int], constant: int, maximize: bool, x: list[int]
) -> None:
    """Where the pinned level has its value, the goal's value maps back to the level's: there the
    goal is an affine function of the level, so its optimum and bound are the level's."""
    from seatalloc.optimize._solvers import Expr
    from seatalloc.optimize.sessions import _Pinned, _steered, _unsteered

    expr, upper = Expr(level, constant), [2] * 6
    pin = _Pinned(Expr(pinned), Expr(pinned).value(x))
    goal, weight = _steered(expr, maximize, pin, upper)
    assert weight > sum(abs(c) * 2 for c in level.values())
    assert _unsteered(goal.value(x), expr, maximize, pin, weight) == expr.value(x)
    plain, none = _steered(expr, maximize, None, upper)
    assert none == 0
    assert _unsteered(plain.value(x), expr, maximize, None, 0) == expr.value(x)


@settings(max_examples=60)
@given(problem=problems(max_requests=12), guarantee=st.sampled_from(GUARANTEES))
def test_the_model_encodes_an_allocation_exactly(problem: Problem, guarantee: str) -> None:
    """The FCFS allocation, encoded (joined blocks count ``k * whole + x``), keeps every row,
    has every objective's plain value, and decodes back to itself."""
    from seatalloc.optimize.sessions import _plain_value, _Plan, _units

    fcfs = allocate(problem)
    units = _units(problem, fcfs, Guarantee(guarantee), None)
    witness = [unit.base for unit in units]
    seated = {i for i, s in enumerate(witness) if s is not None}
    active, fixed = (set(range(len(units))), set()) if guarantee == "none" else (seated, seated)
    plan = _Plan(problem, units, witness, active, fixed, lambda: None)
    values = plan.vector(witness)
    assert all(0 <= v <= up for v, up in zip(values, plan.model.upper, strict=True))
    for row in plan.model.constraints:
        total = Expr(row.terms).value(values)
        assert row.lower is None or total >= row.lower
        assert row.upper is None or total <= row.upper
    for objective, expr in plan.objectives.items():
        assert expr.value(values) == _plain_value(problem, units, witness, objective)
    assert plan.assignment(values) == witness


def test_when_the_seated_fill_every_seat_each_session_is_exactly_full() -> None:
    """A capacity row gets the floor "its seats less the spare seats elsewhere": with no
    spare seat, an equality (but for the first session: all of them would be linearly
    dependent); with one spare seat, at most one seat free per session."""
    from seatalloc.optimize.sessions import _Plan, _units

    sessions = [Session("a", 2), Session("b", 2)]
    groups = [Group("g"), Group("h")]

    def floors(n: int) -> list[tuple[float | None, float | None]]:
        requests = [
            Request(f"r{i}", "g" if i < 2 else "h", arrival=i, sessions=("a", "b"))
            for i in range(n)
        ]
        problem = Problem(sessions, groups, requests)
        units = _units(problem, allocate(problem), Guarantee.FCFS_SEATS, None)
        seated = {i for i, u in enumerate(units) if u.base is not None}
        plan = _Plan(problem, units, [u.base for u in units], seated, seated, lambda: None)
        return [(row.lower, row.upper) for row in plan.model.constraints if row.upper == 2]

    assert floors(4) == [(None, 2), (2, 2)]
    assert floors(3) == [(1, 2), (1, 2)]


def test_a_bound_mapped_back_stays_within_the_levels_range() -> None:
    """A steered solve stopped early may bound the level far below any value it can take
    (changes below 0, say): the reported bound is then the level's own least value."""
    from seatalloc.optimize.sessions import _within

    changes = Expr({0: -1, 1: -1}, 5)  # 5 - x0 - x1 with x0, x1 in 0..1: values 3..5
    assert _within(-64_000.0, changes, False, [1, 1]) == 3
    assert _within(4.5, changes, False, [1, 1]) == 4.5
    seats = Expr({0: 2, 1: 3})  # 0..2*2 + 3*1 = 7
    assert _within(1e9, seats, True, [2, 1]) == 7
    assert _within(6.0, seats, True, [2, 1]) == 6.0
