"""Plots are valid image files; matplotlib is never imported by importing seatalloc."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from seatalloc import FieldError
from seatalloc.scenarios import workshop
from seatalloc.simulate import SimulationResult, simulate, sweep

pytest.importorskip("matplotlib", reason="needs the 'plot' extra")

from seatalloc.plots import plot_policies, plot_seats_per_group, plot_sweep

PNG = b"\x89PNG\r\n\x1a\n"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "analyst.py"


def _is_png(path: Path) -> bool:
    data = path.read_bytes()
    # Signature, then the IHDR chunk that every PNG starts with, then more data.
    return data[:8] == PNG and data[12:16] == b"IHDR" and len(data) > 100


@pytest.fixture(scope="module")
def result() -> SimulationResult:
    return simulate(workshop(), runs=5, policies=("fcfs", "colleagues"))


def test_policy_comparison_is_a_png(result: SimulationResult, tmp_path: Path) -> None:
    assert _is_png(plot_policies(result, tmp_path / "policies.png"))


def test_seats_per_group_as_svg(result: SimulationResult, tmp_path: Path) -> None:
    text = plot_seats_per_group(result, tmp_path / "groups.svg").read_text(encoding="utf-8")
    assert "<svg" in text and "blekinge" in text


def test_sweep_curve_is_a_png_and_needs_a_sweep(result: SimulationResult, tmp_path: Path) -> None:
    swept = sweep(workshop(), None, "scale", [0.5, 2.0], runs=3, policies=("fcfs",))
    assert _is_png(plot_sweep(swept, tmp_path / "sweep.png", metric="seats_filled"))
    with pytest.raises(FieldError, match="sweep"):
        plot_sweep(result, tmp_path / "no.png")


def test_bad_path_or_metric_raise(result: SimulationResult, tmp_path: Path) -> None:
    with pytest.raises(FieldError, match=r"\.png or \.svg"):
        plot_policies(result, tmp_path / "policies.jpg")
    with pytest.raises(FieldError, match="metric"):
        plot_policies(result, tmp_path / "p.png", metrics=("happiness",))


def test_importing_seatalloc_and_plots_imports_no_matplotlib() -> None:
    code = (
        "import sys, seatalloc, seatalloc.plots, seatalloc.simulate, seatalloc.cli\n"
        "assert not any(m.split('.')[0] in ('matplotlib', 'dask', 'distributed', 'ortools')"
        " for m in sys.modules), sorted(sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_analyst_example_writes_a_csv_and_valid_plots(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), str(tmp_path)],
        check=False, capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _is_png(tmp_path / "policies.png") and _is_png(tmp_path / "demand-sweep.png")
    header = (tmp_path / "policies.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("replication,seed,policy,requests,seats_filled")


# -- figures an organiser reads, and the old faults ------------------------------------------

from datetime import UTC, datetime, timedelta  # noqa: E402

from matplotlib.patches import Rectangle  # noqa: E402

from seatalloc import Ledger, Request  # noqa: E402
from seatalloc.allocation import Allocation  # noqa: E402
from seatalloc.fcfs import allocate  # noqa: E402
from seatalloc.plots import (  # noqa: E402
    group_limit,
    moves,
    plot_allocation,
    plot_breakouts,
    plot_moves,
    plot_waitlist,
    waitlist_over_time,
)
from seatalloc.stores import MemoryStore  # noqa: E402


def _figure_of(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Keeps each figure a plot saves, to read its artists back."""
    from matplotlib.figure import Figure

    saved: list[Any] = []
    original = Figure.savefig

    def keep(self: Any, *args: Any, **kwargs: Any) -> None:
        saved.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    return saved


def _bars(ax: Any, gid: str) -> list[Rectangle]:
    return [p for p in ax.patches if p.get_gid() == gid]


@pytest.fixture(scope="module")
def demo_allocation() -> Allocation:
    from seatalloc.cli.demo import demo_problem

    return allocate(demo_problem())


