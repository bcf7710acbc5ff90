"""Decisions for an optimised allocation: FCFS's own where unchanged, else a plain note.

Example note: ``moved from 4-5 November (1st choice) to 25-26 November
(2nd choice), to sit with 3 colleagues from Uppsala``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from seatalloc.allocation import Allocation, Decision, Reason, Status
from seatalloc.explain import session_phrase
from seatalloc.model import Request

__all__ = ["explainer"]


def _where(allocation: Allocation, request: Request, session: str) -> str:
    """``25-26 November (2nd choice)``; no rank for a request that accepts any session."""
    return session_phrase(allocation, session, allocation.problem.rank(request, session))


def _colleagues(allocation: Allocation, request: Request, session: str) -> int:
    """Seated colleagues of ``request`` in ``session``, not counting its own party."""
    by_id = allocation.problem.request_by_id
    party = allocation.problem.unit_of(request.id)
    mates = {m.id for m in party}
    return sum(
        1
        for other in allocation.rosters.get(session, ())
        if other not in mates and by_id[other].group == request.group
    )


def _colleague_phrase(allocation: Allocation, request: Request, n: int) -> str:
    group = allocation.problem.group_by_id[request.group].name
    return f"to sit with {n} colleague{'s' if n != 1 else ''} from {group}"


def _moved_note(optimal: Allocation, fcfs: Allocation, request: Request) -> str:
    """Where from, where to, and the first reason that holds: colleagues, rank, room."""
    problem = optimal.problem
    before = fcfs.assignments[request.id]
    after = optimal.assignments[request.id]
    assert before is not None and after is not None
    text = f"moved from {_where(fcfs, request, before)} to {_where(optimal, request, after)}"
    now = _colleagues(optimal, request, after)
    if now > _colleagues(fcfs, request, before):
        return f"{text}, {_colleague_phrase(optimal, request, now)}"
    old_rank, new_rank = problem.rank(request, before), problem.rank(request, after)
    if old_rank is not None and new_rank is not None and new_rank < old_rank:
        return f"{text}, a better-ranked choice"
    return f"{text}, to free a seat in {problem.session_by_id[before].name}"


def _added_note(optimal: Allocation, fcfs: Allocation, request: Request) -> str:
    after = optimal.assignments[request.id]
    assert after is not None
    position = fcfs.decisions[request.id].position
    text = "added from the FCFS waitlist"
    if position is not None:
        text += f" (position {position})"
    text += ", into a seat freed by re-planning"
    now = _colleagues(optimal, request, after)
    return f"{text}, {_colleague_phrase(optimal, request, now)}" if now else text


def explainer(fcfs: Allocation) -> Callable[[Allocation], Mapping[str, Decision]]:
    """Decisions for an allocation re-planned from ``fcfs``.

    Unchanged requests keep their FCFS decision (a waitlisted one with its new
    position); moved ones get ``Reason.MOVED``, ones seated from the waitlist
    ``Reason.ADDED``, each with a note; one FCFS seated but the optimiser did
    not (only possible under guarantee ``none``) is waitlisted with a note.
    """

    def decide(optimal: Allocation) -> Mapping[str, Decision]:
        problem = optimal.problem
        position = {r: i for i, r in enumerate(optimal.waitlist, start=1)}
        decisions: dict[str, Decision] = {}
        for request in problem.requests:
            rid = request.id
            before, after = fcfs.assignments[rid], optimal.assignments[rid]
            if before == after:
                decision = fcfs.decisions[rid]
                if after is None:
                    decision = attrs.evolve(decision, position=position.get(rid))
            elif after is None:
                decision = Decision(
                    rid, Status.WAITLISTED, Reason.NO_ROOM, position=position.get(rid),
                    note=f"FCFS seated it in {problem.session_by_id[before or ''].name}; "
                    "the optimiser, free of any guarantee, gave the seat to others",
                )  # fmt: skip
            else:
                moved = before is not None
                decision = Decision(
                    rid, Status.SEATED, Reason.MOVED if moved else Reason.ADDED,
                    session=after, rank=problem.rank(request, after),
                    note=(_moved_note if moved else _added_note)(optimal, fcfs, request),
                )  # fmt: skip
            decisions[rid] = decision
        return decisions

    return decide
