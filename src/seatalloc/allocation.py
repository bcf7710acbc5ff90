"""The outcome of an allocation: who sits where, the waitlist, a decision per request, metrics."""

from __future__ import annotations

import bisect
import enum
import itertools
import json
import operator
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from types import MappingProxyType
from typing import IO, Any, Literal, overload

import attrs

from seatalloc._bulk import paused_gc
from seatalloc.engine import Engine, Limit, Shortfall
from seatalloc.model import Problem, Quota, Request

__all__ = [
    "DECISIONS",
    "Allocation",
    "Block",
    "Decision",
    "DecisionChoice",
    "Reason",
    "Seating",
    "Status",
    "describe",
]

DecisionChoice = Literal["all", "waitlisted", "none"]
"""Which decisions an output carries: every request's, the waitlisted ones', or none."""
DECISIONS: tuple[DecisionChoice, ...] = ("all", "waitlisted", "none")


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
    """Seated below its first choice; ``blocks`` says what lacked room in better sessions at
    its turn (none in an allocation that is not FCFS's: then a better session had room)."""
    NOT_REQUESTED = "not-requested"
    """Seated in a session the request did not accept (only in allocations made elsewhere)."""
    WITH_COLLEAGUES = "with-colleagues"
    """Seated in a session where colleagues already sat (policy ``prefer_colleagues``)."""
    NO_ROOM = "no-room"
    """Waitlisted: every acceptable session lacked room at its turn (see ``blocks``; a session
    without a block had room then, only possible in an allocation that is not FCFS's)."""
    NO_COMMON_SESSION = "no-common-session"
    """Waitlisted: the party's members share no acceptable session."""
    NO_SESSION = "no-session"
    """Waitlisted: the problem has no session at all."""
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

    ``blocks`` lists what lacked room at the request's turn (see
    :func:`describe`): for a waitlisted request in each acceptable session,
    for one seated below its first choice in each better-ranked session.
    ``note`` carries a method's own explanation.
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
            "blocks": [_block_dict(b) for b in self.blocks],
            "note": self.note,
        }


def _block_dict(block: Shortfall, holders: Sequence[str] | None = None) -> dict[str, Any]:
    """A block as plain data: the counter, its size, what was needed and left, who held it."""
    quota = block.limit.quota
    data: dict[str, Any] = {
        "session": block.session,
        "limit": "capacity" if quota is None else quota.key,
        "cap": block.limit.limit,
        "needed": block.needed,
        "left": block.left,
    }
    if holders is None and isinstance(block, Block):
        holders = block.holders
    if quota is not None and holders is not None:
        from seatalloc.explain import named

        data["holders"] = named(holders)
    return data


@attrs.frozen
class Block(Shortfall):
    """A shortfall seen at a unit's turn, with the requests that held the counter's room then.

    ``holders`` are the requests seated before the unit's turn whose seats
    spend this counter, in their units' arrival order; there are
    ``limit.limit - left`` of them. They are left out of equality (they
    follow from the allocation). A plain :class:`Shortfall` in a decision
    (the booking ledger's) is a fact about the current state instead.
    """

    holders: Sequence[str] = attrs.field(default=(), eq=False, repr=False)


class _Prefix(Sequence[str]):
    """The first ``n`` items of a list, without copying them."""

    __slots__ = ("_items", "_n")

    def __init__(self, items: list[str], n: int) -> None:
        self._items, self._n = items, n

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return self._items[: self._n][index]
        if not -self._n <= index < self._n:
            raise IndexError(index)
        return self._items[index % self._n]

    def __iter__(self) -> Iterator[str]:
        return itertools.islice(self._items, self._n)

    def __repr__(self) -> str:
        return repr(list(self))


def _rows_by_turn(problem: Problem) -> Iterable[tuple[int, int]]:
    """Each row (arrival position) with its *turn*, in turn order.

    A unit's turn is the arrival position of its first member: a single
    request's is its own row; a party's members follow its first one and
    share its turn.
    """
    parties = problem.parties
    if not parties:
        return ((row, row) for row in range(len(problem.order)))
    rows: dict[str, list[int]] = {}
    for row, request in enumerate(problem.order):
        if request.party is not None and request.party in parties:
            rows.setdefault(request.party, []).append(row)
    ordered = []
    for row, request in enumerate(problem.order):
        members = rows.get(request.party) if request.party is not None else None
        if members is None:
            ordered.append((row, row))
        elif members[0] == row:
            ordered.extend((member, row) for member in members)
    return ordered


