"""The outcome of an allocation: who sits where, the waitlist, a decision per request, metrics."""

from __future__ import annotations

import enum
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from types import MappingProxyType
from typing import Any

import attrs

from seatalloc.engine import Engine, Shortfall
from seatalloc.model import Problem, Request

__all__ = ["Allocation", "Decision", "Reason", "Seating", "Status", "describe"]


class Status(enum.Enum):
    """Where a request stands."""

    SEATED = "seated"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"
    """A seat is held for the request until it accepts, declines or the offer expires."""
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"
    """Invalid: never entered the allocation."""


class Reason(enum.Enum):
    """Why a request stands where it does (machine-readable)."""

    FIRST_CHOICE = "first-choice"
    """Seated in its first choice, or in the first session for "any"."""
    LOWER_CHOICE = "lower-choice"
    """Seated below its first choice; ``blocks`` says what lacked room in better sessions
    (none in an allocation that is not FCFS's: then a better session had room)."""
    NOT_REQUESTED = "not-requested"
    """Seated in a session the request did not accept (only in allocations made elsewhere)."""
    WITH_COLLEAGUES = "with-colleagues"
    """Seated in a session where colleagues already sat (policy ``prefer_colleagues``)."""
    NO_ROOM = "no-room"
    """Waitlisted: every acceptable session lacked room (see ``blocks``)."""
    NO_COMMON_SESSION = "no-common-session"
    """Waitlisted: the party's members share no acceptable session."""
    MOVED = "moved"
    """Seated by an optimiser elsewhere than FCFS would (see ``note``)."""
    ADDED = "added"
    """Seated by an optimiser although FCFS waitlisted it (a seat FCFS left empty)."""
    PROMOTED = "promoted"
    """Seated or offered from the waitlist after a seat was freed."""
    INVALID = "invalid"
    """Rejected: the request itself is wrong (see ``note``)."""
    WITHDREW = "withdrew"
    """The requester withdrew."""
    DECLINED = "declined"
    """The requester declined an offered seat (booking ledger, offer mode)."""
    EXPIRED = "expired"
    """An offered seat was not accepted in time (booking ledger, offer mode)."""


@attrs.frozen
class Decision:
    """What happened to one request, and why.

    ``blocks`` lists, for a waitlisted request, what lacked room in each
    acceptable session; for one seated below its first choice, in each
    better-ranked session. ``note`` carries a method's own explanation.
    """

    request: str
    status: Status
    reason: Reason
    session: str | None = None
    rank: int | None = None
    position: int | None = None
    blocks: tuple[Shortfall, ...] = ()
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready record."""
        return {
            "request": self.request,
            "status": self.status.value,
            "reason": self.reason.value,
            "session": self.session,
            "rank": self.rank,
            "position": self.position,
            "blocks": [
                {
                    "session": b.session,
                    "limit": "capacity" if b.limit.quota is None else b.limit.quota.key,
                    "needed": b.needed,
                    "left": b.left,
                }
                for b in self.blocks
            ],
            "note": self.note,
        }


def describe(
    problem: Problem, assignments: Mapping[str, str | None], waitlist: Sequence[str]
) -> dict[str, Decision]:
    """Decisions that explain an allocation.

    A waitlisted request is explained by the final state: what keeps it out
    now. A seated one by the state when it was decided, with only earlier
    units seated: a better session that filled up later never blocked it.
    Exact for batch FCFS, which never moves a seated request.
    """
    engine = Engine.with_seats(problem, assignments)
    before = Engine(problem)
    earlier_colleague = _earlier_colleague_finder(problem, assignments)
    position = {request_id: i for i, request_id in enumerate(waitlist, start=1)}
    decisions: dict[str, Decision] = {}
    for unit in problem.units:
        for request in unit:
            decisions[request.id] = _decide(
                problem, assignments, unit, request,
                final=engine, before=before, position=position, colleague=earlier_colleague,
            )  # fmt: skip
        for request in unit:
            if (seat := assignments.get(request.id)) is not None:
                before.seat((request,), seat)
    return decisions


def _decide(
    problem: Problem,
    assignments: Mapping[str, str | None],
    unit: Sequence[Request],
    request: Request,
    *,
    final: Engine,
    before: Engine,
    position: Mapping[str, int],
    colleague: Callable[[str, str], bool],
) -> Decision:
    """One request's decision: ``final`` holds the final state, ``before`` the earlier units."""
    session = assignments.get(request.id)
    if session is None:
        others = [m for m in unit if assignments.get(m.id) is None]
        candidates = problem.unit_acceptable(unit)
        if not candidates:
            return Decision(
                request.id, Status.WAITLISTED, Reason.NO_COMMON_SESSION,
                position=position.get(request.id),
            )  # fmt: skip
        blocks = tuple(b for s in candidates for b in final.shortfalls(others, s))
        return Decision(
            request.id, Status.WAITLISTED, Reason.NO_ROOM,
            position=position.get(request.id), blocks=blocks,
        )  # fmt: skip
    together = [m for m in unit if assignments.get(m.id) == session]
    ranked = problem.unit_acceptable(unit)
    better = ranked[: ranked.index(session)] if session in ranked else ()
    blocks = tuple(b for s in better for b in before.shortfalls(together, s))
    if session not in ranked:
        return Decision(request.id, Status.SEATED, Reason.NOT_REQUESTED, session=session)
    if not better:
        reason = Reason.FIRST_CHOICE
    elif problem.policy.prefer_colleagues and colleague(request.id, session):
        reason = Reason.WITH_COLLEAGUES
    else:
        reason = Reason.LOWER_CHOICE
    return Decision(
        request.id, Status.SEATED, reason,
        session=session, rank=problem.rank(request, session), blocks=blocks,
    )  # fmt: skip


