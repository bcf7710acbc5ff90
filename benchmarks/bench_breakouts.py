"""Breakout tables, the cases of issue 4: times, statuses, bounds.

(a) the workshop: 28 people from 7 boards, one of each of 4 roles per board;
    7 tables of 4 and 4 tables of 7; round 1 colleagues together, round 2 apart.
(b) social golfers: 32 people, tables of 4, 9 rounds, nobody meets twice
    (also 7 and 8 rounds, and Kirkman's 15 schoolgirls, 5x3x7).
(c) 200 people, 20 tables, 4 rounds, roles balanced, no repeated pair.

Run: python benchmarks/bench_breakouts.py [--golfer-limit S]
"""

from __future__ import annotations

import argparse
import time

from seatalloc.breakouts import InfeasibleError, Participant, Roster, Rules, plan_breakouts

ROLES = ("planner", "infrastructure", "energy", "environment")


def show(
    name: str, roster: Roster, tables: int, rounds: int, rules: Rules, **options: object
) -> None:
    started = time.perf_counter()
    try:
        plan = plan_breakouts(roster, tables, rounds, rules, **options)  # type: ignore[arg-type]
    except InfeasibleError as error:
        print(f"{name}: infeasible after {time.perf_counter() - started:.2f} s: {error}")
        return
    q = plan.quality
    print(
        f"{name}: {time.perf_counter() - started:.2f} s, method {plan.method}, "
        f"status {plan.status}, "
        f"objective {list(q.objective)}, bound {list(plan.bound)}, "
        f"repeated pairs {len(q.repeated_pairs)}, most meetings {q.max_meetings}, "
        f"colleague pairs per round {[r.colleague_pairs for r in q.rounds]}"
    )
    for note in plan.notes:
        print(f"    {note}")
    for item in plan.not_met:
        print(f"    not met: {item.rule}: {item.why}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--golfer-limit", type=float, default=60.0)
    parser.add_argument("--limit", type=float, default=30.0)
    args = parser.parse_args()
    workshop = Roster(
        Participant(f"b{b}-{role}", f"board{b}", role) for b in range(7) for role in ROLES
    )
    two_rounds = Rules(colleagues=("together", "apart"), mixing="never-twice")
    show("(a) 7 tables of 4", workshop, 7, 2, two_rounds, time_limit=args.limit)
    show("(a) 4 tables of 7, never twice", workshop, 4, 2, two_rounds, time_limit=args.limit)
    fewest = Rules(colleagues=("together", "apart"), mixing="fewest-repeats")
    show("(a) 4 tables of 7, fewest repeats", workshop, 4, 2, fewest, time_limit=args.limit)
    golfers = Roster(Participant(f"g{i:02d}", f"g{i:02d}") for i in range(32))
    golf = Rules(mixing="never-twice", balance_roles=False)
    for rounds in (7, 8, 9):
        show(
            f"(b) social golfer 8x4x{rounds}", golfers, 8, rounds, golf,
            method="heuristic", time_limit=args.golfer_limit, max_iterations=10**9,
        )  # fmt: skip
    kirkman = Roster(Participant(f"k{i:02d}", f"k{i:02d}") for i in range(15))
    show("(b) Kirkman 5x3x7", kirkman, 5, 7, golf, method="heuristic", max_iterations=10**9)
    large = Roster(Participant(f"p{i:03d}", f"org{i % 40}", ROLES[i % 4]) for i in range(200))
    show(
        "(c) 200 people, 20 tables, 4 rounds",
        large, 20, 4, Rules(mixing="never-twice"), time_limit=args.limit,
    )  # fmt: skip


if __name__ == "__main__":
    main()