def _seat_getter(assignments: Mapping[str, str | None]) -> Callable[[str], str | None]:
    """A fast ``get`` for an assignment mapping (a :class:`Seating` holds only the seated)."""
    if isinstance(assignments, Seating):
        return assignments._seated.get
    return assignments.get


class _Turns:
    """The allocation replayed in turn order, once: who spent each counter, at which turn.

    The replay only ever spends seats, so at turn ``t`` a counter has spent
    exactly its holders whose turn is before ``t``: the room left then and who
    held it follow by bisection, without replaying again. Counters and limits
    are the engine's (its seats are never used here).
    """

    def __init__(
        self, problem: Problem, assignments: Mapping[str, str | None], seats: Sequence[str | None]
    ) -> None:
        self.engine = engine = Engine(problem)
        self.cap = list(engine.left)
        self.holders: list[list[str]] = [[] for _ in self.cap]
        self.turns: list[array[int]] = [array("q") for _ in self.cap]
        self.first_colleague: dict[tuple[str, str], int] = {}
        """(group, session) to the first turn a request of the group sat there
        (kept only under ``prefer_colleagues``, the one rule that asks)."""
        holders, turns, first = self.holders, self.turns, self.first_colleague
        colleagues = problem.policy.prefer_colleagues
        columns = problem.columns
        ids, kind, kinds = columns.ids, columns.kind, columns.kinds
        index = {s: i for i, s in enumerate(problem.session_ids)}
        spends = engine.kind_counters
        # Rows in arrival order, by their codes: no look-up by id or by (group,
        # role) per row, which at a million rows grows faster than the rows.
        for row, turn in _rows_by_turn(problem):
            session = seats[row]
            s = None if session is None else index.get(session)
            if s is None:
                continue
            for c in spends(kind[row], s):
                holders[c].append(ids[row])
                turns[c].append(turn)
            if colleagues:
                first.setdefault((kinds[kind[row]][0], problem.session_ids[s]), turn)
        self._counter_of: dict[tuple[str | None, Quota | None], int] | None = None
        self._limits: dict[int, Limit] = {}

    def spends(self, request: Request, session: str) -> tuple[int, ...]:
        """The engine's counters a seat of ``request`` in ``session`` spends: seats first."""
        return self.engine.counters(request, session)

    def blocks(self, unit: Sequence[Request], session: str, turn: int) -> list[Block]:
        """What lacked room for ``unit`` in ``session`` at ``turn`` (empty: it fitted)."""
        cap, turns = self.cap, self.turns
        if len(unit) == 1:
            need: Iterable[tuple[int, int]] = ((c, 1) for c in self.spends(unit[0], session))
        else:
            need = Counter(c for m in unit for c in self.spends(m, session)).items()
        found = []
        for c, needed in need:
            held = bisect.bisect_left(turns[c], turn)
            if cap[c] - held < needed:
                limit = self._limits.get(c)
                if limit is None:
                    limit = self._limits[c] = self.engine.limit(c)
                holders = _Prefix(self.holders[c], held)
                found.append(Block(session, limit, needed, cap[c] - held, holders))
        return found

    def holders_now(self, shortfall: Shortfall) -> Sequence[str] | None:
        """Everyone whose seat spends the counter of ``shortfall`` (``None``: no such counter)."""
        if self._counter_of is None:
            limits = map(self.engine.limit, range(len(self.cap)))
            self._counter_of = {(lim.session, lim.quota): c for c, lim in enumerate(limits)}
        counter = self._counter_of.get((shortfall.limit.session, shortfall.limit.quota))
        return None if counter is None else self.holders[counter]


