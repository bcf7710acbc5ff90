"""Batch first-come-first-served: the engine folded over the requests in arrival order."""

from __future__ import annotations

from seatalloc.allocation import Allocation
from seatalloc.engine import Engine
from seatalloc.model import Problem

__all__ = ["allocate"]


def allocate(problem: Problem) -> Allocation:
    """Seat every unit (request or party) in arrival order by the engine's first-fit rule.

    A party is placed whole when its first member's turn comes. Waitlisted
    requests keep arrival order. Decisions are built on demand.
    """
    engine = Engine(problem)
    waitlist: list[str] = []
    parties = problem.parties
    place_request = engine.place_request
    for request in problem.order:
        if not parties or request.party not in parties:
            if place_request(request) is None:
                waitlist.append(request.id)
            continue
        members = parties[request.party]  # type: ignore[index]
        if members[0] is request and engine.place(members) is None:
            waitlist.extend(r.id for r in members)
    seat_of = engine.seat_of
    assignments = {r.id: seat_of.get(r.id) for r in problem.requests}
    return Allocation(problem, assignments, waitlist, method="fcfs")
