"""Greedy construction plus tabu search over swaps: plans without OR-Tools, at any size.

The search minimises one weighted sum whose weights make it lexicographic in
the order of :mod:`seatalloc.breakouts.quality` (hard rules, roles,
colleagues, mixing). Mixing is scored as the sum over pairs of C(m, 2) for m
meetings: zero exactly when nobody meets twice, and convex, so it spreads
repeats out (which keeps the most meetings of any pair low).

Moves swap two people at different tables in one round, so table sizes always
hold; pinned people never move. Deterministic for a seed: the work budget
counts swap evaluations; the clock is only a safety stop, reported when it fires.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from math import comb

import attrs

from seatalloc.breakouts._instance import Instance, components
from seatalloc.breakouts.model import Colleagues, Mixing
from seatalloc.breakouts.quality import table_cost
from seatalloc.budget import Progress

__all__ = ["SearchResult", "search"]

# At most this many (round, person) candidates are examined per iteration: all of
# them on small rosters, a seeded sample on large ones so an iteration stays cheap.
_SAMPLE = 48


@attrs.frozen
class SearchResult:
    """A plan, why the search stopped, and the work it spent."""

    assignment: tuple[tuple[int, ...], ...]
    stopped: str
    """``bound`` (reached the lower bound: optimal), ``work`` or ``time``."""
    iterations: int
    work: int
    """Swap evaluations spent."""


class _State:
    """The plan being improved, with the counters a swap's cost change needs."""

    def __init__(self, instance: Instance, target: tuple[int, int, int, int, int]) -> None:
        self.instance = instance
        n, rounds = instance.n, instance.rounds
        mixing = instance.rules.mixing
        cp = instance.colleague_pairs
        # Weights: each level outweighs the whole range of the levels below.
        wm_soft = 1 if mixing is Mixing.FEWEST_REPEATS else 0
        wc = (comb(n, 2) * comb(rounds, 2) + 1) if wm_soft else 1
        wr = (2 * rounds * cp + 1) * wc
        # A table of s is at most 2 s off its shares: the role level's whole range.
        roles_range = rounds * sum(table_cost(2 * s) for s in instance.sizes)
        wh = (roles_range + 1) * wr if instance.rules.balance_roles else wr
        self.wr = wr if instance.rules.balance_roles else 0
        self.wm = wh if mixing is Mixing.NEVER_TWICE else wm_soft
        self.target = target[2] * wc + target[4] * wm_soft
        # Static weight of two people sharing a table in a round.
        self.pair: list[list[int]] = []
        self.partners: list[list[list[int]]] = []
        for r in range(rounds):
            rule = instance.colleagues[r]
            sign = {Colleagues.APART: wc, Colleagues.TOGETHER: -wc}.get(rule, 0)
            weights = [0] * (n * n)
            partners: list[list[int]] = [[] for _ in range(n)]
            if sign:
                for a in range(n):
                    for b in range(n):
                        if a != b and instance.group_of[a] == instance.group_of[b]:
                            weights[a * n + b] = sign
                            if sign < 0:
                                partners[a].append(b)
            for a, b in instance.together:
                weights[a * n + b] -= wh
                weights[b * n + a] -= wh
                partners[a].append(b)
                partners[b].append(a)
            for a, b in instance.apart:
                weights[a * n + b] += wh
                weights[b * n + a] += wh
            self.pair.append(weights)
            self.partners.append(partners)
        # Role deviation of a table holding c people of role k: dev[t][k][c]; a table
        # costs wr * table_cost(its deviation), kept per round in table_dev[r][t].
        self.dev = [
            [[max(0, c - high) + max(0, low - c) for c in range(size + 1)] for low, high in bounds]
            for size, bounds in zip(instance.sizes, instance.role_bounds, strict=True)
        ]
        # cost_of[e]: wr * table_cost(e), looked up (a table is at most 2 s off).
        self.cost_of = [self.wr * table_cost(e) for e in range(2 * instance.sizes[0] + 1)]
        self.movable = [i for i in range(n) if instance.pin[i] is None]
        self.table_of: list[list[int]] = []
        self.members: list[list[list[int]]] = []
        self.role_count: list[list[list[int]]] = []
        self.table_dev: list[list[int]] = []
        self.meet = [0] * (n * n)
        self.attraction: list[list[int]] = []
        self.total = 0

    def load(self, assignment: Sequence[Sequence[int]]) -> None:
        """Set the plan and recompute every counter and the total cost."""
        inst = self.instance
        n, roles, tables_n = inst.n, len(inst.roles), inst.tables
        self.table_of = [list(tables) for tables in assignment]
        self.members = []
        self.role_count = []
        self.table_dev = []
        meet = self.meet = [0] * (n * n)
        total = 0
        for r, tables in enumerate(self.table_of):
            members: list[list[int]] = [[] for _ in inst.sizes]
            counts = [[0] * roles for _ in inst.sizes]
            for i, t in enumerate(tables):
                members[t].append(i)
                counts[t][inst.role_of[i]] += 1
            weights = self.pair[r]
            for people in members:
                for x, a in enumerate(people):
                    for b in people[x + 1 :]:
                        total += weights[a * n + b] + self.wm * meet[a * n + b]
                        meet[a * n + b] += 1
                        meet[b * n + a] += 1
            deviation = [
                sum(self.dev[t][k][c] for k, c in enumerate(row)) for t, row in enumerate(counts)
            ]
            total += sum(self.cost_of[e] for e in deviation)
            self.table_dev.append(deviation)
            self.members.append(members)
            self.role_count.append(counts)
        # attraction[r][i * T + t]: the cost of i's pairs with the people at table t in round r
        # (i itself left out), each pair costing its weight plus wm times its meetings.
        self.attraction = []
        for r, members in enumerate(self.members):
            weights = self.pair[r]
            row = [0] * (n * tables_n)
            for i in range(n):
                base = i * n
                for t, people in enumerate(members):
                    row[i * tables_n + t] = sum(
                        weights[base + x] + self.wm * meet[base + x] for x in people if x != i
                    )
            self.attraction.append(row)
        self.total = total

    def delta(self, r: int, p: int, q: int) -> int:
        """Cost change of swapping p and q (at different tables) in round r."""
        tables_n, wm = self.instance.tables, self.wm
        tables, att = self.table_of[r], self.attraction[r]
        a, b = tables[p], tables[q]
        pt, qt = p * tables_n, q * tables_n
        pq = self.pair[r][p * self.instance.n + q] + wm * self.meet[p * self.instance.n + q]
        d = (
            att[qt + a] - att[pt + a] + att[pt + b] - att[qt + b] - 2 * pq
            + wm * (len(self.members[r][a]) + len(self.members[r][b]) - 2)
        )  # fmt: skip
        kp, kq = self.instance.role_of[p], self.instance.role_of[q]
        if kp != kq and self.wr:
            d += self._roles(r, a, b, kp, kq)
        return d

    def _roles(self, r: int, a: int, b: int, kp: int, kq: int) -> int:
        """Role cost change when a person of role kp at table a and one of kq at b swap."""
        ca, cb, da, db = self.role_count[r][a], self.role_count[r][b], self.dev[a], self.dev[b]
        ea = da[kp][ca[kp] - 1] - da[kp][ca[kp]] + da[kq][ca[kq] + 1] - da[kq][ca[kq]]
        eb = db[kq][cb[kq] - 1] - db[kq][cb[kq]] + db[kp][cb[kp] + 1] - db[kp][cb[kp]]
        la, lb, cost = self.table_dev[r][a], self.table_dev[r][b], self.cost_of
        return cost[la + ea] - cost[la] + cost[lb + eb] - cost[lb]

    def moves(self, r: int, p: int) -> list[tuple[int, int]]:
        """(cost change, q) for every swap of p with a movable q at another table in round r.

        The same sum as :meth:`delta`, with what depends only on p hoisted out.
        """
        inst = self.instance
        n, width, wm, wr = inst.n, inst.tables, self.wm, self.wr
        tables, att, members = self.table_of[r], self.attraction[r], self.members[r]
        weights, meet, role_of = self.pair[r], self.meet, inst.role_of
        a = tables[p]
        pt, pn = p * width, p * n
        leave_p = wm * (len(members[a]) - 1) - att[pt + a]
        kp = role_of[p]
        counts, dev, cost, lin = self.role_count[r], self.dev, self.cost_of, self.table_dev[r]
        ca, da, la = counts[a], dev[a], lin[a]
        # Role change at p's table when p leaves, per role of the newcomer.
        leave_a = da[kp][ca[kp] - 1] - da[kp][ca[kp]]
        out = []
        for q in self.movable:
            b = tables[q]
            if b == a:
                continue
            qt = q * width
            d = (
                leave_p + att[qt + a] + att[pt + b] - att[qt + b] + wm * (len(members[b]) - 1)
                - 2 * (weights[pn + q] + wm * meet[pn + q])
            )  # fmt: skip
            kq = role_of[q]
            if wr and kp != kq:
                cb, db, lb = counts[b], dev[b], lin[b]
                ea = leave_a + da[kq][ca[kq] + 1] - da[kq][ca[kq]]
                eb = db[kq][cb[kq] - 1] - db[kq][cb[kq]] + db[kp][cb[kp] + 1] - db[kp][cb[kp]]
                d += cost[la + ea] - cost[la] + cost[lb + eb] - cost[lb]
            out.append((d, q))
        return out

    def _meetings(self, i: int, people: list[int], step: int) -> None:
        """Add ``step`` to i's meetings with ``people`` (counts and every attraction)."""
        n, tables_n, meet = self.instance.n, self.instance.tables, self.meet
        change = step * self.wm
        for x in people:
            if x == i:
                continue
            meet[i * n + x] += step
            meet[x * n + i] += step
            if change:
                for tables, att in zip(self.table_of, self.attraction, strict=True):
                    att[i * tables_n + tables[x]] += change
                    att[x * tables_n + tables[i]] += change

    def _attract(self, r: int, i: int, t: int, sign: int) -> None:
        """Add (sign 1) or remove (sign -1) i's pairs from the attraction to table t."""
        n, tables_n, wm, meet = self.instance.n, self.instance.tables, self.wm, self.meet
        weights, att = self.pair[r], self.attraction[r]
        base = i * n
        for j in range(n):
            if j != i:
                att[j * tables_n + t] += sign * (weights[base + j] + wm * meet[base + j])

    def swap(self, r: int, p: int, q: int, d: int) -> None:
        """Swap p and q in round r; ``d`` is the cost change :meth:`delta` gave."""
        tables = self.table_of[r]
        a, b = tables[p], tables[q]
        at, bt = self.members[r][a], self.members[r][b]
        # Leave: fewer meetings first, then drop the pairs from the table's attraction.
        self._meetings(p, at, -1)
        self._attract(r, p, a, -1)
        self._meetings(q, bt, -1)
        self._attract(r, q, b, -1)
        at[at.index(p)] = q
        bt[bt.index(q)] = p
        tables[p], tables[q] = b, a
        # Join: add the pairs at their current meetings, then count the new meetings.
        self._attract(r, p, b, 1)
        self._meetings(p, bt, 1)
        self._attract(r, q, a, 1)
        self._meetings(q, at, 1)
        kp, kq = self.instance.role_of[p], self.instance.role_of[q]
        counts = self.role_count[r]
        counts[a][kp] -= 1
        counts[a][kq] += 1
        counts[b][kq] -= 1
        counts[b][kp] += 1
        for t in (a, b):
            self.table_dev[r][t] = sum(self.dev[t][k][c] for k, c in enumerate(counts[t]))
        self.total += d

    def troubled(self, r: int) -> list[int]:
        """Movable people whose seat in round r costs something a swap might remove."""
        tables_n, wm = self.instance.tables, self.wm
        tables, members, partners = self.table_of[r], self.members[r], self.partners[r]
        counts, dev, att = self.role_count[r], self.dev, self.attraction[r]
        short = [any(dev[t][k][c] for k, c in enumerate(row)) for t, row in enumerate(counts)]
        out = []
        for p in self.movable:
            t = tables[p]
            cost = att[p * tables_n + t] - wm * (len(members[t]) - 1)
            if cost > 0 or short[t] or any(tables[x] != t for x in partners[p]):
                out.append(p)
        return out