def test_allocation_view_stacks_groups_to_the_seated_count_under_capacity(
    demo_allocation: Allocation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = _figure_of(monkeypatch)
    assert _is_png(plot_allocation(demo_allocation, tmp_path / "a.png"))
    left, right = saved[0].axes[:2]
    problem = demo_allocation.problem
    for index, session in enumerate(problem.sessions):
        stacked = sum(
            bars[index].get_height()
            for g in problem.groups
            if (bars := _bars(left, f"group:{g.id}"))
        )
        assert stacked == len(demo_allocation.rosters[session.id])
        assert _bars(left, "capacity")[index].get_height() == session.capacity
    for index, group in enumerate(problem.groups):
        seated = sum(
            1 for r in problem.requests
            if r.group == group.id and demo_allocation.assignments[r.id] is not None
        )  # fmt: skip
        per_session = [
            _bars(right, f"session:{s}")[index].get_height() for s in problem.session_ids
        ]
        assert sum(per_session) == seated
    earmarks = next(c for c in right.collections if c.get_gid() == "earmarks")
    assert [y for _, y in earmarks.get_offsets()] == [
        group_limit(problem, g.id) for g in problem.groups
    ]
    legend = saved[0].legends[0]
    assert "capacity" in [t.get_text() for t in legend.get_texts()]


def test_breakout_chart_seats_every_participant_once_per_round(
    demo_allocation: Allocation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seatalloc.breakouts import Roster, plan_breakouts

    session = demo_allocation.problem.session_ids[0]
    plan = plan_breakouts(
        Roster.from_allocation(demo_allocation, session), tables=7, rounds=2, seed=3,
        work=0.5,
    )  # fmt: skip
    saved = _figure_of(monkeypatch)
    plot_breakouts(plan, demo_allocation.problem, tmp_path / "b.svg", session)
    axes = saved[0].axes
    assert len(axes) == 2
    for number, (ax, tables) in enumerate(zip(axes, plan.rounds, strict=True), start=1):
        drawn = sorted(p.get_gid().split(":")[2] for p in ax.patches if p.get_gid())
        assert drawn == sorted(p for table in tables for p in table)
        for t, people in enumerate(tables):
            for person in people:
                patch = next(p for p in ax.patches if p.get_gid() == f"seat:{number}:{person}")
                assert int(patch.get_x()) == t


def test_waitlist_over_time_follows_the_ledger_including_a_release(tmp_path: Path) -> None:
    problem = workshop()
    start = datetime(2020, 10, 1, 9, 0, tzinfo=UTC)
    ledger = Ledger.create(MemoryStore(), problem, clock=lambda: start)
    board = problem.groups[0].id
    for n in range(6):  # four earmarked places, then two wait for the board's quota
        ledger.submit(Request(f"r{n}", board, "planner", start + timedelta(minutes=n), ()),
                      at=start + timedelta(minutes=n))  # fmt: skip
    quota = next(q.key for q in problem.quotas if q.group == board)
    ledger.release(quota=quota, at=start + timedelta(days=1))
    points = waitlist_over_time(ledger.events())
    assert [(s, w) for _, s, w in points] == [(1, 0), (2, 0), (3, 0), (4, 0), (4, 1), (4, 2),
                                              (5, 1), (6, 0)]  # fmt: skip
    assert points[-1][0] == start + timedelta(days=1)
    assert _is_png(plot_waitlist(ledger.events(), tmp_path / "w.png"))


def test_moves_count_every_request_once(demo_allocation: Allocation, tmp_path: Path) -> None:
    problem = demo_allocation.problem
    shifted = Allocation(
        problem, {r.id: problem.session_ids[-1] for r in problem.requests[:3]}, (), "other"
    )
    counts = moves(demo_allocation, shifted)
    assert sum(counts.values()) == len(problem.requests)
    assert sum(n for (a, b), n in counts.items() if b != "waitlist") == 3
    assert _is_png(plot_moves(demo_allocation, shifted, tmp_path / "m.png"))


def test_sweep_draws_every_policy_in_its_own_style_and_the_legend_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    swept = sweep(workshop(), None, "scale", [0.5, 2.0], runs=2, policies=("fcfs", "colleagues"))
    saved = _figure_of(monkeypatch)
    plot_sweep(swept, tmp_path / "s.png", metric="seats_filled")
    ax = saved[0].axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"fcfs", "colleagues"}
    styles = {(line.get_linestyle(), line.get_marker()) for line in lines.values()}
    assert len(styles) == 2  # equal values stay visible: the styles differ
    assert ax.get_ylabel() == "seats filled (seats)"
    saved[0].canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1  # outside the data area


def test_seat_intervals_never_pass_a_groups_quota_nor_zero(
    result: SimulationResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = _figure_of(monkeypatch)
    plot_seats_per_group(result, tmp_path / "g.png", problem=workshop())
    ax = saved[0].axes[0]
    tops = [
        seg[:, 1].max() for c in ax.collections for seg in c.get_segments()
    ]  # the error bars' vertical segments
    bottoms = [seg[:, 1].min() for c in ax.collections for seg in c.get_segments()]
    assert tops and max(tops) <= 4 and min(bottoms) >= 0
    saved[0].canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1


def test_six_metrics_are_laid_out_in_rows_of_three(
    result: SimulationResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = _figure_of(monkeypatch)
    metrics = ("seats_filled", "waitlisted", "groups_split", "first_choice_rate",
               "empty_seats", "groups_fully_seated")  # fmt: skip
    plot_policies(result, tmp_path / "p.png", metrics=metrics)
    width, height = saved[0].get_size_inches()
    assert width / height < 2.5
    visible = [ax for ax in saved[0].axes if ax.get_visible()]
    assert len(visible) == 6 and all(ax.get_ylabel() for ax in visible)
    rate = visible[3]
    tops = [seg[:, 1].max() for c in rate.collections for seg in c.get_segments()]
    assert max(tops) <= 1.0
