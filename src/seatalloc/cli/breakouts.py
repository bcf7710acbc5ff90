"""``seatalloc breakouts``: discussion tables per round for a roster or a scenario's session."""

from __future__ import annotations

import argparse
import sys
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
from seatalloc.budget import Budget, Progress
from seatalloc.errors import FieldError
from seatalloc.model import Group, Problem, Request, Session

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
    parser.add_argument(
        "input", metavar="ROSTER.csv|ROSTER.xlsx|ROSTER.ods|SCENARIO.toml",
        help="a roster (a spreadsheet needs the 'excel' extra) or a scenario",
    )  # fmt: skip
    parser.add_argument("--requests", metavar="REQUESTS.csv", help="with a scenario")
    parser.add_argument("--session", metavar="ID", help="with a scenario: whose seated people")
    parser.add_argument(
        "--tables", type=int, required=True, metavar="N", help="tables per round (required)"
    )
    parser.add_argument("--rounds", type=int, default=1, metavar="R", help="default: 1")
    parser.add_argument(
        "--roles", choices=("balanced", "ignore"), default="balanced",
        help="balanced: each table gets each role as evenly as possible (default: balanced)",
    )  # fmt: skip
    parser.add_argument(
        "--colleagues",
        default="any",
        metavar="together|apart|any[,...]",
        help="one value for all rounds, or one per round (default: any)",
    )
    parser.add_argument(
        "--mixing", choices=[m.value for m in Mixing], default=Mixing.FEWEST_REPEATS.value,
        help="never-twice: no pair shares a table twice (hard); fewest-repeats: as few repeated "
        "pairs as found (default); ignore",
    )  # fmt: skip
    parser.add_argument(
        "--method", choices=("auto", "heuristic", "cpsat"), default="auto",
        help="auto chooses per instance (docs/breakouts.md); heuristic or cpsat ask for one "
        "(default: auto)",
    )  # fmt: skip
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table (text) or json (default: table)",
    )
    parser.add_argument(
        "--time-limit", type=float, default=10.0, metavar="S",
        help="wall-clock safety stop for the whole run, seconds > 0 (default: 10)",
    )  # fmt: skip
    parser.add_argument(
        "--work", type=float, default=None, metavar="UNITS",
        help="deterministic work budget that decides the plan (default: time limit / 4)",
    )  # fmt: skip
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="the only source of randomness (default: 0)",
    )
    parser.add_argument(
        "--pin", action="append", default=[], metavar="ID=TABLE",
        help="seat ID at TABLE (1-based) in every round; repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--together", action="append", default=[], metavar="ID,ID",
        help="two people who must share a table in every round; repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--apart", action="append", default=[], metavar="ID,ID",
        help="two people who must never share a table; repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--plot", metavar="PATH",
        help="also draw the seating chart, one panel per round (.png or .svg)",
    )  # fmt: skip
    parser.set_defaults(func=run)


def _pins(values: list[str]) -> dict[str, int]:
    pins = {}
    for value in values:
        who, _, table = value.partition("=")
        if not who.strip() or not table.strip().isdigit() or int(table) < 1:
            raise FieldError("breakouts", None, "--pin", value, "must be ID=TABLE, TABLE >= 1")
        pins[who.strip()] = int(table) - 1
    return pins


def _pairs(option: str, values: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        items = [v.strip() for v in value.split(",")]
        if len(items) != 2 or not all(items):
            raise FieldError("breakouts", None, option, value, "must be two ids: ID,ID")
        pairs.append((items[0], items[1]))
    return pairs


def _progress_line(item: Progress) -> None:
    """One updating line on stderr: phase, best so far and bound."""
    best = "-" if item.best is None else f"{item.best:g}"
    bound = "-" if item.bound is None else f"{item.bound:g}"
    sys.stderr.write(
        f"\r{item.elapsed:6.1f} s  {item.phase}: best {best}, bound {bound} ({item.detail})\x1b[K"
    )
    sys.stderr.flush()


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


def _seated(roster: Roster) -> Problem:
    """The roster as a one-session problem: the id, group and role the seating chart draws."""
    people = roster.participants
    return Problem(
        sessions=(Session("breakouts", len(people)),),
        groups=tuple(Group(g) for g in sorted({p.group for p in people})),
        requests=tuple(Request(p.id, p.group, p.role) for p in people),
    )


def run(args: argparse.Namespace) -> int:
    values = [v.strip() for v in args.colleagues.split(",")]
    try:
        colleagues = tuple(Colleagues(v) for v in values)
    except ValueError:
        raise FieldError(
            "breakouts", None, "--colleagues", args.colleagues, "must be together, apart or any"
        ) from None
    rules = Rules(
        balance_roles=args.roles == "balanced", colleagues=colleagues, mixing=args.mixing,
        pinned=_pins(args.pin), together=_pairs("--together", args.together),
        apart=_pairs("--apart", args.apart),
    )  # fmt: skip
    budget = Budget(time_limit=args.time_limit, work=args.work, seed=args.seed)
    if args.plot is not None:
        from seatalloc.plots import check_plot

        check_plot(args.plot)  # a bad path or a missing extra fails before the work
    roster = _roster(args)
    live = sys.stderr.isatty()
    try:
        plan = plan_breakouts(
            roster, args.tables, args.rounds, rules, method=args.method, budget=budget,
            progress=_progress_line if live else None,
        )  # fmt: skip
    finally:
        if live:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
    print(plan.to_json() if args.format == "json" else render_plan(plan))
    if args.plot is not None:
        from seatalloc.plots import plot_breakouts

        plot_breakouts(plan, _seated(roster), args.plot, args.session or "")
        print(f"wrote {args.plot}", file=sys.stderr if args.format == "json" else sys.stdout)
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
        f"method {plan.method}, status {plan.status}, stopped by {plan.stopped}, "
        f"{plan.seconds:.2f} s, seed {plan.seed}",
        f"objective {list(q.objective)}, bound {list(plan.bound)}",
        f"role deviation {q.role_deviation} (worst table {q.worst_table_deviation}); "
        f"most meetings of a pair {q.max_meetings}; "
        f"repeated pairs {len(q.repeated_pairs)}",
        "colleague pairs together per round: "
        + ", ".join(str(rq.colleague_pairs) for rq in q.rounds)
        + f" (of {q.colleague_pairs})",
    ]
    lines += [f"not met: {item.rule}: {item.why}" for item in plan.not_met]
    return "\n".join(lines)
