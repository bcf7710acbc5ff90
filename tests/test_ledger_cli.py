"""The ledger command's tabular output: a header on every action's lines, csv from show."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from seatalloc.cli import main

SCENARIO = """
[[sessions]]
id = "d1"
capacity = 1

[[groups]]
id = "g"
"""


def test_actions_print_a_header_and_show_writes_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    requests = tmp_path / "r.csv"
    requests.write_text("id,group,role,arrival,sessions\nr1,g,,1,d1\nr2,g,,2,d1\n", "utf-8")
    db = str(tmp_path / "l.db")
    assert (
        main(
            [
                "ledger",
                "init",
                db,
                "--scenario",
                str(scenario),
                "--mode",
                "offer",
                "--offer-window",
                "5",
            ]
        )
        == 0
    )
    assert "mode offer" in capsys.readouterr().out
    assert main(["ledger", "submit", db, "--requests", str(requests), "--at", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t") == ["request", "status", "session_or_position", "reason", "note"]
    assert [line.split("\t")[:3] for line in lines[1:]] == [
        ["r1", "seated", "d1"],
        ["r2", "waitlisted", "1"],
    ]
    assert main(["ledger", "show", db, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["id"], r["status"]) for r in rows] == [("r1", "seated"), ("r2", "waitlisted")]
