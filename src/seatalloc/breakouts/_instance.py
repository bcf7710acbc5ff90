"""A breakout problem compiled to integer indices; its hard-rule checks and simple bounds.

Both solvers and the quality report work on this one compiled form, so every
rule is read the same way everywhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import cached_property
from math import comb

import attrs

from seatalloc.breakouts.model import Colleagues, InfeasibleError, Mixing, Roster, Rules, Tables
from seatalloc.errors import FieldError, ProblemError

__all__ = ["Instance", "compile_instance", "even_pairs"]


def even_pairs(people: int, tables: int) -> int:
    """Pairs sharing a table when ``people`` spread as evenly as possible over ``tables``."""
    base, extra = divmod(people, tables)
    return extra * comb(base + 1, 2) + (tables - extra) * comb(base, 2)


@attrs.frozen
class Instance:
    """Participants as indices 0..n-1 (roster order), tables 0..T-1 (largest first)."""

    roster: Roster
    rules: Rules
    rounds: int
    sizes: tuple[int, ...]
    group_of: tuple[int, ...]
    role_of: tuple[int, ...]
    groups: tuple[str, ...]
    roles: tuple[str, ...]
    pin: tuple[int | None, ...]
    together: tuple[tuple[int, int], ...]
    apart: tuple[tuple[int, int], ...]
    colleagues: tuple[Colleagues, ...]

    @property
    def n(self) -> int:
        return len(self.group_of)

    @property
    def tables(self) -> int:
        return len(self.sizes)

    @cached_property
    def interchangeable(self) -> bool:
        """Whether people differ only by id for every rule (then any round 1 is as good)."""
        uses_groups = any(c is not Colleagues.ANY for c in self.colleagues)
        uses_roles = self.rules.balance_roles and len(self.roles) > 1
        return not (
            uses_groups
            or uses_roles
            or self.together
            or self.apart
            or any(t is not None for t in self.pin)
        )

    @cached_property
    def role_bounds(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        """``[table][role]`` -> (floor, ceil) of the role's proportional share of the table.

        The share of role k at a table of size s is ``count_k * s / n``.
        """
        counts = Counter(self.role_of)
        return tuple(
            tuple(
                ((counts[k] * s) // self.n, -((-counts[k] * s) // self.n))
                for k in range(len(self.roles))
            )
            for s in self.sizes
        )

    @cached_property
    def group_sizes(self) -> tuple[int, ...]:
        counts = Counter(self.group_of)
        return tuple(counts[g] for g in range(len(self.groups)))

    @cached_property
    def colleague_pairs(self) -> int:
        """All pairs of participants from one group."""
        return sum(comb(g, 2) for g in self.group_sizes)

    def colleague_bound(self, round_: int) -> int:
        """A bound on the colleague cost of one round (cost: apart +pairs, together -pairs).

        Together: see :meth:`most_colleague_pairs`. Apart: a group spread evenly
        over the tables still has pairs.
        """
        rule = self.colleagues[round_]
        if rule is Colleagues.TOGETHER:
            return -self.most_colleague_pairs
        if rule is Colleagues.APART:
            return sum(even_pairs(g, self.tables) for g in self.group_sizes)
        return 0

    @cached_property
    def most_colleague_pairs(self) -> int:
        """An upper bound on the colleague pairs sharing a table in one round.

        A group whose largest part at one table has L members seats at best
        ``f(L) = q*C(L,2) + C(rest,2)`` pairs (its members cut into parts of L).
        Writing ``f(L)`` as the sum of the gains ``f(m) - f(m-1)`` for m up to
        L: gain m needs a part of m or more, and the tables hold at most
        ``sum(size // m)`` such parts, so at level m only that many groups, the
        ones with the largest gains, can collect it. Exact when groups are of
        one size (e.g. 7 boards of 4 at 4 tables of 7: 33, not 42).
        """

        def pairs(g: int, part: int) -> int:
            whole, rest = divmod(g, part)
            return whole * comb(part, 2) + comb(rest, 2)

        most = 0
        for m in range(2, self.sizes[0] + 1):
            parts = sum(s // m for s in self.sizes)
            gains = sorted(
                (pairs(g, m) - pairs(g, m - 1) for g in self.group_sizes if g >= m),
                reverse=True,
            )
            most += sum(gains[:parts])
        return min(most, sum(comb(s, 2) for s in self.sizes), self.colleague_pairs)

    @cached_property
    def repeats_bound(self) -> int:
        """A lower bound on the pairs that meet more than once (0 for one round).

        A table of s people in round 2 draws from the T tables of round 1; at
        best evenly, which still puts ``even_pairs(s, T)`` pairs together again.
        """
        if self.rounds < 2 or self.rules.mixing is Mixing.IGNORE:
            return 0
        pigeonhole = sum(even_pairs(s, self.tables) for s in self.sizes)
        # Each person meets at least (smallest table - 1) others per round.
        excess = self.rounds * (self.sizes[-1] - 1) - (self.n - 1)
        counting = -((-self.n * max(excess, 0)) // (2 * (self.rounds - 1)))
        return max(pigeonhole, counting)

    @cached_property
    def meetings_bound(self) -> int:
        """A lower bound on the most meetings of any pair."""
        if self.rules.mixing is Mixing.IGNORE or self.sizes[0] < 2:
            return 0
        return 2 if self.repeats_bound > 0 else 1

    def crowded_roles(self) -> str | None:
        """Why some table must be 2 or more off its role shares, or ``None`` when not known.

        At tables of k with never twice and ``rounds * (k - 1) == n - 1``, everyone
        meets everyone exactly once, so every pair of one role shares a table once.
        When no role's share of a table exceeds one seat, a table at most 1 off
        its shares seats at most one such pair: more pairs than tables forces 2.
        """
        k = self.sizes[0]
        if (
            not self.rules.balance_roles
            or self.rules.mixing is not Mixing.NEVER_TWICE
            or any(s != k for s in self.sizes)
            or self.rounds * (k - 1) != self.n - 1
            or any(high > 1 for bounds in self.role_bounds for _, high in bounds)
        ):
            return None
        pairs = sum(comb(c, 2) for c in Counter(self.role_of).values())
        tables = self.rounds * self.tables
        if pairs <= tables:
            return None
        return (
            f"over {self.rounds} rounds at {_tables_text(self.sizes)} everyone meets everyone "
            f"once, so the {pairs} pairs of people with one role each share a table; a table "
            f"at most 1 off its shares seats at most one such pair, and there are {tables}"
        )

    def never_twice_obstacle(self) -> str | None:
        """Why no plan can keep every pair from meeting twice, or ``None`` when none is known."""
        if self.rounds < 2:
            return None
        names = self.roster.ids
        for a, b in self.together:
            return f"{names[a]} and {names[b]} must share a table in every round"
        pinned: dict[int, int] = {}
        for i, t in enumerate(self.pin):
            if t is not None and t in pinned:
                return f"{names[pinned[t]]} and {names[i]} are both pinned to table {t + 1}"
            if t is not None:
                pinned[t] = i
        situation = f"{_tables_text(self.sizes)} for {self.n} people over {self.rounds} rounds"
        if self.sizes[0] > self.tables:
            return (
                f"with {situation}, a table of {self.sizes[0]} in round 2 must take at most one "
                f"person from each of the {self.tables} tables of round 1, so it can seat at "
                f"most {self.tables}"
            )
        if self.rounds * (self.sizes[-1] - 1) > self.n - 1:
            return (
                f"with {situation}, everyone meets at least "
                f"{self.rounds * (self.sizes[-1] - 1)} others, but there are only {self.n - 1}"
            )
        return None


def _tables_text(sizes: Sequence[int]) -> str:
    counts = sorted(Counter(sizes).items(), reverse=True)
    return " and ".join(f"{k} table{'s' if k != 1 else ''} of {s}" for s, k in counts)


def compile_instance(roster: Roster, tables: Tables | int, rounds: int, rules: Rules) -> Instance:
    """Check the input against itself and compile it; hard rules proven impossible raise.

    Unknown ids and out-of-range values raise :class:`ProblemError` (all at once);
    a hard rule that cannot hold raises :class:`InfeasibleError` saying why.
    """
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise FieldError("breakouts", None, "rounds", rounds, "must be an integer >= 1")
    if len(roster) == 0:
        raise FieldError("breakouts", None, "roster", 0, "must hold at least one participant")
    if len(rules.colleagues) not in (1, rounds):
        raise FieldError(
            "rules", None, "colleagues", [c.value for c in rules.colleagues],
            f"must give one value, or one per round ({rounds})",
        )  # fmt: skip
    layout = tables if isinstance(tables, Tables) else Tables(count=tables)
    sizes = layout.split(len(roster))
    index = {pid: i for i, pid in enumerate(roster.ids)}
    errors = [
        FieldError("rules", None, "pinned", pid, "must name a participant in the roster")
        for pid in sorted(rules.pinned)
        if pid not in index
    ]
    errors += [
        FieldError("rules", None, "pinned", f"{pid}={t}", f"must name a table below {len(sizes)}")
        for pid, t in sorted(rules.pinned.items())
        if t >= len(sizes)
    ]
    for field in ("together", "apart"):
        errors += [
            FieldError("rules", None, field, pid, "must name a participant in the roster")
            for pair in getattr(rules, field)
            for pid in pair
            if pid not in index
        ]
    if errors:
        raise ProblemError(errors)
    groups = tuple(sorted({p.group for p in roster.participants}))
    roles = tuple(sorted({p.role for p in roster.participants}))
    instance = Instance(
        roster=roster,
        rules=rules,
        rounds=rounds,
        sizes=sizes,
        group_of=tuple(groups.index(p.group) for p in roster.participants),
        role_of=tuple(roles.index(p.role) for p in roster.participants),
        groups=groups,
        roles=roles,
        pin=tuple(rules.pinned.get(pid) for pid in roster.ids),
        together=tuple((index[a], index[b]) for a, b in rules.together),
        apart=tuple((index[a], index[b]) for a, b in rules.apart),
        colleagues=tuple(rules.colleagues_in(r) for r in range(rounds)),
    )
    _check_hard(instance)
    return instance


def components(instance: Instance) -> list[list[int]]:
    """Participants bound to one table by must-sit-together pairs (singletons included)."""
    parent = list(range(instance.n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in instance.together:
        parent[root(a)] = root(b)
    members: dict[int, list[int]] = {}
    for i in range(instance.n):
        members.setdefault(root(i), []).append(i)
    return sorted(members.values())


def _check_hard(instance: Instance) -> None:
    """Raise :class:`InfeasibleError` for pins, pairs or never-twice that provably cannot hold."""
    names = instance.roster.ids
    demand = Counter[int]()
    for members in components(instance):
        pins = sorted({t for i in members if (t := instance.pin[i]) is not None})
        who = ", ".join(names[i] for i in members)
        if len(pins) > 1:
            raise InfeasibleError(
                "must sit together",
                f"{who} must share a table but are pinned to tables "
                + " and ".join(str(t + 1) for t in pins),
            )
        if len(members) > instance.sizes[0]:
            raise InfeasibleError(
                "must sit together",
                f"{who} ({len(members)} people) must share a table, "
                f"but the largest table seats {instance.sizes[0]}",
            )
        inside = set(members)
        for a, b in instance.apart:
            if a in inside and b in inside:
                raise InfeasibleError(
                    "must sit apart",
                    f"{names[a]} and {names[b]} must sit apart, but pairs that must sit "
                    f"together join them ({who})",
                )
        if pins:
            demand[pins[0]] += len(members)
    for t, people in sorted(demand.items()):
        if people > instance.sizes[t]:
            raise InfeasibleError(
                "pinned seats",
                f"{people} people are pinned to table {t + 1} (directly or through pairs), "
                f"which seats {instance.sizes[t]}",
            )
    for a, b in instance.apart:
        shared = instance.pin[a]
        if shared is not None and shared == instance.pin[b]:
            raise InfeasibleError(
                "must sit apart",
                f"{names[a]} and {names[b]} must sit apart but are both pinned to table "
                f"{shared + 1}",
            )
    if instance.rules.mixing is Mixing.NEVER_TWICE:
        why = instance.never_twice_obstacle()
        if why is not None:
            raise InfeasibleError("never twice", why)
