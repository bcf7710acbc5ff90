"""``seatalloc allocate --method optimal``: the optimiser's options and its table section."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from test_cli import write_requests

from seatalloc.cli import main
from seatalloc.cli.demo import demo_problem

WORKSHOP_PATH = Path(str(resources.files("seatalloc.scenarios").joinpath("workshop.toml")))

pytest.importorskip("ortools", reason="the optimiser needs the 'solver' extra")


def _run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_table_lists_status_gap_and_every_change_with_its_reason(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    requests = write_requests(demo_problem(2020), tmp_path / "requests.csv")
    code, out, err = _run(
        capsys, "allocate", WORKSHOP_PATH, "--requests", requests, "--method", "optimal",
        "--objectives", "seats,together", "--backend", "cp-sat", "--seed", "3", "--work", "5",
    )  # fmt: skip
    assert (code, err) == (0, "")  # stderr is no terminal here: no progress lines
    section = out[out.index("Optimiser (cp-sat, guarantee fcfs-seats)") :]
    assert "every level proven optimal" in section.splitlines()[0]
    rows = [line.split() for line in section.splitlines()[3:5]]
    assert [r[:2] for r in rows] == [["seats", "optimal"], ["together", "optimal"]]
    code, raw, _ = _run(
        capsys, "allocate", WORKSHOP_PATH, "--requests", requests, "--method", "optimal",
        "--objectives", "seats,together", "--backend", "cp-sat", "--seed", "3", "--work", "5",
        "--format", "json",
    )  # fmt: skip
    data = json.loads(raw)
    changed = [d for d in data["decisions"].values() if d["reason"] in ("moved", "added")]
    assert changed, "the demo re-plans somebody"
    assert f"Changes from FCFS: {len(changed)}" in section
    for decision in changed:
        assert any(line.split()[:2] == [decision["request"], decision["reason"]]
                   for line in section.splitlines())  # fmt: skip