class _Decisions(Mapping[str, Decision]):
    """Every request's decision, built when asked for from one replay of the allocation.

    A decision names what the first-come-first-served rule saw at the
    request's own turn: the state with every earlier unit seated as in this
    allocation, and no later one.
    """

    def __init__(
        self, problem: Problem, assignments: Mapping[str, str | None], waitlist: Sequence[str]
    ) -> None:
        self._problem, self._waitlist = problem, waitlist
        self._get = _seat_getter(assignments)
        self._assignments = assignments
        self._last: tuple[Decision | None, tuple[str, ...]] = (None, ())

    @cached_property
    def turns(self) -> _Turns:
        with paused_gc():  # the replay builds an engine and a list per counter, all kept
            return _Turns(self._problem, self._assignments, self.seats)

    @cached_property
    def seats(self) -> list[str | None]:
        """Each row's session (``None``: unseated), in arrival order.

        One look-up per request, once: every later pass over the requests
        (assignments, decisions, metrics) reads this list in order instead of
        a million-entry mapping at random, which at a million requests is
        most of what a pass costs.
        """
        return list(map(self._get, self._problem.columns.ids))

    @cached_property
    def positions(self) -> Sequence[int]:
        """Each row's waitlist position (0: not waitlisted), in arrival order."""
        ids, seats = self._problem.columns.ids, self.seats
        unseated = list(itertools.compress(ids, map(operator.not_, seats)))
        if unseated == list(self._waitlist):
            # The unseated in arrival order (FCFS's waitlist): positions count them.
            counts = itertools.accumulate(map(operator.not_, seats))
            return array("q", map(operator.mul, counts, map(operator.not_, seats)))
        return array("q", map(self._position.get, ids, itertools.repeat(0)))

    @cached_property
    def _position(self) -> dict[str, int]:
        return {request_id: i for i, request_id in enumerate(self._waitlist, start=1)}

    def __getitem__(self, request_id: str) -> Decision:
        problem = self._problem
        unit = problem.unit_of(request_id)  # KeyError for an unknown id
        request = problem.request_by_id[request_id]
        turn, position = self._turn_of(unit[0]), self._position.get(request_id)
        return self._decide(unit, request, turn, self._get(request_id), position)

    def __iter__(self) -> Iterator[str]:
        return iter(self._problem.order.ids)

    def __len__(self) -> int:
        return len(self._problem.order)

    def __contains__(self, request_id: object) -> bool:
        return request_id in self._problem.request_by_id

    def in_order(self) -> Iterator[Decision]:
        """Every decision, in arrival order of the requests (no search for turns)."""
        parties = self._problem.parties
        party_turn: dict[str, int] = {}
        decide = self._decide
        rows = zip(self._problem.order, self.seats, self.positions, strict=True)
        for row, (request, session, position) in enumerate(rows):
            if request.party is None or request.party not in parties:
                yield decide((request,), request, row, session, position or None)
            else:
                unit, turn = parties[request.party], party_turn.setdefault(request.party, row)
                yield decide(unit, request, turn, session, position or None)

    def acceptable(self, decision: Decision) -> tuple[str, ...]:
        """The sessions the unit of ``decision``'s request accepts, best first.

        The last waitlisted decision built remembers them: its sentence asks
        right after, and need not look its request up among a million.
        """
        last, ranked = self._last
        if decision is last:
            return ranked
        problem = self._problem
        return problem.unit_acceptable(problem.unit_of(decision.request))

    def _turn_of(self, first: Request) -> int:
        order, key = self._problem.order, self._problem.policy.order_key
        turn = bisect.bisect_left(order, key(first), key=key)
        if turn < len(order) and order.ids[turn] == first.id:
            return turn
        # Only if the stored order were not by order_key: search it plainly.
        return order.ids.index(first.id)

    def _decide(
        self,
        unit: Sequence[Request],
        request: Request,
        turn: int,
        session: str | None,
        position: int | None,
    ) -> Decision:
        """One request's decision, from its unit's ``turn``, its seat and waitlist position."""
        problem, get = self._problem, self._get
        ranked = problem.unit_acceptable(unit)
        if session is None:
            if not ranked:
                reason = Reason.NO_COMMON_SESSION if problem.sessions else Reason.NO_SESSION
                return Decision(request.id, Status.WAITLISTED, reason, position=position)
            turns = self.turns
            blocks = tuple(b for s in ranked for b in turns.blocks(unit, s, turn))
            decision = Decision(
                request.id, Status.WAITLISTED, Reason.NO_ROOM, position=position, blocks=blocks
            )
            self._last = (decision, ranked)
            return decision
        if session not in ranked:
            return Decision(request.id, Status.SEATED, Reason.NOT_REQUESTED, session=session)
        rank = problem.rank(request, session)
        better = ranked[: ranked.index(session)]
        if not better:
            return Decision(request.id, Status.SEATED, Reason.FIRST_CHOICE, session, rank)
        together = unit if len(unit) == 1 else [m for m in unit if get(m.id) == session]
        turns = self.turns
        blocks = tuple(b for s in better for b in turns.blocks(together, s, turn))
        reason = Reason.LOWER_CHOICE
        if problem.policy.prefer_colleagues:
            first = turns.first_colleague.get((request.group, session))
            if first is not None and first < turn:
                reason = Reason.WITH_COLLEAGUES
        return Decision(request.id, Status.SEATED, reason, session, rank, blocks=blocks)


