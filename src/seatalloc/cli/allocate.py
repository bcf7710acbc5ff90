"""``seatalloc allocate``: allocate the requests of a scenario and print or write the result."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from seatalloc.allocation import Allocation
from seatalloc.cli._output import FORMATS, emit, render
from seatalloc.errors import InputError
from seatalloc.fcfs import allocate
from seatalloc.io import load_requests, load_scenario
from seatalloc.io.excel import SPREADSHEET_SUFFIXES, load_requests_sheet
from seatalloc.io.roster import check_columns, roster_csv, roster_html, write_roster_xlsx
from seatalloc.model import Problem
from seatalloc.plots import check_plot, plot_allocation

__all__ = ["add_problem_arguments", "load_problem", "register", "run"]

GUARANTEES = ("fcfs-seats", "fcfs-pareto", "none")
ROSTER_FORMATS = ("xlsx", "html")


def _columns(text: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.split(",") if c.strip())


def add_problem_arguments(parser: argparse.ArgumentParser) -> None:
    """The scenario file and the optional requests CSV (shared with ``check``)."""
    parser.add_argument("scenario", metavar="SCENARIO.toml", help="scenario file (TOML)")
    parser.add_argument(
        "--requests",
        metavar="REQUESTS",
        help="requests CSV, or .xlsx/.ods with the 'excel' extra "
        "(default: the file the scenario names in 'requests')",
    )


def load_problem(args: argparse.Namespace) -> Problem:
    """The scenario, with the requests of ``--requests`` when given."""
    problem = load_scenario(args.scenario)
    if args.requests is None:
        return problem
    if Path(args.requests).suffix.lower() in SPREADSHEET_SUFFIXES:
        return load_requests_sheet(args.requests, problem)
    return load_requests(args.requests, problem)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "allocate",
        help="allocate the requests of a scenario",
        description="Allocate seats first come, first served (or optimally) and print the result.",
    )
    add_problem_arguments(parser)
    parser.add_argument(
        "--format",
        choices=(*FORMATS, *ROSTER_FORMATS),
        default="table",
        help="table (text), json or csv (the allocation formats), xlsx (a sheet per session "
        "and the waitlist; needs --out) or html (printable rosters); default: table",
    )
    parser.add_argument(
        "--columns",
        type=_columns,
        default=(),
        metavar="NAME,...",
        help="free attributes to add to csv, xlsx and html rosters, e.g. name,email "
        "(default: none, ids only)",
    )
    parser.add_argument(
        "--plot",
        metavar="PATH",
        help="also draw sessions filled against capacity, by group (.png or .svg)",
    )
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


def _write(allocation: Allocation, args: argparse.Namespace) -> None:
    """The chosen format to stdout or ``--out``; rosters with the ``--columns`` asked for."""
    if args.format == "xlsx":
        if args.out is None:
            raise InputError("--format xlsx needs --out PATH.xlsx (a workbook is not text)")
        write_roster_xlsx(allocation, args.out, args.columns)
    elif args.format == "html":
        emit(roster_html(allocation, args.columns), args.out)
    elif args.columns and args.format == "csv":
        emit(roster_csv(allocation, args.columns), args.out)
    elif args.columns:
        raise InputError("--columns applies to --format csv, xlsx or html")
    else:
        emit(render(allocation, args.format), args.out)


def run(args: argparse.Namespace) -> int:
    if args.plot is not None:
        check_plot(args.plot)  # a bad path or a missing extra fails before the work
    problem = load_problem(args)
    allocation = _allocate(problem, args)
    check_columns(allocation, args.columns)
    _write(allocation, args)
    if args.plot is not None:
        plot_allocation(allocation, args.plot)
        print(f"wrote {args.plot}")
    if args.out is not None:
        seated = sum(s is not None for s in allocation.assignments.values())
        print(
            f"wrote {args.out}: {len(problem.requests)} requests, {seated} seated, "
            f"{len(allocation.waitlist)} waitlisted ({allocation.method})"
        )
    return 0
