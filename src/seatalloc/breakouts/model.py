"""Breakout value objects: participants, roster, table sizes, rules.

A discussion table is called a *table* here; *group* always means the
organisation a participant belongs to (a county board).
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from seatalloc.errors import FieldError, ProblemError, SeatallocError

if TYPE_CHECKING:
    from seatalloc.allocation import Allocation

__all__ = [
    "Colleagues",
    "InfeasibleError",
    "Mixing",
    "Participant",
    "Roster",
    "Rules",
    "Tables",
]


class InfeasibleError(SeatallocError, ValueError):
    """A hard breakout rule cannot hold: names the rule and says why."""

    def __init__(self, rule: str, why: str) -> None:
        self.rule = rule
        self.why = why
        super().__init__(f"{rule} is impossible: {why}")


def _freeze(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


def _check_text(kind: str, key: object, field: str, value: object, empty_ok: bool = False) -> None:
    if not isinstance(value, str) or (not empty_ok and not value.strip()):
        raise FieldError(kind, key, field, value, "must be a non-empty string")


@attrs.frozen
class Participant:
    """One seated person: id, group (organisation), role; ``attributes`` may be personal."""

    id: str
    group: str
    role: str = ""
    attributes: Mapping[str, Any] = attrs.field(
        factory=dict, converter=_freeze, repr=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        _check_text("participant", self.id, "id", self.id)
        _check_text("participant", self.id, "group", self.group)
        if not isinstance(self.role, str):
            raise FieldError("participant", self.id, "role", self.role, "must be a string")


def _by_id(people: Iterable[Participant]) -> tuple[Participant, ...]:
    return tuple(sorted(people, key=lambda p: p.id))


@attrs.frozen
class Roster:
    """The participants to seat, kept in id order so input order never matters."""

    participants: tuple[Participant, ...] = attrs.field(converter=_by_id)

    def __attrs_post_init__(self) -> None:
        errors = [
            FieldError("participant", key, "id", key, f"must be unique, appears {n} times")
            for key, n in sorted(Counter(p.id for p in self.participants).items())
            if n > 1
        ]
        if errors:
            raise ProblemError(errors)

    @classmethod
    def from_allocation(cls, allocation: Allocation, session: str) -> Roster:
        """The requests seated in ``session`` of an allocation."""
        problem = allocation.problem
        if session not in allocation.rosters:
            raise FieldError("roster", None, "session", session, "must name a known session")
        return cls(
            Participant(r.id, r.group, r.role, r.attributes)
            for r in (problem.request_by_id[i] for i in allocation.rosters[session])
        )

    @cached_property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.participants)

    @cached_property
    def by_id(self) -> Mapping[str, Participant]:
        return MappingProxyType({p.id: p for p in self.participants})

    def __len__(self) -> int:
        return len(self.participants)


class Colleagues(enum.Enum):
    """Where members of one group sit in a round."""

    TOGETHER = "together"
    """Maximise colleague pairs sharing a table."""
    APART = "apart"
    """Minimise colleague pairs sharing a table (zero: at most one per table)."""
    ANY = "any"
    """No preference."""


class Mixing(enum.Enum):
    """How encounters across rounds are treated."""

    NEVER_TWICE = "never-twice"
    """Hard: no pair shares a table in two rounds."""
    FEWEST_REPEATS = "fewest-repeats"
    """Minimise the most meetings of any pair, then the number of pairs meeting twice or more."""
    IGNORE = "ignore"


def _to_colleagues(value: Iterable[Colleagues | str] | Colleagues | str) -> tuple[Colleagues, ...]:
    if isinstance(value, Colleagues | str):
        value = (value,)
    return tuple(Colleagues(v) for v in value)


def _to_pairs(value: Iterable[Iterable[str]]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for pair in value:
        items = tuple(pair)
        if len(items) != 2 or items[0] == items[1]:
            raise FieldError("rules", None, "pair", items, "must name two different participants")
        pairs.append((min(items), max(items)))
    return tuple(sorted(set(pairs)))


@attrs.frozen
class Rules:
    """Which breakout rules are on. Table sizes, pins and pairs are always hard.

    ``colleagues`` holds one value for every round, or one per round.
    ``pinned`` maps a participant id to a table index (0-based), the same in every round.
    """

    balance_roles: bool = True
    colleagues: tuple[Colleagues, ...] = attrs.field(
        default=(Colleagues.ANY,), converter=_to_colleagues
    )
    mixing: Mixing = attrs.field(default=Mixing.FEWEST_REPEATS, converter=Mixing)
    pinned: Mapping[str, int] = attrs.field(factory=dict, converter=_freeze)
    together: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_to_pairs)
    apart: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_to_pairs)

    def __attrs_post_init__(self) -> None:
        if not self.colleagues:
            raise FieldError("rules", None, "colleagues", (), "must give at least one value")
        for key, table in self.pinned.items():
            if isinstance(table, bool) or not isinstance(table, int) or table < 0:
                raise FieldError(
                    "rules", None, f"pinned[{key!r}]", table, "must be a table index >= 0"
                )
        both = sorted(set(self.together) & set(self.apart))
        if both:
            raise FieldError(
                "rules", None, "apart", both[0], "must not also be a pair that sits together"
            )

    def colleagues_in(self, round_: int) -> Colleagues:
        """The colleagues rule of round ``round_`` (0-based)."""
        if len(self.colleagues) == 1:
            return self.colleagues[0]
        return self.colleagues[round_]


@attrs.frozen
class Tables:
    """How many tables, or a size range; sizes differ by at most one unless ``sizes`` are given.

    With only a range, the fewest tables whose even split fits the range are used.
    """

    count: int | None = None
    min_size: int | None = None
    max_size: int | None = None
    sizes: tuple[int, ...] | None = attrs.field(
        default=None, converter=attrs.converters.optional(tuple)
    )

    def __attrs_post_init__(self) -> None:
        for name in ("count", "min_size", "max_size"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise FieldError("tables", None, name, value, "must be an integer >= 1")
        if self.sizes is not None and any(
            isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in self.sizes
        ):
            raise FieldError("tables", None, "sizes", self.sizes, "must be integers >= 1")
        if self.count is None and self.sizes is None and self.max_size is None:
            raise FieldError("tables", None, "count", None, "or a maximum size must be given")

    def split(self, n: int) -> tuple[int, ...]:
        """Table sizes for ``n`` people, largest first; :class:`InfeasibleError` when none fit."""
        if self.sizes is not None:
            if sum(self.sizes) != n:
                raise InfeasibleError(
                    "table sizes", f"sizes {list(self.sizes)} seat {sum(self.sizes)}, not {n}"
                )
            return tuple(sorted(self.sizes, reverse=True))
        low, high = self.min_size or 1, self.max_size or n
        counts = [self.count] if self.count is not None else range(1, n + 1)
        for k in counts:
            if k > n:
                break
            base, extra = divmod(n, k)
            if low <= base and base + (extra > 0) <= high:
                return (base + 1,) * extra + (base,) * (k - extra)
        what = f"{self.count} tables" if self.count is not None else "tables"
        raise InfeasibleError(
            "table sizes", f"{n} people cannot be split evenly over {what} of {low} to {high}"
        )
