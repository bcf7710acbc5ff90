"""Plans where nobody meets twice, built from finite fields (resolvable transversal designs).

For ``k * q`` people at ``q`` tables of ``k`` with ``q`` a prime power and
``k <= q``, name each person ``(i, x)``: a column ``i < k`` and an element
``x`` of the field GF(q). Pick distinct field elements ``t_0 .. t_{k-1}``. In
round ``m`` (a field element) person ``(i, x)`` sits at table
``x - m * t_i``. Two people of different columns meet in exactly one round
(the line through two points with distinct ``t``), two of one column never,
so the ``q`` rounds repeat no pair. When ``k`` divides ``q`` one more round
seats each column in tables of ``k``: those pairs have not met yet.

This reaches ``q + 1`` rounds for the classic 32 golfers in tables of 4
(8-4-9), an instance local search finds only with luck.

Ten rounds for those 32 (8-4-10, solved by Aguado in 2004) lie beyond any
finite-field design (after its 8 transversal rounds only pairs within a
column are left, and no two rounds of tables of 4 within 8 people repeat no
pair). :func:`golfers_32` develops them from stored base blocks under the
group Z_2^3; see :data:`_GOLFERS_32` for where they came from.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["golfers_32", "most_rounds", "resolvable_plan"]


def _prime_power(q: int) -> tuple[int, int] | None:
    """``(p, m)`` with ``q == p**m`` for a prime ``p``, else ``None``."""
    if q < 2:
        return None
    p = next(d for d in range(2, q + 1) if q % d == 0)
    m, rest = 0, q
    while rest % p == 0:
        rest //= p
        m += 1
    return (p, m) if rest == 1 else None


class _Field:
    """GF(p**m), elements as integers whose base-p digits are polynomial coefficients."""

    def __init__(self, p: int, m: int) -> None:
        self.p, self.m, self.q = p, m, p**m
        self.modulus = self._primitive_polynomial()

    def _digits(self, a: int) -> list[int]:
        return [(a // self.p**d) % self.p for d in range(self.m)]

    def _number(self, digits: Sequence[int]) -> int:
        return sum(c * self.p**d for d, c in enumerate(digits))

    def add(self, a: int, b: int) -> int:
        return self._number(
            [(x + y) % self.p for x, y in zip(self._digits(a), self._digits(b), strict=True)]
        )

    def neg(self, a: int) -> int:
        return self._number([(-x) % self.p for x in self._digits(a)])

    def mul(self, a: int, b: int, modulus: Sequence[int] | None = None) -> int:
        """Product of polynomials reduced by the monic ``modulus`` (low coefficients first)."""
        modulus = self.modulus if modulus is None else modulus
        product = [0] * (2 * self.m)
        for i, x in enumerate(self._digits(a)):
            for j, y in enumerate(self._digits(b)):
                product[i + j] = (product[i + j] + x * y) % self.p
        for d in range(2 * self.m - 1, self.m - 1, -1):
            c = product[d]
            if c:
                for j in range(self.m + 1):
                    product[d - self.m + j] = (product[d - self.m + j] - c * modulus[j]) % self.p
        return self._number(product[: self.m])

    def _primitive_polynomial(self) -> list[int]:
        """A monic polynomial of degree m in which x generates every non-zero element."""
        if self.m == 1:
            return [0, 1]  # GF(p): arithmetic modulo p, x is never used
        x = self.p  # the element "x" (digit 1 at degree 1)
        for low in range(self.p**self.m):
            modulus = [*self._digits(low), 1]
            seen, power = set(), 1
            for _ in range(self.q - 1):
                power = self.mul(power, x, modulus)
                seen.add(power)
            if len(seen) == self.q - 1 and power == 1:
                return modulus
        raise AssertionError(f"no primitive polynomial for GF({self.q})")  # pragma: no cover


def most_rounds(people: int, sizes: Sequence[int]) -> int:
    """How many rounds :func:`resolvable_plan` can build for these tables (0: none)."""
    q, k = len(sizes), sizes[0] if sizes else 0
    if any(size != k for size in sizes) or k < 2 or k > q or people != k * q:
        return 0
    if _prime_power(q) is None:
        return 0
    return q + (1 if q % k == 0 else 0)


def resolvable_plan(people: int, sizes: Sequence[int], rounds: int) -> list[list[int]] | None:
    """Per round, each person's table, nobody meeting twice; ``None`` when out of reach.

    Person ``i * q + x`` is ``(i, x)`` in the module's construction: the first
    round seats together the people with the same element ``x``.
    """
    if not 0 < rounds <= most_rounds(people, sizes):
        return None
    q, k = len(sizes), sizes[0]
    p, m = _prime_power(q)  # type: ignore[misc]
    field = _Field(p, m)
    plan = []
    for r in range(min(rounds, q)):
        shift = [field.neg(field.mul(r, i)) for i in range(k)]  # -m * t_i with t_i = i
        plan.append([field.add(x, shift[i]) for i in range(k) for x in range(q)])
    if rounds > q:  # each column split into tables of k
        plan.append([i * (q // k) + x // k for i in range(k) for x in range(q)])
    return plan


# Z_2^3 acts on person 8 * c + v (column c < 4, v in 0..7) by v -> v XOR g.
_GROUP = frozenset(range(8))
_GOLFERS_32: tuple[tuple[frozenset[int], tuple[tuple[int, int, int, int], ...]], ...] = (
    (_GROUP, ((0, 2, 5, 7), (8, 13, 18, 23), (24, 27, 29, 30))),
    (_GROUP, ((0, 9, 17, 24),)),
    (_GROUP, ((0, 14, 16, 26),)),
    (_GROUP, ((0, 1, 30, 31), (8, 9, 10, 11), (16, 17, 22, 23))),
    (frozenset({0, 2, 4, 6}), ((0, 8, 21, 29), (1, 7, 11, 13), (16, 18, 28, 30))),
    (frozenset({0, 2, 4, 6}), ((0, 11, 18, 25), (1, 12, 23, 26))),
    (frozenset({0, 3, 4, 7}), ((0, 3, 20, 23), (1, 14, 18, 29), (8, 15, 24, 31))),
)
"""Base blocks of a 10-round plan for 32 people at 8 tables of 4 (a resolvable
4-GDD of type 2^16: everyone meets everyone but their mate ``v XOR 4`` once).

