"""The first-come-first-served seating rules: the one place they live.

A unit (one request, or a whole party) is seated in the first session of its
candidates that has room for all its members in the session and in every
quota that applies to them. Batch allocation folds this over the units in
arrival order; the booking ledger feeds it one event at a time.

Capacity and quotas are both *counters*: room left that a seated request
spends. A session's seats are counter ``i`` for the ``i``-th session; each
quota adds one counter (or one per session when it is per session).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import attrs

from seatalloc.model import Problem, Quota, Request

__all__ = ["Engine", "Limit", "Shortfall"]

_NO_COUNTER = -1
"""In the first-total table: no quota in total applies."""


@attrs.frozen
class Limit:
    """What a counter caps: a session's seats, or a quota (in one session or in total)."""

    limit: int
    session: str | None = None
    quota: Quota | None = None


@attrs.frozen
class Shortfall:
    """A counter without room for a unit: it needed ``needed``, only ``left`` remained."""

    session: str
    limit: Limit
    needed: int
    left: int


class Engine:
    """Seats left in every session and quota, and the first-fit rule that spends them."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        session_ids = problem.session_ids
        self._session_counter = {s: i for i, s in enumerate(session_ids)}
        self._any = session_ids
        # What each counter caps, as parallel lists (cheap to build for many quotas):
        # the session it is scoped to (None: all sessions) and the quota (None: seats).
        self._scope: list[str | None] = list(session_ids)
        self._quota: list[Quota | None] = [None] * len(session_ids)
        self._cap: list[int] = [s.capacity for s in problem.sessions]
        # Quotas by group (None: every group), each with its counter, or counter per session.
        self._quotas_by_group: dict[str | None, list[tuple[Quota, int | dict[str, int]]]] = {}
        for quota in problem.quotas:
            counter: int | dict[str, int]
            if quota.per_session:
                counter = {s: self._add_counter(quota, s) for s in session_ids}
            else:
                counter = self._add_counter(quota, None)
            self._quotas_by_group.setdefault(quota.group, []).append((quota, counter))
        self.left: list[int] = list(self._cap)
        self.seat_of: dict[str, str] = {}
        """Request id to the session it sits in."""
        # Compiled per (group, role), or per group when no quota names a role: the counters
        # of the quotas that apply in total, and the per-session counter maps. The hot loop
        # reads flat tables: the first total counter (the group's earmark, usually the only
        # one) as a bare int (_NO_COUNTER when none applies), the others apart; most
        # problems have no others.
        self._totals: dict[tuple[str, str] | str, tuple[int, ...]] = {}
        self._first_total: dict[tuple[str, str] | str, int] = {}
        self._more_totals: dict[tuple[str, str] | str, tuple[int, ...]] = {}
        self._per_session: dict[tuple[str, str] | str, tuple[dict[str, int], ...]] = {}
        self._has_more_totals = self._has_per_session = False
        # Without a role quota the role changes no counter: compile once per group, not per role.
        self._role_matters = any(q.role is not None for q in problem.quotas)
        self._colleagues: dict[str, Counter[str]] | None = (
            {} if problem.policy.prefer_colleagues else None
        )

    def _add_counter(self, quota: Quota, scope: str | None) -> int:
        self._scope.append(scope)
        self._quota.append(quota)
        self._cap.append(quota.limit)
        return len(self._cap) - 1

    def limit(self, counter: int) -> Limit:
        """What ``counter`` caps."""
        return Limit(self._cap[counter], session=self._scope[counter], quota=self._quota[counter])

    def counters(self, request: Request, session: str) -> tuple[int, ...]:
        """The counters that seating ``request`` in ``session`` spends one of."""
        totals, per_session = self._quota_counters(request)
        return (self._session_counter[session], *totals, *(ids[session] for ids in per_session))

    def _quota_counters(
        self, request: Request
    ) -> tuple[tuple[int, ...], tuple[dict[str, int], ...]]:
        """Counters of the quotas that apply to ``request``: in total, and per-session maps."""
        key = (request.group, request.role) if self._role_matters else request.group
        totals = self._totals.get(key)
        if totals is None:
            quotas = self._quotas_by_group.get(request.group, [])
            quotas = quotas + self._quotas_by_group.get(None, [])
            applying = [c for q, c in quotas if q.applies_to(request)]
            totals = self._totals[key] = tuple(c for c in applying if isinstance(c, int))
            self._first_total[key] = totals[0] if totals else _NO_COUNTER
            self._more_totals[key] = totals[1:]
            self._per_session[key] = tuple(c for c in applying if isinstance(c, dict))
            self._has_more_totals = self._has_more_totals or len(totals) > 1
            self._has_per_session = self._has_per_session or bool(self._per_session[key])
        return totals, self._per_session[key]

    def candidates(self, unit: Sequence[Request]) -> tuple[str, ...]:
        """Sessions to try, in order: by rank, those with seated colleagues first if asked."""
        ranked = self.problem.unit_acceptable(unit)
        if self._colleagues is None:
            return ranked
        present = self._colleagues.get(unit[0].group)
        if not present:
            return ranked
        return tuple(s for s in ranked if present[s]) + tuple(s for s in ranked if not present[s])

    def need(self, unit: Sequence[Request], session: str) -> Counter[int]:
        """How much of each counter seating ``unit`` in ``session`` spends."""
        need: Counter[int] = Counter()
        for request in unit:
            need.update(self.counters(request, session))
        return need

    def shortfalls(self, unit: Sequence[Request], session: str) -> list[Shortfall]:
        """The counters that lack room for ``unit`` in ``session`` (empty: it fits)."""
        left = self.left
        return [
            Shortfall(session, self.limit(c), n, left[c])
            for c, n in sorted(self.need(unit, session).items())
            if left[c] < n
        ]

    def place(self, unit: Sequence[Request]) -> str | None:
        """Seat ``unit`` in its first candidate session with room; ``None`` if none has."""
        if len(unit) == 1:
            return self.place_request(unit[0])
        left = self.left
        for session in self.candidates(unit):
            need = self.need(unit, session)
            if all(left[c] >= n for c, n in need.items()):
                self.seat(unit, session)
                return session
        return None

    def place_request(self, request: Request) -> str | None:
        """:meth:`place` for a unit of one request."""
        self.place_requests((request,))
        return self.seat_of.get(request.id)

    def place_requests(self, requests: Iterable[Request]) -> list[str]:
        """Place single requests one after another; the ids of those left unseated.

        The first-fit rule for a single request, written once and kept lean:
        batch FCFS spends its time in this loop.
        """
        left = self.left
        first_total = self._first_total
        session_counter = self._session_counter
        seat_of = self.seat_of
        any_session = self._any
        colleagues = self._colleagues
        role_matters = self._role_matters
        unseated = []
        has_more, has_per_session = self._has_more_totals, self._has_per_session
        for request in requests:
            key = (request.group, request.role) if role_matters else request.group
            first = first_total.get(key)
            if first is None:
                self._quota_counters(request)
                first = first_total[key]
                # Compiling a new key may have set the flags.
                has_more, has_per_session = self._has_more_totals, self._has_per_session
            more = self._more_totals[key] if has_more else ()
            per_session = self._per_session[key] if has_per_session else ()
            # A quota in total binds in every session: checked once, before any session.
            if (first >= 0 and left[first] <= 0) or (more and any(left[c] <= 0 for c in more)):
                unseated.append(request.id)
                continue
            if colleagues is None:
                sessions = request.sessions or any_session
            else:
                sessions = self.candidates((request,))
            for session in sessions:
                i = session_counter[session]
                if left[i] <= 0 or (
                    per_session and any(left[m[session]] <= 0 for m in per_session)
                ):
                    continue
                left[i] -= 1
                if first >= 0:
                    left[first] -= 1
                for c in more:
                    left[c] -= 1
                for m in per_session:
                    left[m[session]] -= 1
                seat_of[request.id] = session
                if colleagues is not None:
                    colleagues.setdefault(request.group, Counter())[session] += 1
                break
            else:
                unseated.append(request.id)
        return unseated

    def seat(self, unit: Iterable[Request], session: str) -> None:
        """Seat ``unit`` in ``session`` unconditionally (rooms may go negative)."""
        for request in unit:
            for c in self.counters(request, session):
                self.left[c] -= 1
            self.seat_of[request.id] = session
            if self._colleagues is not None:
                self._colleagues.setdefault(request.group, Counter())[session] += 1

    def unseat(self, unit: Iterable[Request]) -> None:
        """Free the seats of the seated members of ``unit``."""
        for request in unit:
            session = self.seat_of.pop(request.id, None)
            if session is None:
                continue
            for c in self.counters(request, session):
                self.left[c] += 1
            if self._colleagues is not None:
                self._colleagues[request.group][session] -= 1

    def set_capacity(self, session: str, capacity: int) -> None:
        """Change a session's seat count; the seated stay (room may go negative)."""
        i = self._session_counter[session]
        self.left[i] += capacity - self._cap[i]
        self._cap[i] = capacity

    def release(self, quota: Quota) -> None:
        """Stop counting ``quota``: from now on it binds nobody (an earmark released).

        Seats already counted against it stay taken; only the cap is lifted.
        """
        for group, quotas in self._quotas_by_group.items():
            self._quotas_by_group[group] = [(q, c) for q, c in quotas if q != quota]
        for table in (self._totals, self._first_total, self._more_totals, self._per_session):
            table.clear()

    @classmethod
    def with_seats(cls, problem: Problem, assignments: Mapping[str, str | None]) -> Engine:
        """An engine in the state where ``assignments`` are seated."""
        engine = cls(problem)
        for request_id, session in assignments.items():
            if session is not None:
                engine.seat((problem.request_by_id[request_id],), session)
        return engine
