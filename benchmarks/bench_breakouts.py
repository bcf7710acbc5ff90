"""Breakout tables against the known limits, each call under one budget.

Per classic social-golfer instance (tables-size-rounds: 5-3-7, 8-4-9, 8-4-10,
6-3-8, 7-4-9, 10-3-14, 9-4-11; mixing fewest-repeats, no roles) and the
workshop shape (28 people, 10 organisations of 4,4,3,3,3,3,2,2,2,2, roles
6,6,6,5,5, 7 tables of 4, round 1 colleagues together then apart, roles
balanced, never twice) at 5, 7 and 9 rounds: the clean rounds reached (the
longest first stretch of rounds in which nobody meets twice), repeated pairs,
the role deviation (recomputed here from the plan: at a table of s, a role
with c of the n people should number floor(c*s/n)..ceil(c*s/n); a table's
deviation is the distance outside, summed over roles), worst table first (the
goal: at most 1), then the total, and wall time against the limit asked
(the budget holds when wall <= limit * 1.1 + 1). Baseline: plain greedy
rounds (each table filled with the person who has met the fewest already
there), the best plain code without search.

Classic instances run ``--repeat`` times interleaved: median and max wall, the
ratio of the median to the greedy baseline's median, and whether every run gave
the same plan (the work budget decides it, not the clock).

Run: python benchmarks/bench_breakouts.py [--limit S] [--work UNITS] [--only NAME] [--repeat N]
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

# The workshop roster is the tests' own (one definition for tests and benchmark).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from rosters import workshop

from seatalloc.breakouts import BreakoutPlan, Participant, Roster, Rules, plan_breakouts
from seatalloc.budget import Budget

CLASSIC = ((5, 3, 7), (8, 4, 9), (8, 4, 10), (6, 3, 8), (7, 4, 9), (10, 3, 14), (9, 4, 11))



def clean_rounds(rounds: Sequence[Sequence[Sequence[str]]]) -> int:
    """The longest first stretch of rounds in which no pair meets twice."""
    met: set[frozenset[str]] = set()
    for r, tables in enumerate(rounds):
        for table in tables:
            for pair in itertools.combinations(table, 2):
                if frozenset(pair) in met:
                    return r
                met.add(frozenset(pair))
    return len(rounds)


def greedy(n: int, tables: int, size: int, rounds: int) -> list[list[list[int]]]:
    """Baseline: round by round, each table takes the person who met the fewest there."""
    met = Counter[tuple[int, int]]()
    plan = []
    for _ in range(rounds):
        waiting = list(range(n))
        seats: list[list[int]] = []
        for _ in range(tables):
            table = [waiting.pop(0)]
            while len(table) < size:
                pick = min(waiting, key=lambda p: sum(met[min(p, x), max(p, x)] for x in table))
                waiting.remove(pick)
                table.append(pick)
            for a, b in itertools.combinations(sorted(table), 2):
                met[a, b] += 1
            seats.append(table)
        plan.append(seats)
    return plan


def table_deviations(roster: Roster, rounds: Sequence[Sequence[Sequence[str]]]) -> list[int]:
    """Every table's role deviation in every round, from the plan and the roster alone."""
    role = {p.id: p.role for p in roster.participants}
    total = Counter(role.values())
    n = len(role)
    out = []
    for tables in rounds:
        for table in tables:
            counts = Counter(role[pid] for pid in table)
            out.append(
                sum(
                    max(0, counts[k] - math.ceil(c * len(table) / n))
                    + max(0, math.floor(c * len(table) / n) - counts[k])
                    for k, c in total.items()
                )
            )
    return out


def run(name: str, roster: Roster, tables: int, rounds: int, rules: Rules, args) -> None:  # type: ignore[no-untyped-def]
    plan, wall = call(roster, tables, rounds, rules, args)
    report(name, roster, rules, plan, rounds, [wall], args)


