"""``seatalloc breakouts``: discussion tables per round for a roster or a scenario's session."""

from __future__ import annotations

import argparse
from typing import Any

from seatalloc.breakouts import (
    BreakoutPlan,
    Colleagues,
    Mixing,
    Roster,
    Rules,
    plan_breakouts,
    read_roster,
)
from seatalloc.errors import FieldError

__all__ = ["register", "render_plan", "run"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "breakouts",
        help="plan discussion tables per round",
        description=(
            "Seat a roster (CSV: id, group, role, ...) or a scenario's session at "
            "discussion tables for one or more rounds. Exit code 1 when a hard rule is broken."
        ),
    )
    parser.add_argument("input", metavar="ROSTER.csv|SCENARIO.toml")
    parser.add_argument("--requests", metavar="REQUESTS.csv", help="with a scenario")
    parser.add_argument("--session", metavar="ID", help="with a scenario: whose seated people")
    parser.add_argument("--tables", type=int, required=True, metavar="N")
    parser.add_argument("--rounds", type=int, default=1, metavar="R", help="default: 1")
    parser.add_argument("--roles", choices=("balanced", "ignore"), default="balanced")
    parser.add_argument(
        "--colleagues",
        default="any",
        metavar="together|apart|any[,...]",
        help="one value for all rounds, or one per round (default: any)",
    )
    parser.add_argument(
        "--mixing", choices=[m.value for m in Mixing], default=Mixing.FEWEST_REPEATS.value
    )
    parser.add_argument("--method", choices=("auto", "heuristic", "cpsat"), default="auto")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--time-limit", type=float, default=10.0, metavar="S")
    parser.add_argument("--seed", type=int, default=0, metavar="N")
    parser.set_defaults(func=run)


def _roster(args: argparse.Namespace) -> Roster:
    if not args.input.endswith(".toml"):
        return read_roster(args.input)
    from seatalloc.fcfs import allocate
    from seatalloc.io import load_requests, load_scenario

    if args.session is None:
        raise FieldError("breakouts", None, "--session", None, "must be given with a scenario")
    problem = load_scenario(args.input)
    if args.requests is not None:
        problem = load_requests(args.requests, problem)
    return Roster.from_allocation(allocate(problem), args.session)


def run(args: argparse.Namespace) -> int:
    values = [v.strip() for v in args.colleagues.split(",")]
    try:
        colleagues = tuple(Colleagues(v) for v in values)
    except ValueError:
        raise FieldError(
            "breakouts", None, "--colleagues", args.colleagues, "must be together, apart or any"
        ) from None
    rules = Rules(balance_roles=args.roles == "balanced", colleagues=colleagues, mixing=args.mixing)
    plan = plan_breakouts(
        _roster(args), args.tables, args.rounds, rules,
        method=args.method, time_limit=args.time_limit, seed=args.seed,
    )  # fmt: skip
    print(plan.to_json() if args.format == "json" else render_plan(plan))
    return 1 if plan.quality.violations else 0


def render_plan(plan: BreakoutPlan) -> str:
    """Tables per round, then the report, as plain text."""
    lines = []
    for r, tables in enumerate(plan.rounds, start=1):
        lines.append(f"Round {r} ({plan.quality.rounds[r - 1].colleagues.value} colleagues)")
        for t, people in enumerate(tables, start=1):
            deviation = plan.quality.rounds[r - 1].role_deviation[t - 1]
            note = f"  (role deviation {deviation})" if deviation else ""
            lines.append(f"  table {t}: {', '.join(people)}{note}")
    q = plan.quality
    lines += [
        "",
        f"method {plan.method}, status {plan.status}, {plan.seconds:.2f} s, seed {plan.seed}",
        f"objective {list(q.objective)}, bound {list(plan.bound)}",
        f"role deviation {q.role_deviation}; most meetings of a pair {q.max_meetings}; "
        f"repeated pairs {len(q.repeated_pairs)}",
        "colleague pairs together per round: "
        + ", ".join(str(rq.colleague_pairs) for rq in q.rounds)
        + f" (of {q.colleague_pairs})",
    ]
    lines += [f"not met: {item.rule}: {item.why}" for item in plan.not_met]
    return "\n".join(lines)
