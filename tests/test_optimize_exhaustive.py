"""The optimiser's claimed optimum at every level equals an exhaustive search.

The brute force here shares nothing with the optimiser but the model's
definitions: it enumerates every way to put each unit in one of its
acceptable sessions or nowhere, keeps those within capacity and quotas,
applies the guarantee's definition literally (including "earliest first"
for the waitlist), and takes the lexicographic best by the objectives.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seatalloc import Group, Problem, Quota, Request, Session, allocate
from seatalloc.optimize import optimize_sessions
from seatalloc.testing import problems

pytest.importorskip("ortools", reason="the optimiser needs the 'solver' extra")

Assignment = Mapping[str, str | None]
OBJECTIVES = ("seats", "together", "ranks", "changes")


def _fits(problem: Problem, assignment: Assignment) -> bool:
    """Capacity and every quota, counted from scratch with ``Quota.applies_to``."""
    seated = [(problem.request_by_id[r], s) for r, s in assignment.items() if s is not None]
    for session in problem.sessions:
        if sum(s == session.id for _, s in seated) > session.capacity:
            return False
    for quota in problem.quotas:
        scopes: Iterable[str | None] = problem.session_ids if quota.per_session else [None]
        for scope in scopes:
            used = sum(
                1 for r, s in seated if quota.applies_to(r) and (scope is None or s == scope)
            )
            if used > quota.limit:
                return False
    return True


def _allowed(problem: Problem, unit: Sequence[Request], fcfs: Assignment, pareto: bool) -> list:
    base = fcfs[unit[0].id]
    sessions = list(problem.unit_acceptable(unit))
    if pareto and base is not None:
        sessions = [
            s for s in sessions
            if all(not m.sessions or m.sessions.index(s) <= m.sessions.index(base) for m in unit)
        ]  # fmt: skip
    return [None, *sessions]


def _all_allocations(problem: Problem, fcfs: Assignment, pareto: bool) -> list[dict]:
    units = problem.units
    options = [_allowed(problem, unit, fcfs, pareto) for unit in units]
    found = []
    for choice in itertools.product(*options):
        assignment = {m.id: s for unit, s in zip(units, choice, strict=True) for m in unit}
        if _fits(problem, assignment):
            found.append(assignment)
    return found


def _under_guarantee(problem: Problem, fcfs: Assignment, guarantee: str) -> list[dict]:
    """Every allocation the guarantee allows, by its documented definition."""
    candidates = _all_allocations(problem, fcfs, pareto=guarantee == "fcfs-pareto")
    if guarantee == "none":
        return candidates
    must = {r for r, s in fcfs.items() if s is not None}
    candidates = [a for a in candidates if all(a[r] is not None for r in must)]
    # Earliest first: in arrival order, a waitlisted unit joins when some
    # allowed allocation seats it with everyone who joined before it.
    for unit in problem.units:
        ids = {m.id for m in unit}
        if ids & must:
            continue
        joined = [a for a in candidates if all(a[r] is not None for r in ids)]
        if joined:
            candidates = joined
            must |= ids
    return [a for a in candidates if {r for r, s in a.items() if s is not None} == must]


def _values(problem: Problem, fcfs: Assignment, assignment: Assignment) -> dict[str, int]:
    """Each objective as a number to minimise (seats negated)."""
    sessions_of: dict[str, set[str]] = {}
    ranks = changes = seats = 0
    for request in problem.requests:
        session = assignment[request.id]
        changes += session != fcfs[request.id]
        if session is None:
            continue
        seats += 1
        sessions_of.setdefault(request.group, set()).add(session)
        if request.sessions:
            ranks += request.sessions.index(session)
    together = sum(len(s) > 1 for s in sessions_of.values())
    return {"seats": -seats, "together": together, "ranks": ranks, "changes": changes}


def _claimed(result: object) -> list[int]:
    levels = result.report["levels"]  # type: ignore[attr-defined]
    return [-lv["value"] if lv["objective"] == "seats" else lv["value"] for lv in levels]


@st.composite
def crowded(draw: st.DrawFn) -> Problem:
    """Sessions of 0-3 seats: some full, some not, where re-planning can seat the waitlist."""
    problem = draw(problems(max_sessions=3, max_groups=3, max_requests=7))
    seats = st.integers(0, 3)
    return problem.replace(
        sessions=[attrs.evolve(s, capacity=draw(seats)) for s in problem.sessions]
    )


@st.composite
def chains(draw: st.DrawFn) -> Problem:
    """Requests ranking 1-2 of 2-3 small sessions: the waitlist is seated by moving others.

    Sometimes with pairs registered as a party or a per-session quota, where
    no augmenting path decides admission and the solver must.
    """
    sessions = [Session(f"s{i}", draw(st.integers(1, 3))) for i in range(draw(st.integers(2, 3)))]
    ids = [s.id for s in sessions]
    requests: list[Request] = []
    for i in range(draw(st.integers(3, 7))):
        ranked = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))
        if requests and draw(st.integers(0, 3)) == 0:  # join the previous request's party
            leader = requests[-1]
            party = leader.party or f"p{leader.id}"
            requests[-1] = attrs.evolve(leader, party=party)
            requests.append(Request(f"r{i}", leader.group, arrival=leader.arrival,
                                    sessions=ranked, party=party))  # fmt: skip
        else:
            requests.append(Request(f"r{i}", f"g{draw(st.integers(0, 1))}", arrival=i,
                                    sessions=ranked))  # fmt: skip
    quotas = (
        [Quota(draw(st.integers(1, 4)), group="g0", per_session=draw(st.booleans()))]
        if draw(st.booleans())
        else []
    )
    return Problem(sessions, [Group("g0"), Group("g1")], requests, quotas)


@st.composite
def twins(draw: st.DrawFn) -> Problem:
    """Colleagues with the very same ranking (often none: any session), spread by FCFS.

    The optimiser models seated requests that accept any session as one block
    per group with a count per session: the exhaustive search checks that
    nothing (changes above all) is lost.
    """
    sessions = [Session(f"s{i}", draw(st.integers(1, 2))) for i in range(draw(st.integers(2, 3)))]
    ids = [s.id for s in sessions]
    ranked = st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True)
    rankings = [(), *draw(st.lists(ranked, max_size=1))]
    requests = [
        Request(f"r{i}", f"g{draw(st.integers(0, 1))}", arrival=i,
                sessions=draw(st.sampled_from(rankings)))
        for i in range(draw(st.integers(3, 7)))
    ]  # fmt: skip
    quotas = [Quota(draw(st.integers(1, 4)), group="g1")] if draw(st.booleans()) else []
    return Problem(sessions, [Group("g0"), Group("g1")], requests, quotas)


@st.composite
def fillers(draw: st.DrawFn) -> Problem:
    """Requests accepting any session beside colleagues who rank two of four small sessions.

    The optimiser gives a seated block of such requests variables only for
    the sessions where its group could sit together and its FCFS sessions,
    and pools the rest: the exhaustive search checks the pool loses nothing,
    also while a waitlisted party is admitted.
    """
    sessions = [Session(f"s{i}", draw(st.integers(1, 2))) for i in range(4)]
    ranked = st.lists(st.sampled_from(["s0", "s1"]), min_size=1, max_size=2, unique=True)
    requests = [
        Request(f"r{i}", f"g{draw(st.integers(0, 1))}", arrival=i,
                sessions=draw(st.one_of(st.just(()), ranked)))
        for i in range(draw(st.integers(3, 6)))
    ]  # fmt: skip
    if draw(st.booleans()):  # a late pair registered together: admitting it needs the solver
        pair = draw(ranked)
        n = len(requests)
        requests += [Request(f"r{n + k}", "g1", arrival=n, sessions=pair, party="p")
                     for k in (0, 1)]  # fmt: skip
    return Problem(sessions, [Group("g0"), Group("g1")], requests)


small = st.one_of(
    chains(), crowded(), twins(), fillers(), problems(max_sessions=3, max_groups=3, max_requests=7)
)


def _check_against_exhaustive_search(
    problem: Problem, guarantee: str, order: list[str], backend: str
) -> None:
    fcfs = dict(allocate(problem).assignments)
    result = optimize_sessions(
        problem, guarantee=guarantee, objectives=order, backend=backend, time_limit=None
    )
    allowed = _under_guarantee(problem, fcfs, guarantee)
    best = min(tuple(_values(problem, fcfs, a)[o] for o in order) for a in allowed)  # lexicographic
    assert not result.report["stopped_early"]
    assert [lv["status"] for lv in result.report["levels"]] == ["optimal"] * len(order)
    assert tuple(_claimed(result)) == best
    # The returned allocation is one of the allowed ones and really scores that.
    assert dict(result.assignments) in allowed
    assert tuple(_values(problem, fcfs, result.assignments)[o] for o in order) == best


@settings(max_examples=150)
@given(
    problem=small,
    guarantee=st.sampled_from(["fcfs-seats", "fcfs-pareto", "none"]),
    order=st.permutations(OBJECTIVES),
    backend=st.sampled_from(["cp-sat", "highs"]),
)
def test_every_level_equals_exhaustive_search(
    problem: Problem, guarantee: str, order: list[str], backend: str
) -> None:
    _check_against_exhaustive_search(problem, guarantee, order, backend)


@settings(max_examples=100)
@given(
    problem=chains(),
    guarantee=st.sampled_from(["fcfs-seats", "fcfs-pareto"]),
    order=st.permutations(OBJECTIVES),
)
def test_admission_from_the_waitlist_equals_exhaustive_search(
    problem: Problem, guarantee: str, order: list[str]
) -> None:
    """Where seating the waitlist needs others to move: augmenting paths and solver."""
    _check_against_exhaustive_search(problem, guarantee, order, "cp-sat")


@settings(max_examples=100)
@given(
    problem=st.one_of(twins(), fillers()),
    guarantee=st.sampled_from(["fcfs-seats", "fcfs-pareto"]),
    order=st.permutations(OBJECTIVES),
    backend=st.sampled_from(["cp-sat", "highs"]),
)
def test_blocks_of_interchangeable_requests_equal_exhaustive_search(
    problem: Problem, guarantee: str, order: list[str], backend: str
) -> None:
    """Requests alike in group, ranking and counters as counts and pools: the same optimum."""
    _check_against_exhaustive_search(problem, guarantee, order, backend)


@settings(max_examples=150)
@given(problem=small, guarantee=st.sampled_from(["fcfs-seats", "fcfs-pareto", "none"]))
def test_fcfs_hint_is_never_worsened(problem: Problem, guarantee: str) -> None:
    """Lexicographically the optimum is at least as good as FCFS (plus admissions)."""
    fcfs = dict(allocate(problem).assignments)
    result = optimize_sessions(problem, guarantee=guarantee, time_limit=None)
    mine = _values(problem, fcfs, result.assignments)
    theirs = _values(problem, fcfs, fcfs)
    assert tuple(mine[o] for o in OBJECTIVES) <= tuple(theirs[o] for o in OBJECTIVES)
    assert mine["seats"] <= theirs["seats"]