def _earlier_colleague_finder(
    problem: Problem, assignments: Mapping[str, str | None]
) -> Callable[[str, str], bool]:
    """Whether a colleague outside the request's own party sat in the session before it."""
    position = {r.id: i for i, r in enumerate(problem.order)}
    seated: dict[tuple[str, str], list[tuple[int, str | None]]] = {}
    for request in problem.order:
        session = assignments.get(request.id)
        if session is not None:
            seated.setdefault((request.group, session), []).append(
                (position[request.id], request.party)
            )

    def found(request_id: str, session: str) -> bool:
        request = problem.request_by_id[request_id]
        mine = position[request_id]
        for pos, party in seated.get((request.group, session), ()):
            if pos >= mine:
                return False
            if party is None or party != request.party:
                return True
        return False

    return found


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class Seating(Mapping[str, "str | None"]):
    """Every request id of a problem to its session id, or ``None``: a read-only view.

    It holds only the seated requests, so an allocation of a million requests
    needs no second million-entry mapping; ids iterate in arrival order.
    """

    __slots__ = ("_problem", "_seated")

    def __init__(self, problem: Problem, seated: Mapping[str, str]) -> None:
        self._problem = problem
        self._seated = seated

    def __getitem__(self, request_id: str) -> str | None:
        session = self._seated.get(request_id)
        if session is None and request_id not in self._problem.request_by_id:
            raise KeyError(request_id)
        return session

    def __iter__(self) -> Iterator[str]:
        return (r.id for r in self._problem.requests)

    def __len__(self) -> int:
        return len(self._problem.requests)

    def __repr__(self) -> str:
        return f"Seating({dict(self)!r})"


# Typed converters: bare ``MappingProxyType``/``tuple`` leave the constructor's
# argument types unsolvable for mypy, so typed callers could not build one.
def _frozen_assignments(value: Mapping[str, str | None]) -> Mapping[str, str | None]:
    return value if isinstance(value, Seating) else MappingProxyType(value)


