"""Plain sentences for decisions, built on demand from an allocation.

A decision names what the first-come-first-served rule saw at the
request's own turn (see :func:`seatalloc.allocation.describe`), so its
blocks are told in the past, after "at its turn". Example::

    waitlisted (position 3): at its turn, 4-5 November was full (28 of 28 seats);
    Uppsala's 4 places were held by r3, r7, r9 and r12

A plain :class:`~seatalloc.engine.Shortfall` (the booking ledger's, a fact
about the current state) is told in the present, with the holders of now.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from seatalloc.engine import Shortfall

if TYPE_CHECKING:
    from seatalloc.allocation import Allocation, Decision

__all__ = ["block_phrase", "named", "sentence", "session_phrase"]

_MAX_NAMED = 6
_MAX_CACHED = 4096


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def named(holders: Sequence[str]) -> list[str]:
    """The holders a sentence names: all of up to six, else the first five."""
    if len(holders) > _MAX_NAMED:
        return list(holders[: _MAX_NAMED - 1])
    return list(holders)


def _join(items: Sequence[str]) -> str:
    shown = named(items)
    if len(shown) < len(items):
        return ", ".join(shown) + f" and {len(items) - len(shown)} others"
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def session_phrase(allocation: Allocation, session: str, rank: int | None) -> str:
    """``25-26 November (2nd choice)``."""
    name = allocation.problem.session_by_id[session].name
    return name if rank is None else f"{name} ({_ordinal(rank)} choice)"


def block_phrase(allocation: Allocation, block: Shortfall, past: bool = True) -> str:
    """What lacked room: a full session, a session too small, or a quota and who held it.

    ``past`` tells a fact at the request's turn ("was full"), else one of now.
    Phrases are kept per allocation: many requests share a block, and its
    counter, room left and need fix its holders.
    """
    cache = allocation._phrases
    key = (block.session, block.limit, block.needed, block.left, past)
    phrase = cache.get(key)
    if phrase is None:
        if len(cache) >= _MAX_CACHED:
            cache.clear()  # a bounded cache: an allocation of a million keeps no million phrases
        phrase = cache[key] = _block_phrase(allocation, block, past)
    return phrase


def _block_phrase(allocation: Allocation, block: Shortfall, past: bool) -> str:
    problem = allocation.problem
    session = problem.session_by_id[block.session]
    cap, left, needed = block.limit.limit, block.left, block.needed
    is_, are, has = ("was", "were", "had") if past else ("is", "are", "has")
    quota = block.limit.quota
    if quota is None:
        if cap == 0:
            return f"{session.name} has no seats"
        if left > 0:
            return f"{session.name} {has} only {left} of {cap} seats left, {needed} needed"
        need = f", {needed} needed" if needed > 1 else ""
        return f"{session.name} {is_} full ({cap - left} of {cap} seats{need})"
    group = problem.group_by_id[quota.group].name + "'s" if quota.group else "the"
    scope = f" for role {quota.role!r}" if quota.role is not None else ""
    if block.limit.session is not None:
        scope += f" in {session.name}"
    if cap == 0:
        return f"{group} quota{scope} allows no places"
    what = f"{group} {cap} place{'' if cap == 1 else 's'}{scope}"
    holders = allocation.holders(block)
    if left > 0:
        text = f"only {left} of {what} {is_ if left == 1 else are} left, {needed} needed"
        if holders:
            others = "the other" if len(holders) == 1 else "the others"
            text += f" ({others} {is_ if len(holders) == 1 else are} held by {_join(holders)})"
        return text
    verb = is_ if cap == 1 else are
    if not holders:
        return f"{what} {verb} {'' if cap == 1 else 'all '}taken"
    return f"{what} {verb} held by {_join(holders)}"


def sentence(allocation: Allocation, decision: Decision) -> str:
    """Where the request stands and what blocked it at its turn, in one line."""
    from seatalloc.allocation import Block, Reason, Status

    past = [block_phrase(allocation, b) for b in decision.blocks if isinstance(b, Block)]
    now = [block_phrase(allocation, b, False) for b in decision.blocks if not isinstance(b, Block)]
    parts = [f"at its turn, {'; '.join(dict.fromkeys(past))}"] if past else []
    parts += ["; ".join(dict.fromkeys(now))] if now else []
    blocked = "; ".join(parts)
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
            text += ", although a better-ranked session had room at its turn"
        if blocked:
            text += f": {blocked}"
    elif status is Status.WAITLISTED:
        text = "waitlisted"
        if decision.position is not None:
            text += f" (position {decision.position})"
        if not allocation.problem.sessions:
            text += ": there is no session to seat it in"
        elif decision.reason is Reason.NO_COMMON_SESSION:
            text += ": the party's members share no acceptable session"
        elif blocked:
            text += f": {blocked}"
        if decision.reason is Reason.NO_ROOM and allocation.explainer is None:
            text += _had_room(allocation, decision)
    else:
        text = status.value
    if decision.note:
        joined = decision.reason in (Reason.ADDED, Reason.INVALID) or status is Status.REJECTED
        text += f": {decision.note}" if joined else f" ({decision.note})"
    return text


def _had_room(allocation: Allocation, decision: Decision) -> str:
    """``, although 4-5 November had room at its turn``: only in allocations not FCFS's."""
    problem = allocation.problem
    blocked = {b.session for b in decision.blocks}
    free = [s for s in allocation._described.acceptable(decision) if s not in blocked]
    if not free:
        return ""
    names = [problem.session_by_id[s].name for s in free]
    have = "had" if len(names) == 1 else "each had"
    return f", although {_join_all(names)} {have} room at its turn"


def _join_all(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
