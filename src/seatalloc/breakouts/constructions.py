"""Rounds where nobody meets twice, from known constructions, before any search.

In order: the finite-field design of :mod:`.designs` (``k * q`` people at
``q`` tables of ``k``, ``q`` a prime power: up to ``q + 1`` rounds, at
once), two affine planes on mate pairs from :mod:`.doubled` (``2q^2``
people at ``2q`` tables of ``q``: ``2q + 2`` rounds, e.g. the 32 golfers
over 10 rounds, by a small seeded search), then rounds developed from base
rounds by :mod:`.developed` (Kirkman and nearly Kirkman triple systems,
resolvable 2-(v,4,1) designs and more, each found by a small seeded search).
The plan that gives the most clean rounds is kept; when it gives fewer than
asked, the search extends it.
Every plan is checked pair by pair before it is returned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from seatalloc.breakouts import developed
from seatalloc.breakouts._instance import Instance
from seatalloc.breakouts.designs import most_rounds, resolvable_plan
from seatalloc.breakouts.doubled import doubled_plan, doubled_rounds

__all__ = ["Built", "build"]

# The developed shapes tried, most symmetric first.
_SHAPES = 2


@attrs.frozen
class Built:
    """Clean rounds (each person's table per round), how they were made, the work spent."""

    rounds: tuple[tuple[int, ...], ...]
    how: str
    work: int


def build(instance: Instance, seed: int, work: int, stop: Callable[[], bool]) -> Built:
    """The most clean rounds (at most ``instance.rounds``) the constructions reach in ``work``.

    ``work`` caps the searches' evaluations (deterministic).
    """
    n, sizes, wanted = instance.n, instance.sizes, instance.rounds
    best = Built((), "none", 0)
    field = resolvable_plan(n, sizes, min(wanted, most_rounds(n, sizes)))
    if field is not None:
        best = _checked(field, sizes, f"finite-field design GF({len(sizes)})", 0)
    spent = 0
    reach = min(wanted, doubled_rounds(n, sizes))
    if reach > len(best.rounds):
        # At most half the work: where no signs exist, the developed search gets the rest.
        plan, spent = doubled_plan(n, sizes, reach, seed, work // 2, stop)
        if plan is not None:
            how = f"two affine planes AG(2,{sizes[0]}) on mate pairs"
            best = _checked(plan, sizes, how, spent)
    if len(best.rounds) >= wanted:
        return best
    k = sizes[0]
    if any(s != k for s in sizes):
        return best
    # The shapes take turns with doubling shares, each search resumed where it
    # stopped, so one shape that admits no base round cannot eat the whole budget.
    shapes = list(developed.shapes(len(sizes), k, wanted))[:_SHAPES]
    searches = [developed.base_search(shape, seed + n, stop) for n, shape in enumerate(shapes)]
    alive = list(range(len(shapes)))
    share = max(work // 64, 1)
    while alive and spent < work:
        for s in list(alive):
            # The most symmetric shape most often admits a base round: twice the share.
            allowed = min(share * (2 if s == 0 else 1), work - spent)
            used = 0
            for step, base in searches[s]:
                used += step
                if base is not None:
                    shape = shapes[s]
                    how = (
                        f"developed from {shape.base} base round{'s' if shape.base > 1 else ''}"
                        f" by Z_{shape.cycle} ({shape.columns} columns, {shape.fixed} fixed)"
                    )
                    plan = developed.develop(shape, base, wanted)
                    return _checked(plan, sizes, how, spent + used)
                if used >= allowed:
                    break
            else:
                alive.remove(s)  # stopped by the wall clock
            spent += used
        share *= 2
    return attrs.evolve(best, work=spent)


def _checked(plan: list[list[int]], sizes: Sequence[int], how: str, work: int) -> Built:
    """The plan as :class:`Built`, once every table has its size and no pair meets twice."""
    met: set[tuple[int, int]] = set()
    for tables in plan:
        members: list[list[int]] = [[] for _ in sizes]
        for person, t in enumerate(tables):
            members[t].append(person)
        if [len(m) for m in members] != list(sizes):
            raise AssertionError(f"{how}: a table of the wrong size")  # pragma: no cover
        for people in members:
            for x, a in enumerate(people):
                for b in people[x + 1 :]:
                    if (a, b) in met:
                        raise AssertionError(f"{how}: a pair meets twice")  # pragma: no cover
                    met.add((a, b))
    return Built(tuple(tuple(tables) for tables in plan), how, work)
