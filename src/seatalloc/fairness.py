"""Fairness checks: every way an allocation breaks the first-come-first-served promises.

Works on any allocation, made by this library or by anything else, given as
an :class:`Allocation` or a plain mapping of request id to session id (or
``None``). The checks recount everything from scratch and share no code
with the engine, so they can catch an engine bug. They use only the model's
definitions: :meth:`Quota.applies_to`, :attr:`Problem.units`,
:attr:`Problem.order` and :meth:`Problem.unit_acceptable`.

A *unit* is what FCFS seats at once: a whole party when the policy keeps
parties together, else a single request. A *counter* is a session's seats
or a quota (in total, or in one session when the quota is per session).
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import attrs

from seatalloc.allocation import Allocation
from seatalloc.errors import FieldError
from seatalloc.model import PartyRule, Problem, Quota, Request

__all__ = ["CHECKS", "Violation", "violations"]

CHECKS = ("capacity", "quota", "party", "acceptability", "waste", "priority")
"""Every kind of violation, in the order :func:`violations` reports them."""


@attrs.frozen
class Violation:
    """One broken promise: its kind (one of :data:`CHECKS`) and a plain sentence.

    The sentence names request ids, sessions and quotas, never a request's
    personal attributes.
    """

    kind: str
    message: str
    requests: tuple[str, ...] = ()
    session: str | None = None


# A counter: ("seats", session) or (quota index, session or None for a total quota).
_Key = tuple[object, str | None]
_Unit = tuple[Request, ...]


def violations(
    problem: Problem,
    allocation: Allocation | Mapping[str, str | None],
    *,
    checks: Iterable[str] = CHECKS,
) -> list[Violation]:
    """Every violation of the requested ``checks`` (all by default); ``[]`` when fair.

    - capacity: seated in a session <= its capacity.
    - quota: for every quota, the seated requests it applies to <= its limit
      (in each session separately when the quota is per session).
    - party (only when parties are kept together): a party's members are all
      seated in one session or all unseated.
    - acceptability: a request is seated only in a session it lists
      (an empty list accepts any session of the problem).
    - waste: no unseated unit has a session acceptable to all its members
      where adding the whole unit breaks no capacity and no quota.
    - priority (no justified envy): no earlier unit *i* and later unit *j*
      seated in session *s* such that *s* is acceptable to *i*, *i* is
      unseated or (without ``prefer_colleagues``) seated in a session it
      ranks below *s*, and *i* would fit in *s* once *j* leaves *s* and *i*
      leaves its own session. Each such pair is one violation.

    Quotas are checked as stated: an earmark ``release`` time (applied only by
    the booking ledger) is not considered; check a ledger's state against the
    problem without its released quotas. Requests missing from ``allocation``
    count as unseated. A unit whose
    members sit in different sessions is only reported by the party check.
    Raises :class:`FieldError` when ``allocation`` names an unknown request
    and ``ValueError`` for an unknown check.
    """
    wanted = (checks,) if isinstance(checks, str) else tuple(checks)
    for kind in wanted:
        if kind not in CHECKS:
            raise ValueError(f"unknown fairness check {kind!r}; expected one of {CHECKS}")
    assignments = allocation.assignments if isinstance(allocation, Allocation) else allocation
    state = _State(problem, assignments)
    found: list[Violation] = []
    for kind in CHECKS:
        if kind in wanted:
            found.extend(_CHECKERS[kind](state))
    return found


class _State:
    """The allocation recounted: who sits where, and how much of every counter is spent."""

    def __init__(self, problem: Problem, assignments: Mapping[str, str | None]) -> None:
        by_id = problem.request_by_id
        for request_id in assignments:
            if request_id not in by_id:
                raise FieldError(
                    "allocation", None, "assignments", request_id, "must name only known requests"
                )
        self.problem = problem
        self.seat: dict[str, str | None] = {r.id: assignments.get(r.id) for r in problem.requests}
        self.limit: dict[_Key, int] = {("seats", s.id): s.capacity for s in problem.sessions}
        for i, quota in enumerate(problem.quotas):
            scopes: Sequence[str | None] = problem.session_ids if quota.per_session else (None,)
            for scope in scopes:
                self.limit[(i, scope)] = quota.limit
        # Quotas by group (None: every group), so a request only tests those that may apply.
        self._by_group: dict[str | None, list[tuple[int, Quota]]] = {}
        for i, quota in enumerate(problem.quotas):
            self._by_group.setdefault(quota.group, []).append((i, quota))
        self._applying: dict[tuple[str, str], list[tuple[int, Quota]]] = {}
        self.used: Counter[_Key] = Counter()
        self.members: dict[_Key, list[str]] = {}
        for request in problem.order:
            session = self.seat[request.id]
            if session is not None and ("seats", session) in self.limit:
                for key in self.spends(request, session):
                    self.used[key] += 1
                    self.members.setdefault(key, []).append(request.id)

    def spends(self, request: Request, session: str) -> list[_Key]:
        """The counters that ``request`` seated in ``session`` spends one of."""
        group_role = (request.group, request.role)
        applying = self._applying.get(group_role)
        if applying is None:
            maybe = self._by_group.get(request.group, []) + self._by_group.get(None, [])
            applying = [(i, q) for i, q in maybe if q.applies_to(request)]
            self._applying[group_role] = applying
        keys: list[_Key] = [("seats", session)]
        keys += [(i, session if q.per_session else None) for i, q in applying]
        return keys

    def need(self, unit: Iterable[Request], session: str) -> Counter[_Key]:
        """How much of each counter seating ``unit`` in ``session`` spends."""
        need: Counter[_Key] = Counter()
        for request in unit:
            need.update(self.spends(request, session))
        return need

    def place(self, unit: _Unit) -> str | bool | None:
        """The one session all of ``unit`` sits in, ``None`` if unseated, ``False`` if split."""
        sessions = {self.seat[r.id] for r in unit}
        if len(sessions) != 1:
            return False
        return sessions.pop()

    def describe(self, key: _Key) -> str:
        """A counter as a reader names it."""
        kind, scope = key
        if kind == "seats":
            return f"session {scope!r}"
        assert isinstance(kind, int)
        quota = self.problem.quotas[kind]
        where = f" in session {scope!r}" if scope is not None else " in total"
        return f"quota {quota.key} (limit {quota.limit}){where}"


def _ids(unit: Iterable[Request]) -> tuple[str, ...]:
    return tuple(r.id for r in unit)


def _who(unit: Sequence[Request]) -> str:
    if len(unit) == 1:
        return f"request {unit[0].id!r}"
    return f"party {unit[0].party!r} ({', '.join(_ids(unit))})"


def _capacity(state: _State) -> Iterable[Violation]:
    for session in state.problem.sessions:
        key: _Key = ("seats", session.id)
        if state.used[key] > session.capacity:
            seated = state.members[key]
            yield Violation(
                "capacity",
                f"session {session.id!r} seats {len(seated)}, over its capacity of "
                f"{session.capacity}: {', '.join(seated)}",
                tuple(seated),
                session.id,
            )


def _quota(state: _State) -> Iterable[Violation]:
    for key, limit in state.limit.items():
        if key[0] != "seats" and state.used[key] > limit:
            seated = state.members[key]
            yield Violation(
                "quota",
                f"{state.describe(key)} is exceeded by {len(seated)} seated: {', '.join(seated)}",
                tuple(seated),
                key[1],
            )


def _party(state: _State) -> Iterable[Violation]:
    if state.problem.policy.parties is not PartyRule.TOGETHER:
        return
    for party, members in state.problem.parties.items():
        if state.place(members) is False:
            where = ", ".join(f"{r.id} in {state.seat[r.id] or 'no session'}" for r in members)
            yield Violation("party", f"party {party!r} is split: {where}", _ids(members), None)


def _acceptability(state: _State) -> Iterable[Violation]:
    problem = state.problem
    for request in problem.order:
        session = state.seat[request.id]
        if session is None or session in problem.acceptable(request):
            continue
        if session not in problem.session_by_id:
            message = f"request {request.id!r} is seated in {session!r}, not a session at all"
        else:
            message = f"request {request.id!r} is seated in {session!r}, which it did not accept"
        yield Violation("acceptability", message, (request.id,), session)


def _fits(state: _State, need: Counter[_Key], freed: Counter[_Key]) -> bool:
    used, limit = state.used, state.limit
    return all(used[key] - freed[key] + n <= limit[key] for key, n in need.items())


def _waste(state: _State) -> Iterable[Violation]:
    empty: Counter[_Key] = Counter()
    for unit in state.problem.units:
        if state.place(unit) is not None:
            continue
        for session in state.problem.unit_acceptable(unit):
            if _fits(state, state.need(unit, session), empty):
                yield Violation(
                    "waste",
                    f"{_who(unit)} is unseated although session {session!r} has room for it",
                    _ids(unit),
                    session,
                )


def _priority(state: _State) -> Iterable[Violation]:
    """Justified envy, found per session among the units seated there after the envious one."""
    problem = state.problem
    units = problem.units
    # Per session: the arrival positions of the units seated there, and what each frees by leaving.
    seated_at: dict[str, list[int]] = {}
    frees: dict[int, Counter[_Key]] = {}
    for position, unit in enumerate(units):
        session = state.place(unit)
        if isinstance(session, str) and session in problem.session_by_id:
            seated_at.setdefault(session, []).append(position)
            frees[position] = state.need(unit, session)
    envy_seated = not problem.policy.prefer_colleagues
    for position, unit in enumerate(units):
        own = state.place(unit)
        if own is False or (own is not None and not envy_seated):
            continue
        ranked = problem.unit_acceptable(unit)
        # Sessions ranked above the unit's own; all of them when it sits nowhere
        # acceptable (unseated, or seated where it did not accept).
        better = ranked[: ranked.index(own)] if isinstance(own, str) and own in ranked else ranked
        freed_by_self = frees.get(position, Counter())
        for session in better:
            later = seated_at.get(session, [])
            start = bisect.bisect_right(later, position)
            if start == len(later):
                continue
            # What the unit lacks in each counter once it has left its own session;
            # a later unit is envied when leaving frees at least that much.
            lacking = {
                key: state.used[key] - freed_by_self[key] + n - state.limit[key]
                for key, n in state.need(unit, session).items()
            }
            lacking = {key: n for key, n in lacking.items() if n > 0}
            for other in later[start:]:
                freed = frees[other]
                if all(freed[key] >= n for key, n in lacking.items()):
                    yield _envy(unit, own, units[other], session)


def _envy(unit: _Unit, own: str | bool | None, rival: _Unit, session: str) -> Violation:
    where = f"session {own!r}" if isinstance(own, str) else "no session"
    return Violation(
        "priority",
        f"{_who(unit)} sits in {where} although it came before {_who(rival)}, "
        f"and would fit in session {session!r} in its place",
        _ids(unit) + _ids(rival),
        session,
    )


_CHECKERS = {
    "capacity": _capacity,
    "quota": _quota,
    "party": _party,
    "acceptability": _acceptability,
    "waste": _waste,
    "priority": _priority,
}
