"""A solver-neutral integer linear model and the OR-Tools backends that solve it.

The session model is built once as plain data (:class:`LinearModel`) and
handed to a backend: CP-SAT, HiGHS (through ``highspy``, which takes a
starting solution) or SCIP (through ``ortools.linear_solver``). Writing the
model once keeps the backends from drifting apart and lets the benchmark
compare them on the very same model. Solvers are imported only when a
backend is built.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import attrs

from seatalloc._extras import require

__all__ = ["BACKENDS", "Backend", "Expr", "LinearModel", "Outcome", "make_backend"]

FEATURE = "optimize_sessions"

BACKENDS = ("cp-sat", "highs", "scip")

MIP_TIME_SHARE = 0.8
"""A MIP solve is given this share of the wall time left, less 1.5 s (see :func:`_mip_seconds`)."""

MIP_MIN_START = 2.0
"""A MIP solve is not started with fewer wall seconds left: HiGHS given 0.1 s on the
3,000-request benchmark took 1.8 s in its root phase."""

NODES_PER_WORK = 1000
"""For HiGHS and SCIP one unit of work is this many branch-and-bound nodes per solve."""
"""Backend names a caller may choose (besides ``auto``)."""


@attrs.frozen
class Expr:
    """An integer linear expression over the model's variables: ``sum(c * x[i]) + constant``."""

    terms: Mapping[int, int]
    constant: int = 0

    def value(self, values: Sequence[int]) -> int:
        """The expression's value at an assignment of every variable."""
        return self.constant + sum(c * values[i] for i, c in self.terms.items())


@attrs.frozen
class Constraint:
    """``lower <= sum(c * x[i]) <= upper``; ``None`` leaves a side open."""

    terms: Mapping[int, int]
    lower: int | None
    upper: int | None


class LinearModel:
    """Integer variables in ``0..upper`` and integer linear constraints, built before any solver."""

    def __init__(self) -> None:
        self.upper: list[int] = []
        self.constraints: list[Constraint] = []

    @property
    def size(self) -> int:
        """The number of variables."""
        return len(self.upper)

    def new_var(self, upper: int = 1) -> int:
        """A fresh variable in ``0..upper`` (0-1 by default); its index."""
        self.upper.append(upper)
        return len(self.upper) - 1

    def add(self, terms: Mapping[int, int], lower: int | None, upper: int | None) -> None:
        """Add ``lower <= terms <= upper``; a backend picks it up at its next solve."""
        self.constraints.append(Constraint(dict(terms), lower, upper))


@attrs.frozen
class Outcome:
    """One solve: status, the values found (``None`` when none), objective and bound."""

    status: str
    """``optimal``, ``feasible``, ``infeasible`` or ``unknown`` (stopped without a solution)."""
    values: tuple[int, ...] | None
    bound: float | None
    seconds: float
    work: float = 0.0
    """Work spent: CP-SAT deterministic seconds; for MIP, nodes / :data:`NODES_PER_WORK`."""
    out_of_work: bool = False
    """True when an unproven end came from the work budget (else from the clock)."""


Check = Callable[[], None]
"""Called now and then while a model is handed to a solver; raises when the wall limit passed."""

_CHECK_EVERY = 2000
"""Constraints passed to a solver between two deadline checks."""


class Backend(Protocol):
    """Solves its model for one objective at a time; constraints only ever get added."""

    name: str
    parameters: Mapping[str, Any]

    def solve(
        self,
        objective: Expr,
        maximize: bool,
        hint: Sequence[int],
        time_limit: float | None,
        work: float | None,
        check: Check,
    ) -> Outcome:
        """Optimise ``objective``; stop after ``time_limit`` wall seconds or ``work`` units."""
        ...