def _construct(state: _State, rng: random.Random) -> list[list[int]]:
    """Seat round by round: pinned people, then must-together blocks, each where it costs least."""
    inst = state.instance
    n = inst.n
    blocks = components(inst)
    assignment = []
    state.load([])
    for r in range(inst.rounds):
        weights = state.pair[r]
        seats: list[list[int]] = [[] for _ in inst.sizes]
        order = sorted(blocks, key=lambda b: (all(inst.pin[i] is None for i in b), -len(b)))
        head = [b for b in order if len(b) > 1 or inst.pin[b[0]] is not None]
        tail = [b for b in order if len(b) == 1 and inst.pin[b[0]] is None]
        # Interchangeable people: round 1 is seated in id order (the search keeps it).
        canonical = r == 0 and inst.interchangeable
        if not canonical:
            rng.shuffle(tail)
        queue = head + tail
        for block in queue:
            pinned = sorted({t for i in block if (t := inst.pin[i]) is not None})
            options = pinned or range(inst.tables)
            best: list[int] = []
            best_cost = 0
            for t in options:
                if len(seats[t]) + len(block) > inst.sizes[t]:
                    continue
                cost = sum(
                    weights[a * n + x] + state.wm * state.meet[a * n + x]
                    for a in block
                    for x in seats[t]
                )
                # Role balance: prefer tables where the block's roles are scarce.
                cost += state.wr * sum(
                    sum(1 for x in seats[t] if inst.role_of[x] == inst.role_of[a]) for a in block
                )
                if not best or cost < best_cost:
                    best, best_cost = [t], cost
                elif cost == best_cost:
                    best.append(t)
            if not best:
                # The block fits nowhere whole (other blocks took the room): its
                # members are seated one by one and the search repairs the pair.
                queue.extend([i] for i in block)
                continue
            chosen = best[0] if canonical else rng.choice(best)
            for a in block:
                for x in seats[chosen]:
                    state.meet[a * n + x] += 1
                    state.meet[x * n + a] += 1
            seats[chosen].extend(block)
        tables = [0] * n
        for t, people in enumerate(seats):
            for i in people:
                tables[i] = t
        assignment.append(tables)
    return assignment


