"""Batch first-come-first-served: the engine folded over the requests in arrival order."""

from __future__ import annotations

from seatalloc.allocation import Allocation, Seating
from seatalloc.engine import Engine
from seatalloc.model import Problem

__all__ = ["allocate"]


def allocate(problem: Problem) -> Allocation:
    """Seat every unit (request or party) in arrival order by the engine's first-fit rule.

    A party is placed whole when its first member's turn comes. Waitlisted
    requests keep arrival order, a party at its first member's place. Decisions are
    built on demand.
    """
    engine = Engine(problem)
    parties = problem.parties
    if not parties:
        waitlist = engine.place_requests(problem.requests)
    else:
        waitlist = []
        for request in problem.requests:
            if request.party is None or request.party not in parties:
                if engine.place_request(request) is None:
                    waitlist.append(request.id)
                continue
            members = parties[request.party]
            if members[0] is request and engine.place(members) is None:
                waitlist.extend(r.id for r in members)
    # The engine is dropped here, so its seat map is frozen from now on.
    return Allocation(problem, Seating(problem, engine.seat_of), waitlist, method="fcfs")
