"""Role-aware construction: choose who sits at which point of a plan, keeping its meetings.

A plan built for mixing alone (:mod:`.constructions`, :mod:`.golfer`) says
which *points* share a table in each round. Renaming people over the points
keeps every pair's meeting count, so nobody meets twice still holds; only
the roles and groups at each table change. This search swaps two people's
points to minimise, lexicographically, the role cost and then the
colleague cost (the levels of :mod:`.quality` ranked above mixing).
Seeded, and bounded by a count of evaluated swaps.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence

from seatalloc.breakouts._instance import Instance
from seatalloc.breakouts.model import Colleagues
from seatalloc.breakouts.quality import table_cost

__all__ = ["relabel"]

# Troubled people examined per step (a seeded sample when there are more).
_SAMPLE = 6


def relabel(
    instance: Instance,
    plan: Sequence[Sequence[int]],
    seed: int,
    work: int,
    stop: Callable[[], bool],
) -> tuple[list[list[int]], int]:
    """The plan with people moved between points; and the swap evaluations spent."""
    rng = random.Random(seed)
    n, rounds = instance.n, len(plan)
    role_of, group_of = instance.role_of, instance.group_of
    roles, groups = len(instance.roles), len(instance.groups)
    wr = 2 * rounds * n * n + 1 if instance.rules.balance_roles else 0
    sign = [{Colleagues.APART: 1, Colleagues.TOGETHER: -1}.get(c, 0) for c in instance.colleagues]
    dev = [
        [[max(0, c - high) + max(0, low - c) for c in range(size + 1)] for low, high in bounds]
        for size, bounds in zip(instance.sizes, instance.role_bounds, strict=True)
    ]
    # Start: people sorted by role fill the points in order. Constructions number
    # their points column by column, and two points of one column never meet, so a
    # role filling a column never doubles up at a table.
    share = Counter(role_of)
    order = sorted(range(n), key=lambda i: (-share[role_of[i]], role_of[i], group_of[i], i))
    point = [0] * n  # point[person]
    for k, i in enumerate(order):
        point[i] = k
    tables = [list(r) for r in plan]  # tables[r][point]
    rc = [[[0] * roles for _ in instance.sizes] for _ in range(rounds)]
    gc = [[[0] * groups for _ in instance.sizes] for _ in range(rounds)]
    for r in range(rounds):
        for i in range(n):
            t = tables[r][point[i]]
            rc[r][t][role_of[i]] += 1
            gc[r][t][group_of[i]] += 1
    # lin[r][t]: the table's deviation; it costs table_cost(lin), the objective's role level.
    lin = [
        [sum(dev[t][k][c] for k, c in enumerate(rc[r][t])) for t in range(len(instance.sizes))]
        for r in range(rounds)
    ]

    def delta(i: int, j: int) -> int:
        ki, kj, gi, gj = role_of[i], role_of[j], group_of[i], group_of[j]
        pi, pj = point[i], point[j]
        d = 0
        for r in range(rounds):
            ti, tj = tables[r][pi], tables[r][pj]
            if ti == tj:
                continue
            if wr and ki != kj:
                a, b, da, db = rc[r][ti], rc[r][tj], dev[ti], dev[tj]
                ea = da[ki][a[ki] - 1] - da[ki][a[ki]] + da[kj][a[kj] + 1] - da[kj][a[kj]]
                eb = db[kj][b[kj] - 1] - db[kj][b[kj]] + db[ki][b[ki] + 1] - db[ki][b[ki]]
                la, lb = lin[r][ti], lin[r][tj]
                d += wr * (
                    table_cost(la + ea) - table_cost(la) + table_cost(lb + eb) - table_cost(lb)
                )
            s = sign[r]
            if s and gi != gj:
                a, b = gc[r][ti], gc[r][tj]
                d += s * (a[gj] - (a[gi] - 1) + b[gi] - (b[gj] - 1))
        return d

    def swap(i: int, j: int) -> None:
        ki, kj, gi, gj = role_of[i], role_of[j], group_of[i], group_of[j]
        for r in range(rounds):
            ti, tj = tables[r][point[i]], tables[r][point[j]]
            if ti == tj:
                continue
            rc[r][ti][ki] -= 1
            rc[r][ti][kj] += 1
            rc[r][tj][kj] -= 1
            rc[r][tj][ki] += 1
            gc[r][ti][gi] -= 1
            gc[r][ti][gj] += 1
            gc[r][tj][gj] -= 1
            gc[r][tj][gi] += 1
            for t in (ti, tj):
                lin[r][t] = sum(dev[t][k][c] for k, c in enumerate(rc[r][t]))
        point[i], point[j] = point[j], point[i]

    def troubled(i: int) -> bool:
        k, g = role_of[i], group_of[i]
        for r in range(rounds):
            t = tables[r][point[i]]
            if wr and dev[t][k][rc[r][t][k]]:
                return True
            if sign[r] > 0 and gc[r][t][g] > 1:
                return True
            if sign[r] < 0 and gc[r][t][g] < instance.group_sizes[g]:
                return True
        return False

    def cost() -> int:
        total = 0
        for r in range(rounds):
            for t in range(len(instance.sizes)):
                total += wr * table_cost(lin[r][t])
                total += sign[r] * sum(c * (c - 1) // 2 for c in gc[r][t])
        return total

    # Tabu search: each step the best swap of a troubled person (a seeded sample of
    # them) that is not tabu, or that beats the best mapping; worse steps allowed.
    current = best_cost = cost()
    best_point = list(point)
    tabu = [0] * n
    spent = iteration = stall = 0
    while spent < work and not (iteration % 32 == 0 and stop()):
        iteration += 1
        candidates = [i for i in range(n) if troubled(i)]
        spent += n * rounds
        if not candidates or stall > 50 * n:
            break
        chosen: list[tuple[int, int]] = []
        chosen_d = 0
        for i in rng.sample(candidates, min(_SAMPLE, len(candidates))):
            for j in range(n):
                if role_of[j] == role_of[i] and group_of[j] == group_of[i]:
                    continue
                d = delta(i, j)
                if (tabu[i] > iteration or tabu[j] > iteration) and current + d >= best_cost:
                    continue
                if not chosen or d < chosen_d:
                    chosen, chosen_d = [(i, j)], d
                elif d == chosen_d:
                    chosen.append((i, j))
            spent += n * rounds
        if not chosen:
            stall += 1
            continue
        i, j = chosen[rng.randrange(len(chosen))]
        swap(i, j)
        current += chosen_d
        tabu[i] = tabu[j] = iteration + 2 + rng.randrange(max(2, n // 4))
        if current < best_cost:
            best_cost, best_point, stall = current, list(point), 0
        else:
            stall += 1
    point = best_point
    return [[tables[r][point[i]] for i in range(n)] for r in range(rounds)], spent
