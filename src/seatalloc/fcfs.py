"""Batch first-come-first-served: the engine folded over the requests in arrival order."""

from __future__ import annotations

from seatalloc.allocation import Allocation
from seatalloc.engine import Engine
from seatalloc.model import Problem

__all__ = ["allocate"]


def allocate(problem: Problem) -> Allocation:
    """Seat every unit (request or party) in arrival order by the engine's first-fit rule.

    Waitlisted requests keep arrival order. Decisions are built on demand.
    """
    engine = Engine(problem)
    place = engine.place
    waitlist: list[str] = []
    for unit in problem.units:
        if place(unit) is None:
            waitlist.extend(r.id for r in unit)
    seat_of = engine.seat_of
    assignments = {r.id: seat_of.get(r.id) for r in problem.requests}
    return Allocation(problem, assignments, waitlist, method="fcfs")