class CpSatBackend:
    """CP-SAT. One worker and a fixed seed make it deterministic."""

    name = "cp-sat"

    def __init__(self, model: LinearModel, seed: int, workers: int) -> None:
        cp_model = require("ortools.sat.python.cp_model", "solver", FEATURE)
        self._cp = cp_model
        self._source = model
        self._synced = 0
        self._model = cp_model.CpModel()
        # Created first and in order, so variable i is index i in the response.
        new_int, new_bool = self._model.new_int_var, self._model.new_bool_var
        self._vars = [
            new_bool(f"x{i}") if ub == 1 else new_int(0, ub, f"x{i}")
            for i, ub in enumerate(model.upper)
        ]
        # Linearization level 2 lets CP-SAT use the LP relaxation fully; with
        # the default (1) it left large gaps on the 3,000-request benchmark.
        self.parameters: Mapping[str, Any] = {
            "num_workers": workers,
            "random_seed": seed,
            "linearization_level": 2,
        }

    def _sync(self, check: Check) -> None:
        for n, constraint in enumerate(self._source.constraints[self._synced :]):
            if n % _CHECK_EVERY == 0:
                check()
            expr = self._cp.LinearExpr.weighted_sum(
                [self._vars[i] for i in constraint.terms], list(constraint.terms.values())
            )
            lower = -(2**40) if constraint.lower is None else constraint.lower
            upper = 2**40 if constraint.upper is None else constraint.upper
            self._model.add_linear_constraint(expr, lower, upper)
        self._synced = len(self._source.constraints)

    def solve(
        self,
        objective: Expr,
        maximize: bool,
        hint: Sequence[int],
        time_limit: float | None,
        work: float | None,
        check: Check,
    ) -> Outcome:
        self._sync(check)
        cp = self._cp
        expr = cp.LinearExpr.weighted_sum(
            [self._vars[i] for i in objective.terms], list(objective.terms.values())
        )
        if maximize:
            self._model.maximize(expr)
        else:
            self._model.minimize(expr)
        self._model.clear_hints()
        # Straight into the proto: add_hint per variable costs more than the solve.
        self._model.proto.solution_hint.vars.extend(range(len(hint)))
        self._model.proto.solution_hint.values.extend(hint)
        solver = cp.CpSolver()
        for key, value in self.parameters.items():
            setattr(solver.parameters, key, value)
        if time_limit is not None:
            solver.parameters.max_time_in_seconds = max(time_limit, 0.001)
        if work is not None:
            solver.parameters.max_deterministic_time = max(work, 0.001)
        start = time.perf_counter()
        status = solver.solve(self._model)
        seconds = time.perf_counter() - start
        spent = solver.response_proto.deterministic_time
        out_of_work = work is not None and spent >= 0.99 * work
        if status in (cp.OPTIMAL, cp.FEASIBLE):
            values = tuple(list(solver.response_proto.solution)[: len(self._vars)])
            return Outcome(
                "optimal" if status == cp.OPTIMAL else "feasible",
                values,
                solver.best_objective_bound + objective.constant,
                seconds,
                spent,
                out_of_work,
            )
        return Outcome(
            "infeasible" if status == cp.INFEASIBLE else "unknown",
            None, None, seconds, spent, out_of_work,
        )  # fmt: skip


