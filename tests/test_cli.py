"""The ``seatalloc`` command: demo, allocate, check; bad input gives one message, no traceback."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from test_io import BAD, BAD_ROWS, GOOD

from seatalloc.cli import main
from seatalloc.cli.demo import demo_problem
from seatalloc.model import Problem

WORKSHOP = Path(str(resources.files("seatalloc.scenarios").joinpath("workshop.toml")))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def write_requests(problem: Problem, path: Path) -> Path:
    """The problem's requests as a requests CSV (docs/formats.md)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "group", "role", "arrival", "sessions", "party"])
        for r in problem.requests:
            writer.writerow([r.id, r.group, r.role, r.arrival, "|".join(r.sessions), r.party or ""])
    return path


@pytest.fixture
def demo_requests(tmp_path: Path) -> Path:
    return write_requests(demo_problem(2020), tmp_path / "requests.csv")


# --- demo ----------------------------------------------------------------------------------


def test_demo_prints_rosters_waitlist_and_metrics(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "demo")
    assert code == 0 and all(line.startswith("seatalloc demo [") for line in err.splitlines())
    problem = demo_problem(2020)
    assert out.startswith(
        "Workshop: 3 sessions, 84 seats: 4\N{EN DASH}5 November (28), "
        "25\N{EN DASH}26 November (28), 2\N{EN DASH}3 December (28)\n"
        "21 county administrative boards, 4 places each\n"
        f"Demand (seed 2020): {len(problem.requests)} requests for 84 seats\n"
    )
    assert len(problem.requests) > 84  # demand larger than supply
    sections = (
        "== First come, first served ==",
        "4\N{EN DASH}5 November (nov04): ",
        "\nWaitlist: ",
        "\nMetrics\n",
        "Länsstyrelsen i Västra Götalands län",
    )
    for section in sections:
        assert section in out
    assert "places were held by" in out  # the waitlist says what blocked each request
    assert len(out.splitlines()) < 400


def test_demo_is_seeded(capsys: pytest.CaptureFixture[str]) -> None:
    first = run(capsys, "demo", "--seed", "7")[1]
    assert run(capsys, "demo", "--seed", "7")[1] == first
    assert run(capsys, "demo", "--seed", "8")[1] != first


def test_demo_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo", "--format", "json")
    data = json.loads(out)
    problem = demo_problem(2020)
    assert code == 0
    fcfs = data["fcfs"]
    assert set(fcfs["assignments"]) == {r.id for r in problem.requests}
    assert fcfs["metrics"]["seated"] + fcfs["metrics"]["waitlisted"] == len(problem.requests)
    assert fcfs["waitlist"]
    if "optimal" in data:  # with the solver extra: same people seated, fewer groups split
        optimal = data["optimal"]
        assert optimal["metrics"]["seated"] >= fcfs["metrics"]["seated"]
        assert optimal["metrics"]["groups_split"] < fcfs["metrics"]["groups_split"]


# --- allocate and check ----------------------------------------------------------------------


def test_allocate_then_check_reports_no_violation(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, demo_requests: Path
) -> None:
    out_path = tmp_path / "allocation.json"
    code, out, err = run(
        capsys, "allocate", WORKSHOP, "--requests", demo_requests, "--format", "json",
        "--out", out_path,
    )  # fmt: skip
    data = json.loads(out_path.read_text(encoding="utf-8"))
    seated = sum(s is not None for s in data["assignments"].values())
    assert (code, err) == (0, "")
    assert out == (
        f"wrote {out_path}: {len(data['assignments'])} requests, {seated} seated, "
        f"{len(data['waitlist'])} waitlisted (fcfs)\n"
    )
    code, out, err = run(capsys, "check", WORKSHOP, "--requests", demo_requests, out_path)
    assert (code, err) == (0, "")
    assert out == (
        f"{out_path}: no violation ({len(data['assignments'])} requests, {seated} seated, "
        f"{len(data['waitlist'])} waitlisted)\n"
    )


