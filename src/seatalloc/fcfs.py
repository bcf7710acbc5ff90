"""Batch first-come-first-served: the engine folded over the requests in arrival order."""

from __future__ import annotations

from seatalloc.allocation import Allocation
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
    ids = problem.columns.ids
    parties = problem.parties
    if not parties:
        waitlist = list(map(ids.__getitem__, engine.place_rows(range(len(ids)))))
    else:
        waitlist = []
        run = 0  # first row of the current run of single requests
        for row, request in enumerate(problem.requests):
            if request.party is None or request.party not in parties:
                continue
            waitlist += map(ids.__getitem__, engine.place_rows(range(run, row)))
            run = row + 1
            members = parties[request.party]
            if members[0].id == request.id and engine.place(members) is None:
                waitlist.extend(r.id for r in members)
        waitlist += map(ids.__getitem__, engine.place_rows(range(run, len(ids))))
    # Every id to its seat or None, in arrival order: a plain dict, as fast to read as one.
    assignments = dict(zip(ids, map(engine.seat_of.get, ids), strict=True))
    return Allocation(problem, assignments, waitlist, method="fcfs")
