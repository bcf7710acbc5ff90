"""Optimal session assignment: re-plan *where* people sit, keeping a guarantee over FCFS.

FCFS decides fairly who gets a seat but scatters colleagues. This module
re-plans the sessions with an integer linear model (see docs/optimize-sessions.md):
one variable per unit (request or party) and acceptable session, a count
per session for a block of interchangeable ones (:func:`_blocks`); capacity
and quotas are the engine's own counters;
objectives are solved lexicographically, each level to its optimum and then
fixed as a constraint before the next. One
:class:`~seatalloc.budget.Budget` covers the whole call.
"""

from __future__ import annotations

import bisect
import enum
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from seatalloc.allocation import Allocation, Decision
from seatalloc.budget import Budget, ProgressCallback
from seatalloc.engine import Engine
from seatalloc.errors import FieldError
from seatalloc.fcfs import allocate
from seatalloc.model import Problem, Request
from seatalloc.optimize._notes import explainer
from seatalloc.optimize._run import OutOfTime, Run
from seatalloc.optimize._solvers import BACKENDS, Backend, Check, Expr, LinearModel, make_backend

__all__ = ["Guarantee", "Objective", "optimize_sessions"]

_CALL = "optimize_sessions"
"""The kind named in errors about the call's own arguments."""

AUTO_SMALL = 500
"""``backend="auto"`` takes CP-SAT for models with at most this many variables, else HiGHS.

Measured (docs/optimize-sessions.md): CP-SAT proves the workshop-size model
fastest (little overhead per solve, and it uses the hint); HiGHS proves the
3,000-request model fastest (its LP relaxation does the work).
"""


def _backend_name(backend: str, model: LinearModel) -> str:
    if backend != "auto":
        return backend
    return "cp-sat" if model.size <= AUTO_SMALL else "highs"


class Guarantee(enum.Enum):
    """What the optimiser promises relative to the FCFS allocation."""

    FCFS_SEATS = "fcfs-seats"
    """Everyone FCFS seats stays seated (maybe in another acceptable session); the
    waitlist is then admitted earliest first (see :func:`optimize_sessions`)."""
    FCFS_PEOPLE = "fcfs-people"
    """Exactly the people FCFS seats are seated (maybe in another acceptable session);
    nobody is admitted from the waitlist."""
    FCFS_PARETO = "fcfs-pareto"
    """As ``fcfs-seats``, and nobody sits in a session they rank below their FCFS one."""
    NONE = "none"
    """Only capacity, quotas, acceptability and the party rule."""


class Objective(enum.Enum):
    """One level of the lexicographic objective."""

    SEATS = "seats"
    """More requests seated."""
    TOGETHER = "together"
    """Fewer groups split: groups whose seated members use more than one session."""
    RANKS = "ranks"
    """Lower sum over seated requests of (rank - 1); "any" requests count 0."""
    CHANGES = "changes"
    """Fewer requests whose outcome (session, or seated at all) differs from FCFS."""


