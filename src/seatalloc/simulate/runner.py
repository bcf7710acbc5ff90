"""Monte Carlo over policies: the same sampled demand per replication for every policy.

Replication ``i`` uses the seed ``replication_seed(seed, i)``, a hash of the
base seed and the index, so a replication's records never depend on which
executor ran it, in what chunk or in what order. Work is sent to an
executor in chunks of replications, each task carrying only the problem
without requests, the demand model and a range of indices; records come
back in replication order.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import datetime
from typing import Any

import attrs

from seatalloc._extras import require
from seatalloc.allocation import Allocation
from seatalloc.demand import Demand, DemandModel, demand_sampler
from seatalloc.errors import FieldError
from seatalloc.fcfs import allocate
from seatalloc.model import Arrival, Problem, Request
from seatalloc.simulate.metrics import metrics_recorder, summarize

__all__ = [
    "POLICIES",
    "SimulationResult",
    "replication_seed",
    "simulate",
    "sweep",
    "sweep_values",
]

Progress = Callable[[int, int], None]
"""Called with (replications done, replications in total) after each chunk."""


@attrs.frozen
class RunOptions:
    """Settings of the policies that need more than the problem."""

    time_limit: float = 10.0
    """Wall-clock safety stop per ``optimal`` call (seconds)."""
    release: Arrival | None = None
    """For ``booking``: when every group quota's unused places open to everyone
    (in the arrival unit); ``None`` keeps the scenario's own release times."""
    work: float | None = None
    """Deterministic work budget per ``optimal`` call (see :class:`~seatalloc.budget.Budget`):
    set it so a loaded worker gives the same result as an idle one."""


def _fcfs(problem: Problem, demand: Demand, seed: int, options: RunOptions) -> Allocation:
    return allocate(problem)


def _colleagues(problem: Problem, demand: Demand, seed: int, options: RunOptions) -> Allocation:
    policy = attrs.evolve(problem.policy, prefer_colleagues=True)
    return allocate(problem.replace(policy=policy))


def _optimal(problem: Problem, demand: Demand, seed: int, options: RunOptions) -> Allocation:
    from seatalloc.budget import Budget
    from seatalloc.optimize import optimize_sessions

    budget = Budget(options.time_limit, options.work, seed % 2**31)
    return optimize_sessions(problem, guarantee="fcfs-seats", budget=budget)


def _booking(problem: Problem, demand: Demand, seed: int, options: RunOptions) -> Allocation:
    """Requests submitted one by one to a booking ledger, with the sampled withdrawals.

    Events run in time order (a submission before a withdrawal at the same
    time); at the end time advances to the release, so a release after the
    last event still promotes the waitlist. Withdrawn requests are not in
    the resulting allocation.
    """
    from seatalloc.booking import Ledger
    from seatalloc.stores.memory import MemoryStore

    quotas = problem.quotas
    if options.release is not None:
        quotas = tuple(
            attrs.evolve(q, release=options.release) if q.group is not None else q for q in quotas
        )
    scenario = problem.replace(requests=(), quotas=quotas)
    first: Arrival = problem.order[0].arrival if problem.requests else 0
    ledger = Ledger.create(MemoryStore(), scenario, clock=lambda: first)
    events: list[tuple[Any, int, str, tuple[Request, ...]]] = [
        (unit[0].arrival, 0, unit[0].id, unit) for unit in problem.units
    ]
    events += [(at, 1, request_id, ()) for request_id, at in demand.withdrawals]
    events.sort(key=lambda e: e[:3])
    for at, kind, request_id, unit in events:
        if kind == 0:
            ledger.submit_party(unit, at=at)
        else:
            ledger.withdraw(request_id, at=at)
    releases = [q.release for q in scenario.quotas if q.release is not None]
    if events or releases:
        ledger.tick(at=max([e[0] for e in events[-1:]] + releases))
    return ledger.allocation()


PolicyRun = Callable[[Problem, Demand, int, RunOptions], Allocation]

POLICIES: dict[str, PolicyRun] = {
    "fcfs": _fcfs,
    "colleagues": _colleagues,
    "optimal": _optimal,
    "booking": _booking,
}
"""Policy name to what allocates one sampled problem under it."""


def replication_seed(seed: int, index: int) -> int:
    """The seed of replication ``index``: 64 bits of a BLAKE2b hash of both numbers."""
    digest = hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@attrs.frozen