Each entry is a stabiliser S (a subgroup of Z_2^3) and base blocks: one round
is the blocks' images under S; when S is a subgroup of order 4 the images of
that round under ``v XOR 1`` give a second round. So 4 rounds fixed by the
whole group and 3 pairs of rounds: 10.

Where they came from: the automorphism group of a published 8-4-10 schedule
(computed for this library) is Z_2^3 acting this way, with these round
stabilisers. CP-SAT (OR-Tools 9.15, 2 workers, seed 0) on the full 10-round
model (each pair except mates together exactly once) with that symmetry
imposed found this plan in 30 s (9 deterministic seconds); the blocks above
are its orbit representatives. :func:`golfers_32` rebuilds the rounds and the
tests check every pair.
"""


def golfers_32(people: int, sizes: Sequence[int], rounds: int) -> list[list[int]] | None:
    """Up to 10 rounds for 32 people at 8 tables of 4 nobody meeting twice; else ``None``."""
    if people != 32 or list(sizes) != [4] * 8 or not 0 < rounds <= 10:
        return None
    plan = []
    for stabiliser, blocks in _GOLFERS_32:
        shifts = (0,) if stabiliser == _GROUP else (0, 1)
        for shift in shifts:
            images = {
                tuple(sorted(p ^ g ^ shift for p in block)) for block in blocks for g in stabiliser
            }
            tables = [0] * people
            for t, block in enumerate(sorted(images)):
                for p in block:
                    tables[p] = t
            plan.append(tables)
    return plan[:rounds]