def _choice(kind: type[enum.Enum], value: object, field: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise FieldError(_CALL, None, field, value, f"must be one of {allowed}") from None


@attrs.frozen
class _Unit:
    """A unit of the model: its members, FCFS session and the sessions it may get."""

    members: tuple[Request, ...]
    base: str | None
    domain: tuple[str, ...]


def _base_session(problem: Problem, fcfs: Allocation, unit: Sequence[Request]) -> str | None:
    sessions = {fcfs.assignments.get(m.id) for m in unit}
    if len(sessions) > 1:
        raise FieldError(
            "request", unit[0].id, "session", fcfs.assignments.get(unit[0].id),
            f"must equal that of the other members of party {unit[0].party!r} under FCFS",
        )  # fmt: skip
    (session,) = sessions
    if session is not None and session not in problem.unit_acceptable(unit):
        raise FieldError(
            "request", unit[0].id, "session", session, "must be acceptable in the FCFS allocation"
        )
    return session


def _domain(
    problem: Problem, unit: Sequence[Request], base: str | None, drop: int | None
) -> tuple[str, ...]:
    """Sessions the unit may sit in: none ranked more than ``drop`` below its FCFS one."""
    acceptable = problem.unit_acceptable(unit)
    if drop is None or base is None:
        return acceptable
    return tuple(
        s
        for s in acceptable
        if all(not m.sessions or m.sessions.index(s) <= m.sessions.index(base) + drop for m in unit)
    )


def _units(
    problem: Problem, fcfs: Allocation, guarantee: Guarantee, max_rank_drop: int | None
) -> list[_Unit]:
    drop = max_rank_drop
    if guarantee is Guarantee.FCFS_PARETO:
        drop = 0
    units = []
    for members in problem.units:
        base = _base_session(problem, fcfs, members)
        units.append(_Unit(members, base, _domain(problem, members, base, drop)))
    return units


def _blocks(
    engine: Engine, units: Sequence[_Unit], active: set[int], fixed: set[int]
) -> list[tuple[int, ...]]:
    """Active units in blocks of interchangeable ones, each block in index order.

    Single requests that must be seated and accept any session, of one group,
    with the same domain and counters in every session, are interchangeable
    for every rule and every objective but ``changes`` (which :class:`_Plan`
    counts per block exactly): one integer variable per (block, session)
    replaces one 0-1 variable per (request, session), and the solver no longer
    explores the blocks' permutations. Every other unit is a block of its own:
    blocks of requests with one ranking were measured to slow HiGHS down (57
    CPU-s instead of 10 to prove ``together`` on the cohesive 10,000 case),
    its 0-1 reasoning being stronger than on counts.
    """
    blocks: dict[object, list[int]] = {}
    for i in sorted(active):
        unit = units[i]
        key: object = i
        if i in fixed and len(unit.members) == 1 and not unit.members[0].sessions:
            request = unit.members[0]
            needs = tuple(tuple(sorted(engine.need(unit.members, s).items())) for s in unit.domain)
            key = (request.group, request.sessions, unit.domain, needs)
        blocks.setdefault(key, []).append(i)
    return sorted(tuple(b) for b in blocks.values())


class _Plan:
    """The linear model over some units, and a witness allocation kept feasible for it.

    Units in ``active`` get variables; the rest stay unseated. Those in
    ``fixed`` must be seated; the others may be. Active units come in blocks
    (:func:`_blocks`): ``x[b][s]`` counts the units of block ``b`` in session
    ``s`` (0-1 for a block of one). A seated block of requests that accept any
    session and meet no per-session quota has variables only for the sessions
    where its group could sit together and for its FCFS sessions; ``pool[b]``
    counts the rest of it, seated in whichever sessions have room (see
    :meth:`_explicit`). A block that must sit, of a group with "whole" flags
    (:meth:`_flags`), counts ``k * whole[s] + x[b][s]`` in a flagged session
    ``s``: the flag seats all of it there, ``x`` the rest (see :meth:`terms`).
    """

    def __init__(
        self,
        problem: Problem,
        units: Sequence[_Unit],
        witness: Sequence[str | None],
        active: set[int],
        fixed: set[int],
        check: Check,
    ) -> None:
        self.problem = problem
        self.units = units
        self.witness = list(witness)
        self.model = LinearModel()
        self.engine = Engine(problem)
        self.blocks = _blocks(self.engine, units, active, fixed)
        self.block_of = {i: b for b, block in enumerate(self.blocks) for i in block}
        self.undecided = {i for i in active if units[i].domain and i not in fixed}
        """Units whose seated-or-not is still open (when none is, "seats" is a constant)."""
        common = self._common()
        self.whole, can_split = self._flags(common)
        check()
        self.joined: dict[int, dict[str, int]] = {
            b: self.whole[group]
            for b, block in enumerate(self.blocks)
            if units[block[0]].domain
            and block[0] not in self.undecided
            and (group := units[block[0]].members[0].group) in self.whole
        }
        """Blocks that must sit, of a flagged group: their group's flags (see :meth:`terms`)."""
        self.x: list[dict[str, int]] = []
        self.pool: dict[int, int] = {}
        for b, block in enumerate(self.blocks):
            sessions = self._explicit(block, common)
            self.x.append({s: self.model.new_var(len(block)) for s in sessions})
            if len(sessions) < len(units[block[0]].domain):
                self.pool[b] = self.model.new_var(len(block))
        check()
        self._counter_constraints(check)
        check()
        for b, block in enumerate(self.blocks):
            if terms := self.seated(b):
                seated = len(block) if block[0] not in self.undecided else None
                self.model.add(terms, seated, len(block))
        self._together_rows()
        together = Expr({v: -1 for flags in self.whole.values() for v in flags.values()}, can_split)
        self.stay = self._stay_vars()
        check()
        self.objectives = {
            Objective.SEATS: self._seats(),
            Objective.TOGETHER: together,
            Objective.RANKS: self._ranks(),
            Objective.CHANGES: self._changes(),
        }

    def _common(self) -> dict[str, set[str]]:
        """Per group with two or more units that may sit, the sessions all that must sit accept."""
        by_group: dict[str, list[int]] = {}
        for block in self.blocks:
            if self.units[block[0]].domain:
                by_group.setdefault(self.units[block[0]].members[0].group, []).extend(block)
        common: dict[str, set[str]] = {}
        for group, indices in by_group.items():
            if len(indices) >= 2:
                common[group] = set(self.problem.session_ids)
                for i in indices:
                    if i not in self.undecided:
                        common[group] &= set(self.units[i].domain)
        return common

    def _explicit(self, block: tuple[int, ...], common: Mapping[str, set[str]]) -> tuple[str, ...]:
        """The sessions a block gets a variable for; the others of its domain make its pool.

        A pool is exact for seated requests that accept every session and meet
        only the session's seats there: they cost no rank, keep their group
        together only in a ``common`` session, stay unchanged only in their FCFS
        session, and fit, wherever seats are left, exactly when the seats left
        in total suffice (a count row in :meth:`_counter_constraints`).
        """
        unit = self.units[block[0]]
        ids = self.problem.session_ids
        if (
            block[0] in self.undecided
            or len(unit.members) > 1
            or unit.members[0].sessions
            or set(unit.domain) != set(ids)
            or any(
                self.engine.limit(c).session is not None and c >= len(ids)
                for s in ids
                for c in self.engine.need(unit.members, s)
            )
        ):
            return unit.domain
        keep = common.get(unit.members[0].group, set()) | {self.units[i].base for i in block}
        explicit = tuple(s for s in unit.domain if s in keep)
        return explicit if len(explicit) < len(unit.domain) - 1 else unit.domain

    def terms(self, b: int, session: str) -> dict[int, int]:
        """The variables (and coefficients) that count block ``b``'s units in ``session``.

        ``x[b][session]``, plus ``k * whole[session]`` for a joined block of
        ``k`` (see :meth:`_flags`).
        """
        terms = {self.x[b][session]: 1}
        flag = self.joined.get(b, {}).get(session)
        if flag is not None:
            terms[flag] = len(self.blocks[b])
        return terms

    def seated(self, b: int) -> dict[int, int]:
        """The variables of block ``b`` that together count its seated units."""
        terms: dict[int, int] = {}
        for session in self.x[b]:
            for var, c in self.terms(b, session).items():
                terms[var] = terms.get(var, 0) + c
        if b in self.pool:
            terms[self.pool[b]] = 1
        return terms

    def _counter_constraints(self, check: Check) -> None:
        """Capacity and quotas: every engine counter's use within its limit.

        A pool spends its counters over all sessions; pooled units fit exactly
        when the seats of all sessions together suffice (one more row).
        A session's seats also get a floor: the seats that units outside pools
        must take, less all other sessions' capacity, so when those units fill
        every seat each session is exactly full. The floors are implied by the
        seat rows and the other sessions' capacity, even in the relaxation, but
        HiGHS's cuts use them (on the cohesive 10,000 case the levels are proven
        in 37 s instead of 54). When they make every session an equality, the
        first session keeps no floor: all of them together are linearly
        dependent on the seat rows, and HiGHS's root LP then spent 1.5-2 s per
        solve factorising (first for its dependent-equation search) where it
        takes 0.3 s without (30 s in all instead of 37).
        """
        use: dict[int, dict[int, int]] = {}
        reach: Counter[int] = Counter()
        """Per counter, its use when every block sat wherever it uses the most of it."""
        seats: dict[int, int] = {}
        sessions = len(self.problem.sessions)
        taken = 0
        """Seats that units outside pools must take, wherever they sit."""
        for k, (block, x) in enumerate(zip(self.blocks, self.x, strict=True)):
            if k % 1000 == 0:
                check()
            unit = self.units[block[0]]
            for session in x:
                for counter, n in self.engine.need(unit.members, session).items():
                    row = use.setdefault(counter, {})
                    for var, c in self.terms(k, session).items():
                        row[var] = row.get(var, 0) + n * c
                    reach[counter] += n * len(block)
            if k in self.pool:
                var = self.pool[k]
                for counter, n in self.engine.need(unit.members, unit.domain[0]).items():
                    if counter >= sessions:
                        use.setdefault(counter, {})[var] = n
                        reach[counter] += n * len(block)
            for var, c in self.seated(k).items():
                seats[var] = seats.get(var, 0) + len(unit.members) * c
            if k not in self.pool and unit.domain and block[0] not in self.undecided:
                taken += len(block) * len(unit.members)
        spare = sum(s.capacity for s in self.problem.sessions) - taken
        dependent = spare == 0
        for counter, terms in sorted(use.items()):
            limit = self.engine.limit(counter)
            # A counter that could never overflow only slows the solver down.
            if reach[counter] > limit.limit:
                floor = limit.limit - spare if limit.quota is None else 0
                if floor > 0 and dependent:
                    floor, dependent = 0, False
                self.model.add(terms, floor if floor > 0 else None, limit.limit)
        if self.pool:
            self.model.add(seats, None, sum(s.capacity for s in self.problem.sessions))

    def _flags(self, common: Mapping[str, set[str]]) -> tuple[dict[str, dict[str, int]], int]:
        """Per group and session a flag "every seated unit of the group sits here".

        A group is split unless one flag is 1, so the objective is the number
        of groups that could split (returned) minus the sum of flags. Groups
        with fewer than two units in the model cannot split; groups whose
        fixed members share no session always split (a constant).
        """
        units: Counter[str] = Counter()
        for block in self.blocks:
            if self.units[block[0]].domain:
                units[self.units[block[0]].members[0].group] += len(block)
        whole: dict[str, dict[str, int]] = {}
        can_split = 0
        for group, n in sorted(units.items()):
            if n < 2:
                continue
            can_split += 1
            if common[group]:
                whole[group] = {
                    s: self.model.new_var() for s in self.problem.session_ids if s in common[group]
                }
        return whole, can_split

    def _together_rows(self) -> None:
        """Tie the flags to the blocks: a flag at 1 seats every unit of its group in its session.

        A block that must sit is *joined* (:meth:`terms`): it counts ``k *
        whole[s] + x[b][s]`` in each flagged session ``s`` and ``x[b][t]``
        elsewhere, and its seat row (``= k``) then keeps it all in ``s`` when
        ``whole[s]`` is 1; with ``x >= 0`` that is the whole link, no row per
        flag. The relaxation is the same as with a row per flag, but each
        flag's group weight stands in the capacity rows, where the solver's
        knapsack cuts see it: on the cohesive 10,000 case HiGHS proves
        ``ranks`` in 32 s instead of 159 (docs/optimize-sessions.md).
        A block that may stay out gets ``k * whole[s] + sum_{t != s} x[b][t]
        (+ pool) <= k`` per flag instead (in ``s`` or unseated). Both are much
        tighter than a split flag set off by any member away from a chosen
        home session. At most one flag per group is 1: implied by a joined
        block's seat row, else a row.
        """
        by_group: dict[str, list[int]] = {}
        for b, block in enumerate(self.blocks):
            group = self.units[block[0]].members[0].group
            if group in self.whole and b not in self.joined:
                by_group.setdefault(group, []).append(b)
        joined = {self.units[self.blocks[b][0]].members[0].group for b in self.joined}
        for group, flags in self.whole.items():
            if group not in joined:
                self.model.add(dict.fromkeys(flags.values(), 1), None, 1)
            for session, flag in flags.items():
                for b in by_group.get(group, []):
                    k = len(self.blocks[b])
                    here = self.x[b].get(session)
                    away = {var: 1 for var in self.seated(b) if var != here}
                    if away:
                        self.model.add({flag: k, **away}, None, k)

    def _stay_vars(self) -> dict[int, dict[str, int]]:
        """For blocks of several units: ``stay[b][s]``, how many sit in ``s`` and had it under FCFS.

        At most the block's units in ``s`` and at most those whose FCFS session
        is ``s``; maximising it places every unit it can back in its FCFS
        session, which is exactly the fewest changes the block's counts allow.
        """
        stay: dict[int, dict[str, int]] = {}
        for b, block in enumerate(self.blocks):
            if len(block) < 2:
                continue
            bases = Counter(self.units[i].base for i in block)
            stay[b] = {}
            for session in self.x[b]:
                if bases[session]:
                    stay[b][session] = self.model.new_var(bases[session])
                    here = {v: -c for v, c in self.terms(b, session).items()}
                    self.model.add({stay[b][session]: 1, **here}, None, 0)
        return stay

    def _seats(self) -> Expr:
        terms: dict[int, int] = {}
        for b, block in enumerate(self.blocks):
            _add(terms, self.seated(b), len(self.units[block[0]].members))
        return Expr(terms)

    def _ranks(self) -> Expr:
        terms: dict[int, int] = {}
        for b, (block, x) in enumerate(zip(self.blocks, self.x, strict=True)):
            unit = self.units[block[0]]
            for session in x:
                steps = sum(m.sessions.index(session) for m in unit.members if m.sessions)
                if steps:
                    _add(terms, self.terms(b, session), steps)
        return Expr(terms)

    def _changes(self) -> Expr:
        """Members seated elsewhere than FCFS or seated though waitlisted.

        A unit of one: ``|u| (1 - x[u, base])``, or ``|u| sum x[u, s]`` when
        FCFS waitlisted it. A block (all seated, single requests): its units
        less those that stay (:meth:`_stay_vars`).
        """
        terms: dict[int, int] = {}
        constant = 0
        for b, (block, x) in enumerate(zip(self.blocks, self.x, strict=True)):
            unit = self.units[block[0]]
            n = len(unit.members)
            if b in self.stay:
                constant += len(block)
                _add(terms, dict.fromkeys(self.stay[b].values(), 1), -1)
            elif unit.base is None:
                _add(terms, self.seated(b), n)
            else:
                constant += n
                if unit.base in x:
                    _add(terms, self.terms(b, unit.base), -n)
        return Expr(terms, constant)

    def vector(self, assignment: Sequence[str | None]) -> list[int]:
        """Every variable's value for a unit-to-session assignment (a solver hint)."""
        values = [0] * self.model.size
        used: dict[str, set[str]] = {}
        for unit, seat in zip(self.units, assignment, strict=True):
            if seat is not None:
                used.setdefault(unit.members[0].group, set()).add(seat)
        for group, flags in self.whole.items():
            sessions = used.get(group, set())
            if len(sessions) <= 1:
                values[flags[min(sessions, default=next(iter(flags)))]] = 1
        for b, (block, x) in enumerate(zip(self.blocks, self.x, strict=True)):
            for i in block:
                session = assignment[i]
                if session in x:
                    values[x[session]] += 1
                elif session is not None:
                    values[self.pool[b]] += 1
            for session, flag in self.joined.get(b, {}).items():
                values[x[session]] -= len(block) * values[flag]
            for session, var in self.stay.get(b, {}).items():
                values[var] = sum(self.units[i].base == assignment[i] == session for i in block)
        return values

    def assignment(self, values: Sequence[int]) -> list[str | None]:
        """The unit-to-session assignment a solver's values encode.

        A block's counts go first to units whose FCFS session it is (as many
        as there are seats there), then to the rest in index order, so the
        assignment has the fewest changes the counts allow. Pooled units then
        take the seats left: their FCFS session if it has room, else the first
        session with room.
        """
        result: list[str | None] = [None] * len(self.units)
        pooled: list[int] = []
        for b, (block, x) in enumerate(zip(self.blocks, self.x, strict=True)):
            counts = {s: Expr(self.terms(b, s)).value(values) for s in x}
            left = {s: n for s, n in counts.items() if n}
            rest = []
            for i in block:
                base = self.units[i].base
                if base is not None and left.get(base, 0) > 0:
                    result[i] = base
                    left[base] -= 1
                else:
                    rest.append(i)
            free = [s for s, n in left.items() for _ in range(n)]
            for i, session in zip(rest, free, strict=False):
                result[i] = session
            if b in self.pool:
                pooled += rest[len(free) :][: values[self.pool[b]]]
        if pooled:
            room = {s.id: s.capacity for s in self.problem.sessions}
            for unit, taken in zip(self.units, result, strict=True):
                if taken is not None:
                    room[taken] -= len(unit.members)
            for i in pooled:
                base = self.units[i].base
                if base is not None and room[base] > 0:
                    seat = base
                else:
                    seat = next(s for s, n in room.items() if n > 0)
                result[i] = seat
                room[seat] -= 1
        return result

    def fix_unit(self, index: int, seated: bool) -> None:
        """Decide once and for all whether a unit (a block of its own) is seated."""
        n = int(seated)
        self.model.add(self.seated(self.block_of[index]), n, n)
        self.undecided.discard(index)


def _admit(
    problem: Problem,
    units: Sequence[_Unit],
    witness: list[str | None],
    solver: Callable[[list[str | None], set[int]], tuple[_Plan, Backend]],
    run: Run,
) -> dict[str, Any]:
    """Seat FCFS-waitlisted units earliest first: each if it can join everyone already seated.

    Units are taken in arrival order; a unit is admitted when some allocation
    under the guarantee seats it together with every FCFS-seated unit and every
    unit admitted before it. That makes the admitted set the lexicographically
    earliest one. Cheap tests settle most units without a solver: quota
    counters over all sessions (unchanged by moving anyone), the total number
    of free seats, a direct fit, and, when no quota is per session, an
    augmenting path of moves of single requests (exact when every unit is a
    single request). The rest ask ``solver`` (built on first need) whether
    the unit can be seated. Once the budget runs out (or a solve ends
    unproven) admission is ``stopped``: the remaining units still take a
    free seat that fits them directly, so none is left beside one, and
    ``open`` counts the members whose admission was not settled.
    ``witness`` is updated in place.
    """
    engine = Engine.with_seats(problem, _by_request(units, witness))
    sessions = len(problem.sessions)
    # Moves never touch a total quota; they may overflow a per-session one.
    movable = not any(q.per_session for q in problem.quotas)
    simple = movable and all(len(u.members) == 1 for u in units)
    admitted: list[str] = []
    solves = 0
    stopped = False
    unsettled = 0
    position = {r.id: i for i, r in enumerate(problem.order)}
    waiting = [i for i, u in enumerate(units) if u.base is None and u.domain]
    waiting.sort(key=lambda i: position[units[i].members[0].id])
    model: tuple[_Plan, Backend] | None = None
    paths = _Paths(problem, units, witness) if movable else None
    for n, i in enumerate(waiting):
        members = units[i].members
        if not stopped and run.deadline.expired():
            stopped = True
            run.stopped_by = "time"
        shortfalls = {s: engine.shortfalls(members, s) for s in units[i].domain}
        fit = next((s for s, found in shortfalls.items() if not found), None)
        seated: dict[int, str | None] | None = None
        """The units that move (or join) to seat this one, and where."""
        if sum(engine.left[:sessions]) < len(members) or all(
            any(b.limit.quota is not None and b.limit.session is None for b in found)
            for found in shortfalls.values()
        ):
            pass
        elif fit is not None:
            seated = {i: fit}
        elif stopped:
            unsettled += len(members)
        elif paths is not None and len(members) == 1 and (path := paths.find(engine, i)):
            seated = path
        elif simple:
            pass  # the search for a path was exact: it cannot join
        else:
            try:
                if model is None:
                    model = solver(witness, set(waiting[n:]))
                plan, backend = model
                plan.witness = witness
                solves += 1
                goal = Expr(plan.seated(plan.block_of[i]))
                outcome = backend.solve(
                    goal, True, plan.vector(witness), run.deadline.remaining(), run.work_left,
                    run.check,
                )  # fmt: skip
                run.spend(outcome.work, backend.name == "cp-sat")
                if outcome.values is not None and goal.value(outcome.values) == 1:
                    found = plan.assignment(outcome.values)
                    for later in waiting[n + 1 :]:  # their turn comes: not seated by the way
                        found[later] = None
                    seated = {j: s for j, s in enumerate(found) if s != witness[j]}
                elif outcome.status != "infeasible":
                    unsettled += len(members)
                if outcome.status not in ("optimal", "infeasible"):
                    stopped = True
                    run.stop(outcome.out_of_work)
            except OutOfTime:
                stopped = True
                unsettled += len(members)
        if model is not None and not stopped:
            model[0].fix_unit(i, seated is not None)
        if seated is not None:
            for j, now in seated.items():
                engine.unseat(units[j].members)
                if now is not None:
                    engine.seat(units[j].members, now)
                if paths is not None:
                    paths.moved(j, witness[j], now)
                witness[j] = now
            admitted.extend(m.id for m in members)
    free = sum(max(0, left) for left in engine.left[:sessions])
    return {
        "candidates": len(waiting),
        "admitted": admitted,
        "solves": solves,
        "stopped": stopped,
        "open": min(unsettled, free),
    }


def _fill(problem: Problem, units: Sequence[_Unit], witness: list[str | None]) -> int:
    """Seat, in arrival order, every unseated unit that fits a free seat directly."""
    engine = Engine.with_seats(problem, _by_request(units, witness))
    position = {r.id: i for i, r in enumerate(problem.order)}
    added = 0
    for i in sorted(range(len(units)), key=lambda i: position[units[i].members[0].id]):
        if witness[i] is None:
            fit = next((s for s in units[i].domain if not engine.shortfalls(units[i].members, s)),
                       None)  # fmt: skip
            if fit is not None:
                engine.seat(units[i].members, fit)
                witness[i] = fit
                added += len(units[i].members)
    return added


def _add(terms: dict[int, int], more: Mapping[int, int], factor: int) -> None:
    """Add ``factor`` times ``more`` to ``terms`` (variables shared by several blocks add up)."""
    for var, c in more.items():
        terms[var] = terms.get(var, 0) + factor * c


def _by_request(units: Sequence[_Unit], assignment: Sequence[str | None]) -> dict[str, str | None]:
    return {m.id: s for unit, s in zip(units, assignment, strict=True) for m in unit.members}


class _Paths:
    """Augmenting paths of moves of single requests over the current witness.

    Only single requests move, and only quotas over all sessions may exist
    (moves do not touch them), so a path found is always a valid allocation.
    When every unit is a single request, seating is a bipartite b-matching
    and the breadth-first search decides exactly whether a unit can join.
    Sessions a search explored without reaching a free seat are dead ends
    until the witness next changes (:meth:`moved`): a run of waitlisted units
    that cannot join then costs one search, not one each.
    """

    def __init__(
        self, problem: Problem, units: Sequence[_Unit], witness: Sequence[str | None]
    ) -> None:
        self.ids = problem.session_ids
        self.units = units
        self.occupants: dict[str, list[int]] = {s: [] for s in self.ids}
        for j, session in enumerate(witness):
            if session is not None and len(units[j].members) == 1:
                self.occupants[session].append(j)
        self.dead: set[str] = set()

    def moved(self, j: int, was: str | None, now: str | None) -> None:
        """Unit ``j`` left ``was`` for ``now`` (either may be None): dead ends may live again."""
        self.dead.clear()
        if len(self.units[j].members) == 1:
            if was is not None:
                self.occupants[was].remove(j)
            if now is not None:
                bisect.insort(self.occupants[now], j)

    def find(self, engine: Engine, index: int) -> dict[int, str | None] | None:
        """Seat single request ``index`` by a chain of moves ending in a free seat, if any.

        The answer maps each unit that moves (``index`` among them) to its new session.
        """
        room = dict(zip(self.ids, engine.left[: len(self.ids)], strict=True))
        came: dict[str, tuple[int, str | None]] = {}
        queue: list[str] = []
        for session in self.units[index].domain:
            if session not in self.dead:
                came[session] = (index, None)
                queue.append(session)
        for session in queue:  # the queue grows while we walk it: breadth first
            if room[session] > 0:
                moved: dict[int, str | None] = {}
                at: str | None = session
                while at is not None:
                    unit, source = came[at]
                    moved[unit] = at
                    at = source
                return moved
            for j in self.occupants[session]:
                for target in self.units[j].domain:
                    if target not in came and target not in self.dead:
                        came[target] = (j, session)
                        queue.append(target)
        self.dead.update(came)
        return None


def _constant(plan: _Plan, objective: Objective) -> bool:
    """True when no allocation of the model changes the level's value."""
    return not plan.objectives[objective].terms or (
        objective is Objective.SEATS and not plan.undecided
    )


@attrs.frozen
class _Pinned:
    """The proven levels so far as one expression: every feasible allocation gives it ``value``.

    Each was solved to its optimum and then fixed by a constraint, so on
    what is feasible now each sits exactly at its optimum, and so does any
    positive combination of them (the constant left out)."""

    expr: Expr
    value: int
    levels: int = 1
    """How many levels it holds."""


STEER_WEIGHTS = (1000, 100)
"""The most one unit of the proven levels weighs in the next level's objective
(:func:`_steered`): 1,000 when one level is proven, 100 when more are.

Measured on three cohesive 10,000 cases (docs/optimize-sessions.md), each
whole call (HiGHS's feasibility jump still on): 29.4, 29.6 and 17.7 s with
these; 34.4, 46.5 and 32.4 s with 100 for both; 54.1, 23.6 and 21.6 s with
1,000 for both (``ranks`` fast, but one ``changes`` 44.5 s). Uncapped (each
level's whole range, nested: some 10^11 in all) HiGHS called 2,111 changes
optimal where 2,110 exists: so large an objective is beyond its tolerances."""


def _steered(
    expr: Expr, maximize: bool, pinned: _Pinned | None, upper: Sequence[int]
) -> tuple[Expr, int]:
    """The objective a MIP solver gets for a level: the level, plus the proven levels before it.

    ``pinned`` (the minimised levels proven so far: ``seats``, maximised and
    under most guarantees a constant, is not one; see :func:`optimize_sessions`)
    is constant on every feasible allocation, so adding ``weight`` times it
    changes no integer solution's order, only the LP relaxation's: its
    relaxation (fractional flags for ``together``) leaves slack the next
    level's relaxation spends, and the solver's cuts now tighten it too. Any
    positive weight is exact; the weight is the level's whole range, capped
    at :data:`STEER_WEIGHTS` (measured), so the objective stays far inside
    the solver's exact integer range. Returns the objective (minimised, the
    level's constant left out) and the weight, which maps its bound back to
    the level.
    """
    sign = -1 if maximize else 1
    terms = {v: sign * c for v, c in expr.terms.items()}
    if pinned is None:
        return Expr(terms), 0
    cap = STEER_WEIGHTS[min(pinned.levels, len(STEER_WEIGHTS)) - 1]
    weight = min(cap, 1 + sum(abs(c) * upper[v] for v, c in expr.terms.items()))
    for v, c in pinned.expr.terms.items():
        terms[v] = terms.get(v, 0) + weight * c
    return Expr(terms), weight


def _pin(
    plan: _Plan,
    objective: Objective,
    level: Mapping[str, Any],
    pinned: _Pinned | None,
    backend: str,
) -> _Pinned | None:
    """The proven levels after this one (see :class:`_Pinned`), or None once one is unproven
    (and always for CP-SAT).

    The level joins as the objective its solver got (:func:`_steered`),
    which holds the levels before it: steering by all proven levels, not
    only the last, is what proves the cohesive 10,000 ``changes`` fast.
    """
    expr = plan.objectives[objective]
    if backend == "cp-sat" or level["status"] != "optimal" or objective is Objective.SEATS:
        return None  # CP-SAT (small models) is not steered
    if _constant(plan, objective):
        return pinned
    goal, weight = _steered(expr, False, pinned, plan.model.upper)
    value = level["value"] - expr.constant + (weight * pinned.value if pinned is not None else 0)
    return _Pinned(goal, value, 1 if pinned is None else pinned.levels + 1)


def _unsteered(
    goal: float, expr: Expr, maximize: bool, pinned: _Pinned | None, weight: int
) -> float:
    """The level's value (or bound) where :func:`_steered`'s objective is ``goal``."""
    share = weight * pinned.value if pinned is not None else 0
    return (goal - share) * (-1 if maximize else 1) + expr.constant


def _within(bound: float, expr: Expr, maximize: bool, upper: Sequence[int]) -> float:
    """A bound no weaker than the level's own range: a steered bound mapped back
    (:func:`_unsteered`) from a solve stopped early can lie far outside it."""
    low = expr.constant + sum(c * upper[v] for v, c in expr.terms.items() if c < 0)
    high = expr.constant + sum(c * upper[v] for v, c in expr.terms.items() if c > 0)
    return min(bound, high) if maximize else max(bound, low)


def _level(
    plan: _Plan,
    backend: Backend,
    objective: Objective,
    run: Run,
    admission: Mapping[str, Any],
    first: bool,
    pinned: _Pinned | None,
) -> dict[str, Any]:
    """Solve one level, keep the better of its answer and the witness, fix its value.

    ``pinned``, the minimised levels proven before it (never for CP-SAT: see
    :func:`_pin`), steers a MIP solver (:func:`_steered`).
    """
    expr = plan.objectives[objective]
    maximize = objective is Objective.SEATS
    before = expr.value(plan.vector(plan.witness))
    if _constant(plan, objective):
        if maximize and admission["stopped"]:
            # Admission stopped: the constant is ours, not the optimum under the guarantee.
            bound = before + admission["open"]
            run.report(f"level {objective.value}", before, bound, "feasible")
            return _level_report(objective, "feasible", before, bound, 0.0)
        run.report(f"level {objective.value}", before, before, "optimal")
        return _level_report(objective, "optimal", before, before, 0.0)
    status, bound, seconds = "feasible", None, 0.0
    if run.work_left is not None and run.work_left <= 0 and backend.name == "cp-sat":
        run.stopped_by = run.stopped_by or "work"
    else:
        try:
            goal, weight = _steered(expr, maximize, pinned, plan.model.upper)
            outcome = backend.solve(
                goal, False, plan.vector(plan.witness), run.deadline.remaining(),
                run.work_left, run.check,
            )  # fmt: skip
            run.spend(outcome.work, backend.name == "cp-sat")
            seconds = outcome.seconds
            if outcome.status != "optimal":
                run.stop(outcome.out_of_work)
            if outcome.values is not None:
                found = expr.value(outcome.values)
                # A stopped solver may return worse than its hint: never worsen the witness.
                if (found >= before) if maximize else (found <= before):
                    plan.witness = plan.assignment(outcome.values)
                    status = outcome.status
                bound = outcome.bound
                if bound is not None:
                    bound = _within(
                        _unsteered(bound, expr, maximize, pinned, weight), expr,
                        maximize, plan.model.upper,
                    )  # fmt: skip
        except OutOfTime:
            pass
    if status != "optimal" and maximize and first:
        # A stopped run never leaves a unit beside a free seat that fits it (when
        # seats come first: a seat added later could break a level fixed before).
        _fill(plan.problem, plan.units, plan.witness)
    value = expr.value(plan.vector(plan.witness))
    if status == "optimal":
        bound = value
    plan.model.add(expr.terms, value - expr.constant if maximize else None,
                   None if maximize else value - expr.constant)  # fmt: skip
    run.report(f"level {objective.value}", value, bound, status)
    return _level_report(objective, status, value, bound, seconds)


def _level_report(
    objective: Objective, status: str, value: int, bound: float | None, seconds: float
) -> dict[str, Any]:
    gap = None if bound is None else abs(bound - value) / max(1, abs(value))
    return {
        "objective": objective.value,
        "sense": "max" if objective is Objective.SEATS else "min",
        "status": status,
        "value": value,
        "bound": None if bound is None else round(bound, 6),
        "gap": None if gap is None else round(gap, 6),
        "seconds": round(seconds, 4),
    }


def _check_baseline(problem: Problem, fcfs: Allocation) -> None:
    """A caller's ``fcfs=`` baseline must be for this problem and keep every limit."""
    if fcfs.problem is not problem and fcfs.problem != problem:
        raise FieldError(_CALL, None, "fcfs", fcfs.method, "must be for the same problem")
    engine = Engine.with_seats(problem, fcfs.assignments)
    for counter, left in enumerate(engine.left):
        if left < 0:
            limit = engine.limit(counter)
            what = "capacity" if limit.quota is None else f"quota {limit.quota.key}"
            where = f" in session {limit.session!r}" if limit.session is not None else ""
            raise FieldError(
                _CALL, None, "fcfs", fcfs.method,
                f"must keep {what}{where}: it seats {limit.limit - left} of {limit.limit}",
            )  # fmt: skip


def _budget(
    budget: Budget | None, time_limit: float | None, work: float | None, seed: int
) -> Budget:
    if budget is None:
        return Budget(time_limit, work, seed)
    if not isinstance(budget, Budget):
        raise FieldError(_CALL, None, "budget", budget, "must be a seatalloc.budget.Budget")
    return budget


def optimize_sessions(
    problem: Problem,
    *,
    guarantee: Guarantee | str = "fcfs-seats",
    objectives: Sequence[Objective | str] = ("seats", "together", "ranks", "changes"),
    backend: str = "auto",
    time_limit: float | None = 10.0,
    work: float | None = None,
    seed: int = 0,
    budget: Budget | None = None,
    workers: int = 1,
    fcfs: Allocation | None = None,
    max_rank_drop: int | None = None,
    progress: ProgressCallback | None = None,
) -> Allocation:
    """The best allocation by ``objectives`` in order that keeps ``guarantee`` over FCFS.

    Each objective is solved to its optimum (or the best found within the
    budget) and fixed before the next; the FCFS allocation is the first hint,
    so a feasible answer exists throughout and no level ends worse than its
    hint. Under ``fcfs-seats`` and ``fcfs-pareto`` the waitlist is admitted
    earliest first before the objectives run (see :func:`_admit`), so those
    guarantees decide *who* sits and the objectives only *where*;
    ``fcfs-people`` seats exactly FCFS's people. ``max_rank_drop`` caps how
    many ranks below its FCFS session anyone FCFS seated may be moved.

    ``budget`` (or ``time_limit``, ``work``, ``seed``) is spent by the whole
    call: ``work`` (CP-SAT deterministic seconds over all solves; for HiGHS
    and SCIP 1,000 branch-and-bound nodes per solve) decides the result, the wall
    limit (model building included) only stops it. A level's status is
    ``optimal`` only when its solver proved it; the report's ``stopped_by``
    says what cut the run short. ``progress`` gets a
    :class:`~seatalloc.budget.Progress` after admission and every level.
    One worker and a fixed seed give the same allocation on every run
    that the wall limit did not stop.
    """
    chosen = _choice(Guarantee, guarantee, "guarantee")
    levels: list[Objective] = [_choice(Objective, o, "objectives") for o in objectives]
    if len(set(levels)) != len(levels):
        raise FieldError(
            _CALL, None, "objectives", [o.value for o in levels],
            "must not repeat an objective",
        )  # fmt: skip
    if backend != "auto" and backend not in BACKENDS:
        raise FieldError(
            _CALL, None, "backend", backend,
            f"must be one of auto, {', '.join(BACKENDS)}",
        )  # fmt: skip
    spend = _budget(budget, time_limit, work, seed)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise FieldError(_CALL, None, "workers", workers, "must be an integer >= 1")
    if max_rank_drop is not None and (
        isinstance(max_rank_drop, bool) or not isinstance(max_rank_drop, int) or max_rank_drop < 0
    ):
        raise FieldError(_CALL, None, "max_rank_drop", max_rank_drop, "must be an integer >= 0")
    run = Run.start(spend, progress)
    base = allocate(problem) if fcfs is None else fcfs
    if fcfs is not None:
        _check_baseline(problem, fcfs)
    units = _units(problem, base, chosen, max_rank_drop)
    witness = [unit.base for unit in units]
    backend_name = backend

    def solver(witness: list[str | None], open_: set[int]) -> tuple[_Plan, Backend]:
        """The model where the seated stay seated (a guarantee) and ``open_`` may join."""
        nonlocal backend_name
        seated = {i for i, s in enumerate(witness) if s is not None}
        plan = _Plan(problem, units, witness, seated | open_, seated, run.check)
        backend_name = _backend_name(backend, plan.model)
        return plan, make_backend(backend_name, plan.model, spend.seed, workers)

    admission: dict[str, Any] = {
        "candidates": 0, "admitted": [], "solves": 0, "stopped": False, "open": 0,
    }  # fmt: skip
    if chosen in (Guarantee.FCFS_SEATS, Guarantee.FCFS_PARETO):
        admission = _admit(problem, units, witness, solver, run)
        run.report("admission", len(admission["admitted"]), None,
                   "stopped" if admission["stopped"] else "done")  # fmt: skip
    report_levels: list[dict[str, Any]] = []
    plan: _Plan | None = None
    model_size = {"variables": 0, "constraints": 0}
    parameters: Mapping[str, Any] = {}
    try:
        if chosen is Guarantee.NONE:
            plan = _Plan(problem, units, witness, set(range(len(units))), set(), run.check)
            backend_name = _backend_name(backend, plan.model)
            backend_ = make_backend(backend_name, plan.model, spend.seed, workers)
        else:
            plan, backend_ = solver(witness, set())
        parameters = backend_.parameters
        pinned: _Pinned | None = None
        for n, objective in enumerate(levels):
            level = _level(plan, backend_, objective, run, admission, n == 0, pinned)
            report_levels.append(level)
            pinned = _pin(plan, objective, level, pinned, backend_.name)
        witness = plan.witness
    except OutOfTime:
        if plan is not None:
            witness = plan.witness
    model_size = (
        {"variables": plan.model.size, "constraints": len(plan.model.constraints)}
        if plan is not None
        else model_size
    )
    if len(report_levels) < len(levels):
        # Stopped before these levels: the witness stands, nothing is proven.
        run.stopped_by = run.stopped_by or "time"
        if levels[0] is Objective.SEATS and not report_levels and chosen is Guarantee.NONE:
            _fill(problem, units, witness)
        done = len(report_levels)
        values = {o: _plain_value(problem, units, witness, o) for o in levels[done:]}
        report_levels += [_level_report(o, "feasible", values[o], None, 0.0) for o in levels[done:]]
    assignments = _by_request(units, witness)
    waitlist = tuple(r.id for r in problem.order if assignments[r.id] is None)
    stopped = admission["stopped"] or any(level["status"] != "optimal" for level in report_levels)
    report = {
        "guarantee": chosen.value,
        "objectives": [o.value for o in levels],
        "backend": backend_name,
        "parameters": {
            "time_limit": spend.time_limit,
            "work": spend.work,
            "seed": spend.seed,
            "workers": workers,
            "max_rank_drop": max_rank_drop,
            **parameters,
        },
        "model": model_size,
        "admission": admission,
        "levels": report_levels,
        "stopped_early": stopped,
        "stopped_by": run.stopped_by if stopped else None,
        "work_spent": round(run.work_spent, 4),
        "seconds": round(run.deadline.elapsed(), 4),
    }
    explain: Callable[[Allocation], Mapping[str, Decision]] = explainer(
        base, _kept_out(chosen, levels, stopped)
    )
    return Allocation(
        problem, assignments, waitlist, method="optimal", explainer=explain, report=report
    )


def _kept_out(guarantee: Guarantee, levels: Sequence[Objective], stopped: bool) -> str:
    """Why a unit may stay waitlisted beside a seat that fits it in the final plan."""
    if guarantee is Guarantee.FCFS_PEOPLE:
        return "guarantee fcfs-people seats exactly the people FCFS seats"
    if stopped:
        return "the optimiser stopped before it could seat it"
    if Objective.SEATS not in levels and guarantee is Guarantee.NONE:
        return "the objectives do not ask for more seats"
    return "seating it would break an objective fixed before"


def _plain_value(
    problem: Problem, units: Sequence[_Unit], witness: Sequence[str | None], objective: Objective
) -> int:
    """A level's value for an assignment, counted without a model (used when none was built)."""
    seated = [(u, s) for u, s in zip(units, witness, strict=True) if s is not None]
    if objective is Objective.SEATS:
        return sum(len(u.members) for u, _ in seated)
    if objective is Objective.RANKS:
        return sum(m.sessions.index(s) for u, s in seated for m in u.members if m.sessions)
    if objective is Objective.CHANGES:
        return sum(len(u.members) for u, s in zip(units, witness, strict=True) if s != u.base)
    used: dict[str, set[str]] = {}
    for u, s in seated:
        used.setdefault(u.members[0].group, set()).add(s)
    return sum(len(v) > 1 for v in used.values())
