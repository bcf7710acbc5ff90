"""``seatalloc breakouts --plot``: the seating chart of the printed plan; the path checked first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from seatalloc.cli import main

pytest.importorskip("matplotlib", reason="needs the 'plot' extra")

ROLES = ("planner", "transport", "energy")


def _roster(path: Path) -> Path:
    rows = "".join(f"p{i:02},board{i % 4},{ROLES[i % 3]},N{i}\n" for i in range(12))
    path.write_text("id,group,role,name\n" + rows, encoding="utf-8")
    return path


def test_plot_draws_every_seat_of_the_printed_plan_per_round(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib.figure import Figure

    saved: list[Any] = []
    original = Figure.savefig

    def keep(self: Any, *args: Any, **kwargs: Any) -> None:
        saved.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    chart = tmp_path / "tables.png"
    code = main([
        "breakouts", str(_roster(tmp_path / "r.csv")), "--tables", "3", "--rounds", "2",
        "--method", "heuristic", "--work", "0.2", "--format", "json", "--plot", str(chart),
    ])  # fmt: skip
    assert code == 0
    plan = json.loads(capsys.readouterr().out)
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    (figure,) = saved
    assert len(figure.axes) == 2
    for number, (ax, tables) in enumerate(zip(figure.axes, plan["rounds"], strict=True), 1):
        assert ax.get_title() == f"Round {number}"
        drawn = sorted(p.get_gid().split(":")[2] for p in ax.patches if p.get_gid())
        assert drawn == sorted(p for table in tables for p in table)
        texts = {t.get_text() for t in ax.texts}
        assert all(f"p{i:02}\nboard{i % 4}" in texts for i in range(12))
        assert not any(f"N{i}" in text for text in texts for i in range(12))  # no names
    legend = {t.get_text() for t in figure.legends[0].get_texts()}
    assert legend == set(ROLES)


def test_a_bad_plot_path_fails_before_any_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([
        "breakouts", str(_roster(tmp_path / "r.csv")), "--tables", "3",
        "--plot", str(tmp_path / "tables.pdf"),
    ])  # fmt: skip
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "must end in .png or .svg" in captured.err
    assert not (tmp_path / "tables.pdf").exists()
