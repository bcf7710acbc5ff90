"""``seatalloc demo``: the embedded workshop scenario with seeded synthetic demand.

The whole story, a section each, printed as it finishes: FCFS; the earmark
release at the registration deadline (the booking ledger fills the seats
FCFS left empty from the waitlist in arrival order); the optimiser with the
guarantee it keeps; breakout tables. A progress line on stderr says what is
being computed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from seatalloc.allocation import Allocation, Reason
from seatalloc.booking import Ledger
from seatalloc.breakouts import BreakoutPlan, Roster, Rules, plan_breakouts
from seatalloc.cli._output import emit, render_metrics, render_rosters, render_waitlist, table
from seatalloc.demand import DemandModel, sample_requests
from seatalloc.errors import MissingExtraError
from seatalloc.fcfs import allocate
from seatalloc.model import Arrival, Problem
from seatalloc.scenarios import workshop
from seatalloc.stores import MemoryStore

__all__ = [
    "DEFAULT_SEED",
    "demo_problem",
    "register",
    "render_breakouts",
    "render_comparison",
    "render_fcfs",
    "render_release",
    "render_scenario",
    "run",
    "run_release",
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
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table: readable sections as each finishes; json: everything at the end "
        "(default: table)",
    )
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


GUARANTEES = {
    "fcfs-seats": "everyone FCFS seats keeps a seat, maybe in another session they accept",
    "fcfs-pareto": "everyone FCFS seats keeps a seat in a session they rank at least as high",
    "none": "only capacity, quotas, preferences and parties",
}
"""What each guarantee keeps of FCFS, as the demo names it."""


@attrs.frozen
class Release:
    """The booking ledger's state after the earmark release at ``deadline``."""

    deadline: Arrival
    before: Allocation
    after: Allocation
    promoted: tuple[str, ...]


def run_release(problem: Problem) -> Release:
    """Requests submitted to a ledger in arrival order, then every board's earmark released
    at the deadline (just after the last arrival): the ledger's own release rule."""
    last: Arrival = problem.order[-1].arrival if problem.order else 0  # arrival order
    deadline: Arrival = last + timedelta(minutes=1) if isinstance(last, datetime) else last + 1
    quotas = [
        attrs.evolve(q, release=deadline) if q.group is not None and q.role is None else q
        for q in problem.quotas
    ]
    scenario = problem.replace(requests=(), quotas=quotas)
    ledger = Ledger.create(MemoryStore(), scenario, clock=lambda: deadline)
    for unit in sorted(problem.units, key=lambda u: problem.policy.order_key(u[0])):
        ledger.submit_party(unit, at=unit[0].arrival)
    before = ledger.allocation()
    promoted = tuple(d.request for d in ledger.tick(at=deadline))
    return Release(deadline, before, ledger.allocation(), promoted)


def render_release(release: Release) -> str:
    """What the release at the deadline changed: seats filled from the waitlist, in order."""
    before, after = release.before.metrics(), release.after.metrics()
    rows = [
        (label, before[key], after[key])
        for label, key in (
            ("seats filled", "seated"),
            ("empty seats", "empty_seats"),
            ("waitlisted", "waitlisted"),
            ("groups split across sessions", "groups_split"),
        )
    ]
    lines = [
        "== Earmarks released at the registration deadline ==",
        f"At the deadline (t = {release.deadline}, after the last request) every board's "
        "unused places open to all. The booking ledger releases them together, then seats "
        "the waitlist in arrival order where a seat is free.",
        table(("", "before", "after"), rows),
        "",
        f"Promoted from the waitlist: {len(release.promoted)}",
    ]
    for request_id in release.promoted[:_MOVES_SHOWN]:
        lines.append(f"  {request_id}: {release.after.explain(request_id)}")
    if len(release.promoted) > _MOVES_SHOWN:
        lines.append(f"  ... and {len(release.promoted) - _MOVES_SHOWN} more")
    return "\n".join(lines)


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
    guarantee = optimal.report["guarantee"] if optimal.report else None
    lines = [
        f"== Optimised: colleagues together, guarantee {guarantee} ({GUARANTEES[guarantee]}) =="
        if guarantee in GUARANTEES
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


_STEPS = 4


def _progress(step: int, what: str) -> None:
    """One line on stderr: what is being computed now (stdout keeps only the story)."""
    print(f"seatalloc demo [{step}/{_STEPS}]: {what} ...", file=sys.stderr, flush=True)


def _section(text: str, first: bool = False) -> None:
    sys.stdout.write(("" if first else "\n") + text + "\n")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    table_format = args.format == "table"
    problem = demo_problem(args.seed)
    if table_format:
        _section(render_scenario(problem, args.seed), first=True)
    _progress(1, "first come, first served")
    allocation = allocate(problem)
    if table_format:
        _section(render_fcfs(allocation))
    _progress(2, "booking ledger: earmark release at the deadline")
    release = run_release(problem)
    if table_format:
        _section(render_release(release))
    _progress(3, "optimiser (OR-Tools)")
    optimal = _optimised(problem, allocation)
    if table_format:
        _section(
            render_comparison(allocation, optimal) if isinstance(optimal, Allocation) else optimal
        )
    final = optimal if isinstance(optimal, Allocation) else allocation
    _progress(4, "breakout tables")
    plans = plan_demo_breakouts(final, args.seed)
    if table_format:
        _section(render_breakouts(final, plans))
        return 0
    data: dict[str, Any] = {
        "fcfs": allocation.to_dict(),
        "release": {
            "deadline": release.deadline,
            "promoted": list(release.promoted),
            "allocation": release.after.to_dict(),
        },
    }
    if isinstance(optimal, Allocation):
        data["optimal"] = optimal.to_dict()
    data["breakouts"] = {session: plan.to_dict() for session, plan in plans.items()}
    emit(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", None)
    return 0
