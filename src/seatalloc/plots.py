"""Plots of allocations, breakouts, a ledger's waitlist and simulations, as PNG or SVG.

Extra ``plot`` (matplotlib).

matplotlib is imported only when a plot is drawn. Figures are built with
``matplotlib.figure.Figure`` and saved through its own canvas, never through
``pyplot``: no global backend or state changes, no window opens.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seatalloc._extras import require
from seatalloc.allocation import Allocation
from seatalloc.errors import FieldError
from seatalloc.model import Problem
from seatalloc.simulate import SimulationResult

if TYPE_CHECKING:
    from seatalloc.booking import Event
    from seatalloc.breakouts import BreakoutPlan

__all__ = [
    "COMPARED",
    "UNITS",
    "check_plot",
    "group_limit",
    "moves",
    "plot_allocation",
    "plot_breakouts",
    "plot_moves",
    "plot_policies",
    "plot_seats_per_group",
    "plot_sweep",
    "plot_waitlist",
    "waitlist_over_time",
]

COMPARED = ("seats_filled", "waitlisted", "groups_split", "first_choice_rate")
"""The metrics :func:`plot_policies` shows unless told otherwise."""

_FORMATS = (".png", ".svg")
_PANELS_PER_ROW = 3
# Each policy's line gets its own style, so lines that coincide stay visible.
_STYLES = (("o", "-"), ("s", "--"), ("^", ":"), ("D", "-."), ("v", (0, (5, 1))), ("P", "-"))

UNITS = {
    "seats_filled": "seats",
    "empty_seats": "seats",
    "waitlisted": "requests",
    "requests": "requests",
    "groups_split": "groups",
    "groups_requesting": "groups",
    "groups_fully_seated": "groups",
    "first_choice_rate": "share of seated, 0-1",
    "seats_per_group_gini": "Gini, 0-1",
    "last_seated_rank": "rank",
}
"""The unit each simulation metric is counted in (axis labels say it)."""

_RATES = ("first_choice_rate", "seats_per_group_gini")


def _label(metric: str) -> str:
    unit = UNITS.get(metric, "seats" if metric.startswith(("seats", "filled")) else "")
    name = metric.replace("_", " ")
    return f"{name} ({unit})" if unit else name


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


def _errors(
    rows: Sequence[dict[str, Any]], lowest: float = 0.0, highest: Sequence[float] | float = math.inf
) -> list[list[float]]:
    """Error bar lengths below and above each mean, the interval clipped to what is possible.

    A count is never below ``lowest`` nor above ``highest`` (a quota, a capacity,
    1 for a rate), so neither end of its bar is drawn past them; 0 where undefined.
    """
    tops = [highest] * len(rows) if isinstance(highest, int | float) else list(highest)
    low = [r["mean"] - max(r["low"], lowest) if r["low"] is not None else 0.0 for r in rows]
    high = [
        min(r["high"], top) - r["mean"] if r["high"] is not None else 0.0
        for r, top in zip(rows, tops, strict=True)
    ]
    return [low, high]


def group_limit(problem: Problem, group: str) -> int:
    """The most seats ``group`` can hold: its tightest total quota, at most all seats."""
    seats = sum(s.capacity for s in problem.sessions)
    caps = [
        q.limit for q in problem.quotas if q.group == group and q.role is None and not q.per_session
    ]
    return min([seats, *caps])


def plot_policies(
    result: SimulationResult, path: str | os.PathLike[str], metrics: Sequence[str] = COMPARED
) -> Path:
    """One panel per metric: each policy's mean with its 95 % interval as an error bar."""
    columns = min(len(metrics), _PANELS_PER_ROW)
    lines = math.ceil(len(metrics) / columns)
    figure = _figure(path, "plotting a policy comparison", 3.4 * columns, 3.2 * lines)
    grid = figure.subplots(lines, columns, squeeze=False)
    axes = [ax for row in grid for ax in row]
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    for ax, metric in zip(axes, metrics, strict=False):
        rows = [r for r in _rows(result, metric) if r["mean"] is not None]
        names = [r["policy"] for r in rows]
        top = 1.0 if metric in _RATES else math.inf
        errors = _errors(rows, 0.0, top)
        ax.bar(names, [r["mean"] for r in rows], yerr=errors, capsize=4, color="#4c78a8")
        ax.set_title(metric.replace("_", " "))
        ax.set_ylabel(_label(metric))
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
    for k, policy in enumerate(result.policies):
        mine = sorted((r for r in rows if r["policy"] == policy), key=lambda r: r[param])
        xs = [r[param] for r in mine]
        marker, style = _STYLES[k % len(_STYLES)]
        # Later policies drawn thinner on top: equal lines show both styles.
        ax.plot(
            xs, [r["mean"] for r in mine], marker=marker, linestyle=style, label=policy,
            linewidth=2.6 - 0.5 * min(k, 3), markersize=8 - min(k, 3), zorder=2 + k,
        )  # fmt: skip
        banded = [r for r in mine if r["low"] is not None]
        ax.fill_between(
            [r[param] for r in banded],
            [r["low"] for r in banded],
            [r["high"] for r in banded],
            alpha=0.2,
        )
    ax.set_xlabel(f"{param} (demand model parameter)")
    ax.set_ylabel(_label(metric))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    ax.set_title(f"{metric.replace('_', ' ')} by {param}: mean and 95 % interval")
    figure.savefig(path)
    return Path(path)


