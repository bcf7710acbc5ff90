"""Plan breakout tables under one budget: constructions, searches, CP-SAT when it can help.

The pipeline: when meetings can be planned on their own (no pins or pair
rules), :mod:`.constructions` gives the clean rounds known designs reach,
:mod:`.golfer` extends them when more rounds are asked, and :mod:`.relabel`
puts people on the points so roles and colleagues fit; then the general tabu
search of :mod:`.heuristic` improves the plan; in ``auto``, CP-SAT follows
when the plan is not proven optimal, OR-Tools is installed and the model is
small enough.

One :class:`~seatalloc.budget.Budget`: ``work`` (deterministic) decides the
plan, ``time_limit`` (wall seconds, the whole call) only stops it early.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from seatalloc.breakouts import golfer
from seatalloc.breakouts._instance import Instance, compile_instance
from seatalloc.breakouts.constructions import build
from seatalloc.breakouts.heuristic import search
from seatalloc.breakouts.model import InfeasibleError, Roster, Rules, Tables
from seatalloc.breakouts.quality import NotMet, Quality, assess, lower_bound, not_met
from seatalloc.breakouts.relabel import relabel
from seatalloc.budget import Budget, Deadline, Progress, ProgressCallback
from seatalloc.errors import FieldError, MissingExtraError

if TYPE_CHECKING:
    from seatalloc.allocation import Allocation

__all__ = ["WORK_UNIT", "BreakoutPlan", "Method", "plan_breakouts", "plan_sessions"]

# CP-SAT in "auto" only when rounds x pairs stays below this: beyond it the
# model is too large to help within seconds, and the heuristic is better.
_AUTO_PAIR_ROUNDS = 4000

WORK_UNIT = 1_000_000
"""Swap evaluations per unit of ``Budget.work`` (about a second of search on a
2020s laptop core); for CP-SAT a unit is one second of its deterministic time."""

_DEFAULT_TIME_LIMIT = 10.0


class Method(enum.Enum):
    """Which solver to run."""

    AUTO = "auto"
    HEURISTIC = "heuristic"
    CPSAT = "cpsat"


@attrs.frozen
class BreakoutPlan:
    """Tables per round (participant ids), with the quality report and how it was solved.

    ``status`` is ``optimal`` only when the objective equals a proven bound (from
    CP-SAT, or the simple bounds of :func:`~seatalloc.breakouts.quality.lower_bound`),
    ``feasible`` otherwise, ``violates hard rules`` when no plan meeting them was
    found. ``stopped`` says what ended the work: ``proven``, ``work`` (the budget
    was spent) or ``time limit`` (the wall-clock safety stop: the plan may then
    differ between runs).
    """

    rounds: tuple[tuple[tuple[str, ...], ...], ...]
    quality: Quality
    not_met: tuple[NotMet, ...]
    method: str
    status: str
    bound: tuple[int, int, int, int, int]
    seconds: float
    seed: int
    notes: tuple[str, ...] = ()
    stopped: str = "work"

    def table_of(self, participant: str) -> tuple[int, ...]:
        """The table (0-based) of a participant in each round."""
        return tuple(
            next(t for t, people in enumerate(tables) if participant in people)
            for tables in self.rounds
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: ``rounds`` (lists of tables of ids) and the report."""
        return {
            "rounds": [[list(table) for table in tables] for tables in self.rounds],
            "report": {
                "method": self.method,
                "status": self.status,
                "stopped": self.stopped,
                "objective": list(self.quality.objective),
                "bound": list(self.bound),
                "seconds": round(self.seconds, 3),
                "seed": self.seed,
                "not_met": [item.to_dict() for item in self.not_met],
                "notes": list(self.notes),
                **self.quality.to_dict(),
            },
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def make_budget(
    budget: Budget | None, time_limit: float | None, work: float | None, seed: int | None
) -> Budget:
    """``budget``, or one made from the shortcuts (both at once is an error).

    Without a work budget, ``time_limit / 4`` units: well inside the wall limit on
    an idle machine, so the safety stop fires only under heavy load.
    """
    if budget is not None:
        if (time_limit, work, seed) != (None, None, None):
            raise FieldError(
                "breakouts", None, "budget", budget, "must not be combined with time_limit, "
                "work or seed (put them in the Budget)",
            )  # fmt: skip
        made = budget
    else:
        limit = _DEFAULT_TIME_LIMIT if time_limit is None else time_limit
        made = Budget(time_limit=limit, work=work, seed=0 if seed is None else seed)
    if made.work is None:
        made = attrs.evolve(made, work=(made.time_limit or _DEFAULT_TIME_LIMIT) / 4)
    return made


def plan_breakouts(
    roster: Roster,
    tables: Tables | int,
    rounds: int = 1,
    rules: Rules | None = None,
    method: Method | str = Method.AUTO,
    budget: Budget | None = None,
    *,
    time_limit: float | None = None,
    work: float | None = None,
    seed: int | None = None,
    progress: ProgressCallback | None = None,
) -> BreakoutPlan:
    """Seat ``roster`` at ``tables`` for ``rounds`` rounds under ``rules``.

    ``budget`` (or the shortcuts ``time_limit``, ``work``, ``seed``; default 10 s
    and 2.5 units) covers the whole call: ``work`` units decide the plan (see
    :data:`WORK_UNIT`), so the same input and seed give the same plan on an
    idle or a loaded machine; ``time_limit`` is a wall-clock safety stop,
    honoured within 10 % + 1 s, and a plan it cut is reported ``stopped:
    time limit``. ``progress`` is called now and then with the current best
    and bound of the running phase.

    Hard rules proven impossible raise :class:`InfeasibleError` naming the
    rules (and people) in conflict; soft rules not fully met are listed in
    ``not_met`` with a reason when one is established.
    ``method="cpsat"`` without OR-Tools raises :class:`MissingExtraError`.
    """
    budget = make_budget(budget, time_limit, work, seed)
    deadline = budget.start()
    stop = deadline.expired
    report = _reporter(progress, deadline)
    rules = rules if rules is not None else Rules()
    try:
        method = Method(method)
    except ValueError:
        raise FieldError(
            "breakouts", None, "method", method, "must be auto, heuristic or cpsat"
        ) from None
    instance = compile_instance(roster, tables, rounds, rules)
    bound = lower_bound(instance)
    notes: list[str] = []
    cpsat_next = _wants_cpsat(method, instance, notes)
    units = budget.work or 0.0
    # When CP-SAT follows, it gets three quarters of the work; only a quarter where
    # constructions apply (the searches then do better at these sizes).
    # Two rounds are easy to keep apart; there the searches and CP-SAT do better
    # on the other rules than a construction's fixed pattern.
    clean = golfer.applies(instance) and (instance.interchangeable or instance.rounds > 2)
    cp_share = (0.25 if clean else 0.75) if cpsat_next else 0.0
    evaluations = int(units * (1 - cp_share) * WORK_UNIT)
    start = None
    timed_out = False
    if clean:
        start, spent, timed_out = _clean_start(instance, budget.seed, evaluations, stop, notes)
        evaluations = max(0, evaluations - spent)
    found = search(instance, bound, budget.seed, evaluations, stop, start, report)
    timed_out = timed_out or found.stopped == "time"
    assignment = found.assignment
    quality = assess(instance, assignment)
    notes.append(f"tabu search: {found.iterations} iterations, stopped by {found.stopped}")
    used = "heuristic"
    status = "optimal" if quality.objective <= bound else "feasible"
    # "cpsat" always runs the model (it confirms a plan already at the bound at once).
    if cpsat_next and not stop() and (status != "optimal" or method is Method.CPSAT):
        from seatalloc.breakouts.cpsat import solve

        cp_work = units * cp_share
        solved = solve(
            instance, cp_work, seed=budget.seed, hint=assignment, wall=deadline.remaining(),
            stop=stop, progress=report,
        )  # fmt: skip
        notes.append(f"cp-sat: {solved.status} in {solved.seconds:.2f} s")
        if solved.status == "infeasible":
            raise _infeasible(rules, solved.conflict)
        if solved.bound is not None:
            bound = max(bound, solved.bound)
        if solved.assignment is not None:
            better = assess(instance, solved.assignment)
            if better.objective <= quality.objective:
                assignment, quality, used = solved.assignment, better, "cpsat"
        status = "optimal" if quality.objective <= bound else "feasible"
        timed_out = timed_out or (status != "optimal" and stop())
    if quality.violations:
        status = "violates hard rules"
    stopped = "proven" if status == "optimal" else ("time limit" if timed_out else "work")
    if stopped == "time limit":
        notes.append("stopped by the time limit (a safety stop: the plan may differ between runs)")
    return BreakoutPlan(
        rounds=_ids(instance, assignment),
        quality=quality,
        not_met=not_met(instance, quality, proven=status == "optimal"),
        method=used,
        status=status,
        bound=bound,
        seconds=deadline.elapsed(),
        seed=budget.seed,
        notes=tuple(notes),
        stopped=stopped,
    )


def _reporter(
    progress: ProgressCallback | None, deadline: Deadline
) -> Callable[[Progress], None] | None:
    if progress is None:
        return None
    callback = progress
    return lambda item: callback(attrs.evolve(item, elapsed=deadline.elapsed()))


def _clean_start(
    instance: Instance, seed: int, evaluations: int, stop: Callable[[], bool], notes: list[str]
) -> tuple[list[list[int]], int, bool]:
    """Clean rounds from constructions, extended by the golfer search, people mapped to roles.

    Shares of the work: constructions at most 75 %, the extension up to 90 %
    in all, the mapping half of what is left; the general search gets the rest.
    """
    built = build(instance, seed, evaluations * 3 // 4, stop)
    spent = built.work
    plan = [list(t) for t in built.rounds]
    if plan:
        notes.append(f"construction: {len(plan)} rounds nobody meets twice, {built.how}")
    timed_out = False
    if len(plan) < instance.rounds:
        grown = golfer.golfer_search(
            instance, seed, max(0, evaluations * 9 // 10 - spent), stop, prefix=plan
        )
        spent += grown.work
        timed_out = grown.stopped == "time"
        plan = [list(t) for t in grown.assignment]
        notes.append(
            f"golfer search: {grown.iterations} iterations after {len(built.rounds)} "
            f"built rounds, {grown.excess} excess meetings, stopped by {grown.stopped}"
        )
    if not instance.interchangeable:
        plan, used = relabel(instance, plan, seed, max(0, (evaluations - spent) // 2), stop)
        spent += used
        notes.append("people mapped to the plan's seats for roles and colleagues")
    return plan, spent, timed_out or stop()


def _infeasible(rules: Rules, conflict: Sequence[str]) -> InfeasibleError:
    if conflict:
        return InfeasibleError(
            "the hard rules together",
            "these cannot all hold with the table sizes: " + "; ".join(conflict)
            + " (proven by CP-SAT)",
        )  # fmt: skip
    return InfeasibleError(
        "the hard rules together",
        "no plan meets table sizes, pinned seats, must/must-not pairs"
        + (" and never twice" if rules.mixing.value == "never-twice" else "")
        + " at once (proven by CP-SAT)",
    )


def _wants_cpsat(method: Method, instance: Instance, notes: list[str]) -> bool:
    if method is Method.HEURISTIC:
        return False
    if method is Method.CPSAT:
        return True
    if instance.rounds * instance.n * (instance.n - 1) // 2 > _AUTO_PAIR_ROUNDS:
        notes.append("cp-sat: not run, the model is too large for auto (use method cpsat)")
        return False
    try:
        __import__("ortools.sat.python.cp_model")
    except ImportError:
        notes.append(f"cp-sat: not run, {MissingExtraError('ortools', 'solver', 'CP-SAT')}")
        return False
    return True


def _ids(
    instance: Instance, assignment: Sequence[Sequence[int]]
) -> tuple[tuple[tuple[str, ...], ...], ...]:
    names = instance.roster.ids
    out = []
    for tables_of in assignment:
        tables: list[list[str]] = [[] for _ in instance.sizes]
        for i, t in enumerate(tables_of):
            tables[t].append(names[i])
        out.append(tuple(tuple(table) for table in tables))
    return tuple(out)


def plan_sessions(
    allocation: Allocation,
    tables: Tables | int,
    rounds: int = 1,
    rules: Rules | None = None,
    method: Method | str = Method.AUTO,
    budget: Budget | None = None,
    *,
    time_limit: float | None = None,
    work: float | None = None,
    seed: int | None = None,
) -> Mapping[str, BreakoutPlan]:
    """A breakout plan for every session of an allocation that has someone seated.

    The budget covers all sessions: each gets an equal share of its time limit and work.
    """
    whole = make_budget(budget, time_limit, work, seed)
    sessions = [s for s, seated in allocation.rosters.items() if seated]
    plans = {}
    for session in sessions:
        share = Budget(
            time_limit=None if whole.time_limit is None else whole.time_limit / len(sessions),
            work=None if whole.work is None else whole.work / len(sessions),
            seed=whole.seed,
        )
        roster = Roster.from_allocation(allocation, session)
        plans[session] = plan_breakouts(roster, tables, rounds, rules, method, share)
    return MappingProxyType(plans)
