"""Plots are valid image files; matplotlib is never imported by importing seatalloc."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
