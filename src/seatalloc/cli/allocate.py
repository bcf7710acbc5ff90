"""``seatalloc allocate``: allocate the requests of a scenario and print or write the result."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from seatalloc.allocation import DECISIONS, Allocation, Reason
from seatalloc.budget import Progress
from seatalloc.cli._output import FORMATS, emit, emit_allocation, render_allocation, table
from seatalloc.errors import InputError
from seatalloc.fcfs import allocate
from seatalloc.io import load_scenario
from seatalloc.io.roster import check_columns, roster_csv, roster_html, write_roster_xlsx
from seatalloc.io.scenario import input_files
from seatalloc.model import Problem
from seatalloc.plots import check_plot, plot_allocation

__all__ = [
    "add_problem_arguments",
    "load_problem",
    "progress_line",
    "register",
    "render_optimiser",
    "run",
]

GUARANTEES = ("fcfs-seats", "fcfs-people", "fcfs-pareto", "none")
OBJECTIVES = "seats,together,ranks,changes"
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
        "--decisions",
        choices=DECISIONS,
        default="all",
        help="whose decisions (reason and sentence) to write: all, waitlisted or none "
        "(default: all)",
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
        help="with --method optimal: wall-clock safety stop for the whole call, in seconds; "
        "a run it stops is reported as stopped, never proven (default: 10)",
    )
    parser.add_argument(
        "--work",
        type=float,
        default=None,
        metavar="W",
        help="with --method optimal: deterministic work budget that decides the result "
        "(CP-SAT deterministic seconds in total; HiGHS/SCIP 1,000 nodes per solve; default: none)",
    )
    parser.add_argument(
        "--objectives",
        default=OBJECTIVES,
        metavar="LIST",
        help=f"with --method optimal: levels in order, comma-separated (default: {OBJECTIVES})",
    )
    parser.add_argument(
        "--backend",
        choices=("auto", "cp-sat", "highs", "scip"),
        default="auto",
        help="with --method optimal: solver (default: auto)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="with --method optimal: solver seed (default: 0)"
    )
    parser.add_argument(
        "--max-rank-drop",
        type=int,
        default=None,
        metavar="K",
        help="with --method optimal: nobody FCFS seats moves more than K ranks down",
    )
    parser.set_defaults(func=run)


def _allocate(problem: Problem, args: argparse.Namespace) -> Allocation:
    if args.method == "fcfs":
        return allocate(problem)
    # Imported here: the optimiser needs the optional OR-Tools (extra 'solver').
    from seatalloc.optimize import optimize_sessions

    return optimize_sessions(
        problem,
        guarantee=args.guarantee,
        objectives=[o.strip() for o in args.objectives.split(",") if o.strip()],
        backend=args.backend,
        time_limit=args.time_limit,
        work=args.work,
        seed=args.seed,
        max_rank_drop=args.max_rank_drop,
        progress=progress_line if sys.stderr.isatty() else None,
    )


def progress_line(progress: Progress) -> None:
    """One line per optimiser phase on a terminal: best value and bound so far."""
    bound = "-" if progress.bound is None else f"{progress.bound:g}"
    best = "-" if progress.best is None else f"{progress.best:g}"
    print(
        f"[{progress.elapsed:7.1f}s] {progress.phase}: best {best}, bound {bound}"
        f" ({progress.detail})",
        file=sys.stderr,
        flush=True,
    )


def render_optimiser(allocation: Allocation) -> str:
    """The solver's status per level (value, bound, gap) and every change with its reason."""
    report = allocation.report or {}
    stopped = report.get("stopped_by")
    head = f"Optimiser ({report.get('backend')}, guarantee {report.get('guarantee')}): " + (
        f"stopped early by {stopped}, not proven" if stopped else "every level proven optimal"
    )
    levels = table(
        ("level", "status", "value", "bound", "gap"),
        [
            (lv["objective"], lv["status"], lv["value"], lv["bound"],
             None if lv["gap"] is None else f"{lv['gap']:.2%}")
            for lv in report.get("levels", [])
        ],
    )  # fmt: skip
    changed = [
        (d.request, d.reason.value, allocation.explain(d.request))
        for d in allocation.decisions.values()
        if d.reason in (Reason.MOVED, Reason.ADDED) or (d.note and "FCFS seated it" in d.note)
    ]
    changes = (
        table(("request", "change", "reason"), changed) if changed else "  (no change from FCFS)"
    )
    return f"{head}\n{levels}\n\nChanges from FCFS: {len(changed)}\n{changes}\n"


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
    elif args.format == "table" and allocation.method == "optimal":
        text = render_allocation(allocation, args.decisions) + "\n" + render_optimiser(allocation)
        emit(text, args.out)
    else:
        emit_allocation(allocation, args.format, args.out, args.decisions)


def run(args: argparse.Namespace) -> int:
    check_out(args)
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
