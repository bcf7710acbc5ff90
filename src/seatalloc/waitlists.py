"""Whether an allocation's waitlist is the one first come, first served promises.

Every unseated request is on it, in arrival order, a party at its first
member's place. ``seatalloc check`` reports each way a waitlist breaks this.
"""

from __future__ import annotations

from itertools import pairwise

from seatalloc.allocation import Allocation

__all__ = ["waitlist_faults"]


def waitlist_faults(allocation: Allocation) -> list[str]:
    """A sentence for each unseated request left out, and for the first pair out of order."""
    problem = allocation.problem
    assignments = allocation.assignments
    expected = [r.id for unit in problem.units for r in unit if assignments.get(r.id) is None]
    rank = {request_id: i for i, request_id in enumerate(expected)}
    listed = set(allocation.waitlist)
    faults = [
        f"the waitlist leaves out unseated request {request_id!r}"
        for request_id in expected
        if request_id not in listed
    ]
    ranked = [r for r in allocation.waitlist if r in rank]
    for earlier, later in pairwise(ranked):
        if rank[earlier] > rank[later]:
            faults.append(
                f"the waitlist is out of arrival order: {earlier!r} is listed before "
                f"{later!r}, which came first"
            )
            break
    return faults
