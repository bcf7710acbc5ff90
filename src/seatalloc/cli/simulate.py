"""``seatalloc simulate``: Monte Carlo of a scenario under several policies; summary or records."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from seatalloc.cli._output import emit, table
from seatalloc.demand import DemandModel, load_demand
from seatalloc.errors import FieldError
from seatalloc.io import load_scenario
from seatalloc.scenarios import workshop
from seatalloc.simulate import SimulationResult, simulate, sweep, sweep_values

__all__ = ["parse_sweep", "register", "render_summary", "run"]

SHOWN = (
    "requests", "seats_filled", "empty_seats", "waitlisted", "withdrawn", "groups_split",
    "groups_fully_seated", "seats_per_group_min", "seats_per_group_max",
    "seats_per_group_gini", "first_choice_rate", "last_seated_rank",
)  # fmt: skip
"""Metrics the table shows; csv and json carry every column."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="compare policies on seeded synthetic demand",
        description=(
            "Sample demand for a scenario (default: the embedded workshop) and allocate it "
            "under each policy, the same demand per replication for every policy. Prints a "
            "summary table (mean and 95 % interval), or every replication's record as csv, "
            "or both as json."
        ),
    )
    parser.add_argument(
        "scenario", metavar="SCENARIO.toml", nargs="?", help="default: the embedded workshop"
    )
    parser.add_argument(
        "--demand", metavar="DEMAND.toml", help="demand model (default: the built-in one)"
    )
    parser.add_argument("--runs", type=int, default=100, metavar="N", help="default: 100")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="default: 0")
    parser.add_argument(
        "--policy",
        default="fcfs,colleagues",
        metavar="P,P",
        help="comma-separated: fcfs, colleagues, optimal, booking (default: fcfs,colleagues)",
    )
    parser.add_argument(
        "--sweep",
        metavar="PARAM=LO:HI:STEPS",
        help="vary a demand field (or release) over STEPS values from LO to HI",
    )
    parser.add_argument("--workers", type=int, metavar="K", help="processes (default: this one)")
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="table (text), csv or json (default: table)",
    )
    parser.add_argument("--out", metavar="PATH", help="write to PATH instead of stdout")
    parser.add_argument("--plot", metavar="PATH", help="also draw a plot (.png or .svg)")
    parser.add_argument(
        "--time-limit", type=float, default=10.0, metavar="S", help="optimal: seconds per solve"
    )
    parser.add_argument(
        "--release",
        type=int,
        metavar="SECONDS",
        help="booking: release group places to all this long after registration opens",
    )
    parser.set_defaults(func=run)


def parse_sweep(text: str) -> tuple[str, tuple[float, ...]]:
    """``scale=0.5:3:6`` -> ``("scale", (0.5, 1.0, ..., 3.0))``."""
    name, _, spec = text.partition("=")
    parts = spec.split(":")
    try:
        low, high, steps = float(parts[0]), float(parts[1]), int(parts[2])
    except (ValueError, IndexError):
        raise FieldError(
            "option", "--sweep", "value", text, "must look like PARAM=LO:HI:STEPS"
        ) from None
    if len(parts) != 3 or not name:
        raise FieldError("option", "--sweep", "value", text, "must look like PARAM=LO:HI:STEPS")
    values = sweep_values(low, high, steps)
    if name in ("release", "groups"):
        values = tuple(round(v) for v in values)
    return name.strip(), values


def render_summary(result: SimulationResult) -> str:
    """Per (point and) metric a row, per policy a column: mean [95 % interval]."""
    param = result.param or "point"
    summary = [{"point": None, **r} for r in result.summary() if r["metric"] in SHOWN]
    points = sorted({r[param] for r in summary}) if result.param else [None]
    sections = []
    for point in points:
        rows = []
        for metric in SHOWN:
            cells = {
                r["policy"]: _cell(r)
                for r in summary
                if r["metric"] == metric and r[param] == point
            }
            if cells:
                rows.append((metric, *(cells.get(p) for p in result.policies)))
        head = f"{result.runs} runs, seed {result.seed}: mean [95% interval]"
        if point is not None:
            head = f"{param} = {point:g}; {head}"
        sections.append(head + "\n" + table(("metric", *result.policies), rows))
    return "\n\n".join(sections) + "\n"


def _cell(row: dict[str, Any]) -> str:
    if row["mean"] is None:
        return "-"
    if row["low"] is None:
        return f"{row['mean']:.3g}"
    return f"{row['mean']:.3g} [{row['low']:.3g}, {row['high']:.3g}]"


def _progress_bar(done: int, total: int) -> None:
    filled = 30 * done // total
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} runs")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    if args.plot:
        from seatalloc.plots import check_plot

        check_plot(args.plot, "--plot")
    problem = workshop() if args.scenario is None else load_scenario(args.scenario)
    model = DemandModel() if args.demand is None else load_demand(args.demand)
    policies = tuple(p.strip() for p in args.policy.split(",") if p.strip())
    options: dict[str, Any] = {
        "runs": args.runs, "seed": args.seed, "policies": policies, "workers": args.workers,
        "progress": _progress_bar if sys.stderr.isatty() else None,
        "time_limit": args.time_limit, "release": args.release,
    }  # fmt: skip
    if args.sweep:
        param, values = parse_sweep(args.sweep)
        result = sweep(problem, model, param, values, **options)
    else:
        result = simulate(problem, model, **options)
    if args.plot:
        from seatalloc.plots import plot_policies, plot_sweep

        (plot_sweep if result.param else plot_policies)(result, args.plot)
    text = {"table": render_summary, "csv": SimulationResult.to_csv}.get(
        args.format, SimulationResult.to_json
    )(result)
    emit(text, args.out)
    if args.out is not None:
        print(f"wrote {args.out}: {len(result.records)} records")
    if args.plot:
        print(f"wrote {args.plot}")
    return 0
