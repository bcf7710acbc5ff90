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
        self.limits: list[Limit] = [Limit(s.capacity, session=s.id) for s in problem.sessions]
        self._quota_counters: list[tuple[Quota, dict[str | None, int]]] = []
        for quota in problem.quotas:
            scopes: list[str | None] = (
                list(problem.session_ids) if quota.per_session else [None]
            )
            ids = {}
            for scope in scopes:
                ids[scope] = len(self.limits)
                self.limits.append(Limit(quota.limit, session=scope, quota=quota))
            self._quota_counters.append((quota, ids))
        self.left: list[int] = [limit.limit for limit in self.limits]
        self.seat_of: dict[str, str] = {}
        """Request id to the session it sits in."""
        self._compiled: dict[tuple[str, str], dict[str, tuple[int, ...]]] = {}
        self._group_quotas: dict[str, list[tuple[Quota, dict[str | None, int]]]] = {}
        self._colleagues: dict[str, Counter[str]] | None = (
            {} if problem.policy.prefer_colleagues else None
        )

    def counters(self, request: Request) -> Mapping[str, tuple[int, ...]]:
        """Per session, the counters that seating ``request`` there spends one of."""
        key = (request.group, request.role)
        compiled = self._compiled.get(key)
        if compiled is None:
            relevant = self._group_quotas.get(request.group)
            if relevant is None:
                # Other groups' quotas never apply: filter them out once per group, not per role.
                relevant = [
                    (q, ids) for q, ids in self._quota_counters if q.group in (None, request.group)
                ]
                self._group_quotas[request.group] = relevant
            applying = [ids for quota, ids in relevant if quota.applies_to(request)]
            compiled = {
                session: (i, *(ids[session] if session in ids else ids[None] for ids in applying))
                for i, session in enumerate(self.problem.session_ids)
            }
            self._compiled[key] = compiled
        return compiled

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
            need.update(self.counters(request)[session])
        return need

    def shortfalls(self, unit: Sequence[Request], session: str) -> list[Shortfall]:
        """The counters that lack room for ``unit`` in ``session`` (empty: it fits)."""
        left = self.left
        return [
            Shortfall(session, self.limits[c], n, left[c])
            for c, n in sorted(self.need(unit, session).items())
            if left[c] < n
        ]

    def place(self, unit: Sequence[Request]) -> str | None:
        """Seat ``unit`` in its first candidate session with room; ``None`` if none has."""
        left = self.left
        if len(unit) == 1:
            request = unit[0]
            counters = self.counters(request)
            sessions = (
                request.sessions or self.problem.session_ids
                if self._colleagues is None
                else self.candidates(unit)
            )
            for session in sessions:
                spent = counters[session]
                for c in spent:
                    if left[c] <= 0:
                        break
                else:
                    for c in spent:
                        left[c] -= 1
                    self.seat_of[request.id] = session
                    if self._colleagues is not None:
                        self._colleagues.setdefault(request.group, Counter())[session] += 1
                    return session
            return None
        for session in self.candidates(unit):
            need = self.need(unit, session)
            if all(left[c] >= n for c, n in need.items()):
                self.seat(unit, session)
                return session
        return None

    def seat(self, unit: Iterable[Request], session: str) -> None:
        """Seat ``unit`` in ``session`` unconditionally (rooms may go negative)."""
        for request in unit:
            for c in self.counters(request)[session]:
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
            for c in self.counters(request)[session]:
                self.left[c] += 1
            if self._colleagues is not None:
                self._colleagues[request.group][session] -= 1

    def set_capacity(self, session: str, capacity: int) -> None:
        """Change a session's seat count; the seated stay (room may go negative)."""
        i = self.problem.session_ids.index(session)
        used = self.limits[i].limit - self.left[i]
        self.limits[i] = Limit(capacity, session=session)
        self.left[i] = capacity - used

    def release(self, quota: Quota) -> None:
        """Stop counting ``quota``: from now on it binds nobody (an earmark released).

        Seats already spent on it stay taken; only the cap is lifted.
        """
        self._quota_counters = [(q, ids) for q, ids in self._quota_counters if q != quota]
        self._compiled.clear()
        self._group_quotas.clear()

    @classmethod
    def with_seats(cls, problem: Problem, assignments: Mapping[str, str | None]) -> Engine:
        """An engine in the state where ``assignments`` are seated."""
        engine = cls(problem)
        for request_id, session in assignments.items():
            if session is not None:
                engine.seat((problem.request_by_id[request_id],), session)
        return engine
