"""Two affine planes on mate pairs: 2q^2 people at 2q tables of q for 2q + 2 rounds.

Pair ``2 * q**2`` people into mates ``2P, 2P + 1``, one pair for each point
``P`` of the affine plane AG(2, q) (``q`` a prime power): its ``q + 1``
parallel classes are rounds of ``q`` lines. Take a second copy of the plane
with its points permuted by ``pi``: ``2q + 2`` rounds in which every two
points share exactly two lines. Seat a line's ``q`` points as two tables of
``q`` people, one mate of each pair per table, chosen by a sign ``s_P``
(0: mate ``2P`` at the first table). Points P, Q on a line then seat
``(2P + s_P, 2Q + s_Q)`` and ``(2P + 1 - s_P, 2Q + 1 - s_Q)`` together: the
two pairs with relative sign ``s_P + s_Q``. So nobody meets twice exactly
when, for each two points, their lines in the two planes give opposite
relative signs: one linear equation over GF(2) per pair of points, solved by
Gaussian elimination. Mates never meet; everyone else meets once.

A solution needs ``pi`` to map no three collinear points to collinear points
(three points on one line of each plane would need relative signs summing to
1 and to 0 at once). A seeded local search over swaps in ``pi`` removes those
triples, then the equations decide; inconsistent, a few random swaps and on.
For q = 4 this gives the classic 32 golfers over 10 rounds (8-4-10, a
resolvable 4-GDD of type 2^16, first found by Aguado in 2004) in a few
thousand swaps; for q = 3 nearly Kirkman 18 people over 8 rounds at once;
for q = 5 and 7 no plan turned up in 60 s.
The work counts triple checks and row operations, so a seed decides the plan.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence

from seatalloc.breakouts.designs import _Field, _prime_power

__all__ = ["doubled_plan", "doubled_rounds"]

# After an inconsistent system, how many random swaps move pi on.
_KICK = 3
# Out of 100: how often a swap that adds collinear triples is kept anyway.
_UPHILL = 2


def doubled_rounds(people: int, sizes: Sequence[int]) -> int:
    """``2q + 2`` when there are ``2 q**2`` people at ``2q`` tables of ``q``, else 0."""
    q = sizes[0] if sizes else 0
    if q < 2 or list(sizes) != [q] * (2 * q) or people != 2 * q * q:
        return 0
    return 2 * q + 2 if _prime_power(q) is not None else 0


def _plane(q: int) -> list[list[list[int]]]:
    """AG(2, q): per parallel class, its lines; point ``x * q + y`` is ``(x, y)``."""
    p, m = _prime_power(q)  # type: ignore[misc]
    field = _Field(p, m)
    classes = [
        [[x * q + field.add(field.mul(slope, x), b) for x in range(q)] for b in range(q)]
        for slope in range(q)
    ]
    classes.append([[c * q + y for y in range(q)] for c in range(q)])
    return classes


def _signs(rounds: list[list[list[int]]]) -> tuple[dict[tuple[int, int], int] | None, int]:
    """Signs per (line index, point) giving each pair of points opposite relative signs.

    ``None`` when the GF(2) system is inconsistent; also the row operations spent.
    """
    var: dict[tuple[int, int], int] = {}
    lines = [line for classes in rounds for line in classes]
    for i, line in enumerate(lines):
        for point in line:
            var[i, point] = len(var)
    rhs = 1 << len(var)
    rows: dict[tuple[int, int], int] = {}
    for i, line in enumerate(lines):
        for a, b in itertools.combinations(sorted(line), 2):
            rows[a, b] = rows.get((a, b), rhs) ^ (1 << var[i, a]) ^ (1 << var[i, b])
    pivots: dict[int, int] = {}
    spent = 0
    for equation in rows.values():
        row = equation
        for column, pivot in pivots.items():
            spent += 1
            if row >> column & 1:
                row ^= pivot
        low = row & (rhs - 1)
        if not low:
            if row & rhs:
                return None, spent
            continue
        column = low.bit_length() - 1
        for other, pivot in pivots.items():
            spent += 1
            if pivot >> column & 1:
                pivots[other] = pivot ^ row
        pivots[column] = row
    # Fully reduced: free signs 0, each pivot sign is its row's right-hand side.
    value = {column: row >> len(var) & 1 for column, row in pivots.items()}
    return {key: value.get(index, 0) for key, index in var.items()}, spent


def doubled_plan(
    people: int,
    sizes: Sequence[int],
    rounds: int,
    seed: int,
    work: int,
    stop: Callable[[], bool] = lambda: False,
) -> tuple[list[list[int]] | None, int]:
    """Per round, each person's table (``rounds`` of them, nobody meeting twice), and the
    work spent; ``None`` when out of reach or not found within ``work``.

    ``stop`` is the wall-clock safety stop, polled every 64 swaps.
    """
    if not 0 < rounds <= doubled_rounds(people, sizes):
        return None, 0
    q = sizes[0]
    points = q * q
    plane = _plane(q)
    collinear = [[-1] * points for _ in range(points)]  # the line through two points
    for i, line in enumerate(line for classes in plane for line in classes):
        for a, b in itertools.permutations(line, 2):
            collinear[a][b] = i
    triples = [t for classes in plane for line in classes for t in itertools.combinations(line, 3)]
    touching: list[list[tuple[int, int, int]]] = [[] for _ in range(points)]
    for t in triples:
        for point in t:
            touching[point].append(t)

    def bad(t: tuple[int, int, int], pi: list[int]) -> int:
        a, b, c = pi[t[0]], pi[t[1]], pi[t[2]]
        return int(collinear[a][b] == collinear[a][c])

    rng = random.Random(seed)
    pi = list(range(points))
    rng.shuffle(pi)
    cost = sum(bad(t, pi) for t in triples)
    spent = len(triples)
    swaps = 0
    while spent < work:
        swaps += 1
        if swaps % 64 == 0 and stop():
            break
        if cost == 0:
            second = [[[pi[p] for p in line] for line in classes] for classes in plane]
            signs, used = _signs(plane + second)
            spent += used
            if signs is not None:
                return _seat(plane + second, signs, people)[:rounds], spent
            for _ in range(_KICK):
                i, j = rng.sample(range(points), 2)
                pi[i], pi[j] = pi[j], pi[i]
            cost = sum(bad(t, pi) for t in triples)
            spent += len(triples)
            continue
        i, j = rng.sample(range(points), 2)
        near = set(touching[i]) | set(touching[j])
        before = sum(bad(t, pi) for t in near)
        pi[i], pi[j] = pi[j], pi[i]
        change = sum(bad(t, pi) for t in near) - before
        spent += 2 * len(near)
        if change <= 0 or rng.randrange(100) < _UPHILL:
            cost += change
        else:
            pi[i], pi[j] = pi[j], pi[i]
    return None, spent


def _seat(
    rounds: list[list[list[int]]], signs: dict[tuple[int, int], int], people: int
) -> list[list[int]]:
    """Each line's points as two tables, one mate of each pair per table, by sign."""
    plan = []
    index = 0
    for classes in rounds:
        tables = [0] * people
        for t, line in enumerate(classes):
            for point in line:
                sign = signs[index, point]
                tables[2 * point + sign] = 2 * t
                tables[2 * point + 1 - sign] = 2 * t + 1
            index += 1
        plan.append(tables)
    return plan