def describe(
    problem: Problem, assignments: Mapping[str, str | None], waitlist: Sequence[str]
) -> dict[str, Decision]:
    """Decisions that explain an allocation, each at its request's own turn.

    A unit's turn is its first member's place in arrival order; a decision
    names what lacked room then, with every earlier unit seated as in the
    allocation and no later one (for batch FCFS: exactly what the engine
    saw). :attr:`Allocation.decisions` builds them one at a time instead.
    """
    return {d.request: d for d in _Decisions(problem, assignments, waitlist).in_order()}


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
        return iter(self._problem.requests.ids)

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
        """Request id to its decision, each built when read (see :func:`describe`)."""
        if self.explainer is not None:
            return MappingProxyType(dict(self.explainer(self)))
        return self._described

    @cached_property
    def _phrases(self) -> dict[tuple[object, ...], str]:
        """Block phrases already built (see :func:`seatalloc.explain.block_phrase`)."""
        return {}

    @cached_property
    def _described(self) -> _Decisions:
        return _Decisions(self.problem, self.assignments, self.waitlist)

    def explain(self, request_id: str) -> str:
        """A plain sentence saying where the request stands and what blocked it."""
        from seatalloc.explain import sentence

        return sentence(self, self.decisions[request_id])

    def holders(self, block: Shortfall) -> Sequence[str] | None:
        """Who holds the room of the counter a block names.

        A :class:`Block` (a fact at a request's turn) carries its holders then;
        for a plain :class:`Shortfall` (a fact about the current state) they are
        every request whose seat spends that counter now. ``None`` when the
        counter is not one of this allocation's problem.
        """
        if isinstance(block, Block):
            return block.holders
        return self._described.turns.holders_now(block)

    def _in_order(self, which: DecisionChoice = "all") -> Iterator[Decision | None]:
        """Each request's decision in arrival order; ``None`` where ``which`` leaves it out."""
        order = self.problem.order
        if which == "none":
            return itertools.repeat(None, len(order))
        if self.explainer is None and which == "all":
            return self._described.in_order()
        decisions = self.decisions
        if which == "all":
            return map(decisions.__getitem__, order.ids)
        seats = self._described.seats
        return (
            None if s is not None else decisions[i] for i, s in zip(order.ids, seats, strict=True)
        )

    @cached_property
    def rosters(self) -> Mapping[str, tuple[str, ...]]:
        """Session id to its seated request ids, in arrival order."""
        rosters: dict[str, list[str]] = {s: [] for s in self.problem.session_ids}
        for request_id, session in zip(
            self.problem.columns.ids, self._described.seats, strict=True
        ):
            if session is not None:
                rosters.setdefault(session, []).append(request_id)
        return MappingProxyType({s: tuple(ids) for s, ids in rosters.items()})

    def metrics(self) -> dict[str, Any]:
        """Seats filled, waitlist, per-group counts, groups split, role mix (plain data)."""
        problem = self.problem
        filled = {s: len(ids) for s, ids in self.rosters.items()}
        # Column by column over the seated rows in arrival order (no Python per request but
        # the first-choice test): kinds (group, role) from the compiled columns.
        columns = problem.columns
        where = self._described.seats
        sessions = list(filter(None, where))
        seated_kinds = list(itertools.compress(columns.kind, where))
        requested = _by_group(columns.kinds, Counter(columns.kind))
        seated = _by_group(columns.kinds, Counter(seated_kinds))
        kind_sessions = set(zip(seated_kinds, sessions, strict=True))
        split = sorted(
            g
            for g, n in Counter(
                g for g, _ in {(columns.kinds[k][0], s) for k, s in kind_sessions}
            ).items()
            if n > 1
        )
        role_mix: dict[str, Counter[str]] = {s: Counter() for s in problem.session_ids}
        for (kind, session), n in Counter(zip(seated_kinds, sessions, strict=True)).items():
            role_mix[session][columns.kinds[kind][1]] += n
        seated_rankings = itertools.compress(problem.requests.rankings, where)
        first_choice = sum(map(_first_choice, seated_rankings, sessions))
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

    def records(
        self, attributes: Sequence[str] = (), decisions: DecisionChoice = "all"
    ) -> list[dict[str, Any]]:
        """One plain record per request in arrival order (for CSV, pandas or polars).

        Each has ``id``, ``group``, ``role``, ``arrival``, ``status``,
        ``session``, ``rank``, ``position``, then ``reason`` and
        ``explanation`` (unless ``decisions`` is ``"none"``; with
        ``"waitlisted"`` they are ``None`` for seated requests), then one key
        per name in ``attributes``: that free attribute of the request, or
        ``None`` (personal data, so only when asked for).
        """
        return list(self.iter_records(attributes, decisions))

    def iter_records(
        self, attributes: Sequence[str] = (), decisions: DecisionChoice = "all"
    ) -> Iterator[dict[str, Any]]:
        """:meth:`records` one at a time, so a writer never holds them all."""
        _check_choice(decisions)
        from seatalloc.explain import sentence

        rank = self.problem.rank
        described = self._described
        rows = zip(
            self.problem.order, described.seats, described.positions, self._in_order(decisions),
            strict=True,
        )  # fmt: skip
        for request, session, position, decision in rows:
            if decision is None:
                record: dict[str, Any] = {
                    "id": request.id,
                    "group": request.group,
                    "role": request.role,
                    "arrival": request.arrival,
                    "status": (Status.WAITLISTED if session is None else Status.SEATED).value,
                    "session": session,
                    "rank": None if session is None else rank(request, session),
                    "position": (position or None) if session is None else None,
                }
                if decisions != "none":
                    record["reason"] = record["explanation"] = None
            else:
                record = {
                    "id": request.id,
                    "group": request.group,
                    "role": request.role,
                    "arrival": request.arrival,
                    "status": decision.status.value,
                    "session": decision.session,
                    "rank": decision.rank,
                    "position": decision.position,
                    "reason": decision.reason.value,
                    "explanation": sentence(self, decision),
                }
            for name in attributes:
                record[name] = request.attributes.get(name)
            yield record

    def decision_dict(self, decision: Decision) -> dict[str, Any]:
        """A decision as plain data with its sentence: what the JSON file holds per request.

        Each block carries the same facts as the sentence: the counter
        (``limit``: ``capacity`` or a quota key), its size ``cap``, ``needed``,
        ``left``, and for a quota the ``holders`` the sentence names.
        """
        from seatalloc.explain import sentence

        data = decision.to_dict()
        if any(not isinstance(b, Block) for b in decision.blocks):
            data["blocks"] = [_block_dict(b, self.holders(b)) for b in decision.blocks]
        data["explanation"] = sentence(self, decision)
        return data

    def to_dict(self, decisions: DecisionChoice = "all") -> dict[str, Any]:
        """The allocation as plain data: the JSON file format.

        ``decisions`` chooses which requests' decisions it holds (all, the
        waitlisted only, or none: then the key is left out).
        """
        _check_choice(decisions)
        data: dict[str, Any] = {
            "method": self.method,
            "assignments": dict(zip(self.problem.order.ids, self._described.seats, strict=True)),
            "waitlist": list(self.waitlist),
        }
        if decisions != "none":
            data["decisions"] = {
                request_id: self.decision_dict(d)
                for request_id, d in zip(
                    self.problem.order.ids, self._in_order(decisions), strict=True
                )
                if d is not None
            }
        data["metrics"] = self.metrics()
        if self.report is not None:
            data["report"] = dict(self.report)
        return data

    def to_json(self, indent: int | None = 2, decisions: DecisionChoice = "all") -> str:
        """The allocation as JSON text (see docs/formats.md and :meth:`write_json`)."""
        # Pieces joined once: a StringIO would hold the text as 4 bytes a character and
        # copy it as it grows (at a million requests, half a gigabyte of text).
        pieces: list[str] = []
        _check_choice(decisions)
        with paused_gc():
            self._write_json(pieces.append, indent, decisions)
        return "".join(pieces)

    def write_json(
        self, handle: IO[str], indent: int | None = 2, decisions: DecisionChoice = "all"
    ) -> None:
        """Write :meth:`to_dict` as JSON to ``handle`` piece by piece, never all in memory.

        With an ``indent`` each assignment, waitlist entry and decision is on
        a line of its own (a decision as one compact object); with ``None``
        the whole file is one line. The collector of cycles waits meanwhile (see
        :func:`~seatalloc._bulk.paused_gc`): the records are short-lived objects
        without cycles, and what is built once for them (the replay of turns,
        the rosters) is kept, so its walks would find nothing to free.
        """
        _check_choice(decisions)
        with paused_gc():
            self._write_json(handle.write, indent, decisions)

    def _write_json(
        self, sink: Callable[[str], object], indent: int | None, decisions: DecisionChoice
    ) -> None:
        nl = "" if indent is None else "\n"
        pad = "" if indent is None else " " * indent
        inner = nl + pad * 2
        dump = _dumper()
        quote = _quote
        write = _Chunks(sink)
        write("{" + nl + pad + '"method": ' + dump(self.method) + ",")
        write(nl + pad + '"assignments": {')
        first = True
        # Session ids quoted once each; ids from the compiled columns (no Request touched).
        quoted: dict[str | None, str] = {s: quote(s) for s in self.problem.session_ids}
        quoted[None] = "null"
        for request_id, session in zip(
            self.problem.columns.ids, self._described.seats, strict=True
        ):
            where = quoted.get(session) or quote(str(session))  # or a session not the problem's
            write(("" if first else ", ") + inner + quote(request_id) + ": " + where)
            first = False
        write(("" if first else nl + pad) + "},")
        write(nl + pad + '"waitlist": [')
        for i, request_id in enumerate(self.waitlist):
            write((", " if i else "") + inner + quote(request_id))
        write((nl + pad if self.waitlist else "") + "],")
        if decisions != "none":
            write(nl + pad + '"decisions": {')
            first = True
            for request_id, decision in zip(
                self.problem.order.ids, self._in_order(decisions), strict=True
            ):
                if decision is not None:
                    record = dump(self.decision_dict(decision))
                    write(("" if first else ", ") + inner + quote(request_id) + ": " + record)
                    first = False
            write(("" if first else nl + pad) + "},")
        tail = {"metrics": self.metrics()}
        if self.report is not None:
            tail["report"] = dict(self.report)
        for i, (key, value) in enumerate(tail.items()):
            text = json.dumps(value, indent=indent, ensure_ascii=False, default=_jsonable)
            write(("," if i else "") + nl + pad + dump(key) + ": " + text.replace("\n", "\n" + pad))
        write(nl + "}")
        write.flush()


