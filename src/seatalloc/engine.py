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
    """Seats left in every session and quota, and the first-fit rule that spends them.

    Requests are met as integer rows: a *kind* (group, role), which picks the
    quota counters, and a ranking of session indices. The problem's own
    requests come compiled (:attr:`Problem.columns`); others are compiled on
    the way in.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        session_ids = problem.session_ids
        self._names = session_ids
        self._session_counter = {s: i for i, s in enumerate(session_ids)}
        # What each counter caps, as parallel lists (cheap to build for many quotas):
        # the session it is scoped to (None: all sessions) and the quota (None: seats).
        self._scope: list[str | None] = list(session_ids)
        self._quota: list[Quota | None] = [None] * len(session_ids)
        self._cap: list[int] = [s.capacity for s in problem.sessions]
        # Quotas by group (None: every group), each with its counter, or counters by session.
        self._quotas_by_group: dict[str | None, list[tuple[Quota, int | tuple[int, ...]]]] = {}
        for quota in problem.quotas:
            counter: int | tuple[int, ...]
            if quota.per_session:
                counter = tuple(self._add_counter(quota, s) for s in session_ids)
            else:
                counter = self._add_counter(quota, None)
            self._quotas_by_group.setdefault(quota.group, []).append((quota, counter))
        self.left: list[int] = list(self._cap)
        self.seat_of: dict[str, str] = {}
        """Request id to the session it sits in."""
        # Per kind (group, role), flat tables the hot loop reads: the first quota counter in
        # total (the group's earmark, usually the only one) as a bare int (_NO_COUNTER when
        # none applies), the other total counters, and the per-session counters (indexed
        # by session). Most problems have neither of the last two.
        columns = problem.columns
        self._kinds: list[tuple[str, str]] = []
        self._kind_code: dict[tuple[str, str], int] = {}
        self._first: list[int] = []
        self._more: list[tuple[int, ...]] = []
        self._per: list[tuple[tuple[int, ...], ...]] = []
        self._has_more = self._has_per = False
        for group, role in columns.kinds:
            self._kind(group, role)
        self._all = tuple(range(len(session_ids)))
        self._rankings: dict[tuple[str, ...], tuple[int, ...]] = {(): self._all}
        self._colleagues: dict[str, Counter[str]] | None = (
            {} if problem.policy.prefer_colleagues else None
        )

    def _add_counter(self, quota: Quota, scope: str | None) -> int:
        self._scope.append(scope)
        self._quota.append(quota)
        self._cap.append(quota.limit)
        return len(self._cap) - 1

    def _kind(self, group: str, role: str) -> int:
        """The code of the kind (group, role), its counter tables compiled on first sight."""
        code = self._kind_code.get((group, role))
        if code is None:
            code = self._kind_code[group, role] = len(self._kinds)
            self._kinds.append((group, role))
            self._first.append(_NO_COUNTER)
            self._more.append(())
            self._per.append(())
            self._compile_kind(code)
        return code

    def _compile_kind(self, code: int) -> None:
        group, role = self._kinds[code]
        quotas = self._quotas_by_group.get(group, []) + self._quotas_by_group.get(None, [])
        applying = [c for q, c in quotas if q.role is None or q.role == role]
        totals = [c for c in applying if isinstance(c, int)]
        self._first[code] = totals[0] if totals else _NO_COUNTER
        self._more[code] = tuple(totals[1:])
        self._per[code] = tuple(c for c in applying if not isinstance(c, int))
        self._has_more = self._has_more or len(totals) > 1
        self._has_per = self._has_per or bool(self._per[code])

    def _ranking(self, request: Request) -> tuple[int, ...]:
        ranking = self._rankings.get(request.sessions)
        if ranking is None:
            counter = self._session_counter
            ranking = self._rankings[request.sessions] = tuple(counter[s] for s in request.sessions)
        return ranking

    def limit(self, counter: int) -> Limit:
        """What ``counter`` caps."""
        return Limit(self._cap[counter], session=self._scope[counter], quota=self._quota[counter])

    def counters(self, request: Request, session: str) -> tuple[int, ...]:
        """The counters that seating ``request`` in ``session`` spends one of."""
        return self.kind_counters(
            self._kind(request.group, request.role), self._session_counter[session]
        )

    def kind_counters(self, kind: int, session: int) -> tuple[int, ...]:
        """:meth:`counters` by codes: a request of kind ``problem.columns.kinds[kind]``
        in session ``problem.session_ids[session]`` (for a pass over the columns)."""
        first = self._first[kind]
        totals = (first, *self._more[kind]) if first != _NO_COUNTER else self._more[kind]
        return (session, *totals, *(by_session[session] for by_session in self._per[kind]))

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
        """Place single requests one after another; the ids of those left unseated."""
        requests = tuple(requests)
        ids = [r.id for r in requests]
        kinds = [self._kind(r.group, r.role) for r in requests]
        rankings = [self._ranking(r) for r in requests]
        return [ids[i] for i in self._first_fit(ids, kinds, rankings, range(len(ids)))]

    def place_rows(self, rows: range) -> list[int]:
        """Place the problem's requests of ``rows`` (arrival positions) one after another as
        single requests; the rows left unseated. Batch FCFS without parties is one call."""
        columns = self.problem.columns
        return self._first_fit(columns.ids, columns.kind, columns.prefs, rows)

    def _first_fit(
        self,
        ids: Sequence[str],
        kinds: Sequence[int],
        rankings: Sequence[tuple[int, ...]],
        rows: Iterable[int],
    ) -> list[int]:
        """The first-fit rule for a single request, written once and kept lean: batch FCFS
        spends its time in this loop. Rows index the three aligned columns."""
        left = self.left
        first, more, per = self._first, self._more, self._per
        has_more, has_per = self._has_more, self._has_per
        names = self._names
        seat_of = self.seat_of
        colleagues = self._colleagues
        unseated = []
        for i in rows:
            k = kinds[i]
            f = first[k]
            # A quota in total binds in every session: checked once, before any session.
            if (f >= 0 and left[f] <= 0) or (has_more and any(left[c] <= 0 for c in more[k])):
                unseated.append(i)
                continue
            ranking = rankings[i] if colleagues is None else self._by_colleagues(k, rankings[i])
            by_session = per[k] if has_per else ()
            for s in ranking:
                if left[s] <= 0 or (by_session and any(left[m[s]] <= 0 for m in by_session)):
                    continue
                left[s] -= 1
                if f >= 0:
                    left[f] -= 1
                if has_more:
                    for c in more[k]:
                        left[c] -= 1
                for m in by_session:
                    left[m[s]] -= 1
                seat_of[ids[i]] = names[s]
                if colleagues is not None:
                    colleagues.setdefault(self._kinds[k][0], Counter())[names[s]] += 1
                break
            else:
                unseated.append(i)
        return unseated

    def _by_colleagues(self, kind: int, ranking: tuple[int, ...]) -> tuple[int, ...]:
        """``ranking`` with the sessions where colleagues sit first (as :meth:`candidates`)."""
        assert self._colleagues is not None
        present = self._colleagues.get(self._kinds[kind][0])
        if not present:
            return ranking
        names = self._names
        return tuple(s for s in ranking if present[names[s]]) + tuple(
            s for s in ranking if not present[names[s]]
        )

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
        for c, counted in enumerate(self._quota):
            if counted == quota:
                # Nothing counts against it any more: its counters read full, whatever
                # was seated when it was released (so the seats left follow from the seats).
                self.left[c] = self._cap[c]
        for code in range(len(self._kinds)):
            self._compile_kind(code)

    @classmethod
    def with_seats(cls, problem: Problem, assignments: Mapping[str, str | None]) -> Engine:
        """An engine in the state where ``assignments`` are seated."""
        engine = cls(problem)
        for request_id, session in assignments.items():
            if session is not None:
                engine.seat((problem.request_by_id[request_id],), session)
        return engine
