"""Rosters the breakout tests share."""

from __future__ import annotations

from seatalloc.breakouts import Participant, Roster


def workshop() -> Roster:
    """28 people, 10 organisations of 4,4,3,3,3,3,2,2,2,2, five roles of 6,6,6,5,5."""
    people, k = [], 0
    for g, size in enumerate((4, 4, 3, 3, 3, 3, 2, 2, 2, 2)):
        for _ in range(size):
            people.append(Participant(f"p{k:02d}", f"org{g}", f"r{k % 5}"))
            k += 1
    return Roster(people)
