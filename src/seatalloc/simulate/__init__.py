"""Demand simulation: sample requests, allocate under several policies, compare metrics.

See docs/simulate.md for the demand model, the metrics' definitions and how
to read the summary.
"""

from seatalloc.simulate.metrics import (
    allocation_metrics,
    gini,
    interval,
    metrics_recorder,
    summarize,
)
from seatalloc.simulate.runner import (
    POLICIES,
    SimulationResult,
    replication_seed,
    simulate,
    sweep,
    sweep_values,
)

__all__ = [
    "POLICIES",
    "SimulationResult",
    "allocation_metrics",
    "gini",
    "interval",
    "metrics_recorder",
    "replication_seed",
    "simulate",
    "summarize",
    "sweep",
    "sweep_values",
]
