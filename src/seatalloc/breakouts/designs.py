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

Ten rounds for those 32 (8-4-10) lie beyond it: after its 8 transversal
rounds only pairs within a column of 8 are fresh, and no two rounds of tables
of 4 within 8 people repeat no pair. :mod:`.doubled` builds them.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["most_rounds", "resolvable_plan"]


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