def test_check_reports_an_overfilled_session(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, demo_requests: Path
) -> None:
    out_path = tmp_path / "allocation.json"
    run(capsys, "allocate", WORKSHOP, "--requests", demo_requests, "--format", "json",
        "--out", out_path)  # fmt: skip
    data = json.loads(out_path.read_text(encoding="utf-8"))
    # Hand edit: seat waitlisted requests in 25-26 November until it holds 29.
    seated_there = [r for r, s in data["assignments"].items() if s == "nov25"]
    extra = data["waitlist"][: 28 - len(seated_there) + 1]
    for request_id in extra:
        data["assignments"][request_id] = "nov25"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps({"assignments": data["assignments"]}), encoding="utf-8")
    code, out, err = run(capsys, "check", WORKSHOP, "--requests", demo_requests, edited)
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert " violation" in lines[0]
    (capacity,) = [line for line in lines if line.startswith("  capacity: ")]
    assert capacity == (
        "  capacity: session 'nov25' seats 29, over its capacity of 28: "
        + ", ".join(r.id for r in demo_problem(2020).order if r.id in {*seated_there, *extra})
    )


def test_allocate_formats(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = GOOD / "scenario.toml"
    code, table, _ = run(capsys, "allocate", scenario)
    assert code == 0
    assert table.startswith("Allocation (fcfs)\n\nMonday (mon): 1 of 2 seats\n")
    assert "\n  r1  Norrbotten  lead  1\n" in table
    assert "Waitlist: 3\n" in table
    code, text, _ = run(capsys, "allocate", scenario, "--format", "csv")
    rows = list(csv.DictReader(text.splitlines()))
    assert [(r["id"], r["session"]) for r in rows if r["status"] == "seated"] == [
        ("r1", "mon"), ("r5", "tue"),
    ]  # fmt: skip
    code, text, _ = run(capsys, "allocate", scenario, "--format", "json")
    assert json.loads(text)["assignments"]["r5"] == "tue"


def test_allocate_requests_option_replaces_the_scenario_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    other = tmp_path / "other.csv"
    other.write_text("id,group,role,arrival,sessions\nx1,south,,1,tue\n", encoding="utf-8")
    code, out, _ = run(capsys, "allocate", GOOD / "scenario.toml", "--requests", other,
                       "--format", "json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["assignments"] == {"x1": "tue"}


def test_allocate_optimal(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("ortools")
    out_path = tmp_path / "optimal.json"
    code, _, err = run(capsys, "allocate", GOOD / "scenario.toml", "--method", "optimal",
                       "--guarantee", "fcfs-seats", "--time-limit", "5", "--format", "json",
                       "--out", out_path)  # fmt: skip
    data = json.loads(out_path.read_text(encoding="utf-8"))
    assert (code, err) == (0, "")
    assert data["method"] == "optimal"
    assert "report" in data
    # fcfs-seats: at least as many seated as first come, first served (2 here).
    assert sum(s is not None for s in data["assignments"].values()) >= 2


def test_check_an_optimised_allocation_without_priority(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, demo_requests: Path
) -> None:
    """The optimiser moves people to seat colleagues together: every rule holds but
    priority by rank, which the default check reports and ``--checks`` can leave out."""
    pytest.importorskip("ortools")
    out_path = tmp_path / "optimal.json"
    code, _, _ = run(capsys, "allocate", WORKSHOP, "--requests", demo_requests,
                     "--method", "optimal", "--format", "json", "--out", out_path)  # fmt: skip
    assert code == 0
    code, out, err = run(capsys, "check", WORKSHOP, "--requests", demo_requests, out_path)
    assert (code, err) == (1, "")
    assert "  priority: " in out
    assert {line.split(":")[0].strip() for line in out.splitlines()[1:]} == {"priority"}
    kept = "capacity,quota,party,acceptability,waste"
    code, out, err = run(capsys, "check", WORKSHOP, "--requests", demo_requests, out_path,
                         "--checks", kept)  # fmt: skip
    assert (code, err) == (0, "")
    assert ": no violation (" in out


def test_check_rejects_an_unknown_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, demo_requests: Path
) -> None:
    out_path = tmp_path / "fcfs.json"
    run(capsys, "allocate", WORKSHOP, "--requests", demo_requests, "--format", "json",
        "--out", out_path)  # fmt: skip
    code, out, err = run(capsys, "check", WORKSHOP, "--requests", demo_requests, out_path,
                         "--checks", "capacity,fairness")  # fmt: skip
    assert_clean_error(
        code, out, err,
        "check: field 'checks' must name some of ('capacity', 'quota', 'party', "
        "'acceptability', 'waste', 'priority'), got 'capacity,fairness'",
    )  # fmt: skip


# --- bad input -------------------------------------------------------------------------------


def assert_clean_error(code: int, out: str, err: str, message: str) -> None:
    assert code == 2
    assert out == ""
    assert err == f"seatalloc: error: {message}\n"
    assert "Traceback" not in err


@pytest.mark.parametrize("kind", sorted(BAD_ROWS))
def test_each_bad_row_kind_on_the_command_line(
    capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    path = BAD / f"{kind}.csv"
    code, out, err = run(capsys, "allocate", BAD / "scenario.toml", "--requests", path)
    n = len(BAD_ROWS[kind])
    head = f"{n} error{'s' if n != 1 else ''}:"
    assert_clean_error(
        code, out, err, "\n".join([head, *(f"  {path}, {m}" for m in BAD_ROWS[kind])])
    )
    assert "Secret" not in err


def test_bad_scenario_on_the_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[[sessions]]\nid = "a"\ncapacity = 1\nseats = 3\n', encoding="utf-8")
    code, out, err = run(capsys, "allocate", path)
    assert_clean_error(
        code, out, err,
        f"1 error:\n  {path}, line 4: sessions[1] 'a': field 'seats' is not a known key "
        "(id, capacity, label, start, end), got 3",
    )  # fmt: skip
    path.write_text("[[sessions]\n", encoding="utf-8")
    code, out, err = run(capsys, "check", path, GOOD / "scenario.toml")
    assert code == 2
    assert err.startswith(f"seatalloc: error: {path}: not valid TOML: ")


def test_missing_file_on_the_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.toml"
    code, out, err = run(capsys, "allocate", missing)
    assert_clean_error(code, out, err, f"No such file or directory: {missing}")


def test_check_bad_allocation_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    scenario = GOOD / "scenario.toml"
    broken = tmp_path / "broken.json"
    text = '{"assignments": {"r1": "mon",}}'
    broken.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "check", scenario, broken)
    # Where and what, in this Python's own words (CPython 3.13 words a trailing comma anew).
    with pytest.raises(json.JSONDecodeError) as decoded:
        json.loads(text)
    fault = decoded.value
    assert_clean_error(
        code, out, err,
        f"{broken}, line {fault.lineno}, column {fault.colno}: not valid JSON: {fault.msg}",
    )  # fmt: skip
    unknown = tmp_path / "unknown.json"
    unknown.write_text(
        json.dumps({"assignments": {"r1": "sun", "r2": None, "r3": None, "r4": None, "r5": None}}),
        encoding="utf-8",
    )
    code, out, err = run(capsys, "check", scenario, unknown)
    assert_clean_error(
        code, out, err,
        f"1 error:\n  {unknown}: request 'r1': field 'assignments' must be a known session id "
        "or null, got 'sun'",
    )  # fmt: skip


def test_out_is_written_whole_or_not_at_all(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_path = tmp_path / "a.json"
    out_path.write_text("previous", encoding="utf-8")
    code, _, _ = run(capsys, "allocate", BAD / "scenario.toml", "--requests", BAD / "many.csv",
                     "--out", out_path)  # fmt: skip
    assert code == 2
    assert out_path.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


# --- as installed ---------------------------------------------------------------------------


def test_python_dash_m_demo() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "seatalloc", "demo", "--seed", "3"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Workshop: 3 sessions, 84 seats")


def test_console_script() -> None:
    script = Path(sys.executable).with_name("seatalloc")
    command = str(script) if script.exists() else shutil.which("seatalloc")
    if command is None:
        pytest.skip("the seatalloc console script is not installed")
    done = subprocess.run(
        [command, "allocate", str(BAD / "scenario.toml"), "--requests", str(BAD / "many.csv")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("seatalloc: error: 8 errors:\n")
    assert "Traceback" not in done.stderr
