"""The CP-SAT model of breakout tables: proves optimality where it can (extra ``solver``).

Variables: ``x[r][i][t]`` person i at table t in round r; ``y[r][i,j]`` i and j
share a table in round r (exact: three linear rows per table; only with
mixing); colleague pairs per group and table from "exactly k members here"
booleans, with cuts that bound a together round exactly (see
``_colleague_pairs``). The
lexicographic objective of :mod:`seatalloc.breakouts.quality` becomes one
weighted sum whose weights make each level outweigh all levels below it.

Symmetry breaking: tables of equal size without pinned people are
interchangeable, so the k-th of them may only hold people of index >= k
(order such tables by their first member); when people differ only by id,
round 1 is fixed to seating them in index order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from itertools import combinations
from math import comb
from typing import Any

import attrs

from seatalloc._extras import require
from seatalloc.breakouts._instance import Instance
from seatalloc.breakouts.model import Colleagues, Mixing
from seatalloc.breakouts.quality import table_cost
from seatalloc.budget import Progress

__all__ = ["SolveResult", "canonical", "solve"]


@attrs.frozen
class SolveResult:
    """CP-SAT's answer: its plan (``None`` when it found none), status, bound and time."""

    assignment: tuple[tuple[int, ...], ...] | None
    status: str
    """``optimal``, ``feasible``, ``infeasible`` or ``unknown`` (no plan within the time)."""
    objective: tuple[int, int, int, int, int] | None
    bound: tuple[int, int, int, int, int] | None
    """CP-SAT's proven lower bound; ``None`` when it proved none (status unknown)."""
    seconds: float
    conflict: tuple[str, ...] = ()
    """With ``infeasible``: hard rules that cannot hold together (CP-SAT's assumptions)."""


def _classes(instance: Instance) -> list[list[int]]:
    """Interchangeable tables: equal size, nobody pinned to them; in index order."""
    pinned = {t for t in instance.pin if t is not None}
    by_size: dict[int, list[int]] = {}
    for t, size in enumerate(instance.sizes):
        if t not in pinned:
            by_size.setdefault(size, []).append(t)
    return [tables for tables in by_size.values() if len(tables) > 1]


def canonical(instance: Instance, assignment: Sequence[Sequence[int]]) -> list[list[int]]:
    """The same plan with interchangeable tables ordered by their first member (as the model)."""
    out = []
    for tables_of in assignment:
        relabel = list(range(instance.tables))
        for tables in _classes(instance):
            first = {
                t: min((i for i, s in enumerate(tables_of) if s == t), default=-1) for t in tables
            }
            for new, old in zip(tables, sorted(tables, key=first.__getitem__), strict=True):
                relabel[old] = new
        out.append([relabel[t] for t in tables_of])
    return out


class _Weights:
    """Weights that make the weighted sum lexicographic, and the way back to the levels."""

    def __init__(self, instance: Instance) -> None:
        n, rounds = instance.n, instance.rounds
        self.shift = rounds * instance.colleague_pairs
        self.w3 = comb(n, 2) + 1
        self.w2 = (rounds + 1) * self.w3
        self.w1 = (2 * self.shift + 1) * self.w2

    def split(self, value: int) -> tuple[int, int, int, int, int]:
        """Objective value to (0, roles, colleagues, most meetings, repeated pairs)."""
        value += self.shift * self.w2
        roles, rest = divmod(value, self.w1)
        colleagues, rest = divmod(rest, self.w2)
        most, repeated = divmod(rest, self.w3)
        return (0, roles, colleagues - self.shift, most, repeated)


class _Stopped(Exception):
    """The wall-clock safety stop fired while the model was being built."""


