"""Requests from .xlsx: typed date cells, text dates, Swedish names; the same checks as CSV."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from seatalloc import InputError, ProblemError
from seatalloc.fcfs import allocate
from seatalloc.scenarios import workshop

xlsxwriter = pytest.importorskip("xlsxwriter", reason="needs the 'excel' extra")
pytest.importorskip("python_calamine", reason="needs the 'excel' extra")

from seatalloc.breakouts.reader import read_roster  # noqa: E402
from seatalloc.io.excel import load_requests_sheet, read_sheet, sheet_name  # noqa: E402

HEADER = ["id", "group", "role", "arrival", "sessions", "name", "email"]
NAMES = ["Åsa Öberg", "Märta Ståhl", "Björn Ängström", "Örjan Lindén"]


def _export(path: Path, rows: list[list[object]], sheet: str = "Formulärsvar 1") -> Path:
    """A registration form's export: header in bold, arrivals as Excel date cells or text."""
    book = xlsxwriter.Workbook(str(path))
    page = book.add_worksheet(sheet)
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    page.write_row(0, 0, HEADER, book.add_format({"bold": True}))
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                page.write_datetime(r, c, value, when)
            else:
                page.write(r, c, value)
    book.close()
    return path


def _rows() -> list[list[object]]:
    at = datetime(2020, 10, 1, 9, 0)
    return [
        ["r1", "uppsala", "planner", at, "nov04|nov25", NAMES[0], "asa@x.se"],
        ["r2", "uppsala", "transport", "2020-10-01 09:05", "nov04", NAMES[1], "marta@x.se"],
        ["r3", "skane", "planner", datetime(2020, 10, 1, 9, 10), "", NAMES[2], "bjorn@x.se"],
        ["r4", "blekinge", "energy-climate", "2020-10-01T09:15", "dec02", NAMES[3], "orjan@x.se"],
    ]


def test_an_export_with_date_cells_and_swedish_names_is_read_and_allocated(
    tmp_path: Path,
) -> None:
    problem = load_requests_sheet(_export(tmp_path / "svar.xlsx", _rows()), workshop())
    by_id = problem.request_by_id
    assert [r.id for r in problem.requests] == ["r1", "r2", "r3", "r4"]
    assert by_id["r1"].arrival == datetime(2020, 10, 1, 9, 0)
    assert by_id["r2"].arrival == datetime(2020, 10, 1, 9, 5)
    assert by_id["r4"].arrival == datetime(2020, 10, 1, 9, 15)
    assert by_id["r3"].sessions == ()
    assert [by_id[f"r{i + 1}"].attributes["name"] for i in range(4)] == NAMES
    assert dict(by_id["r1"].attributes) == {"name": NAMES[0], "email": "asa@x.se"}
    assert allocate(problem).assignments["r1"] == "nov04"


def test_a_day_month_year_text_date_is_rejected_naming_row_value_and_accepted_forms(
    tmp_path: Path,
) -> None:
    rows = _rows()
    rows[1][3] = "01/10/2020 09:05"  # 1 October, as Swedish and European forms write it
    path = _export(tmp_path / "svar.xlsx", rows)
    with pytest.raises(ProblemError) as caught:
        load_requests_sheet(path, workshop())
    assert str(caught.value) == (
        "1 error:\n"
        f"  {path} (sheet 'Formulärsvar 1'), line 3, column 'arrival': request 'r2': "
        "field 'arrival' must be an integer or an ISO 8601 date-time (such as "
        "2020-10-01 09:00 or 2020-10-01T09:00+01:00; write day/month/year dates as "
        "year-month-day), got '01/10/2020 09:05'"
    )


def test_every_bad_row_is_reported_by_sheet_row_and_field(tmp_path: Path) -> None:
    rows = _rows()
    rows[0][1] = "atlantis"  # no such board: found by the problem's cross check
    rows[2][3] = "soon"
    rows[3][0] = "r1"
    with pytest.raises(ProblemError) as caught:
        load_requests_sheet(_export(tmp_path / "bad.xlsx", rows), workshop())
    lines = str(caught.value).splitlines()
    assert lines[0].endswith("3 errors:")
    assert "line 2, column 'group'" in lines[1] and "'atlantis'" in lines[1]
    assert "line 4, column 'arrival'" in lines[2] and "'soon'" in lines[2]
    assert "line 5, column 'id'" in lines[3] and "already used on line 2" in lines[3]


def test_a_missing_column_is_named_and_a_non_spreadsheet_is_rejected(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "h.xlsx"))
    book.add_worksheet("Blad1").write_row(0, 0, ["id", "group", "role", "sessions"])
    book.close()
    with pytest.raises(ProblemError, match="'arrival' is a required column but missing"):
        load_requests_sheet(tmp_path / "h.xlsx", workshop())
    (tmp_path / "x.xlsx").write_text("id,group\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"x\.xlsx: not a readable spreadsheet"):
        load_requests_sheet(tmp_path / "x.xlsx", workshop())
    with pytest.raises(InputError, match="no sheet 'Svar'"):
        read_sheet(tmp_path / "h.xlsx", "Svar")
    with pytest.raises(FileNotFoundError):
        read_sheet(tmp_path / "none.xlsx")


def test_sheet_names_are_valid_and_unique() -> None:
    assert sheet_name("4-5 November: rum [A]") == "4-5 November_ rum _A_"
    long = "x" * 40
    assert sheet_name(long) == "x" * 31
    assert sheet_name(long, [sheet_name(long)]) == "x" * 27 + " (2)"


def _roster_book(path: Path, rows: list[list[object]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    page = book.add_worksheet("Deltagare")
    page.write_row(0, 0, ["id", "group", "role", "name"])
    for r, row in enumerate(rows, start=1):
        page.write_row(r, 0, row)
    book.close()
    return path


def test_a_breakout_roster_is_read_from_xlsx_and_a_bad_row_named_by_sheet_line_field(
    tmp_path: Path,
) -> None:
    rows: list[list[object]] = [
        ["p1", "uppsala", "planner", NAMES[0]],
        [7, "skane", "", NAMES[1]],  # a whole-number id cell is the text "7"
        ["p3", "skane", "transport", NAMES[2]],
    ]
    roster = read_roster(_roster_book(tmp_path / "r.xlsx", rows))
    people = {p.id: p for p in roster.participants}
    assert {k: (p.group, p.role) for k, p in people.items()} == {
        "p1": ("uppsala", "planner"), "7": ("skane", ""), "p3": ("skane", "transport"),
    }  # fmt: skip
    assert people["p3"].attributes["name"] == NAMES[2]
    rows[2][1] = ""
    path = _roster_book(tmp_path / "bad.xlsx", rows)
    with pytest.raises(ProblemError) as caught:
        read_roster(path)
    source = f"{path} (sheet 'Deltagare')"
    assert str(caught.value) == (
        f"{source}: 1 error:\n  {source}, line 4, column 'group': participant 'p3': "
        "field 'group' must not be empty, got ''"
    )
