"""Rounds developed from base rounds by a cyclic group: never twice, found by a small search.

Name ``v = R * C + f`` people as points ``(c, x)`` (a column ``c < C``, ``x``
in Z_R) and ``f`` fixed points. Each of ``B`` base rounds gives ``R``
rounds: round ``j`` of it shifts every ``x`` by ``j``; fixed points stay.
Two points of columns ``c, c'`` meet once for each base pair of those columns
with their difference (``+-d`` within a column; a pair ``d = R / 2`` apart
would meet twice). A fixed point meets every point of a column once per base
round in which it has a companion there.

So nobody meets twice over the ``B * R`` rounds exactly when the base rounds
together use each difference, and each (fixed point, column), at most once:
a search over ``B`` rounds instead of ``B * R`` (the classical method of
differences behind 1-rotational resolvable designs). It finds Kirkman's 15
schoolgirls (Z_7 x 2 + 1), a resolvable 2-(28,4,1) design (7 tables of 4 for
9 rounds: Z_9 x 3 + 1) and nearly Kirkman systems (18 people at 6 tables of 3
for 8 rounds: two base rounds of Z_4 x 4 + 2; 30 at 10 tables of 3 for 14:
Z_14 x 2 + 2).

Not 32 golfers over 10 rounds: their first shape, Z_10 x 3 + 2, is tight
(its one base round must use all 42 differences exactly once), and neither
this search (3 seeds, 60 s each) nor CP-SAT on the base round (300 s, 2
workers) finds one; nor does this search for the next shape, two base rounds
of Z_5 x 6 + 2 (3 seeds, 60 s each). Those rounds come from :mod:`.doubled`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import attrs

__all__ = ["Shape", "base_search", "develop", "find_base", "shapes"]


@attrs.frozen
class Shape:
    """``base`` rounds of ``tables`` tables of ``k``, each developed ``cycle`` times."""

    cycle: int
    columns: int
    fixed: int
    base: int
    tables: int
    k: int

    @property
    def people(self) -> int:
        return self.cycle * self.columns + self.fixed

    @property
    def rounds(self) -> int:
        return self.cycle * self.base


def shapes(tables: int, k: int, rounds: int) -> Iterator[Shape]:
    """Shapes for ``tables * k`` people with at least ``rounds`` rounds, most symmetric first.

    Kept only when counting allows them: each base round's pairs (the fixed
    points' aside) must fit in the differences, and each fixed point needs
    ``k - 1`` fresh columns per base round.
    """
    people = tables * k
    if k < 2 or rounds < 2 or rounds * (k - 1) > people - 1:
        return
    found = []
    for fixed in range(tables + 1):
        for columns in range(1, people - fixed + 1):
            if (people - fixed) % columns:
                continue
            cycle = (people - fixed) // columns
            if cycle < 2:
                continue
            base = -(-rounds // cycle)
            if fixed and base * (k - 1) > columns:
                continue
            pure = columns * ((cycle - 1) // 2)
            mixed = cycle * columns * (columns - 1) // 2
            needed = base * (tables * k * (k - 1) // 2 - fixed * (k - 1))
            if needed <= pure + mixed:
                found.append(Shape(cycle, columns, fixed, base, tables, k))
    yield from sorted(found, key=lambda s: (s.base, s.fixed, -s.cycle))


def develop(shape: Shape, base: list[list[list[int]]], rounds: int) -> list[list[int]]:
    """Per round (``rounds`` of them), each person's table, from the base rounds.

    Person ``c * R + x`` is point ``(c, x)``; persons from ``R * C`` on are the fixed points.
    """
    r, finite = shape.cycle, shape.cycle * shape.columns
    plan = []
    for blocks in base:
        for j in range(r):
            tables = [0] * shape.people
            for t, block in enumerate(blocks):
                for p in block:
                    c, x = divmod(p, r)
                    tables[p if p >= finite else c * r + (x + j) % r] = t
            plan.append(tables)
    return plan[:rounds]


def _keys(shape: Shape) -> list[list[int]]:
    """``key[p][q]``: the difference a pair uses, as one number; -1 when it costs by itself."""
    r, cols, finite, v = shape.cycle, shape.columns, shape.cycle * shape.columns, shape.people
    key = [[-1] * v for _ in range(v)]
    for p in range(v):
        for q in range(v):
            if p == q or (p >= finite and q >= finite):
                continue  # two fixed points would meet in every round
            if p >= finite or q >= finite:
                f, other = (p, q) if p >= finite else (q, p)
                key[p][q] = cols * r * cols + (f - finite) * cols + other // r
                continue
            (c, x), (d, y) = divmod(p, r), divmod(q, r)
            if c == d:
                e = min((y - x) % r, (x - y) % r)
                key[p][q] = -1 if 2 * e == r else (c * cols + c) * r + e
            else:
                if c > d:
                    c, x, d, y = d, y, c, x
                key[p][q] = (c * cols + d) * r + (y - x) % r
    return key


class _Base:
    """Base rounds (lists of tables of points) and how often each difference is used."""

    def __init__(self, shape: Shape, rounds: list[list[list[int]]]) -> None:
        self.shape = shape
        self.rounds = rounds
        self.key = _keys(shape)
        size = shape.columns * shape.cycle * shape.columns + shape.fixed * shape.columns + 1
        self.count = [0] * size  # the last slot collects keys -1 (Python's index -1)
        self.cost = 0
        for blocks in rounds:
            for block in blocks:
                for x, p in enumerate(block):
                    for q in block[x + 1 :]:
                        self.cost += self._add(self.key[p][q], 1)

    def _add(self, key: int, step: int) -> int:
        if key == -1:
            self.count[-1] += step
            return step * self.shape.cycle
        before = self.count[key]
        self.count[key] = before + step
        return max(0, before + step - 1) - max(0, before - 1)

    def delta(self, blocks: list[list[int]], a: int, i: int, b: int, j: int) -> int:
        """Collisions change of swapping ``blocks[a][i]`` and ``blocks[b][j]``."""
        key, count, cycle = self.key, self.count, self.shape.cycle
        ba, bb = blocks[a], blocks[b]
        p, q = ba[i], bb[j]
        change: dict[int, int] = {}
        kp, kq = key[p], key[q]
        for x in ba:
            if x != p:
                change[kp[x]] = change.get(kp[x], 0) - 1
                change[kq[x]] = change.get(kq[x], 0) + 1
        for y in bb:
            if y != q:
                change[kq[y]] = change.get(kq[y], 0) - 1
                change[kp[y]] = change.get(kp[y], 0) + 1
        d = 0
        for k, step in change.items():
            if step:
                if k == -1:
                    d += step * cycle
                else:
                    c = count[k]
                    d += max(0, c + step - 1) - max(0, c - 1)
        return d

    def swap(self, blocks: list[list[int]], a: int, i: int, b: int, j: int) -> None:
        ba, bb = blocks[a], blocks[b]
        p, q = ba[i], bb[j]
        key = self.key
        for x in ba:
            if x != p:
                self.cost += self._add(key[p][x], -1) + self._add(key[q][x], 1)
        for y in bb:
            if y != q:
                self.cost += self._add(key[q][y], -1) + self._add(key[p][y], 1)
        ba[i], bb[j] = q, p

    def conflicted(self) -> list[tuple[int, int, int]]:
        """(base round, table, seat) of movable points in a pair that collides."""
        finite = self.shape.cycle * self.shape.columns
        key, count = self.key, self.count
        out = []
        for r, blocks in enumerate(self.rounds):
            for a, block in enumerate(blocks):
                for i, p in enumerate(block):
                    if p < finite and any(
                        x != p and (key[p][x] == -1 or count[key[p][x]] > 1) for x in block
                    ):
                        out.append((r, a, i))
        return out


def _start(shape: Shape, rng: random.Random) -> list[list[list[int]]]:
    """Base rounds; fixed point f takes fresh columns for its companions in each base round."""
    r, k, finite = shape.cycle, shape.k, shape.cycle * shape.columns
    rounds = []
    for b in range(shape.base):
        columns = [[c * r + x for x in range(r)] for c in range(shape.columns)]
        for column in columns:
            rng.shuffle(column)
        blocks = []
        for f in range(shape.fixed):
            block = [finite + f]
            for c in range(k - 1):
                block.append(columns[(f + b * (k - 1) + c) % shape.columns].pop())
            blocks.append(block)
        rest = [p for column in columns for p in column]
        rng.shuffle(rest)
        blocks += [rest[t : t + k] for t in range(0, len(rest), k)]
        rounds.append(blocks)
    return rounds


def find_base(
    shape: Shape,
    seed: int,
    work: int,
    stop: Callable[[], bool] = lambda: False,
) -> tuple[list[list[list[int]]] | None, int]:
    """Base rounds using each difference at most once (or ``None``), and the work spent."""
    spent = 0
    for used, found in base_search(shape, seed, stop):
        spent += used
        if found is not None or spent >= work:
            return found, spent
    return None, spent


def base_search(
    shape: Shape, seed: int, stop: Callable[[], bool] = lambda: False
) -> Iterator[tuple[int, list[list[list[int]]] | None]]:
    """The search, one step at a time: (work spent by the step, base rounds once found).

    Work counts swap evaluations, each weighted by the table size (its cost);
    a caller may interleave several searches and resume each where it stopped.

    Tabu search: a point in a colliding pair swaps with a point at another
    table of its base round (fixed points never move); ties broken by the
    seeded rng; a fresh start after a long stall. ``stop`` is the wall-clock
    safety stop, polled every 32 iterations.
    """
    rng = random.Random(seed)
    state = _Base(shape, _start(shape, rng))
    finite = shape.cycle * shape.columns
    tabu: dict[tuple[int, int, int], int] = {}
    best, stall = state.cost, 0
    patience = 200 + 20 * shape.people
    iteration = 0
    while True:
        iteration += 1
        if not state.cost:
            yield 0, state.rounds
            return
        if iteration % 32 == 0 and stop():
            return
        spent = shape.people * shape.k
        if stall > patience:
            state = _Base(shape, _start(shape, rng))
            best, stall, tabu = state.cost, 0, {}
        chosen: list[tuple[int, int, int, int]] = []
        chosen_d = 0
        for r, a, i in state.conflicted():
            blocks = state.rounds[r]
            p = blocks[a][i]
            for b, block in enumerate(blocks):
                if b == a:
                    continue
                p_banned = tabu.get((r, p, b), 0) > iteration
                spent += 2 * shape.k * len(block)
                for j, q in enumerate(block):
                    if q >= finite:
                        continue
                    d = state.delta(blocks, a, i, b, j)
                    if chosen and d > chosen_d:
                        continue
                    banned = p_banned or tabu.get((r, q, a), 0) > iteration
                    if banned and state.cost + d >= best:
                        continue
                    if not chosen or d < chosen_d:
                        chosen, chosen_d = [(r, a, i, b, j)], d  # type: ignore[list-item]
                    else:
                        chosen.append((r, a, i, b, j))  # type: ignore[arg-type]
        yield spent, None
        if not chosen:
            stall += 1
            continue
        r, a, i, b, j = chosen[rng.randrange(len(chosen))]  # type: ignore[misc]
        blocks = state.rounds[r]
        p, q = blocks[a][i], blocks[b][j]
        state.swap(blocks, a, i, b, j)
        tabu[r, p, a] = tabu[r, q, b] = iteration + 2 + rng.randrange(6)
        if state.cost < best:
            best, stall = state.cost, 0
        else:
            stall += 1
