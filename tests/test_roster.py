"""Rosters: ids only by default; names and e-mails when asked, in CSV, .xlsx and HTML alike."""

from __future__ import annotations

import csv
import html
import shutil
from io import StringIO
from pathlib import Path

import pytest

from seatalloc import FieldError, load_scenario
from seatalloc.cli import main
from seatalloc.fcfs import allocate
from seatalloc.io.roster import WAITLIST_SHEET, roster_csv, roster_html, roster_records

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "data"


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """The example course, its requests with an e-mail column made from the phone column."""
    shutil.copy(EXAMPLES / "course.toml", tmp_path / "course.toml")
    rows = list(csv.reader((EXAMPLES / "requests.csv").read_text(encoding="utf-8").splitlines(),
                           delimiter=";"))  # fmt: skip
    header = rows[0]
    phone = header.index("phone")
    header[phone] = "email"
    for n, row in enumerate(rows[1:], start=1):
        row[phone] = f"person{n}@example.se"
    out = StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(rows)
    (tmp_path / "requests.csv").write_text(out.getvalue(), encoding="utf-8")
    return tmp_path / "course.toml"


def test_by_default_no_personal_data_and_columns_add_exactly_the_chosen(course: Path) -> None:
    allocation = allocate(load_scenario(course))
    plain = roster_csv(allocation)
    names = [r.attributes["name"] for r in allocation.problem.requests]
    assert not any(name in plain for name in names)
    rows = list(csv.DictReader(StringIO(roster_csv(allocation, ("name", "email")))))
    assert list(rows[0])[:5] == ["id", "group", "role", "name", "email"]
    by_id = allocation.problem.request_by_id
    assert {r["id"]: r["name"] for r in rows} == {i: by_id[i].attributes["name"] for i in by_id}
    assert [r["session"] or None for r in rows] == [allocation.assignments[r["id"]] for r in rows]
    with pytest.raises(FieldError, match=r"requests have: email, name\), got 'emial'"):
        roster_records(allocation, ("emial",))


def test_allocate_writes_an_xlsx_with_a_sheet_per_session_and_the_waitlist(
    course: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calamine = pytest.importorskip("python_calamine", reason="needs the 'excel' extra")
    out = tmp_path / "r.xlsx"
    code = main(["allocate", str(course), "--columns", "name,email", "--format", "xlsx",
                 "--out", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    allocation = allocate(load_scenario(course))
    problem = allocation.problem
    book = calamine.CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == [*(s.name for s in problem.sessions), WAITLIST_SHEET]
    for session in problem.sessions:
        cells = book.get_sheet_by_name(session.name).to_python()
        assert cells[0][:6] == ["seat", "id", "group", "role", "name", "email"]
        assert [row[1] for row in cells[1:]] == list(allocation.rosters[session.id])
        assert [row[4] for row in cells[1:]] == [
            problem.request_by_id[i].attributes["name"] for i in allocation.rosters[session.id]
        ]
        assert [int(row[0]) for row in cells[1:]] == list(range(1, len(cells)))
    waiting = book.get_sheet_by_name(WAITLIST_SHEET).to_python()
    assert waiting[0][:4] == ["position", "id", "group", "role"]
    assert [row[1] for row in waiting[1:]] == list(allocation.waitlist)
    assert [int(row[0]) for row in waiting[1:]] == list(range(1, len(allocation.waitlist) + 1))


def test_the_html_roster_names_every_seated_person_in_their_session(
    course: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r.html"
    assert main(["allocate", str(course), "--columns", "name", "--format", "html",
                 "--out", str(out)]) == 0  # fmt: skip
    page = out.read_text(encoding="utf-8")
    allocation = allocate(load_scenario(course))
    problem = allocation.problem
    sections = page.split('<section id="')[1:]
    assert [s.split('"', 1)[0] for s in sections] == [
        *(f"session-{s}" for s in problem.session_ids),
        "waitlist",
    ]
    for section, session in zip(sections, problem.session_ids, strict=False):
        for request in problem.requests:
            shown = html.escape(request.attributes["name"]) in section
            assert shown == (allocation.assignments[request.id] == session), request.id
    assert "email" not in page  # only the column asked for


def test_breakout_table_cards_list_every_seated_person_once_per_round(course: Path) -> None:
    from seatalloc.breakouts import Roster, plan_breakouts

    allocation = allocate(load_scenario(course))
    plans = {
        s: plan_breakouts(
            Roster.from_allocation(allocation, s), tables=2, rounds=2, seed=1, work=0.5
        )
        for s in allocation.problem.session_ids
    }
    page = roster_html(allocation, ("name",), breakouts=plans)
    for session, plan in plans.items():
        section = page.split(f'<section id="session-{session}">')[1].split("</section>")[0]
        rounds = section.split("<h3>Breakout round ")[1:]
        assert len(rounds) == 2
        for text, tables in zip(rounds, plan.rounds, strict=True):
            cards = text.split('<div class="card">')[1:]
            assert len(cards) == len(tables)
            for card, people in zip(cards, tables, strict=True):
                for person in people:
                    name = allocation.problem.request_by_id[person].attributes["name"]
                    assert html.escape(name) in card


def test_xlsx_needs_out_and_columns_need_a_roster_format(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["allocate", str(course), "--format", "xlsx"]) == 2
    assert "--format xlsx needs --out" in capsys.readouterr().err
    assert main(["allocate", str(course), "--columns", "name"]) == 2
    assert "--columns applies to --format csv, xlsx or html" in capsys.readouterr().err
