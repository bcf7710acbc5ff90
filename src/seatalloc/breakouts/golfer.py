"""Mixing alone (the social golfer problem): tabu search over swaps of people in conflict.

Used when people differ only by id, so mixing is the only rule besides table
sizes. The method follows Dotú and Van Hentenryck's local search for social
golfers, started from Triska and Musliu's greedy rounds:

- cost: the sum over pairs of ``max(0, m - 1)`` for ``m`` meetings, zero
  exactly when nobody meets twice;
- a person is *in conflict* in a round when someone at their table meets them
  more than once; a move swaps a person in conflict with anyone at another
  table of the same round, so table sizes always hold;
- per round and person, ``once[r][i*T + t]`` (``twice``) counts the people at
  table t that i meets at least once (twice), so a swap's cost change is O(1)
  and applying it costs O(n + table size x rounds);
- tabu: a person may not return to the table they left for a random tenure,
  unless the swap beats the best plan; stalled, the best plan is perturbed by a
  few random swaps; after several fruitless perturbations, a fresh greedy start;
- greedy rounds: each table is filled with the unseated person who has met
  the fewest of those already there, ties broken by a seeded shuffle;
- symmetry breaking: round 1 seats people in index order (tables of
  consecutive people); when tables are equal and no larger than the number of
  tables, the people of round 1's first table sit at tables 1, 2, ... in
  round 2 (they must part anyway), and none of them moves there.

Given ``prefix`` rounds (a construction's, see :mod:`.constructions`), those
rounds never move and the search only seats the rounds after them.

Deterministic for a seed: the work budget counts swap evaluations; the
wall-clock ``stop`` is only a safety stop, reported when it fires.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import attrs

from seatalloc.breakouts._instance import Instance
from seatalloc.breakouts.model import Mixing
from seatalloc.budget import Progress

__all__ = ["GolferResult", "applies", "golfer_search"]

# Iterations without a new best plan before a perturbation, and perturbations
# without a new best plan before a fresh greedy start.
_STALL = 300
_PERTURBATIONS = 30
_TMIN = 1
_TSPAN = 4


@attrs.frozen
class GolferResult:
    """The best plan found, its excess meetings, and why the search stopped."""

    assignment: tuple[tuple[int, ...], ...]
    excess: int
    """Sum over pairs of meetings beyond the first (0: nobody meets twice)."""
    stopped: str
    """``bound`` (nobody meets twice), ``work`` or ``time``."""
    iterations: int
    work: int
    """Swap evaluations spent."""


def applies(instance: Instance) -> bool:
    """Whether meetings can be searched alone: mixing counts, never twice is not ruled out,
    and no pin or pair rule ties anyone down (roles and colleagues are mapped afterwards)."""
    return (
        not instance.together
        and not instance.apart
        and all(t is None for t in instance.pin)
        and instance.rounds > 1
        and instance.rules.mixing is not Mixing.IGNORE
        and instance.sizes[0] > 1
        and instance.never_twice_obstacle() is None
    )


class _Golfers:
    """Seats per round with meeting counts and the per-table counters a swap's cost needs."""

    def __init__(self, instance: Instance, prefix: Sequence[Sequence[int]] = ()) -> None:
        self.n, self.width, self.rounds = instance.n, instance.tables, instance.rounds
        self.sizes = instance.sizes
        first: list[int] = []
        for t, size in enumerate(self.sizes):
            first += [t] * size
        self.prefix = [list(tables) for tables in prefix] or [first]
        # fixed[r]: people that never move in round r (all of the prefix; without one,
        # round 2's first table too).
        kept = len(self.prefix)
        self.fixed = [set(range(self.n)) for _ in range(kept)]
        self.fixed += [set() for _ in range(self.rounds - kept)]
        if not prefix and len(set(self.sizes)) == 1 and self.sizes[0] <= self.width:
            self.fixed[1] = set(range(self.sizes[0]))
        self.movable = [[i for i in range(self.n) if i not in fixed] for fixed in self.fixed]
        self.table_of: list[list[int]] = []
        self.members: list[list[list[int]]] = []
        self.meet: list[int] = []
        self.once: list[list[int]] = []
        self.twice: list[list[int]] = []
        self.excess = 0

    def greedy(self, rng: random.Random) -> list[list[int]]:
        """The prefix (or round 1 in index order); each later round filled with fresh faces."""
        n = self.n
        meet = [0] * (n * n)
        plan = [list(t) for t in self.prefix]
        for tables in plan:
            for a in range(n):
                for b in range(n):
                    if a != b and tables[a] == tables[b]:
                        meet[a * n + b] += 1
        for r in range(len(plan), self.rounds):
            seats: list[list[int]] = [[] for _ in self.sizes]
            for i in sorted(self.fixed[r]):
                seats[i].append(i)
            waiting = list(self.movable[r])
            rng.shuffle(waiting)
            for t, size in enumerate(self.sizes):
                table = seats[t]
                while len(table) < size:
                    pick = min(
                        range(len(waiting)),
                        key=lambda k: sum(meet[waiting[k] * n + x] for x in table),
                    )
                    table.append(waiting.pop(pick))
            tables = [0] * n
            for t, people in enumerate(seats):
                for x, a in enumerate(people):
                    tables[a] = t
                    for b in people[x + 1 :]:
                        meet[a * n + b] += 1
                        meet[b * n + a] += 1
            plan.append(tables)
        return plan

    def load(self, plan: list[list[int]]) -> None:
        """Set the plan and recompute meetings, counters and the excess."""
        n, width = self.n, self.width
        self.table_of = [list(tables) for tables in plan]
        self.members = []
        meet = self.meet = [0] * (n * n)
        for tables in self.table_of:
            members: list[list[int]] = [[] for _ in self.sizes]
            for i, t in enumerate(tables):
                members[t].append(i)
            self.members.append(members)
            for people in members:
                for x, a in enumerate(people):
                    for b in people[x + 1 :]:
                        meet[a * n + b] += 1
                        meet[b * n + a] += 1
        self.excess = sum(m - 1 for m in meet if m > 1) // 2
        self.once, self.twice = [], []
        for tables in self.table_of:
            once, twice = [0] * (n * width), [0] * (n * width)
            for i in range(n):
                row = i * n
                for x in range(n):
                    m = meet[row + x]
                    if m and x != i:
                        once[i * width + tables[x]] += 1
                        if m > 1:
                            twice[i * width + tables[x]] += 1
            self.once.append(once)
            self.twice.append(twice)

    def _change(self, a: int, b: int, step: int) -> None:
        """Add ``step`` (+1 or -1) to the meetings of a and b and to every counter it crosses."""
        n, width = self.n, self.width
        before = self.meet[a * n + b]
        after = before + step
        self.meet[a * n + b] = self.meet[b * n + a] = after
        low = min(before, after)  # the threshold crossed: 0->1 (once) or 1->2 (twice)
        if low > 1:
            self.excess += step
            return
        if low == 1:
            self.excess += step
        counters = self.once if low == 0 else self.twice
        aw, bw = a * width, b * width
        for tables, counter in zip(self.table_of, counters, strict=True):
            counter[aw + tables[b]] += step
            counter[bw + tables[a]] += step

    def swap(self, r: int, p: int, q: int) -> None:
        """Swap p and q (at different tables) in round r, keeping every counter exact."""
        n, width = self.n, self.width
        tables = self.table_of[r]
        a, b = tables[p], tables[q]
        at, bt = self.members[r][a], self.members[r][b]
        # Meetings first, with the seats as they are, then the seats themselves.
        for x in at:
            if x != p:
                self._change(p, x, -1)
                self._change(q, x, 1)
        for y in bt:
            if y != q:
                self._change(q, y, -1)
                self._change(p, y, 1)
        meet, once, twice = self.meet, self.once[r], self.twice[r]
        for z in range(n):
            zp, zq = meet[z * n + p], meet[z * n + q]
            if zp != zq:
                up = (zq > 0) - (zp > 0)
                once[z * width + a] += up
                once[z * width + b] -= up
                up = (zq > 1) - (zp > 1)
                twice[z * width + a] += up
                twice[z * width + b] -= up
        at[at.index(p)] = q
        bt[bt.index(q)] = p
        tables[p], tables[q] = b, a

    def delta(self, r: int, p: int, q: int) -> int:
        """Excess change of swapping p and q (at different tables) in round r."""
        width, tables = self.width, self.table_of[r]
        once, twice = self.once[r], self.twice[r]
        a, b = tables[p], tables[q]
        known = 2 * (self.meet[p * self.n + q] > 0)
        return (
            once[p * width + b] + once[q * width + a]
            - twice[p * width + a] - twice[q * width + b] - known
        )  # fmt: skip


