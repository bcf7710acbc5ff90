"""The quality report of a breakout plan, and the exact objective both solvers minimise.

The objective is lexicographic, in this order (hard rules first):

1. hard violations: broken pins, must/must-not pairs, and with ``never twice``
   every pair meeting more than once (zero in any plan a solver returns as feasible);
2. role cost (when roles are balanced): the sum over tables and rounds of the
   square of each table's role deviation (:func:`table_cost`), so two tables one
   off their shares are better than one table two off: spreading comes first;
3. colleague cost: colleague pairs sharing a table in ``apart`` rounds minus
   those in ``together`` rounds;
4. the most meetings of any pair, then 5. the number of pairs meeting more
   than once (when mixing is not ignored).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import combinations
from typing import Any

import attrs

from seatalloc.breakouts._instance import Instance
from seatalloc.breakouts.model import Colleagues, Mixing

__all__ = ["NotMet", "Quality", "RoundQuality", "assess", "table_cost", "table_deviation"]

Assignment = Sequence[Sequence[int]]
"""``assignment[round][participant]`` is a table index."""


def table_cost(deviation: int) -> int:
    """The objective's role cost of one table with this role deviation: its square."""
    return deviation * deviation


@attrs.frozen
class NotMet:
    """A rule the plan does not fully meet, and why."""

    rule: str
    why: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "why": self.why}


@attrs.frozen
class RoundQuality:
    """One round: role deviation per table, colleague pairs sharing a table."""

    round: int
    colleagues: Colleagues
    role_deviation: tuple[int, ...]
    colleague_pairs: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "colleagues": self.colleagues.value,
            "role_deviation": list(self.role_deviation),
            "colleague_pairs_together": self.colleague_pairs,
        }


@attrs.frozen
class Quality:
    """How well a plan meets the rules; ``objective`` is what the solvers minimise."""

    rounds: tuple[RoundQuality, ...]
    colleague_pairs: int
    """All colleague pairs in the roster (the most that can share a table in a round)."""
    role_deviation: int
    """Summed over tables and rounds."""
    worst_table_deviation: int
    """The largest role deviation at one table in one round."""
    colleague_cost: int
    max_meetings: int
    repeated_pairs: tuple[tuple[str, str, int], ...]
    violations: tuple[NotMet, ...]
    """Hard rules broken (never in a plan reported feasible)."""
    objective: tuple[int, int, int, int, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "role_deviation": self.role_deviation,
            "worst_table_deviation": self.worst_table_deviation,
            "colleague_pairs": self.colleague_pairs,
            "colleague_cost": self.colleague_cost,
            "max_meetings": self.max_meetings,
            "repeated_pairs": len(self.repeated_pairs),
            "repeated": [{"pair": [a, b], "meetings": m} for a, b, m in self.repeated_pairs],
            "rounds": [r.to_dict() for r in self.rounds],
            "violations": [v.to_dict() for v in self.violations],
            "objective": list(self.objective),
        }


def table_deviation(instance: Instance, table: int, counts: Counter[int]) -> int:
    """A table's role deviation: each role's distance outside its share, summed.

    ``counts[k]`` is how many people of role k sit at the table.
    """
    return sum(
        max(0, counts[k] - high) + max(0, low - counts[k])
        for k, (low, high) in enumerate(instance.role_bounds[table])
    )


def assess(instance: Instance, assignment: Assignment) -> Quality:
    """Measure a plan against every rule; the exact objective comes from here."""
    names = instance.roster.ids
    rules = instance.rules
    meetings: Counter[tuple[int, int]] = Counter()
    rounds = []
    violations = []
    colleague_cost = 0
    for r, tables_of in enumerate(assignment):
        members: list[list[int]] = [[] for _ in instance.sizes]
        for i, t in enumerate(tables_of):
            members[t].append(i)
        pairs = 0
        for people in members:
            for a, b in combinations(people, 2):
                meetings[a, b] += 1
                pairs += instance.group_of[a] == instance.group_of[b]
        rule = instance.colleagues[r]
        colleague_cost += {Colleagues.APART: pairs, Colleagues.TOGETHER: -pairs}.get(rule, 0)
        deviation = tuple(
            table_deviation(instance, t, Counter(instance.role_of[i] for i in m))
            for t, m in enumerate(members)
        )
        rounds.append(RoundQuality(r + 1, rule, deviation, pairs))
        for i, t in enumerate(tables_of):
            if instance.pin[i] is not None and instance.pin[i] != t:
                violations.append(
                    NotMet(
                        "pinned seats",
                        f"round {r + 1}: {names[i]} sits at table {t + 1}, "
                        f"pinned to {instance.pin[i] + 1}",  # type: ignore[operator]
                    )
                )
        for a, b in instance.together:
            if tables_of[a] != tables_of[b]:
                violations.append(
                    NotMet("must sit together", f"round {r + 1}: {names[a]} and {names[b]}")
                )
        for a, b in instance.apart:
            if tables_of[a] == tables_of[b]:
                violations.append(
                    NotMet("must sit apart", f"round {r + 1}: {names[a]} and {names[b]}")
                )
    repeated = tuple((names[a], names[b], m) for (a, b), m in sorted(meetings.items()) if m > 1)
    if rules.mixing is Mixing.NEVER_TWICE and repeated:
        violations.append(NotMet("never twice", f"{len(repeated)} pairs meet more than once"))
    most = max(meetings.values(), default=0)
    role_deviation = sum(sum(r.role_deviation) for r in rounds)
    role_cost = sum(table_cost(d) for r in rounds for d in r.role_deviation)
    mixing = rules.mixing is not Mixing.IGNORE
    objective = (
        len(violations),
        role_cost if rules.balance_roles else 0,
        colleague_cost,
        most if mixing else 0,
        len(repeated) if mixing else 0,
    )
    return Quality(
        rounds=tuple(rounds),
        colleague_pairs=instance.colleague_pairs,
        role_deviation=role_deviation,
        worst_table_deviation=max((max(r.role_deviation, default=0) for r in rounds), default=0),
        colleague_cost=colleague_cost,
        max_meetings=most,
        repeated_pairs=repeated,
        violations=tuple(violations),
        objective=objective,
    )