class _Task:
    """One chunk of replications at one sweep point: small to pickle."""

    problem: Problem
    model: DemandModel
    policies: tuple[str, ...]
    seed: int
    start: int
    stop: int
    options: RunOptions
    point: tuple[tuple[str, Any], ...] = ()


def _run_task(task: _Task) -> list[dict[str, Any]]:
    """Records of the task's replications, each policy on the same sampled demand."""
    roles = [r for r, _ in task.model.roles]
    runs = [POLICIES[name] for name in task.policies]
    # Set up once per chunk: the sampler's tables and the metrics' column names.
    draw = demand_sampler(task.problem, task.model)
    record = metrics_recorder(roles)
    records = []
    for index in range(task.start, task.stop):
        seed = replication_seed(task.seed, index)
        demand = draw(seed)
        problem = task.problem.replace(requests=demand.requests)
        for name, run in zip(task.policies, runs, strict=True):
            head = {**dict(task.point), "replication": index, "seed": seed, "policy": name}
            allocation = run(problem, demand, seed, task.options)
            # Batch policies apply no withdrawals; the ledger leaves the withdrawn out.
            withdrawn = len(problem.requests) - len(allocation.problem.requests)
            records.append({**head, **record(allocation), "withdrawn": withdrawn})
    return records


@attrs.frozen
class SimulationResult:
    """Plain records, one per (sweep point,) replication and policy, and their summary.

    ``records`` are dicts with the same keys, ready for CSV, pandas or polars.
    ``param`` names the swept demand field (its value is a column), if any.
    """

    records: list[dict[str, Any]] = attrs.field(repr=False)
    policies: tuple[str, ...]
    runs: int
    seed: int
    model: DemandModel
    param: str | None = None

    @property
    def by(self) -> tuple[str, ...]:
        """The columns a summary row is keyed by."""
        return (self.param, "policy") if self.param else ("policy",)

    def summary(self) -> list[dict[str, Any]]:
        """Per (point,) policy and metric: n, mean, sd and the 95 % Student-t interval."""
        return summarize(self.records, self.by, skip=("replication", "seed"))

    def to_dict(self) -> dict[str, Any]:
        """Settings, summary and records as plain JSON-ready data."""
        return {
            "runs": self.runs,
            "seed": self.seed,
            "policies": list(self.policies),
            "param": self.param,
            "demand": self.model.to_dict(),
            "summary": self.summary(),
            "records": self.records,
        }

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text (date-times as ISO 8601)."""
        return json.dumps(self.to_dict(), indent=indent, default=_iso)

    def to_csv(self) -> str:
        """The records as CSV, one row per (point,) replication and policy; empty cells for None."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(self.records[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.records)
        return buffer.getvalue()


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def sweep_values(low: float, high: float, steps: int) -> tuple[float, ...]:
    """``steps`` evenly spaced values from ``low`` to ``high`` inclusive."""
    if steps < 1:
        raise FieldError("sweep", None, "steps", steps, "must be an integer >= 1")
    if steps == 1:
        return (low,)
    return tuple(low + (high - low) * i / (steps - 1) for i in range(steps))


def simulate(
    problem: Problem,
    demand: DemandModel | None = None,
    *,
    runs: int,
    seed: int = 0,
    policies: Sequence[str] = ("fcfs", "colleagues"),
    executor: Executor | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    chunk: int | None = None,
    time_limit: float = 10.0,
    release: Arrival | None = None,
) -> SimulationResult:
    """Run ``runs`` replications of every policy on the same sampled demand each.

    The problem's sessions, groups, quotas and policy are kept; its requests
    are replaced by each sample. ``executor`` (any ``concurrent.futures``
    executor, e.g. a Dask ``Client.get_executor()``) is used and never shut
    down; else ``workers`` > 1 starts a process pool for the call; else the
    work runs in this process. ``progress(done, total)`` is called after each
    chunk of ``chunk`` replications. ``time_limit`` bounds each ``optimal``
    solve (seconds); ``release`` sets when group quotas open to all under
    ``booking`` (in the arrival unit of the demand).
    """
    return _run(problem, demand, None, (), runs=runs, seed=seed, policies=policies,
                executor=executor, workers=workers, progress=progress, chunk=chunk,
                options=RunOptions(time_limit, release))  # fmt: skip


