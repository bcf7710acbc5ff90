"""Decisions for an optimised allocation, every one explained against the final plan.

A request the optimiser left where FCFS put it keeps FCFS's reason only where
that reason still holds in the plan: what blocks a waitlisted request, or a
better-ranked session, is worked out again from the plan's own seats (a
session FCFS found full may have room after re-planning). Example note:
``moved from 4-5 November (1st choice)
to 25-26 November (2nd choice), to sit with 3 colleagues from Uppsala``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from seatalloc.allocation import Allocation, Decision, Reason, Status
from seatalloc.engine import Engine, Shortfall
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


def _blocks(engine: Engine, allocation: Allocation, request: Request) -> list[Shortfall] | None:
    """What lacks room for the request's unit in the plan: in every acceptable session
    (waitlisted) or every better-ranked one (seated); ``None`` when one of them has room."""
    problem = allocation.problem
    unit = problem.unit_of(request.id)
    session = allocation.assignments[request.id]
    sessions = problem.unit_acceptable(unit)
    if session is not None:
        sessions = sessions[: sessions.index(session)] if session in sessions else ()
        engine.unseat(unit)
    try:
        found: list[Shortfall] = []
        for candidate in sessions:
            lacking = engine.shortfalls(unit, candidate)
            if not lacking:
                return None
            found += lacking
        return found
    finally:
        if session is not None:
            engine.seat(unit, session)


def _unchanged(
    engine: Engine, optimal: Allocation, decision: Decision, kept_out: str, position: int | None
) -> Decision:
    """FCFS's decision for a request the optimiser left in place, re-checked against the plan."""
    problem = optimal.problem
    request = problem.request_by_id[decision.request]
    if decision.status is Status.WAITLISTED:
        if decision.reason is Reason.NO_COMMON_SESSION:
            return attrs.evolve(decision, position=position)
        blocks = _blocks(engine, optimal, request)
        if blocks is None:
            return Decision(
                request.id, Status.WAITLISTED, Reason.NO_ROOM, position=position,
                note=f"an acceptable session has room in this plan, but {kept_out}",
            )  # fmt: skip
        return Decision(
            request.id, Status.WAITLISTED, Reason.NO_ROOM, position=position, blocks=tuple(blocks)
        )
    if decision.status is not Status.SEATED or decision.session is None:
        return decision
    if decision.reason is Reason.WITH_COLLEAGUES and _colleagues(
        optimal, request, decision.session
    ):
        return decision
    rank = problem.rank(request, decision.session)
    if rank is None or rank == 1:
        return Decision(request.id, Status.SEATED, Reason.FIRST_CHOICE, decision.session, rank)
    blocks = _blocks(engine, optimal, request)
    return Decision(
        request.id, Status.SEATED, Reason.LOWER_CHOICE, decision.session, rank,
        blocks=tuple(blocks or ()),
    )  # fmt: skip


def explainer(
    fcfs: Allocation, kept_out: str = "the optimiser did not seat it"
) -> Callable[[Allocation], Mapping[str, Decision]]:
    """Decisions for an allocation re-planned from ``fcfs``.

    Unchanged requests keep their FCFS status, with the reason worked out
    again against the plan (see :func:`_unchanged`; ``kept_out`` says why a
    waitlisted one beside a free seat stays out); moved ones get
    ``Reason.MOVED``, ones seated from the waitlist ``Reason.ADDED``, each
    with a note; one FCFS seated but the optimiser did not (only possible
    under guarantee ``none``) is waitlisted with a note.
    """

    def decide(optimal: Allocation) -> Mapping[str, Decision]:
        problem = optimal.problem
        position = {r: i for i, r in enumerate(optimal.waitlist, start=1)}
        engine = Engine.with_seats(problem, optimal.assignments)
        decisions: dict[str, Decision] = {}
        for request in problem.requests:
            rid = request.id
            before, after = fcfs.assignments[rid], optimal.assignments[rid]
            if before == after:
                decision = _unchanged(
                    engine, optimal, fcfs.decisions[rid], kept_out, position.get(rid)
                )
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
