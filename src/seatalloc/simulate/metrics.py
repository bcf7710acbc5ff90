"""Metrics of one allocation as one flat record, and their summary over replications.

Counts that :meth:`Allocation.metrics` already computes are taken from it
(one place per rule); this module adds what a simulation compares: shares,
spreads across groups and how far down the queue seats went.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from seatalloc.allocation import Allocation

__all__ = ["Recorder", "allocation_metrics", "gini", "interval", "metrics_recorder", "summarize"]


def gini(values: Sequence[float]) -> float:
    """Gini coefficient: 0 when all values are equal, towards 1 when one holds everything.

    ``sum |x_i - x_j| / (2 n^2 mean)`` over all pairs, computed from the sorted
    values as ``2 sum(i x_(i)) / (n sum x) - (n + 1) / n``; 0 for no values or
    an all-zero list.
    """
    n = len(values)
    total = sum(values)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum(i * x for i, x in enumerate(sorted(values), start=1))
    return 2.0 * weighted / (n * total) - (n + 1) / n


Recorder = Callable[[Allocation], dict[str, Any]]
"""A function giving one allocation's metrics record."""


def allocation_metrics(allocation: Allocation, roles: Sequence[str] = ()) -> dict[str, Any]:
    """One flat record of an allocation's metrics (definitions in docs/simulate.md).

    Per-group figures cover the groups that sent at least one request.
    ``roles`` fixes the ``role_mix`` columns, so every record has the same keys.
    """
    return metrics_recorder(roles)(allocation)


class _Names(dict[Any, str]):
    """Column names made on first use, then shared by every record that has them."""

    def __init__(self, make: Callable[[Any], str]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, key: Any) -> str:
        name = self[key] = self._make(key)
        return name


def metrics_recorder(roles: Sequence[str] = ()) -> Recorder:
    """:func:`allocation_metrics` with ``roles`` for many allocations, column names made once.

    A simulation records thousands of allocations of one scenario: the
    names of the per-session, per-group and role-mix columns are built once
    and the same string objects shared, which also lets pickle send each
    name once per chunk of records instead of once per record.
    """
    fixed = list(roles)
    filled = _Names(lambda session: f"filled.{session}")
    seats_of = _Names(lambda group: f"seats.{group}")
    mixed = _Names(lambda key: f"role_mix.{key[0]}.{key[1]}")

    def record(allocation: Allocation) -> dict[str, Any]:
        problem = allocation.problem
        base = allocation.metrics()
        seated = base["seated"]
        groups = base["groups"]
        seats: list[int] = []
        fully_seated = 0
        for counts in groups.values():
            if counts["requested"]:
                seats.append(counts["seated"])
                fully_seated += counts["seated"] == counts["requested"]
        assignments = allocation.assignments
        ids = problem.order.ids
        last_rank = next(
            (i for i in range(len(ids), 0, -1) if assignments.get(ids[i - 1]) is not None), None
        )
        row: dict[str, Any] = {
            "requests": base["requests"],
            "seats_filled": seated,
            "empty_seats": base["empty_seats"],
            "waitlisted": base["waitlisted"],
            "groups_requesting": len(seats),
            "groups_split": base["groups_split"],
            "groups_fully_seated": fully_seated,
            "seats_per_group_min": min(seats, default=0),
            "seats_per_group_max": max(seats, default=0),
            "seats_per_group_gini": gini(seats),
            "first_choice_rate": base["first_choice"] / seated if seated else None,
            "last_seated_rank": last_rank,
        }
        for session, count in base["seats_filled"].items():
            row[filled[session]] = count
        for group in problem.groups:
            row[seats_of[group.id]] = groups[group.id]["seated"]
        role_mix = base["role_mix"]
        names = fixed or sorted({r for mix in role_mix.values() for r in mix})
        for session, mix in role_mix.items():
            for role in names:
                row[mixed[session, role]] = mix.get(role, 0)
        return row

    return record


# Student t quantiles t(0.975, df) for df = 1..30; beyond, the Cornish-Fisher
# expansion below is within 0.001 of the exact value.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def _t975(df: int) -> float:
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def interval(values: Sequence[float]) -> dict[str, Any]:
    """Mean and 95 % confidence interval of the mean: ``mean +- t(0.975, n-1) * sd / sqrt(n)``.

    Student t with the sample standard deviation (n - 1). With fewer than two
    values the interval is undefined (``None``).
    """
    n = len(values)
    if n == 0:
        return {"n": 0, "mean": None, "sd": None, "low": None, "high": None}
    mean = statistics.fmean(values)
    if n == 1:
        return {"n": 1, "mean": mean, "sd": None, "low": None, "high": None}
    sd = statistics.stdev(values, mean)
    half = _t975(n - 1) * sd / math.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "low": mean - half, "high": mean + half}


def summarize(
    records: Iterable[Mapping[str, Any]], by: Sequence[str], skip: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """One row per (``by`` values, metric): n, mean, sd and the 95 % interval.

    Every numeric column not in ``by`` or ``skip`` is a metric; ``None``
    values (a rate with nothing to divide) are left out of that metric's n.
    Rows keep the order in which groups and metrics first appear.
    """
    exclude = set(by) | set(skip)
    columns: dict[tuple[Any, ...], dict[str, list[float]]] = {}
    for record in records:
        key = tuple(record[b] for b in by)
        metrics = columns.setdefault(key, {})
        for name, value in record.items():
            if name in exclude or isinstance(value, bool | str):
                continue
            values = metrics.setdefault(name, [])
            if isinstance(value, int | float):
                values.append(value)
    return [
        {**dict(zip(by, key, strict=True)), "metric": name, **interval(values)}
        for key, metrics in columns.items()
        for name, values in metrics.items()
    ]