def sweep(
    problem: Problem,
    demand: DemandModel | None,
    param: str,
    values: Iterable[Any],
    *,
    runs: int,
    seed: int = 0,
    policies: Sequence[str] = ("fcfs", "colleagues"),
    executor: Executor | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    chunk: int | None = None,
    time_limit: float = 10.0,
    release: Arrival | None = None,
) -> SimulationResult:
    """:func:`simulate` at each value of ``param``; records carry the value in a column.

    ``param`` is a :class:`DemandModel` field (``scale``, ``cohesion``...) or a
    policy setting (``release``, ``time_limit``).

    Every point reuses the same replication seeds (common random numbers),
    so differences between points are not sampling noise of the seeds.
    """
    return _run(problem, demand, param, tuple(values), runs=runs, seed=seed, policies=policies,
                executor=executor, workers=workers, progress=progress, chunk=chunk,
                options=RunOptions(time_limit, release))  # fmt: skip


def _check(problem: Problem, policies: Sequence[str], runs: int) -> None:
    """Fail before any work: unknown policy, bad run count, missing optional dependency."""
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise FieldError("simulation", None, "runs", runs, "must be an integer >= 1")
    if not policies:
        raise FieldError("simulation", None, "policies", policies, "must name a policy")
    for name in policies:
        if name not in POLICIES:
            known = ", ".join(POLICIES)
            raise FieldError("simulation", None, "policies", name, f"must be one of {known}")
    if "optimal" in policies:  # fail now, not in a worker after hours of other policies
        require("ortools", "solver", "the 'optimal' policy")


def _run(
    problem: Problem,
    demand: DemandModel | None,
    param: str | None,
    values: tuple[Any, ...],
    *,
    runs: int,
    seed: int,
    policies: Sequence[str],
    executor: Executor | None,
    workers: int | None,
    progress: Progress | None,
    chunk: int | None,
    options: RunOptions,
) -> SimulationResult:
    policies = tuple(policies)
    _check(problem, policies, runs)
    model = demand or DemandModel()
    base = problem.replace(requests=())
    points: list[tuple[tuple[str, Any], ...]] = [()]
    settings = [(model, options)]
    if param in attrs.fields_dict(DemandModel):
        points = [((param, value),) for value in values]
        settings = [(model.evolve(**{param: value}), options) for value in values]
    elif param in attrs.fields_dict(RunOptions):
        points = [((param, value),) for value in values]
        settings = [(model, attrs.evolve(options, **{param: value})) for value in values]
    elif param is not None:
        raise FieldError(
            "sweep", None, "param", param, "must name a demand model field, release or time_limit"
        )
    size = chunk or max(1, min(500, math.ceil(runs / 32)))
    tasks = [
        _Task(base, m, policies, seed, start, min(start + size, runs), o, point)
        for point, (m, o) in zip(points, settings, strict=True)
        for start in range(0, runs, size)
    ]
    total = runs * len(points)
    records: list[dict[str, Any]] = []
    for done in _map(tasks, executor, workers):
        records.extend(done)
        if progress is not None:
            progress(len(records) // len(policies), total)
    return SimulationResult(records, policies, runs, seed, model, param)


def _map(
    tasks: Sequence[_Task], executor: Executor | None, workers: int | None
) -> Iterator[list[dict[str, Any]]]:
    """Results in task order: in this process, on the given executor, or on an own pool."""
    if executor is not None:
        yield from executor.map(_run_task, tasks)
    elif workers is not None and workers > 1:
        with ProcessPoolExecutor(workers, mp_context=_pool_context()) as pool:
            yield from pool.map(_run_task, tasks)
    else:
        yield from map(_run_task, tasks)


def _pool_context() -> multiprocessing.context.BaseContext:
    """The platform's default start method, but a fork server instead of forking a process
    that runs other threads (a forked copy of a lock another thread holds may deadlock).

    Forked workers start with seatalloc imported (about 0.05 s per pool); a
    fork server's import it once (0.65 to 0.9 s).
    """
    default = multiprocessing.get_start_method()
    if default == "fork" and _threads() > 1:
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context(default)


def _threads() -> int:
    """Threads this process runs: the system's count where it tells (Linux: a solver
    library's own threads count too), else the threading module's."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()