def search(
    instance: Instance,
    target: tuple[int, int, int, int, int],
    seed: int = 0,
    work: int = 10**6,
    stop: Callable[[], bool] = lambda: False,
    start: Sequence[Sequence[int]] | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> SearchResult:
    """Improve ``start`` (or a greedy plan) by tabu search until it reaches ``target``.

    ``target`` is a lower bound on the objective; reaching it proves the plan
    optimal. Stuck for a while, the search restarts from the best plan with a
    few random swaps. ``work`` caps the swap evaluations (deterministic);
    ``stop`` is the wall-clock safety stop.
    """
    rng = random.Random(seed)
    state = _State(instance, target)
    first = _construct(state, rng) if start is None else [list(t) for t in start]
    state.load(first)
    best_total, best = state.total, [list(t) for t in state.table_of]
    # Symmetry breaking: when people differ only by id, any first round is as
    # good as another, so it is never changed.
    fixed = 1 if instance.interchangeable else 0
    rounds = range(fixed, instance.rounds)
    n, width = instance.n, instance.tables
    # tabu[r][i * T + t]: until which iteration i may not return to table t in round r.
    tabu = [[0] * (n * width) for _ in range(instance.rounds)]
    stall_limit = 200 + 20 * n
    stall = iteration = spent = 0
    stopped = "work"
    while spent < work:
        if state.total <= state.target:
            stopped = "bound"
            break
        if iteration % 64 == 0:
            if stop():
                stopped = "time"
                break
            if progress is not None and iteration % 1024 == 0:
                progress(Progress("tabu search", best_total, state.target, detail="weighted cost"))
        iteration += 1
        spent += n * instance.rounds  # finding the people in trouble
        candidates = [(r, p) for r in rounds for p in state.troubled(r)]
        if len(candidates) > _SAMPLE:
            candidates = rng.sample(candidates, _SAMPLE)
        chosen: tuple[int, int, int] | None = None
        chosen_d = 0
        ties = 0
        for r, p in candidates:
            tables = state.table_of[r]
            a = tables[p]
            banned = tabu[r]
            p_banned = p * width
            moves = state.moves(r, p)
            spent += len(moves)
            for d, q in moves:
                b = tables[q]
                if (
                    banned[p_banned + b] > iteration or banned[q * width + a] > iteration
                ) and state.total + d >= best_total:
                    continue
                if chosen is None or d < chosen_d:
                    chosen, chosen_d, ties = (r, p, q), d, 1
                elif d == chosen_d:
                    ties += 1
                    if rng.randrange(ties) == 0:
                        chosen = (r, p, q)
        if chosen is None or stall > stall_limit:
            spent += n * n * instance.rounds  # reloading the best plan
            _perturb(state, best, rng, rounds)
            tabu = [[0] * (n * width) for _ in range(instance.rounds)]
            stall = 0
            continue
        r, p, q = chosen
        a, b = state.table_of[r][p], state.table_of[r][q]
        state.swap(r, p, q, chosen_d)
        tenure = 5 + rng.randrange(10)
        tabu[r][p * width + a] = iteration + tenure
        tabu[r][q * width + b] = iteration + tenure
        if state.total < best_total:
            best_total, best = state.total, [list(t) for t in state.table_of]
            stall = 0
        else:
            stall += 1
    if best_total <= state.target:
        stopped = "bound"
    return SearchResult(
        assignment=tuple(tuple(t) for t in best), stopped=stopped, iterations=iteration, work=spent
    )


def _perturb(state: _State, best: list[list[int]], rng: random.Random, rounds: range) -> None:
    """Restart from the best plan with a few random swaps."""
    state.load(best)
    if not rounds or len(state.movable) < 2:
        return
    for _ in range(max(2, len(state.movable) // 8)):
        r = rng.choice(rounds)
        p, q = rng.sample(state.movable, 2)
        if state.table_of[r][p] != state.table_of[r][q]:
            state.swap(r, p, q, state.delta(r, p, q))