def plot_seats_per_group(
    result: SimulationResult, path: str | os.PathLike[str], problem: Problem | None = None
) -> Path:
    """Mean seats per group, bars side by side per policy (a sweep uses its first point).

    Intervals never go below 0, nor, given the ``problem``, above what a group
    can hold (its quota). The legend sits outside the bars.
    """
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
        tops = [group_limit(problem, g) if problem else math.inf for g in groups]
        errors = _errors(chosen, 0.0, tops)
        ax.bar(xs, [r["mean"] for r in chosen], width, yerr=errors, label=policy, capsize=2)
    ax.set_xticks(range(len(groups)), groups, rotation=60, ha="right")
    ax.set_ylabel("seats per group (mean over runs)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    ax.set_title(f"Seats per group: mean and 95 % interval, {result.runs} runs")
    figure.savefig(path)
    return Path(path)


def _colours(count: int) -> list[Any]:
    """``count`` distinct colours (tab20, then a continuous map beyond 20)."""
    colormaps = require("matplotlib", "plot", "plotting").colormaps
    if count <= 20:
        return [colormaps["tab20"](i) for i in range(count)]
    return [colormaps["turbo"](i / max(count - 1, 1)) for i in range(count)]


def plot_allocation(allocation: Allocation, path: str | os.PathLike[str]) -> Path:
    """Each session's seats against its capacity, stacked by group; each group against its quota.

    Left: one bar per session, a segment per group seated there, the capacity
    as an outline (empty seats are the gap). Right: one bar per group, a
    segment per session, its earmark (total quota) as a black tick.
    """
    problem = allocation.problem
    groups = [g.id for g in problem.groups]
    sessions = [s.id for s in problem.sessions]
    count = {(s, g): 0 for s in sessions for g in groups}
    for request_id, session in allocation.assignments.items():
        if session is not None:
            count[session, problem.request_by_id[request_id].group] += 1
    width = max(10.0, 6.0 + 0.35 * len(groups))
    figure = _figure(path, "plotting an allocation", width, 5.2)
    left, right = figure.subplots(1, 2, width_ratios=(len(sessions) + 3, max(len(groups), 2)))
    colours = dict(zip(groups, _colours(len(groups)), strict=True))
    base = [0] * len(sessions)
    for g in groups:
        heights = [count[s, g] for s in sessions]
        left.bar(sessions, heights, bottom=base, color=colours[g], label=g, gid=f"group:{g}")
        base = [b + h for b, h in zip(base, heights, strict=True)]
    capacities = [problem.session_by_id[s].capacity for s in sessions]
    left.bar(sessions, capacities, fill=False, edgecolor="black", linewidth=1.5,
             label="capacity", gid="capacity")  # fmt: skip
    left.set_ylabel("seats")
    left.set_title("Sessions: by group,\ncapacity outlined")
    session_colours = dict(zip(sessions, _colours(len(sessions)), strict=True))
    below = [0] * len(groups)
    for s in sessions:
        heights = [count[s, g] for g in groups]
        right.bar(groups, heights, bottom=below, color=session_colours[s],
                  label=problem.session_by_id[s].name, gid=f"session:{s}")  # fmt: skip
        below = [b + h for b, h in zip(below, heights, strict=True)]
    earmarks = [(i, group_limit(problem, g)) for i, g in enumerate(groups)]
    earmarks = [(i, q) for i, q in earmarks if q < sum(capacities)]
    if earmarks:
        right.scatter([i for i, _ in earmarks], [q for _, q in earmarks], marker="_", s=300,
                      color="black", linewidths=2.5, zorder=3, label="earmark (quota)",
                      gid="earmarks", clip_on=False)  # fmt: skip
        right.set_ylim(0, max([*below, *(q for _, q in earmarks)]) + 1)
    right.set_ylabel("seats")
    right.set_title("Groups: by session, earmark marked")
    right.tick_params(axis="x", labelrotation=60)
    for label in right.get_xticklabels():
        label.set_horizontalalignment("right")
    figure.legend(*_legend(left), loc="outside right upper", fontsize="x-small", title="group")
    right.legend(loc="upper left", bbox_to_anchor=(0.0, -0.32), ncols=len(sessions) + 1,
                 fontsize="small", frameon=False)  # fmt: skip
    waiting = len(allocation.waitlist)
    figure.suptitle(f"Allocation ({allocation.method}): {sum(base)} seated, {waiting} waitlisted")
    figure.savefig(path)
    return Path(path)


def _legend(*axes: Any) -> tuple[list[Any], list[str]]:
    handles: list[Any] = []
    labels: list[str] = []
    for ax in axes:
        h, lab = ax.get_legend_handles_labels()
        handles += h
        labels += lab
    return handles, labels


def plot_breakouts(
    plan: BreakoutPlan, problem: Problem, path: str | os.PathLike[str], session: str = ""
) -> Path:
    """The seating chart: one panel per round, a column of seats per table, coloured by role.

    Each seat is labelled with the request id and its group, never personal data.
    """
    rounds = plan.rounds
    roles = sorted({problem.request_by_id[p].role for r in rounds for t in r for p in t})
    colours = dict(zip(roles, _colours(len(roles)), strict=True))
    tables = max(len(r) for r in rounds)
    seats = max(len(t) for r in rounds for t in r)
    figure = _figure(path, "plotting breakout tables", max(6.0, 1.5 * tables),
                     1.0 + (0.45 * seats + 0.6) * len(rounds))  # fmt: skip
    axes = figure.subplots(len(rounds), 1, squeeze=False)[:, 0]
    patches = require("matplotlib.patches", "plot", "plotting breakout tables")
    for number, (ax, round_tables) in enumerate(zip(axes, rounds, strict=True), start=1):
        for t, people in enumerate(round_tables):
            for k, person in enumerate(people):
                request = problem.request_by_id[person]
                ax.add_patch(
                    patches.Rectangle(
                        (t + 0.05, seats - k - 1 + 0.05), 0.9, 0.9, gid=f"seat:{number}:{person}",
                        facecolor=colours[request.role], edgecolor="white",
                    )
                )  # fmt: skip
                ax.text(t + 0.5, seats - k - 0.5, f"{person}\n{request.group}", ha="center",
                        va="center", fontsize=7)  # fmt: skip
        ax.set_xlim(0, tables)
        ax.set_ylim(0, seats)
        ax.set_xticks([t + 0.5 for t in range(tables)], [f"table {t + 1}" for t in range(tables)])
        ax.set_yticks([])
        ax.set_title(f"Round {number}")
    handles = [patches.Patch(color=colours[r], label=r or "(no role)") for r in roles]
    figure.legend(handles=handles, loc="outside right upper", title="role", fontsize="small")
    figure.suptitle(f"Breakout tables{' in ' + session if session else ''}: seats by role")
    figure.savefig(path)
    return Path(path)


def waitlist_over_time(events: Iterable[Event]) -> list[tuple[Any, int, int]]:
    """After each event that changes them: (time, seated, waitlisted), from a ledger's log.

    A request joins the waitlist at its ``waitlisted`` event and leaves it when
    seated, offered, withdrawn or rejected; seated counts ``seated`` minus
    those that later leave.
    """
    from seatalloc.booking import EventKind

    waiting: set[str] = set()
    seated: set[str] = set()
    points: list[tuple[Any, int, int]] = []
    for event in events:
        who = event.request
        if who is None:
            continue
        before = (len(seated), len(waiting))
        if event.kind is EventKind.WAITLISTED:
            waiting.add(who)
            seated.discard(who)
        elif event.kind in (EventKind.SEATED, EventKind.ACCEPTED):
            waiting.discard(who)
            seated.add(who)
        elif event.kind in (EventKind.OFFERED, EventKind.WITHDRAWN, EventKind.REJECTED,
                            EventKind.DECLINED, EventKind.EXPIRED):  # fmt: skip
            waiting.discard(who)
            seated.discard(who)
        if (len(seated), len(waiting)) != before:
            points.append((event.at, len(seated), len(waiting)))
    return points


def plot_waitlist(events: Iterable[Event], path: str | os.PathLike[str]) -> Path:
    """Seated and waitlisted over time, as steps, from a ledger's events."""
    points = waitlist_over_time(events)
    figure = _figure(path, "plotting a waitlist", 7.0, 3.6)
    ax = figure.subplots()
    times = [p[0] for p in points]
    ax.step(times, [p[1] for p in points], where="post", label="seated", gid="seated")
    ax.step(times, [p[2] for p in points], where="post", label="waitlisted", gid="waitlisted",
            linestyle="--")  # fmt: skip
    ax.set_xlabel("time (the ledger's clock)")
    ax.set_ylabel("requests")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    ax.set_title("Waitlist over time")
    figure.autofmt_xdate()
    figure.savefig(path)
    return Path(path)


_WAITLIST = "waitlist"


def moves(before: Allocation, after: Allocation) -> dict[tuple[str, str], int]:
    """How many requests went from each place to each other (a session id or ``waitlist``)."""
    counts: dict[tuple[str, str], int] = {}
    for request in before.problem.requests:
        key = (
            before.assignments.get(request.id) or _WAITLIST,
            after.assignments.get(request.id) or _WAITLIST,
        )
        counts[key] = counts.get(key, 0) + 1
    return counts


def plot_moves(before: Allocation, after: Allocation, path: str | os.PathLike[str]) -> Path:
    """A from -> to grid: rows where FCFS put each request, columns where the plan does."""
    places = [*before.problem.session_ids, _WAITLIST]
    counts = moves(before, after)
    grid = [[counts.get((a, b), 0) for b in places] for a in places]
    figure = _figure(path, "plotting moves", 1.6 + 1.1 * len(places), 1.2 + 0.9 * len(places))
    ax = figure.subplots()
    image = ax.imshow(grid, cmap="Blues")
    for i, row in enumerate(grid):
        for j, n in enumerate(row):
            ax.text(j, i, str(n), ha="center", va="center",
                    color="black" if i == j or n == 0 else "darkred",
                    fontweight="normal" if i == j else "bold")  # fmt: skip
    ax.set_xticks(range(len(places)), places)
    ax.set_yticks(range(len(places)), places)
    ax.set_xlabel(f"{after.method} (requests)")
    ax.set_ylabel(f"{before.method} (requests)")
    moved = sum(n for (a, b), n in counts.items() if a != b)
    ax.set_title(f"{moved} requests moved (off the diagonal)")
    figure.colorbar(image, ax=ax, label="requests")
    figure.savefig(path)
    return Path(path)
