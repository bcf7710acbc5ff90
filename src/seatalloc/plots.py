"""Plots of simulation results, written as PNG or SVG (extra ``plot``: matplotlib).

matplotlib is imported only when a plot is drawn. Figures are built with
``matplotlib.figure.Figure`` and saved through its own canvas, never through
``pyplot``: no global backend or state changes, no window opens.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seatalloc._extras import require
from seatalloc.errors import FieldError
from seatalloc.simulate import SimulationResult

__all__ = ["COMPARED", "check_plot", "plot_policies", "plot_seats_per_group", "plot_sweep"]

COMPARED = ("seats_filled", "waitlisted", "groups_split", "first_choice_rate")
"""The metrics :func:`plot_policies` shows unless told otherwise."""

_FORMATS = (".png", ".svg")


def check_plot(path: str | os.PathLike[str], feature: str = "plotting") -> Any:
    """The ``matplotlib.figure`` module, after checking that ``path`` ends in .png or .svg.

    Callers check before long work, so a typo or a missing extra fails at once.
    """
    if Path(path).suffix.lower() not in _FORMATS:
        raise FieldError("plot", str(path), "path", str(path), "must end in .png or .svg")
    return require("matplotlib.figure", "plot", feature)


def _figure(path: str | os.PathLike[str], feature: str, width: float, height: float) -> Any:
    figure_module = check_plot(path, feature)
    return figure_module.Figure(figsize=(width, height), layout="constrained")


def _rows(result: SimulationResult, metric: str) -> list[dict[str, Any]]:
    rows = [r for r in result.summary() if r["metric"] == metric]
    if not rows:
        raise FieldError("plot", None, "metric", metric, "must be a metric of the result")
    return rows


def _errors(rows: Sequence[dict[str, Any]]) -> list[list[float]]:
    """Error bar lengths below and above each mean (0 where the interval is undefined)."""
    low = [r["mean"] - r["low"] if r["low"] is not None else 0.0 for r in rows]
    high = [r["high"] - r["mean"] if r["high"] is not None else 0.0 for r in rows]
    return [low, high]


def plot_policies(
    result: SimulationResult, path: str | os.PathLike[str], metrics: Sequence[str] = COMPARED
) -> Path:
    """One panel per metric: each policy's mean with its 95 % interval as an error bar."""
    figure = _figure(path, "plotting a policy comparison", 3.2 * len(metrics), 3.4)
    axes = figure.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics, strict=True):
        rows = [r for r in _rows(result, metric) if r["mean"] is not None]
        names = [r["policy"] for r in rows]
        ax.bar(names, [r["mean"] for r in rows], yerr=_errors(rows), capsize=4, color="#4c78a8")
        ax.set_title(metric.replace("_", " "))
        ax.tick_params(axis="x", labelrotation=30)
    figure.suptitle(f"Policies compared: mean and 95 % interval, {result.runs} runs")
    figure.savefig(path)
    return Path(path)


def plot_sweep(
    result: SimulationResult, path: str | os.PathLike[str], metric: str = "waitlisted"
) -> Path:
    """The metric's mean against the swept parameter, one line per policy, 95 % band shaded."""
    param = result.param
    if param is None:
        raise FieldError("plot", None, "param", None, "must be a sweep result")
    figure = _figure(path, "plotting a sweep", 6.0, 4.0)
    ax = figure.subplots()
    rows = [r for r in _rows(result, metric) if r["mean"] is not None]
    for policy in result.policies:
        mine = sorted((r for r in rows if r["policy"] == policy), key=lambda r: r[param])
        xs = [r[param] for r in mine]
        ax.plot(xs, [r["mean"] for r in mine], marker="o", label=policy)
        banded = [r for r in mine if r["low"] is not None]
        ax.fill_between(
            [r[param] for r in banded],
            [r["low"] for r in banded],
            [r["high"] for r in banded],
            alpha=0.2,
        )
    ax.set_xlabel(param)
    ax.set_ylabel(metric.replace("_", " "))
    ax.legend()
    ax.set_title(f"{metric.replace('_', ' ')} by {param}: mean and 95 % interval")
    figure.savefig(path)
    return Path(path)


def plot_seats_per_group(result: SimulationResult, path: str | os.PathLike[str]) -> Path:
    """Mean seats per group, bars side by side per policy (a sweep uses its first point)."""
    groups = [m[len("seats.") :] for m in result.records[0] if m.startswith("seats.")]
    figure = _figure(path, "plotting seats per group", max(6.0, 0.45 * len(groups)), 4.0)
    ax = figure.subplots()
    summary = result.summary()
    if result.param is not None:
        first = result.records[0][result.param]
        summary = [r for r in summary if r[result.param] == first]
    width = 0.8 / len(result.policies)
    for k, policy in enumerate(result.policies):
        rows = {r["metric"]: r for r in summary if r["policy"] == policy}
        chosen = [rows[f"seats.{g}"] for g in groups]
        xs = [i + (k - (len(result.policies) - 1) / 2) * width for i in range(len(groups))]
        ax.bar(xs, [r["mean"] for r in chosen], width, yerr=_errors(chosen), label=policy)
    ax.set_xticks(range(len(groups)), groups, rotation=60, ha="right")
    ax.set_ylabel("seats (mean)")
    ax.legend()
    ax.set_title(f"Seats per group: mean and 95 % interval, {result.runs} runs")
    figure.savefig(path)
    return Path(path)
