"""``seatalloc init``: a commented template that loads, its names taken from a requests file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from seatalloc import load_scenario
from seatalloc.cli import main
from seatalloc.io.requests import parse_requests_csv

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "data"


def test_a_blank_template_loads_and_explains_its_keys(tmp_path: Path) -> None:
    out = tmp_path / "s.toml"
    assert main(["init", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    problem = load_scenario(out)
    assert [s.capacity for s in problem.sessions] == [0]
    assert "SET ME" in text and "# tie_break" in text and "# quota = 4" in text


def test_from_a_requests_file_its_groups_sessions_and_roles(tmp_path: Path) -> None:
    requests = shutil.copy(EXAMPLES / "requests.csv", tmp_path / "requests.csv")
    out = tmp_path / "conf" / "s.toml"
    out.parent.mkdir()
    assert main(["init", str(out), "--from", str(requests)]) == 0
    problem = load_scenario(out)  # the template's `requests` points back at the file
    written = parse_requests_csv(Path(requests).read_text(encoding="utf-8"))
    assert problem.session_ids == tuple(sorted({s for r in written for s in r.sessions}))
    assert [g.id for g in problem.groups] == sorted({r.group for r in written})
    assert len(problem.requests) == len(written)
    roles = sorted({r.role for r in written if r.role})
    assert f"# Roles the requests name: {', '.join(roles)}." in out.read_text(encoding="utf-8")


def test_from_a_spreadsheet(tmp_path: Path) -> None:
    xlsxwriter = pytest.importorskip("xlsxwriter", reason="needs the 'excel' extra")
    book = xlsxwriter.Workbook(str(tmp_path / "svar.xlsx"))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["id", "group", "role", "arrival", "sessions", "namn"])
    sheet.write_row(1, 0, ["a", "skåne", "planner", 1, "tisdag|onsdag", "Åsa"])
    sheet.write_row(2, 0, ["b", "örebro", "", 2, "", "Örjan"])
    book.close()
    out = tmp_path / "s.toml"
    assert main(["init", str(out), "--from", str(tmp_path / "svar.xlsx")]) == 0
    text = out.read_text(encoding="utf-8")
    assert 'id = "onsdag"' in text and 'id = "tisdag"' in text
    assert 'id = "skåne"' in text and 'id = "örebro"' in text
    assert "Åsa" not in text  # no personal data in the template


def test_an_existing_file_is_kept_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s.toml"
    out.write_text("# mine\n", encoding="utf-8")
    assert main(["init", str(out)]) == 2
    assert "exists; use --force" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "# mine\n"
    assert main(["init", str(out), "--force"]) == 0
    assert out.read_text(encoding="utf-8") != "# mine\n"
