"""``seatalloc allocate``: allocate the requests of a scenario and print or write the result."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from seatalloc.allocation import Allocation
from seatalloc.cli._output import FORMATS, emit, render
from seatalloc.errors import InputError
from seatalloc.fcfs import allocate
from seatalloc.io import load_scenario
from seatalloc.io.scenario import input_files
from seatalloc.model import Problem

__all__ = ["add_problem_arguments", "load_problem", "register", "run"]

GUARANTEES = ("fcfs-seats", "fcfs-pareto", "none")


def add_problem_arguments(parser: argparse.ArgumentParser) -> None:
    """The scenario file and the optional requests CSV (shared with ``check``)."""
    parser.add_argument("scenario", metavar="SCENARIO.toml", help="scenario file (TOML)")
    parser.add_argument(
        "--requests",
        metavar="REQUESTS.csv",
        help="requests CSV (default: the file the scenario names in 'requests')",
    )


def load_problem(args: argparse.Namespace) -> Problem:
    """The scenario, with the requests of ``--requests`` instead of its own CSV when given."""
    return load_scenario(args.scenario, requests=args.requests)


def check_out(args: argparse.Namespace) -> None:
    """Refuse an ``--out`` that is one of the inputs: writing it would destroy the input."""
    if args.out is None:
        return
    inputs = input_files(args.scenario)
    if args.requests is not None:
        inputs.append(Path(args.requests).resolve())
    if Path(args.out).resolve() in inputs:
        raise InputError(
            f"--out {args.out}: is an input of this command; choose another path to write to"
        )


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "allocate",
        help="allocate the requests of a scenario",
        description="Allocate seats first come, first served (or optimally) and print the result.",
    )
    add_problem_arguments(parser)
    parser.add_argument("--format", choices=FORMATS, default="table", help="default: table")
    parser.add_argument(
        "--out", metavar="PATH", help="write to PATH (atomically) instead of stdout"
    )
    parser.add_argument(
        "--method", choices=("fcfs", "optimal"), default="fcfs", help="default: fcfs"
    )
    parser.add_argument(
        "--guarantee",
        choices=GUARANTEES,
        default="fcfs-seats",
        help="with --method optimal: what it keeps of FCFS (default: fcfs-seats)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=10.0,
        metavar="S",
        help="with --method optimal: seconds for the solver (default: 10)",
    )
    parser.set_defaults(func=run)


def _allocate(problem: Problem, args: argparse.Namespace) -> Allocation:
    if args.method == "fcfs":
        return allocate(problem)
    # Imported here: the optimiser needs the optional OR-Tools (extra 'solver').
    from seatalloc.optimize import optimize_sessions

    return optimize_sessions(problem, guarantee=args.guarantee, time_limit=args.time_limit)


def run(args: argparse.Namespace) -> int:
    check_out(args)
    problem = load_problem(args)
    allocation = _allocate(problem, args)
    emit(render(allocation, args.format), args.out)
    if args.out is not None:
        seated = sum(s is not None for s in allocation.assignments.values())
        print(
            f"wrote {args.out}: {len(problem.requests)} requests, {seated} seated, "
            f"{len(allocation.waitlist)} waitlisted ({allocation.method})"
        )
    return 0
