"""A pytest plugin (entry point ``pytest11``): fairness checks as one assertion.

Installed with seatalloc, so every pytest run in an environment that has it
loads this module: it imports nothing heavy (no hypothesis, no solver). Use
the fixture or the function::

    def test_my_allocator_is_fair(assert_fair):
        problem = my_problem()
        assert_fair(problem, my_allocator(problem))

    from seatalloc.pytest_plugin import assert_fair   # the same, without pytest's fixture
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pytest

from seatalloc.allocation import Allocation
from seatalloc.fairness import CHECKS, violations
from seatalloc.model import Problem

__all__ = ["AssertFair", "assert_fair"]

AssertFair = Callable[..., None]


def assert_fair(
    problem: Problem,
    allocation: Allocation | Mapping[str, str | None],
    *,
    checks: Iterable[str] = CHECKS,
) -> None:
    """Raise ``AssertionError`` listing every violation of ``checks`` (all by default).

    The message names request ids, sessions and quotas (never personal data),
    one violation a line, so a failing test says exactly what broke.
    """
    found = violations(problem, allocation, checks=checks)
    if found:
        lines = [f"{len(found)} fairness violation{'s' if len(found) != 1 else ''}:"]
        lines += [f"  {v.kind}: {v.message}" for v in found]
        raise AssertionError("\n".join(lines))


@pytest.fixture(name="assert_fair")
def assert_fair_fixture() -> AssertFair:
    """The :func:`assert_fair` check, as a fixture named ``assert_fair``."""
    return assert_fair
