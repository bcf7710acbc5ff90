"""Typical use of the public API, checked by mypy (strict) in CI so it stays well-typed.

Not collected by pytest (no test functions): it is read by the type checker only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from seatalloc import (
    Allocation,
    Decision,
    DemandModel,
    Group,
    Ledger,
    Policy,
    Problem,
    Quota,
    Reason,
    Request,
    Session,
    SimulationResult,
    Status,
    allocate,
    load_requests,
    load_scenario,
    optimize_sessions,
    plan_breakouts,
    sample_requests,
    simulate,
)
from seatalloc.breakouts import BreakoutPlan, Roster, Rules
from seatalloc.fairness import Violation, violations
from seatalloc.scenarios import workshop
from seatalloc.stores import MemoryStore


def batch() -> tuple[Allocation, list[Violation]]:
    problem = Problem(
        sessions=[Session("a", 2, label="Day one")],
        groups=[Group("g")],
        requests=[Request("r1", "g", role="planner", arrival=1, sessions=("a",))],
        quotas=[Quota(4, group="g")],
        policy=Policy(prefer_colleagues=True),
    )
    allocation = allocate(problem)
    seat: str | None = allocation.assignments["r1"]
    decision: Decision = allocation.decisions["r1"]
    seated: bool = decision.status is Status.SEATED and decision.reason is Reason.FIRST_CHOICE
    sentence: str = allocation.explain("r1")
    assert seat is None or seated or sentence
    return allocation, violations(problem, allocation)


def from_files(scenario: Path, requests: Path) -> Mapping[str, object]:
    problem = load_requests(requests, load_scenario(scenario))
    return allocate(problem).to_dict()


def optimised(problem: Problem) -> Allocation:
    return optimize_sessions(problem, guarantee="fcfs-pareto", time_limit=5.0)


def tables(allocation: Allocation, session: str) -> BreakoutPlan:
    rules = Rules(colleagues=("together", "apart"), mixing="never-twice")
    return plan_breakouts(Roster.from_allocation(allocation, session), 7, 2, rules)


def analyst() -> SimulationResult:
    scenario = workshop()
    requests = sample_requests(scenario, DemandModel(), 1)
    assert requests
    return simulate(scenario, DemandModel(), runs=10, seed=1, policies=("fcfs", "colleagues"))


def booking() -> Decision:
    ledger = Ledger.create(MemoryStore(), workshop(), clock=lambda: 0)
    return ledger.submit(Request("r1", "uppsala", role="planner", arrival=1))
