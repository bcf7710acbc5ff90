"""Allocation outputs: streamed JSON equals the plain data, a choice of decisions, attributes."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from seatalloc import (
    Allocation,
    Group,
    Problem,
    Quota,
    Request,
    Session,
    allocate,
    load_allocation,
    write_allocation,
)
from seatalloc.cli import main
from seatalloc.io import allocation_csv

START = datetime(2026, 11, 4, 9)


def problem() -> Problem:
    requests = [
        Request(
            f"r{i}",
            "a" if i % 3 else "b",
            role="x",
            arrival=START + timedelta(minutes=i),
            sessions=("s1", "s2")[: 1 + i % 2],
            attributes={"name": f"Namn {i}", "email": f"{i}@x"},
        )
        for i in range(1, 13)
    ]
    return Problem(
        [Session("s1", 3, label="Första"), Session("s2", 3)],
        [Group("a"), Group("b")],
        requests,
        [Quota(2, group="b")],
    )


def plain(data: object) -> object:
    return json.loads(json.dumps(data, default=str))


@pytest.mark.parametrize("indent", [2, None, 4])
@pytest.mark.parametrize("decisions", ["all", "waitlisted", "none"])
def test_streamed_json_is_the_plain_data(indent: int | None, decisions: str) -> None:
    allocation = allocate(problem())
    text = allocation.to_json(indent=indent, decisions=decisions)  # type: ignore[arg-type]
    assert json.loads(text) == plain(allocation.to_dict(decisions))  # type: ignore[arg-type]
    assert ("\n" in text) == (indent is not None)
    data = json.loads(text)
    if decisions == "none":
        assert "decisions" not in data
    else:
        expected = allocation.waitlist if decisions == "waitlisted" else allocation.assignments
        assert set(data["decisions"]) == set(expected)
        for request_id, record in data["decisions"].items():
            assert record["explanation"] == allocation.explain(request_id)


def test_a_written_file_reads_back_whatever_decisions_it_holds(tmp_path: Path) -> None:
    allocation = allocate(problem())
    for decisions in ("all", "waitlisted", "none"):
        path = tmp_path / f"{decisions}.json"
        write_allocation(allocation, path, decisions=decisions)  # type: ignore[arg-type]
        assert load_allocation(path, allocation.problem) == allocation


def test_positions_and_metrics_follow_a_hand_made_allocation() -> None:
    # Not FCFS's: the waitlist runs against arrival order and r2 sits in a session it did not
    # rank; positions, rosters and metrics must follow the allocation as given.
    made = problem()
    order = [r.id for r in made.order]
    seats: dict[str, str | None] = dict.fromkeys(order)
    seats.update(r1="s1", r2="s2", r4="s2", r5="s2")
    waitlist = [r for r in reversed(order) if seats[r] is None]
    allocation = Allocation(made, seats, waitlist, method="file")
    data = json.loads(allocation.to_json())
    records = {r["id"]: r for r in allocation.records(decisions="none")}
    for position, request_id in enumerate(waitlist, start=1):
        assert data["decisions"][request_id]["position"] == position
        assert records[request_id]["position"] == position
    assert all(records[r]["position"] is None for r in ("r1", "r2", "r4", "r5"))
    assert dict(allocation.rosters) == {"s1": ("r1",), "s2": ("r2", "r4", "r5")}
    metrics = data["metrics"]
    assert metrics["groups"] == {
        "a": {"requested": 8, "seated": 4},
        "b": {"requested": 4, "seated": 0},
    }
    assert metrics["role_mix"] == {"s1": {"x": 1}, "s2": {"x": 3}}
    assert metrics["split_groups"] == ["a"]
    assert metrics["first_choice"] == 1  # r1 in s1; r5 ranks s2 second, r2 and r4 not at all
    assert data["decisions"]["r2"]["reason"] == "not-requested"


def test_records_with_chosen_attributes() -> None:
    allocation = allocate(problem())
    records = allocation.records(attributes=("name", "email", "phone"))
    assert [r["id"] for r in records] == [r.id for r in allocation.problem.order]
    assert records[0]["name"] == "Namn 1" and records[0]["email"] == "1@x"
    assert all(r["phone"] is None for r in records)
    assert "name" not in allocation.records()[0]


def test_csv_with_fewer_decisions_keeps_a_row_per_request() -> None:
    allocation = allocate(problem())
    rows = list(csv.DictReader(io.StringIO(allocation_csv(allocation, decisions="waitlisted"))))
    assert len(rows) == 12
    for row in rows:
        waiting = row["status"] == "waitlisted"
        assert bool(row["explanation"]) == waiting
        assert bool(row["position"]) == waiting
    bare = list(csv.reader(io.StringIO(allocation_csv(allocation, decisions="none"))))
    assert bare[0] == ["id", "group", "role", "arrival", "status", "session", "rank", "position"]
    named = allocation_csv(allocation, attributes=("name",)).splitlines()
    assert named[0].endswith(",explanation,name") and named[1].endswith(",Namn 1")


def test_an_unknown_choice_of_decisions_is_refused() -> None:
    with pytest.raises(ValueError, match="decisions must be one of all, waitlisted, none"):
        allocate(problem()).to_json(decisions="some")  # type: ignore[arg-type]


def test_cli_writes_only_the_chosen_decisions(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        'requests = "r.csv"\n[[sessions]]\nid = "s1"\ncapacity = 1\n[[groups]]\nid = "a"\n',
        encoding="utf-8",
    )
    (tmp_path / "r.csv").write_text(
        "id,group,role,arrival,sessions\nr1,a,,1,\nr2,a,,2,\n", encoding="utf-8"
    )
    out = tmp_path / "a.json"
    args = [
        "allocate", str(scenario), "--format", "json", "--out", str(out),
        "--decisions", "waitlisted",
    ]  # fmt: skip
    assert main(args) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert list(data["decisions"]) == ["r2"]
    assert data["assignments"] == {"r1": "s1", "r2": None}