def golfer_search(
    instance: Instance,
    seed: int = 0,
    work: int = 10**6,
    stop: Callable[[], bool] = lambda: False,
    prefix: Sequence[Sequence[int]] = (),
    progress: Callable[[Progress], None] | None = None,
) -> GolferResult:
    """Search for a plan where nobody meets twice, keeping ``prefix``; the best plan found.

    ``work`` caps the swap evaluations (deterministic); ``stop`` is polled as a safety stop.
    """
    rng = random.Random(seed)
    state = _Golfers(instance, prefix)
    n, width = state.n, state.width
    state.load(state.greedy(rng))
    best_excess, best = state.excess, [list(t) for t in state.table_of]
    tabu = [[0] * (n * width) for _ in range(state.rounds)]
    rounds = range(1, state.rounds)
    stall = perturbations = iteration = spent = 0
    stopped = "work"
    while best_excess:
        if spent >= work:
            break
        if iteration % 128 == 0:
            if stop():
                stopped = "time"
                break
            if progress is not None and iteration % 4096 == 0:
                progress(Progress("golfer search", best_excess, 0, detail="excess meetings"))
        iteration += 1
        chosen, evaluated = _best_move(state, rounds, tabu, iteration, best_excess, rng)
        spent += evaluated + 1
        if chosen is None or stall > _STALL:
            spent += n * n * state.rounds  # reloading a plan
            perturbations += 1
            if perturbations > _PERTURBATIONS:
                state.load(state.greedy(rng))
                perturbations = 0
            else:
                state.load(best)
                _perturb(state, rng, rounds)
            tabu = [[0] * (n * width) for _ in range(state.rounds)]
            stall = 0
            continue
        r, p, q = chosen
        a, b = state.table_of[r][p], state.table_of[r][q]
        state.swap(r, p, q)
        tenure = _TMIN + rng.randrange(_TSPAN)
        tabu[r][p * width + a] = iteration + tenure
        tabu[r][q * width + b] = iteration + tenure
        if state.excess < best_excess:
            best_excess, best = state.excess, [list(t) for t in state.table_of]
            stall = perturbations = 0
        else:
            stall += 1
    if not best_excess:
        stopped = "bound"
    return GolferResult(
        assignment=tuple(tuple(t) for t in best),
        excess=best_excess,
        stopped=stopped,
        iterations=iteration,
        work=spent,
    )


