"""optimize_sessions keeps its word: the budget, honest status, fallbacks, new guarantees.

Every claim of "optimal" is checked against what an unstopped run (or a
direct count) finds; determinism is checked beside a busy process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from seatalloc import FieldError, Group, Problem, Quota, Request, Session, Status, allocate
from seatalloc.allocation import Allocation
from seatalloc.budget import Budget, Progress
from seatalloc.fairness import violations
from seatalloc.optimize import optimize_sessions

pytest.importorskip("ortools", reason="the optimiser needs the 'solver' extra")

RULES = ("capacity", "quota", "party", "acceptability")


def _admission_needs_a_solver() -> Problem:
    """Two parties of two wait; moving r1 frees s1 for party p: 4 can sit, FCFS seats 2."""
    return Problem(
        [Session("s1", 2), Session("s2", 2)],
        [Group("g")],
        [
            Request("r1", "g", arrival=0, sessions=("s1", "s2")),
            Request("r2", "g", arrival=1, sessions=("s2", "s1")),
            Request("p1", "g", arrival=2, sessions=("s1",), party="p"),
            Request("p2", "g", arrival=2, sessions=("s1",), party="p"),
            Request("q1", "g", arrival=4, sessions=("s2",), party="q"),
            Request("q2", "g", arrival=4, sessions=("s2",), party="q"),
        ],
    )


def test_admission_cut_short_is_not_reported_optimal() -> None:
    """The reproducer: a stopped admission must not claim ``seats`` optimal at bound = value."""
    problem = _admission_needs_a_solver()
    full = optimize_sessions(problem, time_limit=None)
    assert full.metrics()["seated"] == 4
    assert full.report["levels"][0]["status"] == "optimal"
    cut = optimize_sessions(problem, time_limit=1e-9)
    seats = cut.report["levels"][0]
    assert seats["objective"] == "seats" and seats["value"] == cut.metrics()["seated"]
    assert seats["status"] != "optimal"
    assert seats["bound"] is None or seats["bound"] >= 4
    assert cut.report["stopped_early"] is True and cut.report["stopped_by"] == "time"
    assert violations(problem, cut, checks=RULES) == []


def test_no_level_is_optimal_when_the_clock_stopped_everything() -> None:
    problem = _admission_needs_a_solver()
    for guarantee in ("fcfs-seats", "fcfs-pareto", "fcfs-people", "none"):
        cut = optimize_sessions(problem, guarantee=guarantee, time_limit=1e-9)
        assert all(level["status"] != "optimal" for level in cut.report["levels"])
        assert cut.report["stopped_early"] is True


def _cohesive(n: int, seed: int = 0) -> Problem:
    import random

    rng = random.Random(seed)
    sessions = [Session(f"s{i:02d}", 30) for i in range(max(3, n // 50))]
    ids = [s.id for s in sessions]
    groups = [Group(f"g{i:03d}") for i in range(n // 6)]
    requests = []
    for group in groups:
        favourites = rng.sample(ids, 3)
        for _ in range(rng.randint(3, 9)):
            chosen = rng.sample(favourites, rng.randint(1, 3))
            requests.append(
                Request(
                    f"r{len(requests)}", group.id, arrival=rng.randrange(10**7), sessions=chosen
                )
            )
    return Problem(sessions, groups, requests, [Quota(4, group=g.id) for g in groups])


@pytest.mark.parametrize("backend", ["cp-sat", "highs"])
def test_a_stopped_run_never_splits_more_groups_than_fcfs(backend: str) -> None:
    problem = _cohesive(600)
    fcfs = allocate(problem).metrics()["groups_split"]
    for budget in (Budget(time_limit=1e-9), Budget(time_limit=30, work=1)):
        result = optimize_sessions(
            problem, guarantee="none", objectives=("together", "seats"), backend=backend,
            budget=budget,
        )  # fmt: skip
        assert result.metrics()["groups_split"] <= fcfs
        assert result.report["levels"][0]["value"] == result.metrics()["groups_split"]
        assert violations(problem, result, checks=RULES) == []


def test_a_stopped_run_leaves_nobody_beside_a_free_seat() -> None:
    problem = _cohesive(600)
    for budget in (Budget(time_limit=1e-9), Budget(time_limit=30, work=0.01)):
        result = optimize_sessions(problem, guarantee="none", backend="cp-sat", budget=budget)
        assert violations(problem, result, checks=(*RULES, "waste")) == []
        assert result.metrics()["seated"] >= allocate(problem).metrics()["seated"]


def test_an_over_full_baseline_is_refused() -> None:
    problem = _admission_needs_a_solver()
    fcfs = allocate(problem)
    crowded = Allocation(
        problem, {**fcfs.assignments, "p1": "s1", "p2": "s1"}, ("q1", "q2"), method="mine"
    )
    with pytest.raises(FieldError, match=r"field 'fcfs'.*capacity"):
        optimize_sessions(problem, fcfs=crowded)


def _emptied_day() -> Problem:
    """r2 waits for a full Day 1; r1 then moves to Day 2 to sit with a colleague."""
    return Problem(
        [Session("d1", 1, "Day 1"), Session("d2", 2, "Day 2")],
        [Group("a"), Group("b")],
        [
            Request("r1", "a", arrival=0, sessions=("d1", "d2")),
            Request("r2", "b", arrival=1, sessions=("d1",)),
            Request("a2", "a", arrival=2, sessions=("d2",)),
        ],
    )


def test_an_unchanged_request_is_explained_against_the_final_plan() -> None:
    problem = _emptied_day()
    fcfs = allocate(problem)
    assert "Day 1 was full" in fcfs.explain("r2")
    kept = optimize_sessions(problem, guarantee="fcfs-people")
    assert kept.assignments == {"r1": "d2", "r2": None, "a2": "d2"}
    assert kept.rosters["d1"] == ()
    sentence = kept.explain("r2")
    assert "Day 1 was full" not in sentence
    assert "Day 1 is full" not in sentence
    assert "fcfs-people" in sentence
    assert kept.decisions["r2"].status is Status.WAITLISTED


def test_fcfs_people_seats_exactly_the_fcfs_people() -> None:
    for seed in range(3):
        problem = _cohesive(120, seed)
        fcfs = allocate(problem)
        result = optimize_sessions(problem, guarantee="fcfs-people")
        before = {r for r, s in fcfs.assignments.items() if s is not None}
        after = {r for r, s in result.assignments.items() if s is not None}
        assert before == after
        assert result.metrics()["groups_split"] <= fcfs.metrics()["groups_split"]


@pytest.mark.parametrize("drop", [0, 1])
def test_nobody_drops_more_ranks_than_the_cap(drop: int) -> None:
    problem = _cohesive(300)
    fcfs = allocate(problem)
    result = optimize_sessions(problem, max_rank_drop=drop)
    for request in problem.requests:
        before, after = fcfs.assignments[request.id], result.assignments[request.id]
        if before is not None and request.sessions:
            assert request.sessions.index(after) <= request.sessions.index(before) + drop


def test_progress_reports_every_level_with_value_and_bound() -> None:
    seen: list[Progress] = []
    result = optimize_sessions(_cohesive(120), progress=seen.append)
    phases = [p.phase for p in seen]
    assert phases == ["admission", "level seats", "level together", "level ranks", "level changes"]
    for report, level in zip(seen[1:], result.report["levels"], strict=True):
        assert report.best == level["value"] and report.bound == level["bound"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("time_limit", 0), ("time_limit", -1), ("work", 0), ("work", -2), ("max_rank_drop", -1)],
)
def test_zero_or_negative_limits_are_errors(field: str, value: float) -> None:
    with pytest.raises(FieldError, match=f"field '{field}'"):
        optimize_sessions(_emptied_day(), **{field: value})  # type: ignore[arg-type]


_RUN = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, {tests!r})
    from test_optimize_budget import _cohesive
    from seatalloc.optimize import optimize_sessions
    result = optimize_sessions(
        _cohesive({size}), guarantee="none", backend={backend!r}, time_limit=120, work={work},
        seed=7,
    )
    levels = [(lv["status"], lv["value"], lv["bound"]) for lv in result.report["levels"]]
    print(json.dumps([sorted(result.assignments.items()), levels, result.report["stopped_by"]]))
    """
)


