"""Issue 9, item 5: bad input never misleads. Each defect, its exact message (our own wording)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seatalloc import FieldError, Group, Policy, Problem, Request, Session, allocate
from seatalloc.cli import main
from seatalloc.errors import InputError, ProblemError
from seatalloc.io import load_scenario
from seatalloc.io.requests import read_request_rows

SCENARIO = '[[sessions]]\nid = "a"\ncapacity = 1\n[[groups]]\nid = "g"\n'
HEADER = "id,group,role,arrival,sessions\n"


def cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def files(tmp_path: Path, csv_text: str, named: str | None = None) -> tuple[Path, Path]:
    scenario = tmp_path / "s.toml"
    head = f'requests = "{named}"\n' if named else ""
    scenario.write_text(head + SCENARIO, encoding="utf-8")
    requests = tmp_path / "r.csv"
    requests.write_text(csv_text, encoding="utf-8")
    return scenario, requests


def test_unclosed_quote_in_the_last_column_names_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = 'id,group,role,arrival,sessions,name\nr1,g,,1,a,x\nr2,g,,2,a,"Bob\nr3,g,,3,a,y\n'
    scenario, requests = files(tmp_path, text)
    code, out, err = cli(capsys, "allocate", scenario, "--requests", requests)
    assert code == 2 and out == ""
    assert err == (
        f"seatalloc: error: {requests}, line 3: a quote opened on this line is never closed, "
        'so every later line would be read into one cell; close it with " or remove it\n'
    )


@pytest.mark.parametrize("command", ["allocate", "check"])
def test_requests_option_replaces_the_scenarios_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    # The scenario names a broken file: with --requests it must never be read.
    scenario, requests = files(tmp_path, HEADER + "r1,g,,1,a\n", named="broken.csv")
    (tmp_path / "broken.csv").write_text("nonsense\n", encoding="utf-8")
    out_file = tmp_path / "a.json"
    code, _, err = cli(capsys, "allocate", scenario, "--requests", requests, "--format", "json",
                       "--out", out_file)  # fmt: skip
    assert (code, err) == (0, "")
    if command == "check":
        code, out, err = cli(capsys, "check", scenario, "--requests", requests, out_file)
        assert (code, err) == (0, "")
        assert "1 requests, 1 seated, 0 waitlisted" in out
    assert len(load_scenario(scenario, requests=requests).requests) == 1


@pytest.mark.parametrize(
    ("cell", "fault"),
    [
        ("2020-10-02", "with a time of day (a date alone would silently mean midnight)"),
        ("2020-W40-5", "as a calendar date with a time of day (an ISO week date is not read)"),
        (
            "2020-10-02T10:00:00.1234567",
            "with at most 6 fractional digits (more would be cut into a false tie)",
        ),
    ],
)
def test_arrivals_that_would_silently_change(cell: str, fault: str) -> None:
    rows = read_request_rows(HEADER + f"r1,g,,{cell},a\n", "f.csv")
    assert [str(e) for e in rows.errors] == [
        f"f.csv, line 2, column 'arrival': request 'r1': field 'arrival' must be an integer "
        f"or an ISO 8601 date-time {fault}, got {cell!r}"
    ]


def test_sub_microsecond_digits_make_no_false_tie() -> None:
    text = HEADER + "r1,g,,2020-10-02T10:00:00.1234561,a\nr2,g,,2020-10-02T10:00:00.1234569,a\n"
    assert len(read_request_rows(text, "f.csv").errors) == 2


def test_session_start_as_a_date_string_is_an_error() -> None:
    text = '[[sessions]]\nid = "a"\ncapacity = 1\nstart = "2020-11-04"\n'
    with pytest.raises(ProblemError) as info:
        from seatalloc.io import parse_scenario

        parse_scenario(text, "s.toml")
    assert [str(e) for e in info.value.errors] == [
        "s.toml, line 4: sessions[1] 'a': field 'start' must be a date-time (TOML, or ISO 8601 "
        "text) with a time of day (a date alone would silently mean midnight), got '2020-11-04'"
    ]


def test_out_refuses_to_overwrite_an_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, requests = files(tmp_path, HEADER + "r1,g,,1,a\n")
    before = requests.read_bytes()
    code, out, err = cli(capsys, "allocate", scenario, "--requests", requests, "--out", requests)
    assert (code, out) == (2, "")
    assert err == (
        f"seatalloc: error: --out {requests}: is an input of this command; "
        "choose another path to write to\n"
    )
    assert requests.read_bytes() == before


def test_out_error_names_the_users_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario, requests = files(tmp_path, HEADER + "r1,g,,1,a\n")
    target = tmp_path / "missing" / "a.json"
    code, _, err = cli(capsys, "allocate", scenario, "--requests", requests, "--out", target)
    assert code == 2
    assert err.startswith("seatalloc: error: ") and err.endswith(f": {target}\n")
    assert ".tmp" not in err


def test_a_set_is_not_a_ranking() -> None:
    with pytest.raises(FieldError) as info:
        Request("r1", "g", sessions={"a", "b"})  # type: ignore[arg-type]
    assert str(info.value) == (
        "request 'r1': field 'sessions' must be ranked (a list or tuple, best first), "
        "not an unordered set, got 'set'"
    )


def test_wrong_types_to_problem_name_the_field() -> None:
    with pytest.raises(ProblemError) as info:
        Problem([Session("a", 1)], [Group("g")], [], policy="fcfs")  # type: ignore[arg-type]
    assert [str(e) for e in info.value.errors] == [
        "policy: field 'type' must be a Policy, got 'str'"
    ]
    with pytest.raises(FieldError) as error:
        Problem("a", [Group("g")], [])  # type: ignore[arg-type]
    assert str(error.value) == "problem: field 'sessions' must be a list or tuple, got 'str'"


@pytest.mark.parametrize(("char", "code"), [("\n", "000A"), ("\a", "0007"), ("\u202e", "202E")])
def test_ids_with_control_characters_are_rejected(char: str, code: str) -> None:
    with pytest.raises(FieldError) as info:
        Request(f"r{char}1", "g")
    assert str(info.value) == (
        f"request {'r' + char + '1'!r}: field 'id' must not contain control characters "
        f"(U+{code}), got {'r' + char + '1'!r}"
    )
    rows = read_request_rows(HEADER + f'"r{char}1",g,,1,a\n', "f.csv")
    assert [e.expected for e in rows.errors] == [f"must not contain control characters (U+{code})"]


def test_session_ids_are_trimmed_alike_in_toml_csv_and_api() -> None:
    from seatalloc.io import parse_scenario

    problem = parse_scenario('[[sessions]]\nid = " a "\ncapacity = 1\n[[groups]]\nid = "g"\n')
    assert problem.session_ids == ("a",)
    assert Session(" a ", 1).id == "a"
    assert Request("r1", "g", sessions=[" a "]).sessions == ("a",)
    rows = read_request_rows(HEADER + "r1,g,,1, a \n")
    assert rows.requests[0].sessions == ("a",)
    assert allocate(problem.replace(requests=rows.requests)).assignments["r1"] == "a"


def test_utf16_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    scenario, requests = files(tmp_path, "")
    requests.write_bytes((HEADER + "r1,g,,1,a\n").encode("utf-16"))
    assert load_scenario(scenario, requests=requests).requests[0].id == "r1"


def test_cp1252_says_what_it_found_and_how_to_resave(tmp_path: Path) -> None:
    scenario, requests = files(tmp_path, "")
    requests.write_bytes((HEADER + "r1,g,Skåne,1,a\n").encode("cp1252"))
    with pytest.raises(InputError) as info:
        load_scenario(scenario, requests=requests)
    assert str(info.value) == (
        f"{requests}: not UTF-8 text (byte 38: b'\\xe5', line 2); it looks like Windows-1252 "
        "or Latin-1 ('å'): re-save it as UTF-8 (Excel: Save As 'CSV UTF-8 (Comma delimited)'; "
        "LibreOffice: Character set 'Unicode (UTF-8)')"
    )


def test_tab_delimiter_and_excel_sep_line_are_read() -> None:
    tab = read_request_rows(HEADER.replace(",", "\t") + "r1\tg\t\t1\ta\n", "f.csv")
    assert (tab.errors, tab.requests[0].sessions) == ((), ("a",))
    text = "sep=;\n" + HEADER.replace(",", ";") + "r1;g;;1;a\nr2;g;;x;a\n"
    excel = read_request_rows(text, "f.csv")
    assert [str(e) for e in excel.errors] == [
        "f.csv, line 4, column 'arrival': request 'r2': field 'arrival' must be an integer "
        "or an ISO 8601 date-time (such as 2020-10-01 09:00 or "
        "2020-10-01T09:00+01:00; write day/month/year dates as year-month-day), got 'x'"
    ]


def test_bulk_and_row_by_row_paths_agree_on_a_valid_file() -> None:
    text = HEADER + "".join(f"r{i},g,,{i % 5},a\n" for i in range(50))
    fast = read_request_rows(text, "f.csv")
    slow = read_request_rows(text + "\n", "f.csv")  # a blank line: read row by row
    assert fast.requests == slow.requests
    assert dict(fast.lines) == dict(slow.lines)
    assert Policy() == Policy()


def test_check_reports_a_waitlist_out_of_order_or_incomplete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, requests = files(tmp_path, HEADER + "r1,g,,1,a\nr2,g,,2,a\nr3,g,,3,a\nr4,g,,4,a\n")
    bad = tmp_path / "a.json"
    bad.write_text(
        '{"assignments": {"r1": "a", "r2": null, "r3": null, "r4": null},'
        ' "waitlist": ["r3", "r2"]}',
        encoding="utf-8",
    )
    code, out, err = cli(capsys, "check", scenario, "--requests", requests, bad)
    assert (code, err) == (1, "")
    assert out.splitlines()[1:] == [
        "  waitlist: the waitlist leaves out unseated request 'r4'",
        "  waitlist: the waitlist is out of arrival order: 'r3' is listed before 'r2', "
        "which came first",
    ]
