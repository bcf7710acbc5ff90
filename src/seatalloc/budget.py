"""One budget for every solver call: work decides the result, the wall clock only stops it.

A :class:`Budget` carries two limits. ``work`` is deterministic (CP-SAT
deterministic seconds, heuristic iterations, ...), so the same input and seed
give the same answer on an idle or a loaded machine. ``time_limit`` is a wall
clock safety stop covering the whole call, model building included; a run it
stops is reported as stopped, never as proven. The clock is read only through
:class:`Deadline`, never inside a seating rule.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import attrs

from seatalloc.errors import FieldError

__all__ = ["Budget", "Deadline", "Progress", "ProgressCallback"]

_CALL = "budget"


def _positive_or_none(_: object, attribute: attrs.Attribute[float | None], value: object) -> None:
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise FieldError(_CALL, None, attribute.name, value, "must be a number > 0, or None")


def _seed(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        # CP-SAT takes a 32-bit seed.
        raise FieldError(_CALL, None, attribute.name, value, "must be an integer in 0..2**31-1")


@attrs.frozen
class Budget:
    """What a solver call may spend.

    ``time_limit``: wall seconds for the whole call (a safety stop, honoured
    within 10 % + 1 s). ``work``: deterministic units that decide the result;
    each solver documents its unit. ``seed``: the only source of randomness.
    """

    time_limit: float | None = attrs.field(default=None, validator=_positive_or_none)
    work: float | None = attrs.field(default=None, validator=_positive_or_none)
    seed: int = attrs.field(default=0, validator=_seed)

    def start(self, clock: Callable[[], float] = time.monotonic) -> Deadline:
        """Start the wall clock for one call."""
        return Deadline(self, clock(), clock)


@attrs.frozen
class Deadline:
    """A started budget: how much wall time is left, and whether it ran out."""

    budget: Budget
    started: float
    clock: Callable[[], float] = attrs.field(default=time.monotonic, repr=False)

    def elapsed(self) -> float:
        """Wall seconds since the call started."""
        return self.clock() - self.started

    def remaining(self) -> float | None:
        """Wall seconds left (never negative), or None without a limit."""
        if self.budget.time_limit is None:
            return None
        return max(0.0, self.budget.time_limit - self.elapsed())

    def expired(self) -> bool:
        """True once the wall limit has passed."""
        left = self.remaining()
        return left is not None and left <= 0.0


@attrs.frozen
class Progress:
    """One progress report: the phase, the best value found and the best bound."""

    phase: str
    best: float | None = None
    bound: float | None = None
    elapsed: float = 0.0
    detail: str = ""


ProgressCallback = Callable[[Progress], None]