@pytest.mark.parametrize(
    ("backend", "size", "work"),
    [("cp-sat", 1200, 0.5), ("highs", 300, 0.001)],  # HiGHS: one node per solve
)
def test_the_same_seed_gives_the_same_output_beside_a_busy_process(
    backend: str, size: int, work: float
) -> None:
    """The work budget decides: an idle and a loaded run stop at the same point."""
    import pathlib

    code = _RUN.format(tests=str(pathlib.Path(__file__).parent), backend=backend, size=size,
                       work=work)  # fmt: skip

    def once() -> list[object]:
        done = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=300
        )
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    quiet = once()
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        loaded = once()
    finally:
        busy.kill()
        busy.wait()
    assert quiet == loaded
    assert quiet[2] == "work"  # the work budget, not the clock, ended it


@pytest.mark.parametrize(
    "first", ["ortools.sat.python.cp_model", "highspy", "ortools.linear_solver.pywraplp"]
)
def test_solver_libraries_load_into_one_process_in_any_order(first: str) -> None:
    """highspy and OR-Tools share HiGHS's symbols: the pinned pair works whichever loads first.

    With a highspy whose HiGHS differs from the one OR-Tools bundles, the
    second import fails with an undefined symbol (seen with highspy 1.15.1).
    A fresh interpreter, so this process's imports do not decide the order.
    """
    script = textwrap.dedent(
        f"""
        import importlib, json
        importlib.import_module({first!r})
        from seatalloc import Group, Problem, Request, Session
        from seatalloc.optimize import optimize_sessions
        problem = Problem(
            [Session("s1", 2), Session("s2", 2)], [Group("g")],
            [Request("a", "g", arrival=0, sessions=("s1", "s2")),
             Request("b", "g", arrival=1, sessions=("s2",)),
             Request("c", "g", arrival=2, sessions=("s2", "s1"))],
        )
        seen = {{}}
        for backend in ("cp-sat", "highs", "scip"):
            result = optimize_sessions(problem, backend=backend)
            seen[backend] = [result.report["levels"][1]["value"], result.report["stopped_early"]]
        print(json.dumps(seen))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["cp-sat"] == seen["highs"] == seen["scip"] == [1, False]
