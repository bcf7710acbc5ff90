"""Every FCFS promise of the design notes, on generated problems (seatalloc.testing)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seatalloc import Allocation, Engine, Limit, Problem, Reason, Shortfall, Status, allocate
from seatalloc.fairness import violations
from seatalloc.testing import problems

# Each promise is checked on the general strategy and on the hard corners:
# scarce seats, binding quotas, parties, ties, colleagues preferred.
CORNERS = {
    "any": problems(),
    "tight-quotas": problems(tight=True, quotas=True, roles=True),
    "parties": problems(parties=True, tight=True, ties=True),
    "colleagues": problems(prefer_colleagues=True, quotas=True, parties=True),
}


@pytest.mark.parametrize("corner", CORNERS)
@pytest.mark.parametrize("check", ["capacity", "quota", "party", "acceptability"])
@given(data=st.data())
def test_fcfs_keeps_the_hard_limits(corner: str, check: str, data: st.DataObject) -> None:
    """Never over capacity, no quota exceeded, parties together or not at all, only accepted."""
    problem = data.draw(CORNERS[corner])
    assert violations(problem, allocate(problem), checks=[check]) == []


@pytest.mark.parametrize("corner", CORNERS)
@given(data=st.data())
def test_fcfs_is_non_wasteful(corner: str, data: st.DataObject) -> None:
    """No waitlisted unit could take free seats its preferences, quotas and party allow."""
    problem = data.draw(CORNERS[corner])
    assert violations(problem, allocate(problem), checks=["waste"]) == []


@pytest.mark.parametrize("corner", CORNERS)
@given(data=st.data())
def test_fcfs_respects_priority(corner: str, data: st.DataObject) -> None:
    """No later unit holds a seat an earlier one wanted and could have had.

    Without prefer_colleagues this covers earlier units seated lower too;
    with it, the unseated-envy form (see docs/rules.md).
    """
    problem = data.draw(CORNERS[corner])
    assert violations(problem, allocate(problem), checks=["priority"]) == []


def shuffled(problem: Problem, rng: random.Random) -> Problem:
    lists = [list(problem.sessions), list(problem.groups), list(problem.requests)]
    lists.append(list(problem.quotas))
    for items in lists:
        rng.shuffle(items)
    sessions, groups, requests, quotas = lists
    return Problem(sessions, groups, requests, quotas, problem.policy)  # type: ignore[arg-type]


@given(problems(ties=True, parties=True, quotas=True), st.randoms(use_true_random=False))
def test_same_allocation_whatever_the_order_of_input_lists(
    problem: Problem, rng: random.Random
) -> None:
    reference = allocate(problem)
    again = allocate(shuffled(problem, rng))
    assert dict(again.assignments) == dict(reference.assignments)
    assert again.waitlist == reference.waitlist
    assert dict(again.decisions) == dict(reference.decisions)


@given(problems(ties=True))
def test_same_problem_same_allocation(problem: Problem) -> None:
    assert allocate(problem) == allocate(problem)


def astuple(block: Shortfall) -> tuple[str, Limit, int, int]:
    return (block.session, block.limit, block.needed, block.left)


def check_decisions(allocation: Allocation) -> None:
    problem = allocation.problem
    decisions = allocation.decisions
    assert set(decisions) == {r.id for r in problem.requests}
    # Arrival order of units: a party waits as a block at its first member's place.
    unseated = [r.id for u in problem.units for r in u if allocation.assignments[r.id] is None]
    assert list(allocation.waitlist) == unseated
    for request in problem.requests:
        decision = decisions[request.id]
        session = allocation.assignments[request.id]
        assert (decision.status is Status.SEATED) == (session is not None)
        assert decision.session == session
        if session is not None:
            assert decision.position is None
            assert decision.rank == problem.rank(request, session)
            if decision.reason is Reason.FIRST_CHOICE:
                assert session == problem.unit_acceptable(problem.unit_of(request.id))[0]
                assert decision.blocks == ()
        else:
            assert decision.reason in (Reason.NO_ROOM, Reason.NO_COMMON_SESSION, Reason.NO_SESSION)
            if decision.reason is Reason.NO_ROOM:
                assert decision.blocks, "a waitlisted request must say what blocked it"
            else:
                assert not problem.unit_acceptable(problem.unit_of(request.id))
        sentence = allocation.explain(request.id)
        assert sentence.startswith("seated in" if session else "waitlisted (position")
    assert [decisions[r].position for r in allocation.waitlist] == list(
        range(1, len(allocation.waitlist) + 1)
    )


@pytest.mark.parametrize("corner", CORNERS)
@given(data=st.data())
def test_decisions_are_consistent_with_the_allocation(corner: str, data: st.DataObject) -> None:
    check_decisions(allocate(data.draw(CORNERS[corner])))


@given(problems(tight=True, quotas=True, parties=True))
def test_seated_blocks_are_what_lacked_room_when_the_unit_was_seated(problem: Problem) -> None:
    """Replaying the engine: a seated unit's blocks are the shortfalls of its better sessions."""
    allocation = allocate(problem)
    engine = Engine(problem)
    for unit in problem.units:
        ranked = problem.unit_acceptable(unit)
        session = allocation.assignments[unit[0].id]
        if session is not None:
            better = ranked[: ranked.index(session)]
            expected = [astuple(b) for s in better for b in engine.shortfalls(unit, s)]
            for request in unit:
                got = [astuple(b) for b in allocation.decisions[request.id].blocks]
                assert sorted(got, key=repr) == sorted(expected, key=repr)
        engine.place(unit)


@given(problems(max_requests=10))
def test_generated_problems_are_valid_and_within_bounds(problem: Problem) -> None:
    assert 1 <= len(problem.sessions) <= 4
    assert 1 <= len(problem.groups) <= 4
    assert len(problem.requests) <= 10
    assert problem.replace() == problem


@given(problems(tight=True, ties=False, arrival="int"))
def test_strategy_knobs_hold(problem: Problem) -> None:
    assert sum(s.capacity for s in problem.sessions) <= len(problem.requests) // 2
    # Distinct arrivals, except that party members share their party's.
    holders = {r.party or r.id for r in problem.requests}
    assert len({r.arrival for r in problem.requests}) == len(holders)
    assert all(isinstance(r.arrival, int) for r in problem.requests)


@given(problems(tight=True, quotas=True, parties=True, roles=True))
def test_place_seats_in_the_first_candidate_without_shortfall(problem: Problem) -> None:
    """The engine's lean single-request loop and its general unit rule agree: every unit
    goes to its first candidate session where ``shortfalls`` finds room, or waits when
    none has room."""
    engine = Engine(problem)
    for unit in problem.units:
        fitting = [s for s in engine.candidates(unit) if not engine.shortfalls(unit, s)]
        assert engine.place(unit) == (fitting[0] if fitting else None)
