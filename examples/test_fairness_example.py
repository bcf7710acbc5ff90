"""Checking fairness in your own pytest suite with seatalloc.fairness and seatalloc.testing.

Say your booking system seats people its own way (here: a small greedy
function standing in for it). These tests ask seatalloc whether it keeps the
first-come-first-served promises on hand-made and on generated problems.
Run with: pytest examples/test_fairness_example.py
"""

from __future__ import annotations

from hypothesis import given, settings

from seatalloc import Group, Problem, Quota, Request, Session
from seatalloc.fairness import violations
from seatalloc.testing import problems


def my_allocator(problem: Problem) -> dict[str, str | None]:
    """Your system: here, seat each person (no parties) in the first listed session with room."""
    left = {s.id: s.capacity for s in problem.sessions}
    quota_left = {q.group: q.limit for q in problem.quotas if q.group and not q.per_session}
    seats: dict[str, str | None] = {}
    for request in problem.order:
        seats[request.id] = None
        for session in problem.acceptable(request):
            if left[session] > 0 and quota_left.get(request.group, 1) > 0:
                left[session] -= 1
                if request.group in quota_left:
                    quota_left[request.group] -= 1
                seats[request.id] = session
                break
    return seats


def test_workshop_day_is_fair() -> None:
    problem = Problem(
        [Session("nov4", 2), Session("nov25", 2)],
        [Group("uppsala"), Group("stockholm")],
        [
            Request("anna", "uppsala", arrival=1, sessions=["nov4"]),
            Request("bo", "uppsala", arrival=2, sessions=["nov4", "nov25"]),
            Request("cia", "stockholm", arrival=3, sessions=["nov4", "nov25"]),
            Request("dan", "uppsala", arrival=4),
        ],
        [Quota(2, group="uppsala")],
    )
    seats = my_allocator(problem)
    assert seats == {"anna": "nov4", "bo": "nov4", "cia": "nov25", "dan": None}
    assert violations(problem, seats) == []


def test_a_broken_allocation_is_caught() -> None:
    problem = Problem(
        [Session("nov4", 1)],
        [Group("uppsala")],
        [Request("anna", "uppsala", arrival=1), Request("bo", "uppsala", arrival=2)],
    )
    found = violations(problem, {"anna": None, "bo": "nov4"})
    assert [v.kind for v in found] == ["priority"]
    assert found[0].requests == ("anna", "bo")


# Generated problems: scarce seats and binding group quotas, but no parties or
# per-session/role quotas, which this simple allocator does not handle.
@settings(max_examples=50, deadline=None)
@given(problems(tight=True, parties=False, roles=False, quotas=False))
def test_my_allocator_keeps_every_promise(problem: Problem) -> None:
    assert violations(problem, my_allocator(problem)) == []
