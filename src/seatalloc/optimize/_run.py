"""The state of one optimiser call: its budget, the work left, why it stopped, progress.

The deterministic work budget is spent across solves in call order, so the
same input and seed stop at the same point on an idle or a loaded machine.
The wall clock is read only through the budget's :class:`~seatalloc.budget.Deadline`.
"""

from __future__ import annotations

import attrs

from seatalloc.budget import Budget, Deadline, Progress, ProgressCallback

__all__ = ["OutOfTime", "Run"]


class OutOfTime(Exception):
    """The wall-clock safety stop passed (internal: caught by the optimiser)."""


@attrs.define
class Run:
    """What one call may still spend, and what stopped it (``"time"`` or ``"work"``)."""

    deadline: Deadline
    progress: ProgressCallback | None = None
    work_left: float | None = None
    work_spent: float = 0.0
    stopped_by: str | None = None

    @classmethod
    def start(cls, budget: Budget, progress: ProgressCallback | None) -> Run:
        return cls(budget.start(), progress, budget.work)

    def check(self) -> None:
        """Raise :class:`OutOfTime` once the wall limit has passed."""
        if self.deadline.expired():
            self.stopped_by = "time"
            raise OutOfTime

    def spend(self, work: float, shared: bool) -> None:
        """Count ``work`` spent; a ``shared`` budget (CP-SAT) shrinks for later solves."""
        self.work_spent += work
        if shared and self.work_left is not None:
            self.work_left = max(0.0, self.work_left - work)

    def stop(self, out_of_work: bool) -> None:
        """Record that a solve ended unproven: by its work budget, else by the clock."""
        if self.stopped_by is None:
            self.stopped_by = "work" if out_of_work else "time"

    def report(
        self, phase: str, best: float | None = None, bound: float | None = None, detail: str = ""
    ) -> None:
        """Tell the progress callback, if any."""
        if self.progress is not None:
            self.progress(Progress(phase, best, bound, self.deadline.elapsed(), detail))
