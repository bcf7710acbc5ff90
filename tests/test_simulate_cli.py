"""``seatalloc simulate``: table, csv, json, sweeps, plots and errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from seatalloc.cli import main
from seatalloc.cli.simulate import parse_sweep
from seatalloc.demand import DemandModel

SCENARIO = Path(__file__).resolve().parent.parent / "src" / "seatalloc" / "scenarios"


def test_table_summarises_each_policy(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--runs", "4", "--seed", "3", "--policy", "fcfs,colleagues"]) == 0
    out, err = capsys.readouterr()
    assert "4 runs, seed 3" in out and "colleagues" in out
    assert "waitlisted" in out and "groups_split" in out
    assert err == ""  # no progress bar when stderr is not a terminal


def test_csv_records_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "runs.csv"
    code = main(["simulate", str(SCENARIO / "workshop.toml"), "--runs", "3", "--policy",
                 "fcfs", "--format", "csv", "--out", str(out)])  # fmt: skip
    assert code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["replication"] for r in rows] == ["0", "1", "2"]
    assert "wrote" in capsys.readouterr().out


def test_json_sweep_with_a_demand_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demand = tmp_path / "demand.toml"
    demand.write_text(DemandModel(cohesion=1.0).to_toml(), encoding="utf-8")
    code = main(["simulate", "--demand", str(demand), "--runs", "2", "--policy", "fcfs",
                 "--sweep", "scale=1:2:2", "--format", "json"])  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["param"] == "scale" and data["demand"]["cohesion"] == 1.0
    assert sorted({r["scale"] for r in data["records"]}) == [1.0, 2.0]


def test_plot_is_written(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="needs the 'plot' extra")
    plot = tmp_path / "p.png"
    assert main(["simulate", "--runs", "2", "--plot", str(plot), "--out", str(tmp_path / "t")]) == 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--policy", "lottery"], "lottery"),
        (["--sweep", "scale=1:2"], "PARAM=LO:HI:STEPS"),
        (["--sweep", "colour=1:2:2"], "colour"),
        (["--plot", "p.jpg"], ".png or .svg"),
        (["--runs", "0"], "runs"),
    ],
)
def test_bad_options_give_one_clear_error(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--runs", "2", *args]) == 2
    assert message in capsys.readouterr().err


def test_parse_sweep_values() -> None:
    assert parse_sweep("scale=0.5:3:6") == ("scale", (0.5, 1.0, 1.5, 2.0, 2.5, 3.0))
    assert parse_sweep("release=0:10:3") == ("release", (0, 5, 10))
