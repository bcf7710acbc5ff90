"""``seatalloc demo``: the embedded workshop scenario with seeded synthetic demand.

Built from small render functions, one per section, so more sections (an
optimiser's plan, breakout tables) can be set beside the FCFS one.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping
from typing import Any

from seatalloc.allocation import Allocation, Reason
from seatalloc.breakouts import BreakoutPlan, Roster, Rules, plan_breakouts
from seatalloc.cli._output import emit, render_metrics, render_rosters, render_waitlist, table
from seatalloc.demand import DemandModel, sample_requests
from seatalloc.errors import MissingExtraError
from seatalloc.fcfs import allocate
from seatalloc.model import Problem
from seatalloc.scenarios import workshop

__all__ = [
    "DEFAULT_SEED",
    "demo_problem",
    "register",
    "render_breakouts",
    "render_comparison",
    "render_fcfs",
    "render_scenario",
    "run",
]

_MOVES_SHOWN = 8
_TABLE_SIZE = 4
_DEMO_WORK = 2.0
_DEMO_TIME_LIMIT = 20.0
"""Breakout tables of about four: room for every role to speak."""

DEFAULT_SEED = 2020


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="allocate the embedded workshop scenario with synthetic demand",
        description=(
            "The county administrative boards' workshop (3 sessions of 28, 21 boards with "
            "4 places each) with seeded synthetic demand larger than the supply, allocated "
            "first come, first served."
        ),
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"demand seed (default: {DEFAULT_SEED})"
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(func=run)


def demo_problem(seed: int = DEFAULT_SEED) -> Problem:
    """The workshop with requests drawn from the default demand model and ``seed``."""
    problem = workshop()
    return problem.replace(requests=sample_requests(problem, DemandModel(), seed))


def render_scenario(problem: Problem, seed: int) -> str:
    """What the demo allocates: sessions, groups, quotas and the demand drawn."""
    capacity = sum(s.capacity for s in problem.sessions)
    sessions = ", ".join(f"{s.name} ({s.capacity})" for s in problem.sessions)
    limits = sorted({q.limit for q in problem.quotas if q.group is not None})
    places = "/".join(map(str, limits)) or "no"
    return (
        f"Workshop: {len(problem.sessions)} sessions, {capacity} seats: {sessions}\n"
        f"{len(problem.groups)} county administrative boards, {places} places each\n"
        f"Demand (seed {seed}): {len(problem.requests)} requests for {capacity} seats"
    )


def render_fcfs(allocation: Allocation) -> str:
    """The first-come-first-served section: rosters, waitlist with reasons, metrics."""
    return "\n\n".join(
        [
            "== First come, first served ==",
            render_rosters(allocation),
            render_waitlist(allocation),
            render_metrics(allocation),
        ]
    )


def render_comparison(fcfs: Allocation, optimal: Allocation) -> str:
    """FCFS and the optimiser side by side, then what the optimiser changed and why."""
    before, after = fcfs.metrics(), optimal.metrics()
    rows = [
        (label, before[key], after[key])
        for label, key in (
            ("seats filled", "seated"),
            ("waitlisted", "waitlisted"),
            ("groups split across sessions", "groups_split"),
            ("first choices", "first_choice"),
        )
    ]
    changed = [d for d in optimal.decisions.values() if d.reason in (Reason.MOVED, Reason.ADDED)]
    lines = [
        f"== Optimised: colleagues together, guarantee {optimal.report['guarantee']}"
        " (nobody FCFS seats loses a seat) =="
        if optimal.report
        else "== Optimised ==",
        table(("", "FCFS", "optimal"), rows),
        "",
        f"Changed from FCFS: {len(changed)} requests",
    ]
    for decision in changed[:_MOVES_SHOWN]:
        lines.append(f"  {decision.request}: {optimal.explain(decision.request)}")
    if len(changed) > _MOVES_SHOWN:
        lines.append(f"  ... and {len(changed) - _MOVES_SHOWN} more (see --format json)")
    if optimal.report:
        # No timings: the demo prints the same text for the same seed.
        levels = ", ".join(
            f"{level['objective']} {level['status']}" for level in optimal.report["levels"]
        )
        lines.append(f"Solver: {optimal.report['backend']}; {levels}")
    return "\n".join(lines)


def plan_demo_breakouts(allocation: Allocation, seed: int) -> Mapping[str, BreakoutPlan]:
    """Two rounds per session: colleagues together, then apart with new encounters."""
    rules = Rules(colleagues=("together", "apart"), mixing="fewest-repeats")
    return {
        session: plan_breakouts(
            Roster.from_allocation(allocation, session),
            tables=math.ceil(len(seated) / _TABLE_SIZE),
            rounds=2,
            rules=rules,
            # The heuristic's start (bounded by iterations), then CP-SAT proves or improves
            # it within a deterministic budget: the same tables for the seed on any machine.
            # Without OR-Tools the heuristic's plan stands.
            work=_DEMO_WORK,
            time_limit=_DEMO_TIME_LIMIT,
            seed=seed,
        )
        for session, seated in allocation.rosters.items()
        if len(seated) >= 2 * _TABLE_SIZE
    }


def render_breakouts(allocation: Allocation, plans: Mapping[str, BreakoutPlan]) -> str:
    """Per session and round: the tables, each person with board and role, and the quality."""
    problem = allocation.problem
    lines = ["== Breakout tables: round 1 colleagues together, round 2 apart, new faces =="]
    for session, plan in plans.items():
        quality = plan.quality
        lines.append(
            f"\n{problem.session_by_id[session].name}: {len(plan.rounds[0])} tables; "
            f"role deviation {quality.role_deviation}, "
            f"colleague pairs together {quality.rounds[0].colleague_pairs} then "
            f"{quality.rounds[1].colleague_pairs}, pairs meeting twice "
            f"{len(quality.repeated_pairs)} ({plan.method}, {plan.status})"
        )
        for number, tables in enumerate(plan.rounds, start=1):
            lines.append(f"  Round {number}")
            for index, people in enumerate(tables, start=1):
                seated = ", ".join(f"{p} ({problem.request_by_id[p].role})" for p in people)
                lines.append(f"    table {index}: {seated}")
        lines.extend(f"  not met: {item.rule}: {item.why}" for item in plan.not_met)
    return "\n".join(lines)


def _optimised(problem: Problem, fcfs: Allocation) -> Allocation | str:
    """The optimiser's plan, or why there is none (the solver extra is optional)."""
    from seatalloc.optimize import optimize_sessions

    try:
        return optimize_sessions(problem, fcfs=fcfs, time_limit=10.0)
    except MissingExtraError as error:
        return f"== Optimised ==\n  skipped: {error}"


def run(args: argparse.Namespace) -> int:
    problem = demo_problem(args.seed)
    allocation = allocate(problem)
    optimal = _optimised(problem, allocation)
    if args.format == "json":
        data = {"fcfs": allocation.to_dict()}
        if isinstance(optimal, Allocation):
            data["optimal"] = optimal.to_dict()
        final = optimal if isinstance(optimal, Allocation) else allocation
        data["breakouts"] = {
            session: plan.to_dict()
            for session, plan in plan_demo_breakouts(final, args.seed).items()
        }
        emit(json.dumps(data, indent=2, ensure_ascii=False) + "\n", None)
        return 0
    sections = [render_scenario(problem, args.seed), render_fcfs(allocation)]
    sections.append(
        render_comparison(allocation, optimal) if isinstance(optimal, Allocation) else optimal
    )
    final = optimal if isinstance(optimal, Allocation) else allocation
    sections.append(render_breakouts(final, plan_demo_breakouts(final, args.seed)))
    emit("\n\n".join(sections) + "\n", None)
    return 0