def solve(
    instance: Instance,
    work: float,
    seed: int = 0,
    hint: Sequence[Sequence[int]] | None = None,
    workers: int = 1,
    wall: float | None = None,
    stop: Callable[[], bool] = lambda: False,
    progress: Callable[[Progress], None] | None = None,
) -> SolveResult:
    """Solve the model; ``hint`` (e.g. the heuristic's plan) starts the search.

    ``work`` is CP-SAT's deterministic time: with one worker the result is
    repeatable on any machine under any load. ``wall`` (seconds) and ``stop``
    are the safety stops (building polls ``stop``); a run they cut is
    ``unknown`` or ``feasible``, never ``optimal``. On ``infeasible``,
    ``conflict`` names a set of hard rules that cannot hold together.
    """
    cp_model: Any = require("ortools.sat.python.cp_model", "solver", "the CP-SAT breakout model")
    started = time.perf_counter()
    try:
        model, x, _ = _build(cp_model, instance, False, stop)
    except _Stopped:
        return SolveResult(None, "unknown", None, None, time.perf_counter() - started)
    n, rounds, tables = instance.n, instance.rounds, instance.tables
    if hint is not None:
        for r, tables_of in enumerate(canonical(instance, hint)):
            for i, t in enumerate(tables_of):
                for s in range(tables):
                    model.AddHint(x[r][i][s], int(s == t))
    solver = _solver(cp_model, seed, workers, work, wall, started)
    weights = _Weights(instance)
    # A single round with mixing on: the model has no "most" variable, but a table
    # of two or more means some pair meets once (the report counts it).
    mixing = instance.rules.mixing is not Mixing.IGNORE
    base = 1 if mixing and rounds == 1 and instance.sizes[0] > 1 else 0
    callback = _Report(cp_model, progress, started) if progress is not None else None
    code = solver.Solve(model, callback) if callback is not None else solver.Solve(model)
    status = {
        cp_model.OPTIMAL: "optimal",
        cp_model.FEASIBLE: "feasible",
        cp_model.INFEASIBLE: "infeasible",
    }.get(code, "unknown")
    assignment = None
    objective = None
    bound = None
    if status in ("optimal", "feasible"):
        assignment = tuple(
            tuple(next(t for t in range(tables) if solver.Value(x[r][i][t])) for i in range(n))
            for r in range(rounds)
        )
        objective = _add(weights.split(round(solver.ObjectiveValue())), base)
        # The bound is CP-SAT's proof only when it has a plan to compare with; with
        # status unknown it carries no proof and is not used.
        bound = _add(weights.split(int(-(-solver.BestObjectiveBound() // 1))), base)
        if status == "optimal":
            bound = objective
    conflict: tuple[str, ...] = ()
    if status == "infeasible":
        conflict = _conflict(cp_model, instance, seed, work, wall, started, stop)
    return SolveResult(
        assignment, status, objective, bound, time.perf_counter() - started, conflict
    )


def _solver(
    cp_model: Any, seed: int, workers: int, work: float, wall: float | None, started: float
) -> Any:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.max_deterministic_time = max(work, 0.01)
    if wall is not None:
        # What is left of the wall limit after building: a safety stop only.
        solver.parameters.max_time_in_seconds = max(wall - (time.perf_counter() - started), 0.01)
    return solver


class _Report:
    """A CP-SAT solution callback that reports each plan's objective and the bound."""

    def __new__(cls, cp_model: Any, progress: Callable[[Progress], None], started: float) -> Any:
        class Callback(cp_model.CpSolverSolutionCallback):  # type: ignore[misc]
            def on_solution_callback(self) -> None:
                progress(
                    Progress(
                        "cp-sat",
                        self.ObjectiveValue(),
                        self.BestObjectiveBound(),
                        time.perf_counter() - started,
                        "weighted objective",
                    )
                )

        return Callback()


def _conflict(
    cp_model: Any,
    instance: Instance,
    seed: int,
    work: float,
    wall: float | None,
    started: float,
    stop: Callable[[], bool],
) -> tuple[str, ...]:
    """Hard rules that cannot hold together: CP-SAT's assumptions behind the infeasibility."""
    try:
        model, _, rules = _build(cp_model, instance, True, stop)
    except _Stopped:
        return ()
    solver = _solver(cp_model, seed, 1, work, wall, started)
    if solver.Solve(model) != cp_model.INFEASIBLE:
        return ()
    names = {lit.Index(): why for lit, why in rules}
    return tuple(sorted(names[i] for i in solver.SufficientAssumptionsForInfeasibility()))


def _build(
    cp_model: Any, instance: Instance, explain: bool, stop: Callable[[], bool]
) -> tuple[Any, list[list[list[Any]]], list[tuple[Any, str]]]:
    """The model, its ``x`` variables and, with ``explain``, one assumption per hard rule."""
    n, rounds, tables = instance.n, instance.rounds, instance.tables
    names = instance.roster.ids
    rules = instance.rules
    model = cp_model.CpModel()
    assumed: list[tuple[Any, str]] = []

    def rule(why: str) -> Any:
        lit = model.NewBoolVar(why)
        assumed.append((lit, why))
        return lit

    pin_lit = {
        i: rule(f"{names[i]} pinned to table {t + 1}")
        for i, t in enumerate(instance.pin)
        if t is not None and explain
    }
    together_lit = {
        (a, b): rule(f"{names[a]} and {names[b]} must sit together")
        for a, b in instance.together
        if explain
    }
    apart_lit = {
        (a, b): rule(f"{names[a]} and {names[b]} must sit apart")
        for a, b in instance.apart
        if explain
    }
    never_twice = explain and rules.mixing is Mixing.NEVER_TWICE
    never_lit = rule("nobody meets twice") if never_twice else None

    def add(constraint: Any, lit: Any) -> None:
        if lit is not None:
            constraint.OnlyEnforceIf(lit)

    x = [
        [[model.NewBoolVar(f"x{r}_{i}_{t}") for t in range(tables)] for i in range(n)]
        for r in range(rounds)
    ]
    mixing = rules.mixing is not Mixing.IGNORE
    # Pair variables only for mixing; colleague pairs are counted per group and table.
    pairs = list(combinations(range(n), 2)) if mixing and rounds > 1 else []
    y: list[dict[tuple[int, int], Any]] = []
    # Symmetry breaking would hide which rules conflict: off when explaining.
    fixed_first = instance.interchangeable and not explain
    for r in range(rounds):
        if stop():
            raise _Stopped
        xr = x[r]
        for i in range(n):
            model.AddExactlyOne(xr[i])
            pin = instance.pin[i]
            if pin is not None:
                add(model.Add(xr[i][pin] == 1), pin_lit.get(i))
        for t, size in enumerate(instance.sizes):
            model.Add(sum(xr[i][t] for i in range(n)) == size)
        if not explain:
            for members in _classes(instance):
                for k, t in enumerate(members):
                    for i in range(min(k, n)):
                        model.Add(xr[i][t] == 0)
        if r == 0 and fixed_first:
            seat = 0
            for t, size in enumerate(instance.sizes):
                for i in range(seat, seat + size):
                    model.Add(xr[i][t] == 1)
                seat += size
        for a, b in instance.together:
            for t in range(tables):
                add(model.Add(xr[a][t] == xr[b][t]), together_lit.get((a, b)))
        for a, b in instance.apart:
            for t in range(tables):
                add(model.Add(xr[a][t] + xr[b][t] <= 1), apart_lit.get((a, b)))
        together: dict[tuple[int, int], Any] = {}
        for a, b in pairs:
            same = model.NewBoolVar(f"y{r}_{a}_{b}")
            for t in range(tables):
                model.Add(same >= xr[a][t] + xr[b][t] - 1)
                model.Add(same <= 1 - xr[a][t] + xr[b][t])
                model.Add(same <= 1 + xr[a][t] - xr[b][t])
            together[a, b] = same
        y.append(together)
    if explain:
        # Only feasibility matters: the soft rules are left out.
        if mixing and rounds > 1 and never_lit is not None:
            for a, b in combinations(range(n), 2):
                add(model.Add(sum(y[r][a, b] for r in range(rounds)) <= 1), never_lit)
        model.AddAssumptions([lit for lit, _ in assumed])
        return model, x, assumed
    terms: list[Any] = []
    weights = _Weights(instance)
    if rules.balance_roles:
        for r in range(rounds):
            for t, size in enumerate(instance.sizes):
                counts = [
                    sum(x[r][i][t] for i in range(n) if instance.role_of[i] == k)
                    for k in range(len(instance.roles))
                ]
                bounds = instance.role_bounds[t]
                terms.append(weights.w1 * _role_cost(model, counts, bounds, size, f"{r}_{t}"))
    for r in range(rounds):
        if stop():
            raise _Stopped
        sign = {Colleagues.APART: 1, Colleagues.TOGETHER: -1}.get(instance.colleagues[r], 0)
        if sign:
            terms += [sign * weights.w2 * p for p in _colleague_pairs(model, instance, x[r], r)]
    if mixing and rounds > 1:
        most = model.NewIntVar(0, rounds, "most")
        terms.append(weights.w3 * most)
        for a, b in combinations(range(n), 2):
            meetings = sum(y[r][a, b] for r in range(rounds))
            model.Add(meetings <= most)
            if rules.mixing is Mixing.NEVER_TWICE:
                model.Add(meetings <= 1)
            else:
                again = model.NewBoolVar(f"again_{a}_{b}")
                model.Add(meetings <= 1 + (rounds - 1) * again)
                terms.append(again)
    model.Minimize(sum(terms))
    return model, x, assumed


def _role_cost(
    model: Any, counts: Sequence[Any], bounds: Sequence[tuple[int, int]], size: int, name: str
) -> Any:
    """A variable equal, at the optimum, to one table's role cost (:func:`.table_cost`).

    ``counts[k]`` is the table's count of role k, ``bounds[k]`` its share. The
    deviation sums each role's distance outside its share; the cost, convex in
    it, is the largest of its chords through ``j`` and ``j + 1``: exact at every
    integer.
    """
    gaps = []
    for k, ((low, high), count) in enumerate(zip(bounds, counts, strict=True)):
        over = model.NewIntVar(0, size, f"over{name}_{k}")
        under = model.NewIntVar(0, size, f"under{name}_{k}")
        model.Add(over >= count - high)
        model.Add(under >= low - count)
        gaps += [over, under]
    deviation = model.NewIntVar(0, 2 * size, f"dev{name}")
    model.Add(deviation == sum(gaps))
    cost = model.NewIntVar(0, table_cost(2 * size), f"role{name}")
    for j in range(2 * size):
        slope = table_cost(j + 1) - table_cost(j)
        model.Add(cost >= table_cost(j) + slope * (deviation - j))
    return cost


def _colleague_pairs(model: Any, instance: Instance, xr: list[list[Any]], r: int) -> list[Any]:
    """Terms summing to the colleague pairs sharing a table in round r.

    Per group and table, ``at[k]`` says exactly k members sit there; pairs are
    ``sum C(k, 2) * at[k]``, exact and linear. Counting pair by pair instead
    leaves the relaxation free to spread every group thinly (bound 42 for 7
    boards of 4 at 4 tables of 7). In ``together`` rounds two valid cuts
    close that gap: a table of s holds at most ``s // m`` parts of m or more,
    and a group whose largest part has L members seats at most ``f(L)`` pairs
    (cut into parts of L), with ``largest[L]`` choosing L.
    """
    n, sizes = instance.n, instance.sizes
    together = instance.colleagues[r] is Colleagues.TOGETHER
    out: list[Any] = []
    parts: list[list[list[Any]]] = [[] for _ in sizes]  # parts[t][m]: "a part of >= m" bools
    for g, size in enumerate(instance.group_sizes):
        if size < 2:
            continue
        members = [i for i in range(n) if instance.group_of[i] == g]
        at_tables = []
        for t, seats in enumerate(sizes):
            at = [model.NewBoolVar(f"c{r}_{g}_{t}_{k}") for k in range(min(size, seats) + 1)]
            model.AddExactlyOne(at)
            model.Add(sum(xr[i][t] for i in members) == sum(k * v for k, v in enumerate(at)))
            out += [comb(k, 2) * v for k, v in enumerate(at) if k > 1]
            at_tables.append(at)
            for m in range(2, len(at)):
                while len(parts[t]) <= m:
                    parts[t].append([])
                parts[t][m] += at[m:]
        if together:
            top = min(size, sizes[0])
            largest = [model.NewBoolVar(f"l{r}_{g}_{k}") for k in range(top + 1)]
            model.AddExactlyOne(largest[1:])
            for at in at_tables:
                for k in range(1, len(at)):
                    model.Add(at[k] <= sum(largest[k:]))
            for k in range(1, top + 1):
                model.Add(largest[k] <= sum(at[k] for at in at_tables if k < len(at)))
            model.Add(
                sum(comb(k, 2) * v for at in at_tables for k, v in enumerate(at))
                <= sum(_pairs_in_parts(size, k) * largest[k] for k in range(1, top + 1))
            )
    if together:
        for t, by_part in enumerate(parts):
            for m in range(2, len(by_part)):
                model.Add(sum(by_part[m]) <= sizes[t] // m)
    return out


def _pairs_in_parts(people: int, part: int) -> int:
    whole, rest = divmod(people, part)
    return whole * comb(part, 2) + comb(rest, 2)


def _add(levels: tuple[int, int, int, int, int], most: int) -> tuple[int, int, int, int, int]:
    return (levels[0], levels[1], levels[2], levels[3] + most, levels[4])