def call(
    roster: Roster, tables: int, rounds: int, rules: Rules, args: argparse.Namespace
) -> tuple[BreakoutPlan, float]:
    """One plan_breakouts call under the benchmark's budget: the plan and its wall time."""
    budget = Budget(time_limit=args.limit, work=args.work, seed=0)
    started = time.monotonic()
    plan = plan_breakouts(roster, tables, rounds, rules, budget=budget)
    return plan, time.monotonic() - started


def report(
    name: str,
    roster: Roster,
    rules: Rules,
    plan: BreakoutPlan,
    rounds: int,
    walls: list[float],
    args: argparse.Namespace,
    extra: str = "",
) -> None:
    q = plan.quality
    deviations = table_deviations(roster, plan.rounds)
    assert sum(deviations) == q.role_deviation, "the report's total differs from the plan's"
    held = "ok" if max(walls) <= args.limit * 1.1 + 1 else "OVER"
    roles = (
        f"role deviation worst table {max(deviations)} (total {sum(deviations):>2})  "
        if rules.balance_roles
        else ""
    )
    print(
        f"{name:>16}: clean rounds {clean_rounds(plan.rounds):>2}/{rounds:<2} "
        f"repeated pairs {len(q.repeated_pairs):>3}  {roles}"
        f"colleague cost {q.colleague_cost:>3}  status {plan.status}, stopped by {plan.stopped}  "
        f"wall median {statistics.median(walls):6.2f} s, max {max(walls):6.2f} s "
        f"of {args.limit:g} s limit [{held}]{extra}",
        flush=True,
    )
    for note in plan.notes:
        if note.startswith(("construction", "cp-sat labelling")):
            print(f"{'':>18}{note}")


def classic(args: argparse.Namespace) -> None:
    """The classic instances, ``--repeat`` times interleaved (one pass visits each)."""
    mixing = Rules(mixing="fewest-repeats", balance_roles=False)
    chosen = [(t, k, r) for t, k, r in CLASSIC if not args.only or args.only in f"{t}-{k}-{r}"]
    walls: dict[str, list[float]] = {f"{t}-{k}-{r}": [] for t, k, r in chosen}
    greedy_walls: dict[str, list[float]] = {name: [] for name in walls}
    plans: dict[str, list[BreakoutPlan]] = {name: [] for name in walls}
    for _ in range(args.repeat):
        for t, k, r in chosen:
            name = f"{t}-{k}-{r}"
            started = time.monotonic()
            greedy(t * k, t, k, r)
            greedy_walls[name].append(time.monotonic() - started)
            roster = Roster(Participant(f"g{i:02d}", f"g{i:02d}") for i in range(t * k))
            plan, wall = call(roster, t, r, mixing, args)
            walls[name].append(wall)
            plans[name].append(plan)
    for t, k, r in chosen:
        name = f"{t}-{k}-{r}"
        base = greedy(t * k, t, k, r)
        ids = [[[f"g{p:02d}" for p in table] for table in tables] for tables in base]
        ratio = statistics.median(walls[name]) / statistics.median(greedy_walls[name])
        same = all(p.rounds == plans[name][0].rounds for p in plans[name])
        print(
            f"{'':>18}baseline greedy: clean rounds {clean_rounds(ids)}/{r}, "
            f"median {statistics.median(greedy_walls[name]):.3f} s"
        )
        extra = f"  x{ratio:.0f} greedy's wall, {args.repeat} runs, same plan: {same}"
        roster = Roster(Participant(f"g{i:02d}", f"g{i:02d}") for i in range(t * k))
        report(name, roster, mixing, plans[name][0], r, walls[name], args, extra)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=float, default=60.0, help="wall limit per call, s")
    parser.add_argument("--work", type=float, default=30.0, help="work units per call")
    parser.add_argument("--only", default=None, help="run only instances whose name has this")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved runs per classic one")
    args = parser.parse_args()
    classic(args)
    for r in (5, 7, 9):
        name = f"workshop x{r}"
        if args.only and args.only not in name:
            continue
        rules = Rules(colleagues=("together",) + ("apart",) * (r - 1), mixing="never-twice")
        run(name, workshop(), 7, r, rules, args)


if __name__ == "__main__":
    main()