def _waitlist(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen(eq=False)
class Allocation:
    """Who sits where, the waitlist in order, and a decision for every request.

    ``assignments`` maps every request id to its session id, or ``None``.
    Decisions are built on demand (by ``explainer`` when given, else
    :func:`describe`), so producing them never slows an allocation down.
    """

    problem: Problem = attrs.field(repr=False)
    assignments: Mapping[str, str | None] = attrs.field(converter=_frozen_assignments)
    waitlist: tuple[str, ...] = attrs.field(converter=_waitlist)
    method: str = "fcfs"
    explainer: Callable[[Allocation], Mapping[str, Decision]] | None = attrs.field(
        default=None, repr=False
    )
    report: Mapping[str, Any] | None = attrs.field(default=None, repr=False)
    """What the method that made it reports (an optimiser's solve report), as plain data."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Allocation):
            return NotImplemented
        return (dict(self.assignments), self.waitlist) == (dict(other.assignments), other.waitlist)

    __hash__ = None  # type: ignore[assignment]

    @cached_property
    def decisions(self) -> Mapping[str, Decision]:
        """Request id to its decision."""
        if self.explainer is not None:
            return MappingProxyType(dict(self.explainer(self)))
        return MappingProxyType(describe(self.problem, self.assignments, self.waitlist))

    def explain(self, request_id: str) -> str:
        """A plain sentence saying where the request stands and what blocked it."""
        from seatalloc.explain import sentence

        return sentence(self, self.decisions[request_id])

    @cached_property
    def rosters(self) -> Mapping[str, tuple[str, ...]]:
        """Session id to its seated request ids, in arrival order."""
        rosters: dict[str, list[str]] = {s: [] for s in self.problem.session_ids}
        for request in self.problem.order:
            session = self.assignments.get(request.id)
            if session is not None:
                rosters.setdefault(session, []).append(request.id)
        return MappingProxyType({s: tuple(ids) for s, ids in rosters.items()})

    def metrics(self) -> dict[str, Any]:
        """Seats filled, waitlist, per-group counts, groups split, role mix (plain data)."""
        problem = self.problem
        by_id = problem.request_by_id
        filled = {s: len(ids) for s, ids in self.rosters.items()}
        requested: Counter[str] = Counter(r.group for r in problem.requests)
        seated: Counter[str] = Counter()
        sessions_of: dict[str, set[str]] = {}
        role_mix: dict[str, Counter[str]] = {s: Counter() for s in problem.session_ids}
        first_choice = 0
        for request_id, session in self.assignments.items():
            if session is None:
                continue
            request = by_id[request_id]
            seated[request.group] += 1
            sessions_of.setdefault(request.group, set()).add(session)
            role_mix[session][request.role] += 1
            first_choice += not request.sessions or request.sessions[0] == session
        split = sorted(g for g, sessions in sessions_of.items() if len(sessions) > 1)
        capacity = sum(s.capacity for s in problem.sessions)
        total = sum(filled.values())
        return {
            "requests": len(problem.requests),
            "seated": total,
            "waitlisted": len(self.waitlist),
            "capacity": capacity,
            "empty_seats": max(capacity - total, 0),
            "first_choice": first_choice,
            "seats_filled": filled,
            "groups": {
                g.id: {"requested": requested[g.id], "seated": seated[g.id]} for g in problem.groups
            },
            "groups_split": len(split),
            "split_groups": split,
            "role_mix": {s: dict(sorted(c.items())) for s, c in role_mix.items()},
        }

    def records(self) -> list[dict[str, Any]]:
        """One plain record per request in arrival order (for CSV, pandas or polars)."""
        rows = []
        for request in self.problem.order:
            decision = self.decisions[request.id]
            rows.append(
                {
                    "id": request.id,
                    "group": request.group,
                    "role": request.role,
                    "arrival": request.arrival,
                    "status": decision.status.value,
                    "session": decision.session,
                    "rank": decision.rank,
                    "position": decision.position,
                    "reason": decision.reason.value,
                    "explanation": self.explain(request.id),
                }
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The allocation as plain data: the JSON file format."""
        return {
            "method": self.method,
            "assignments": {r.id: self.assignments.get(r.id) for r in self.problem.order},
            "waitlist": list(self.waitlist),
            "decisions": {
                r.id: {**self.decisions[r.id].to_dict(), "explanation": self.explain(r.id)}
                for r in self.problem.order
            },
            "metrics": self.metrics(),
            **({"report": dict(self.report)} if self.report is not None else {}),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The allocation as JSON text (see docs/formats.md)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, default=_jsonable)