def _tables(instance: Instance) -> str:
    low, high = instance.sizes[-1], instance.sizes[0]
    sizes = f"{high}" if low == high else f"{low} to {high}"
    return f"{instance.tables} tables of {sizes}"


def lower_bound(instance: Instance) -> tuple[int, int, int, int, int]:
    """A lexicographic lower bound on the objective: a plan that reaches it is optimal."""
    colleagues = sum(instance.colleague_bound(r) for r in range(instance.rounds))
    return (0, 0, colleagues, instance.meetings_bound, instance.repeats_bound)


def not_met(instance: Instance, quality: Quality, proven: bool) -> tuple[NotMet, ...]:
    """The soft rules the plan does not fully meet, each with the reason known for it."""
    names = instance.groups
    found = "proven minimum" if proven else "best found, not proven minimal"
    most = "proven maximum" if proven else "best found, not proven maximal"
    out = list(quality.violations)
    if instance.rules.balance_roles and quality.role_deviation:
        crowded = instance.crowded_roles()
        out.append(
            NotMet(
                "roles balanced",
                f"total deviation {quality.role_deviation} from the proportional shares, "
                f"at most {quality.worst_table_deviation} at a table; its role cost (the "
                f"squares summed) {quality.objective[1]} is the {found}"
                + ("; the hard rules leave no balanced plan" if proven else " within the budget")
                + (f"; some table must be 2 or more off: {crowded}" if crowded else ""),
            )
        )
    biggest = max(range(len(names)), key=lambda g: instance.group_sizes[g])
    big = instance.group_sizes[biggest]
    for rq in quality.rounds:
        r = rq.round
        if rq.colleagues is Colleagues.TOGETHER and rq.colleague_pairs < quality.colleague_pairs:
            if big > instance.sizes[0]:
                why = (
                    f"group {names[biggest]!r} has {big} members but the largest table "
                    f"seats {instance.sizes[0]}"
                )
            elif instance.most_colleague_pairs < quality.colleague_pairs:
                whole = sum(s // big for s in instance.sizes)
                why = (
                    f"at most {instance.most_colleague_pairs} can: {_tables(instance)} hold "
                    f"at most {whole} whole group{'s' if whole != 1 else ''} of {big}, and "
                    "a group split over tables keeps fewer pairs together"
                )
            elif proven:
                # Proven optimal: the rules ranked before colleagues (hard rules, then
                # roles) leave no plan with more. Which of them binds is not established.
                why = "the rules ranked before it (hard rules, then roles) allow no more"
            else:
                why = "more were not found within the budget (nor shown impossible)"
            out.append(
                NotMet(
                    f"colleagues together (round {r})",
                    f"{rq.colleague_pairs} of {quality.colleague_pairs} colleague pairs share a "
                    f"table ({most}): {why}",
                )
            )
        if rq.colleagues is Colleagues.APART and rq.colleague_pairs:
            if big > instance.tables:
                why = (
                    f"group {names[biggest]!r} has {big} members but there are only "
                    f"{instance.tables} tables"
                )
            elif proven:
                why = "the rules ranked before it (hard rules, then roles) allow no fewer"
            else:
                why = "fewer were not found within the budget"
            out.append(
                NotMet(
                    f"colleagues apart (round {r})",
                    f"{rq.colleague_pairs} colleague pairs share a table ({found}): {why}",
                )
            )
    if instance.rules.mixing is Mixing.FEWEST_REPEATS and quality.repeated_pairs:
        obstacle = instance.never_twice_obstacle()
        together = [str(rq.round) for rq in quality.rounds if rq.colleagues is Colleagues.TOGETHER]
        if obstacle is not None:
            why = obstacle
        elif proven and len(together) > 1:
            why = (
                "the rules ranked above mixing allow no fewer (colleagues sit together "
                f"in rounds {', '.join(together)})"
            )
        elif proven:
            why = "the rules ranked above mixing (roles, colleagues) allow no fewer"
        else:
            why = "fewer were not found within the budget"
        out.append(
            NotMet(
                "no pair meets twice",
                f"{len(quality.repeated_pairs)} pairs meet more than once, at most "
                f"{quality.max_meetings} times ({found}): {why}",
            )
        )
    return tuple(out)