class HighsBackend:
    """HiGHS through ``highspy``: one thread and a fixed seed make it deterministic.

    ``highspy`` rather than OR-Tools' bundled HiGHS because it takes the hint
    as a starting solution (OR-Tools 9.15 crashed on one): on the cohesive
    10,000 case the ``changes`` level, started from the ``ranks`` level's
    solution, was proven in 36 s instead of 166 (before the seat floors;
    docs/optimize-sessions.md).
    """

    name = "highs"

    def __init__(self, model: LinearModel, seed: int, workers: int) -> None:
        highspy = require("highspy", "solver", FEATURE)
        self._hs = highspy
        self._source = model
        self._synced = 0
        self._highs = highs = highspy.Highs()
        # No banner; gap 0 (HiGHS's own default, 1e-4, once let it call
        # 320,155 optimal where 320,173 exists); ``workers`` threads, fixed seed; no
        # feasibility jump: every solve starts from a feasible hint, and on
        # three cohesive 10,000 cases the whole call took 25.8, 28.9 and 14.7 s
        # without it against 29.4, 29.6 and 17.7 s with it.
        options = {
            "output_flag": False,
            "mip_rel_gap": 0.0,
            "threads": workers,
            "random_seed": seed,
            "mip_heuristic_run_feasibility_jump": False,
        }
        for key, value in options.items():
            highs.setOptionValue(key, value)
        n = model.size
        highs.addVars(n, [0.0] * n, [float(u) for u in model.upper])
        highs.changeColsIntegrality(n, list(range(n)), [highspy.HighsVarType.kInteger] * n)
        self.parameters: Mapping[str, Any] = {**options, "hint": True}

    def _sync(self, check: Check) -> None:
        infinity = self._hs.kHighsInf
        pending = self._source.constraints[self._synced :]
        for start in range(0, len(pending), _CHECK_EVERY):
            check()
            chunk = pending[start : start + _CHECK_EVERY]
            starts: list[int] = []
            indices: list[int] = []
            values: list[float] = []
            for constraint in chunk:
                starts.append(len(indices))
                indices.extend(constraint.terms)
                values.extend(float(c) for c in constraint.terms.values())
            self._highs.addRows(
                len(chunk),
                [-infinity if c.lower is None else float(c.lower) for c in chunk],
                [infinity if c.upper is None else float(c.upper) for c in chunk],
                len(indices), starts, indices, values,
            )  # fmt: skip
        self._synced = len(self._source.constraints)

    def solve(
        self,
        objective: Expr,
        maximize: bool,
        hint: Sequence[int],
        time_limit: float | None,
        work: float | None,
        check: Check,
    ) -> Outcome:
        self._sync(check)
        if time_limit is not None and time_limit < MIP_MIN_START:
            # Its root phase alone overruns so short a limit: the caller keeps its hint.
            return Outcome("unknown", None, None, 0.0)
        hs, highs = self._hs, self._highs
        n = self._source.size
        costs = [0.0] * n
        for i, c in objective.terms.items():
            costs[i] = float(c)
        highs.changeColsCost(n, list(range(n)), costs)
        highs.changeObjectiveSense(hs.ObjSense.kMaximize if maximize else hs.ObjSense.kMinimize)
        start = hs.HighsSolution()
        start.col_value = [float(v) for v in hint]
        start.value_valid = True
        highs.setSolution(start)
        # HiGHS reads its clock seldom at the root: given 9.3 s on the 50 %-"any"
        # 3,000-request benchmark it took 11.9 s. The margin keeps the call's
        # wall limit (+ 10 % + 1 s) honoured; the work budget, not this, decides.
        limit = hs.kHighsInf if time_limit is None else _mip_seconds(time_limit)
        highs.setOptionValue("time_limit", limit)
        nodes = hs.kHighsIInf if work is None else max(int(work * NODES_PER_WORK), 1)
        highs.setOptionValue("mip_max_nodes", nodes)
        began = time.perf_counter()
        highs.run()
        seconds = time.perf_counter() - began
        info = highs.getInfo()
        status = highs.getModelStatus()
        out_of_work = work is not None and info.mip_node_count >= nodes
        spent = info.mip_node_count / NODES_PER_WORK
        # Every variable is bounded, so "unbounded or infeasible" is infeasible.
        if status in (hs.HighsModelStatus.kInfeasible, hs.HighsModelStatus.kUnboundedOrInfeasible):
            return Outcome("infeasible", None, None, seconds, spent, out_of_work)
        if info.primal_solution_status != hs.kSolutionStatusFeasible:
            return Outcome("unknown", None, None, seconds, spent, out_of_work)
        # Integrality holds within a tolerance; every coefficient is an
        # integer, so rounding keeps every constraint satisfied.
        values = tuple(round(v) for v in highs.getSolution().col_value)
        # Stopped before its first bound, HiGHS reports an infinite one: none known.
        bound = info.mip_dual_bound
        return Outcome(
            "optimal" if status == hs.HighsModelStatus.kOptimal else "feasible",
            values,
            bound + objective.constant if math.isfinite(bound) else None,
            seconds,
            spent,
            out_of_work,
        )


def _mip_seconds(time_limit: float) -> float:
    """The wall seconds a MIP solve is given out of ``time_limit`` left (see MIP_TIME_SHARE)."""
    return max(0.1, time_limit * MIP_TIME_SHARE - 1.5)