def _by_group(kinds: Sequence[tuple[str, str]], counts: Counter[int]) -> Counter[str]:
    """Counts by kind (an index in ``kinds``) summed by the kinds' groups."""
    total: Counter[str] = Counter()
    for kind, n in counts.items():
        total[kinds[kind][0]] += n
    return total


def _first_choice(ranking: tuple[str, ...], session: str) -> bool:
    """Whether ``session`` is the first of ``ranking`` (any session is, for an empty one)."""
    return not ranking or ranking[0] == session


def _check_choice(decisions: object) -> None:
    if decisions not in DECISIONS:
        raise ValueError(f"decisions must be one of {', '.join(DECISIONS)}; got {decisions!r}")


# A JSON string literal, not escaping non-ASCII (the file is UTF-8): json's own C function.
_quote: Callable[[str], str] = json.encoder.encode_basestring


def _dumper() -> Callable[[Any], str]:
    """``json.dumps`` for one value, as the file writes it (UTF-8 text, ISO date-times)."""
    return json.JSONEncoder(ensure_ascii=False, default=_jsonable).encode


class _Chunks:
    """Buffered writes: many small strings go to ``sink`` in large pieces."""

    def __init__(self, sink: Callable[[str], object], size: int = 1 << 16) -> None:
        self._sink, self._size = sink, size
        self._parts: list[str] = []
        self._length = 0

    def __call__(self, text: str) -> None:
        self._parts.append(text)
        self._length += len(text)
        if self._length >= self._size:
            self.flush()

    def flush(self) -> None:
        self._sink("".join(self._parts))
        self._parts.clear()
        self._length = 0
