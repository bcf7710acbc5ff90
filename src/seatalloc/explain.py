"""Plain sentences for decisions, built on demand from an allocation.

Example: ``waitlisted (position 3): 4-5 November is full (28 of 28 seats);
Uppsala's 4 places are held by r3, r7, r9 and r12``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from seatalloc.engine import Shortfall

if TYPE_CHECKING:
    from seatalloc.allocation import Allocation, Decision

__all__ = ["sentence"]

_MAX_NAMED = 6


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _join(items: Sequence[str]) -> str:
    if len(items) > _MAX_NAMED:
        shown = list(items[: _MAX_NAMED - 1])
        return ", ".join(shown) + f" and {len(items) - len(shown)} others"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def session_phrase(allocation: Allocation, session: str, rank: int | None) -> str:
    """``25-26 November (2nd choice)``."""
    name = allocation.problem.session_by_id[session].name
    return name if rank is None else f"{name} ({_ordinal(rank)} choice)"


def _holders(allocation: Allocation, block: Shortfall, before: str) -> list[str]:
    """Seated requests that spend the blocking quota, arrived before ``before``."""
    problem = allocation.problem
    quota = block.limit.quota
    assert quota is not None
    key = problem.policy.order_key(problem.request_by_id[before])
    return [
        r.id
        for r in problem.order
        if quota.applies_to(r)
        and (session := allocation.assignments.get(r.id)) is not None
        and (block.limit.session is None or session == block.limit.session)
        and problem.policy.order_key(r) < key
    ]


def block_phrase(allocation: Allocation, block: Shortfall, request_id: str) -> str:
    """What lacked room: a full session, or a quota and who holds its places."""
    problem = allocation.problem
    session = problem.session_by_id[block.session]
    quota = block.limit.quota
    if quota is None:
        need = f", {block.needed} needed" if block.needed > 1 else ""
        if block.left > 0:
            # Too small for a party, not full: say so rather than "full".
            return f"{session.name} has only {block.left} of {block.limit.limit} seats left{need}"
        used = block.limit.limit - block.left
        return f"{session.name} is full ({used} of {block.limit.limit} seats{need})"
    owner = problem.group_by_id[quota.group].name + "'s" if quota.group else "the"
    one = quota.limit == 1
    what = f"{owner} {quota.limit} place{'' if one else 's'}"
    if quota.role is not None:
        what += f" for role {quota.role!r}"
    if block.limit.session is not None:
        what += f" in {session.name}"
    holders = _holders(allocation, block, request_id)
    are = "is" if one else "are"
    held = f" {are} held by {_join(holders)}" if holders else f" {are} {'' if one else 'all '}taken"
    return f"{what}{held}"


def sentence(allocation: Allocation, decision: Decision) -> str:
    """Where the request stands and what blocked it, in one line."""
    from seatalloc.allocation import Reason, Status

    blocked = "; ".join(
        dict.fromkeys(block_phrase(allocation, b, decision.request) for b in decision.blocks)
    )
    status = decision.status
    if decision.reason is Reason.MOVED and decision.note:
        return decision.note  # already says from where to where, and why
    if status in (Status.SEATED, Status.OFFERED):
        verb = "seated in" if status is Status.SEATED else "offered a seat in"
        text = f"{verb} {session_phrase(allocation, decision.session or '', decision.rank)}"
        if decision.reason is Reason.WITH_COLLEAGUES:
            text += ", with colleagues who registered earlier"
        elif decision.reason is Reason.NOT_REQUESTED:
            text += ", a session it did not ask for"
        elif decision.reason is Reason.LOWER_CHOICE and not blocked:
            text += ", although a better-ranked session had room"
        if blocked:
            text += f": {blocked}"
    elif status is Status.WAITLISTED:
        text = "waitlisted"
        if decision.position is not None:
            text += f" (position {decision.position})"
        if decision.reason is Reason.NO_COMMON_SESSION:
            text += ": the party's members share no acceptable session"
        elif blocked:
            text += f": {blocked}"
    else:
        text = status.value
    if decision.note:
        joined = decision.reason in (Reason.ADDED, Reason.INVALID) or status is Status.REJECTED
        text += f": {decision.note}" if joined else f" ({decision.note})"
    return text