class ScipBackend:
    """SCIP through ``ortools.linear_solver``, relative gap 0, seeded."""

    name = "scip"

    def __init__(self, model: LinearModel, seed: int, workers: int) -> None:
        pywraplp = require("ortools.linear_solver.pywraplp", "solver", FEATURE)
        self._lp = pywraplp
        solver = pywraplp.Solver.CreateSolver("SCIP")
        if solver is None:
            raise RuntimeError("OR-Tools was built without the SCIP solver")
        self._solver = solver
        self._source = model
        self._synced = 0
        self._vars = [solver.IntVar(0, ub, f"x{i}") for i, ub in enumerate(model.upper)]
        solver.SuppressOutput()
        solver.SetNumThreads(workers)
        self._specific = f"randomization/randomseedshift = {seed}"
        solver.SetSolverSpecificParametersAsString(self._specific)
        self.parameters: Mapping[str, Any] = {
            "threads_requested": workers,
            "relative_mip_gap": 0.0,
            "specific": self._specific,
            "hint": True,
        }

    def _sync(self, check: Check) -> None:
        infinity = self._solver.infinity()
        for n, constraint in enumerate(self._source.constraints[self._synced :]):
            if n % _CHECK_EVERY == 0:
                check()
            row = self._solver.RowConstraint(
                -infinity if constraint.lower is None else constraint.lower,
                infinity if constraint.upper is None else constraint.upper,
                "",
            )
            for i, c in constraint.terms.items():
                row.SetCoefficient(self._vars[i], c)
        self._synced = len(self._source.constraints)

    def solve(
        self,
        objective: Expr,
        maximize: bool,
        hint: Sequence[int],
        time_limit: float | None,
        work: float | None,
        check: Check,
    ) -> Outcome:
        self._sync(check)
        if time_limit is not None and time_limit < MIP_MIN_START:
            # Its root phase alone overruns so short a limit: the caller keeps its hint.
            return Outcome("unknown", None, None, 0.0)
        lp = self._lp
        solver = self._solver
        goal = solver.Objective()
        goal.Clear()
        for i, c in objective.terms.items():
            goal.SetCoefficient(self._vars[i], c)
        goal.SetOptimizationDirection(maximize)
        solver.SetHint(self._vars, [float(v) for v in hint])
        if time_limit is not None:
            solver.SetTimeLimit(max(int(_mip_seconds(time_limit) * 1000), 1))
        # The work budget is a node limit per solve: deterministic, unlike the clock.
        specific = self._specific
        if work is not None:
            specific += f"\nlimits/nodes = {max(int(work * NODES_PER_WORK), 1)}"
        solver.SetSolverSpecificParametersAsString(specific)
        params = lp.MPSolverParameters()
        params.SetDoubleParam(lp.MPSolverParameters.RELATIVE_MIP_GAP, 0.0)
        start = time.perf_counter()
        status = solver.Solve(params)
        seconds = time.perf_counter() - start
        nodes = solver.nodes() / NODES_PER_WORK
        out_of_work = work is not None and solver.nodes() >= max(int(work * NODES_PER_WORK), 1)
        if status in (lp.Solver.OPTIMAL, lp.Solver.FEASIBLE):
            # Integrality holds within a tolerance; every coefficient is an
            # integer, so rounding keeps every constraint satisfied.
            values = tuple(round(v.solution_value()) for v in self._vars)
            return Outcome(
                "optimal" if status == lp.Solver.OPTIMAL else "feasible",
                values,
                goal.BestBound() + objective.constant,
                seconds,
                nodes,
                out_of_work,
            )
        return Outcome(
            "infeasible" if status == lp.Solver.INFEASIBLE else "unknown",
            None,
            None,
            seconds,
            nodes,
            out_of_work,
        )


def make_backend(name: str, model: LinearModel, seed: int, workers: int) -> Backend:
    """The backend called ``name`` (one of :data:`BACKENDS`) for ``model``."""
    if name == "cp-sat":
        return CpSatBackend(model, seed, workers)
    if name == "highs":
        return HighsBackend(model, seed, workers)
    return ScipBackend(model, seed, workers)
