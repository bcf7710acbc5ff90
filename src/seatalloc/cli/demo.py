"""``seatalloc demo``: the embedded workshop scenario with seeded synthetic demand.

Built from small render functions, one per section, so more sections (an
optimiser's plan, breakout tables) can be set beside the FCFS one.
"""

from __future__ import annotations

import argparse
from typing import Any

from seatalloc.allocation import Allocation
from seatalloc.cli._output import emit, render_metrics, render_rosters, render_waitlist
from seatalloc.demand import DemandModel, sample_requests
from seatalloc.fcfs import allocate
from seatalloc.model import Problem
from seatalloc.scenarios import workshop

__all__ = ["DEFAULT_SEED", "demo_problem", "register", "render_fcfs", "render_scenario", "run"]

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


def run(args: argparse.Namespace) -> int:
    problem = demo_problem(args.seed)
    allocation = allocate(problem)
    if args.format == "json":
        emit(allocation.to_json() + "\n", None)
    else:
        emit(f"{render_scenario(problem, args.seed)}\n\n{render_fcfs(allocation)}\n", None)
    return 0