def _best_move(
    state: _Golfers,
    rounds: range,
    tabu: list[list[int]],
    iteration: int,
    best_excess: int,
    rng: random.Random,
) -> tuple[tuple[int, int, int] | None, int]:
    """The best swap of a person in conflict that is not tabu (or beats the best plan).

    Ties are broken uniformly at random (reservoir sampling with the seeded rng).
    Also returns how many swaps were evaluated (the work spent).
    """
    width, n, meet = state.width, state.n, state.meet
    aspire = best_excess - state.excess  # a tabu move is allowed when delta < aspire
    chosen: tuple[int, int, int] | None = None
    chosen_d = 0
    ties = evaluated = 0
    for r in rounds:
        tables, members = state.table_of[r], state.members[r]
        once, twice, banned, fixed = state.once[r], state.twice[r], tabu[r], state.fixed[r]
        for p in state.movable[r]:
            a = tables[p]
            pw = p * width
            leave = twice[pw + a]
            if not leave:
                continue
            pn = p * n
            for b, people in enumerate(members):
                if b == a:
                    continue
                join = once[pw + b] - leave
                p_banned = banned[pw + b] > iteration
                evaluated += len(people)
                for q in people:
                    if q in fixed:
                        continue
                    qw = q * width
                    d = join + once[qw + a] - twice[qw + b] - 2 * (meet[pn + q] > 0)
                    if chosen is not None and d > chosen_d:
                        continue
                    if (p_banned or banned[qw + a] > iteration) and d >= aspire:
                        continue
                    if chosen is None or d < chosen_d:
                        chosen, chosen_d, ties = (r, p, q), d, 1
                    else:
                        ties += 1
                        if rng.randrange(ties) == 0:
                            chosen = (r, p, q)
    return chosen, evaluated


def _perturb(state: _Golfers, rng: random.Random, rounds: range) -> None:
    """A few random swaps of movable people in random rounds."""
    for _ in range(max(2, state.n // 16)):
        r = rng.choice(rounds)
        movable = state.movable[r]
        if len(movable) < 2:
            continue
        p, q = rng.sample(movable, 2)
        if state.table_of[r][p] != state.table_of[r][q]:
            state.swap(r, p, q)
