"""``seatalloc check``: list every fairness violation of an allocation file.

Exit 0 when there is none, 1 when there are (each listed), 2 for bad input.
"""

from __future__ import annotations

import argparse
from typing import Any

from seatalloc.cli.allocate import add_problem_arguments, load_problem
from seatalloc.errors import FieldError
from seatalloc.fairness import CHECKS, violations
from seatalloc.io import load_allocation
from seatalloc.waitlists import waitlist_faults

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check an allocation file for fairness violations",
        description=(
            "Check an allocation (JSON) against its scenario: capacity, quotas, parties, "
            "acceptability, waste and priority by arrival. Exit 0 when fair, 1 otherwise."
        ),
    )
    add_problem_arguments(parser)
    parser.add_argument("allocation", metavar="ALLOCATION.json", help="allocation file (JSON)")
    parser.add_argument(
        "--checks",
        default=",".join(CHECKS),
        metavar="KIND,KIND",
        help=(
            f"which checks (default: all of {','.join(CHECKS)}); an optimised allocation "
            "moves people on purpose, so check it without 'priority'"
        ),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    problem = load_problem(args)
    allocation = load_allocation(args.allocation, problem)
    checks = [c.strip() for c in args.checks.split(",") if c.strip()]
    unknown = sorted(set(checks) - set(CHECKS))
    if unknown or not checks:
        raise FieldError("check", None, "checks", args.checks, f"must name some of {CHECKS}")
    found = [f"{v.kind}: {v.message}" for v in violations(problem, allocation, checks=checks)]
    found += [f"waitlist: {fault}" for fault in waitlist_faults(allocation)]
    seated = sum(s is not None for s in allocation.assignments.values())
    summary = (
        f"{len(problem.requests)} requests, {seated} seated, {len(allocation.waitlist)} waitlisted"
    )
    if not found:
        print(f"{args.allocation}: no violation ({summary})")
        return 0
    n = len(found)
    print(f"{args.allocation}: {n} violation{'s' if n != 1 else ''} ({summary})")
    for violation in found:
        print(f"  {violation}")
    return 1
