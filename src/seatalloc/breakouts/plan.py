"""Plan breakout tables: the heuristic always, CP-SAT when asked or when it can help.

``auto`` runs the heuristic; when its plan does not reach the lower bound
(which would prove it optimal) and OR-Tools is installed and the model is
small enough, CP-SAT starts from that plan and tries to improve and prove it.
"""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from seatalloc.breakouts._instance import Instance, compile_instance
from seatalloc.breakouts.heuristic import search
from seatalloc.breakouts.model import InfeasibleError, Roster, Rules, Tables
from seatalloc.breakouts.quality import NotMet, Quality, assess, lower_bound, not_met
from seatalloc.errors import FieldError, MissingExtraError

if TYPE_CHECKING:
    from seatalloc.allocation import Allocation

__all__ = ["BreakoutPlan", "Method", "plan_breakouts", "plan_sessions"]

# CP-SAT in "auto" only when rounds x pairs stays below this: beyond it the
# model is too large to help within seconds, and the heuristic is better.
_AUTO_PAIR_ROUNDS = 4000


class Method(enum.Enum):
    """Which solver to run."""

    AUTO = "auto"
    HEURISTIC = "heuristic"
    CPSAT = "cpsat"


@attrs.frozen
class BreakoutPlan:
    """Tables per round (participant ids), with the quality report and how it was solved.

    ``status`` is ``optimal`` when the objective equals a proven bound (from
    CP-SAT, or the heuristic reaching the simple lower bound), else ``feasible``.
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


def plan_breakouts(
    roster: Roster,
    tables: Tables | int,
    rounds: int = 1,
    rules: Rules | None = None,
    method: Method | str = Method.AUTO,
    time_limit: float = 10.0,
    seed: int = 0,
    max_iterations: int = 200_000,
) -> BreakoutPlan:
    """Seat ``roster`` at ``tables`` for ``rounds`` rounds under ``rules``.

    Hard rules proven impossible raise :class:`InfeasibleError` naming the rule
    and why; soft rules not fully met are listed in ``not_met`` with a reason.
    ``method="cpsat"`` without OR-Tools raises :class:`MissingExtraError`.
    ``time_limit`` (seconds) is shared: a quarter caps the heuristic's wall clock
    (behind ``max_iterations``), three quarters bound CP-SAT in its deterministic
    time. So the same input and seed give the same plan on any machine unless the
    heuristic's wall-clock cap fires (the notes then say "stopped by time").
    """
    started = time.perf_counter()
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
    # When CP-SAT follows, the heuristic only makes its starting plan: a quarter of the time.
    found = search(
        instance, bound, seed=seed, max_iterations=max_iterations,
        time_limit=time_limit / 4 if cpsat_next else time_limit,
    )  # fmt: skip
    assignment = found.assignment
    quality = assess(instance, assignment)
    notes.insert(0, f"heuristic: {found.iterations} iterations, stopped by {found.stopped}")
    used = "heuristic"
    status = "optimal" if quality.objective == bound else "feasible"
    # "cpsat" always runs the model (it confirms a plan already at the bound at once).
    if cpsat_next and (status != "optimal" or method is Method.CPSAT):
        from seatalloc.breakouts.cpsat import solve

        # Its share of the limit, not what the clock says is left: a repeatable budget.
        solved = solve(instance, time_limit * 3 / 4, seed=seed, hint=assignment)
        notes.append(f"cp-sat: {solved.status} in {solved.seconds:.2f} s")
        if solved.status == "infeasible":
            raise InfeasibleError(
                "the hard rules together",
                "no plan meets table sizes, pinned seats, must/must-not pairs"
                + (" and never twice" if rules.mixing.value == "never-twice" else "")
                + " at once (proven by CP-SAT)",
            )
        bound = max(bound, solved.bound)
        if solved.assignment is not None:
            better = assess(instance, solved.assignment)
            if better.objective <= quality.objective:
                assignment, quality, used = solved.assignment, better, "cpsat"
        status = "optimal" if quality.objective <= bound else "feasible"
    if quality.violations:
        status = "violates hard rules"
    return BreakoutPlan(
        rounds=_ids(instance, assignment),
        quality=quality,
        not_met=not_met(instance, quality, proven=status == "optimal"),
        method=used,
        status=status,
        bound=bound,
        seconds=time.perf_counter() - started,
        seed=seed,
        notes=tuple(notes),
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
    **options: Any,
) -> Mapping[str, BreakoutPlan]:
    """A breakout plan for every session of an allocation that has someone seated.

    ``options`` go to :func:`plan_breakouts` (method, time_limit, seed).
    """
    plans = {}
    for session, seated in allocation.rosters.items():
        if seated:
            roster = Roster.from_allocation(allocation, session)
            plans[session] = plan_breakouts(roster, tables, rounds, rules, **options)
    return MappingProxyType(plans)
