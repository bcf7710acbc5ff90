"""File formats: scenario TOML, requests CSV, allocation JSON and CSV (docs/formats.md)."""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

import seatalloc
from seatalloc import (
    Group,
    InputError,
    PartyRule,
    Problem,
    ProblemError,
    Quota,
    Request,
    Session,
    TieBreak,
    allocate,
)
from seatalloc.io import (
    allocation_csv,
    load_allocation,
    load_requests,
    load_scenario,
    parse_allocation,
    parse_requests,
    parse_requests_csv,
    parse_scenario,
    write_allocation,
)
from seatalloc.scenarios import WORKSHOP_ROLES, workshop

DATA = Path(__file__).parent / "data"
GOOD = DATA / "good"
BAD = DATA / "bad"
CET = timezone(timedelta(hours=1))


def messages(error: ProblemError) -> list[str]:
    return [str(e) for e in error.errors]


# --- scenario TOML -------------------------------------------------------------------------


def test_scenario_reads_every_key_and_the_requests_it_names() -> None:
    problem = load_scenario(GOOD / "scenario.toml")
    assert [(s.id, s.label, s.capacity) for s in problem.sessions] == [
        ("mon", "Monday", 2),
        ("tue", "Tuesday", 2),
    ]
    monday = problem.session_by_id["mon"]
    assert monday.start == datetime(2024, 3, 4, 9, tzinfo=CET)
    assert monday.end == datetime(2024, 3, 4, 17, tzinfo=CET)  # ISO text, parsed
    assert [(g.id, g.label) for g in problem.groups] == [
        ("north", "Norrbotten"),
        ("south", "Skåne"),
    ]
    assert set(problem.quotas) == {Quota(2, group="north"), Quota(1, role="lead", per_session=True)}
    assert problem.policy.tie_break is TieBreak.SEEDED
    assert problem.policy.seed == 7
    assert problem.policy.parties is PartyRule.TOGETHER
    assert problem.policy.prefer_colleagues is False
    assert sorted(r.id for r in problem.requests) == ["r1", "r2", "r3", "r4", "r5"]


def test_requests_csv_as_spreadsheets_export_it() -> None:
    """Semicolons, a byte-order mark, CRLF, non-ASCII, a quoted delimiter, spaces around '|'."""
    problem = load_scenario(GOOD / "scenario.toml")
    r1, r3, r5 = (problem.request_by_id[i] for i in ("r1", "r3", "r5"))
    assert r1 == Request(
        "r1", "north", "lead", datetime(2024, 2, 1, 8, tzinfo=CET), ("mon", "tue"),
        attributes={"name": "Åsa Öberg", "email": "asa@example.se"},
    )  # fmt: skip
    assert r3.sessions == ()  # empty: any session
    assert r3.party == "p1"
    assert r3.attributes["name"] == "Çava; Ödmark"
    assert r5.sessions == ("tue", "mon")
    assert problem.request_by_id["r4"].party is None


def test_comma_lf_and_no_bom_read_the_same(tmp_path: Path) -> None:
    text = (GOOD / "requests.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    plain = tmp_path / "requests.csv"
    with plain.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    scenario = load_scenario(GOOD / "scenario.toml")
    again = load_requests(plain, scenario)
    assert again == scenario
    assert [dict(r.attributes) for r in again.requests] == [
        dict(r.attributes) for r in scenario.requests
    ]


def test_the_good_scenario_allocates_as_the_rules_say() -> None:
    allocation = allocate(load_scenario(GOOD / "scenario.toml"))
    # r1 takes Monday and the Monday 'lead' place; the party r2+r3 needs two
    # seats in Monday (r2 accepts only Monday) and there is one; r4 is a lead.
    assert dict(allocation.assignments) == {
        "r1": "mon", "r2": None, "r3": None, "r4": None, "r5": "tue",
    }  # fmt: skip
    assert set(allocation.waitlist[:2]) == {"r2", "r3"}
    assert allocation.waitlist[2] == "r4"


def test_every_scenario_error_at_once_with_line_table_field_and_value(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        'colour = "blue"\n'  # 1
        "[[sessions]]\n"  # 2
        'id = "a"\n'
        "capacity = -1\n"  # 4
        "[[sessions]]\n"  # 5
        'id = "b"\n'
        "capcity = 2\n"  # 7
        "start = 2020-11-04\n"  # 8
        "[[groups]]\n"  # 9
        'id = "g"\n'
        "quota = -4\n"  # 11
        "[[groups]]\n"  # 12
        'id = "g"\n'  # 13
        "[[quotas]]\n"  # 14
        "limit = 1\n"
        'group = "nowhere"\n'  # 16
        "[policy]\n"  # 17
        'tie_break = "lottery"\n',  # 18
        encoding="utf-8",
    )
    with pytest.raises(ProblemError) as caught:
        load_scenario(scenario)
    s = str(scenario)
    assert messages(caught.value) == [
        f"{s}, line 1: scenario: field 'colour' is not a known key "
        "(sessions, groups, quotas, policy, requests), got 'blue'",
        f"{s}, line 4: sessions[1] 'a': field 'capacity' must be an integer >= 0, got -1",
        f"{s}, line 5: sessions[2] 'b': field 'capacity' is required, got None",
        f"{s}, line 7: sessions[2] 'b': field 'capcity' is not a known key "
        "(id, capacity, label, start, end), got 2",
        f"{s}, line 8: sessions[2] 'b': field 'start' must be a date-time (TOML, or ISO 8601 "
        "text) with a time of day, got '2020-11-04'",
        f"{s}, line 11: groups[1] 'g': field 'quota' must be an integer >= 0, got -4",
        f"{s}, line 13: groups[2] 'g': field 'id' must be unique, appears 2 times, got 'g'",
        f"{s}, line 16: quotas[1] 'group=nowhere': field 'group' must name a known group, "
        "got 'nowhere'",
        f"{s}, line 18: policy: field 'tie_break' must be one of 'id', 'seeded', got 'lottery'",
    ]


def test_errors_in_scenario_and_requests_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text(
        "id,group,role,arrival,sessions\nr1,g,x,1,a\nr2,h,x,2,a\n", encoding="utf-8"
    )
    (tmp_path / "s.toml").write_text(
        'requests = "r.csv"\n[[sessions]]\nid = "a"\ncapacity = "many"\n[[groups]]\nid = "g"\n',
        encoding="utf-8",
    )
    with pytest.raises(ProblemError) as caught:
        load_scenario(tmp_path / "s.toml")
    # Session 'a' is broken, yet r1's reference to it is not reported as unknown.
    assert messages(caught.value) == [
        f"{tmp_path / 's.toml'}, line 4: sessions[1] 'a': field 'capacity' "
        "must be an integer >= 0, got 'many'",
        f"{tmp_path / 'r.csv'}, line 3, column 'group': request 'r2': field 'group' "
        "must name a known group, got 'h'",
    ]


def test_inline_tables_have_no_line_but_still_the_table() -> None:
    text = 'sessions = [{id = "a", capacity = 1}, {id = "b", capacity = -2}]\ngroups = []\n'
    with pytest.raises(ProblemError) as caught:
        parse_scenario(text, "inline.toml")
    assert messages(caught.value) == [
        "inline.toml: sessions[2] 'b': field 'capacity' must be an integer >= 0, got -2"
    ]


def test_scenario_shapes_that_are_wrong() -> None:
    text = 'sessions = "a"\npolicy = 3\nrequests = 5\n[[groups]]\nlabel = "x"\n'
    with pytest.raises(ProblemError) as caught:
        parse_scenario(text, "t.toml")
    assert messages(caught.value) == [
        "t.toml, line 1: scenario: field 'sessions' must be an array of tables, got 'a'",
        "t.toml, line 2: scenario: field 'policy' must be a table, got 3",
        "t.toml, line 3: scenario: field 'requests' must be the path of a CSV file, got 5",
        "t.toml, line 4: groups[1]: field 'id' is required, got None",
    ]


def test_quota_release_accepts_iso_text() -> None:
    text = (
        '[[sessions]]\nid = "a"\ncapacity = 1\n[[groups]]\nid = "g"\n'
        '[[quotas]]\nlimit = 1\ngroup = "g"\nrelease = "2020-10-01T12:00:00+01:00"\n'
    )
    (quota,) = parse_scenario(text).quotas
    assert quota.release == datetime(2020, 10, 1, 12, tzinfo=CET)


def test_not_toml_names_file_and_line() -> None:
    with pytest.raises(InputError, match=r"^bad\.toml: not valid TOML: .*line 2"):
        parse_scenario('[[sessions]]\nid = "a\n', "bad.toml")


def test_not_utf8_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,group\nr1,Skåne\n".encode("latin-1"))
    with pytest.raises(
        InputError, match=r"latin1\.csv: not UTF-8 text \(byte 14: b'\\xe5', line 2\)"
    ):
        load_requests(path, workshop())


def test_missing_file_is_an_os_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        load_scenario(tmp_path / "nope.toml")
    assert caught.value.filename == str(tmp_path / "nope.toml")


# --- requests CSV: each kind of bad row --------------------------------------------------

BAD_ROWS = {
    "missing_column": [
        "line 1: header: field 'arrival' is a required column but missing, "
        "got 'id, group, role, sessions, name'"
    ],
    "field_count": ["line 3: request 'r2': field 'row' must have 6 fields like the header, got 5"],
    "empty_id": ["line 3, column 'id': request: field 'id' must be a non-empty string, got ''"],
    "duplicate_id": [
        "line 3, column 'id': request 'r1': field 'id' must be unique, already used on line 2, "
        "got 'r1'"
    ],
    "bad_arrival": [
        "line 3, column 'arrival': request 'r2': field 'arrival' must be an integer or an "
        "ISO 8601 date-time (such as 2020-10-01 09:00 or "
        "2020-10-01T09:00+01:00; write day/month/year dates as year-month-day), got 'tomorrow'"
    ],
    "mixed_arrival": [
        "line 3, column 'arrival': request 'r2': field 'arrival' must be an integer like the "
        "first request's, got '2024-02-01T08:00'"
    ],
    "unknown_group": [
        "line 3, column 'group': request 'r2': field 'group' must name a known group, got 'west'"
    ],
    "unknown_session": [
        "line 3, column 'sessions': request 'r2': field 'sessions' must name a known session, "
        "got 'wed'"
    ],
    "repeated_session": [
        "line 3, column 'sessions': request 'r2': field 'sessions' must not repeat a session "
        "(mon), got 'mon|tue|mon'"
    ],
    "empty_session_item": [
        "line 3, column 'sessions': request 'r2': field 'sessions' must not have an empty item "
        "between '|', got 'mon||tue'"
    ],
    "party_mismatch": [
        "line 3, column 'group': request 'r2': field 'group' must equal that of 'r1', in the "
        "same party 'p1', got 'south'",
        "line 4, column 'arrival': request 'r3': field 'arrival' must equal that of 'r1', in "
        "the same party 'p1', got '2'",
    ],
}


@pytest.mark.parametrize("kind", sorted(BAD_ROWS))
def test_each_kind_of_bad_row_has_its_exact_message(kind: str) -> None:
    path = BAD / f"{kind}.csv"
    with pytest.raises(ProblemError) as caught:
        load_requests(path, load_scenario(BAD / "scenario.toml"))
    assert messages(caught.value) == [f"{path}, {m}" for m in BAD_ROWS[kind]]
    assert "Secret" not in str(caught.value)  # free columns hold personal data


def test_every_bad_row_at_once_by_physical_line() -> None:
    """A quoted cell spanning two lines shifts the later rows' line numbers."""
    path = BAD / "many.csv"
    with pytest.raises(ProblemError) as caught:
        load_requests(path, load_scenario(BAD / "scenario.toml"))
    found = [(e.where.line if e.where else None, e.field) for e in caught.value.errors]
    assert found == [
        (4, "id"), (5, "id"), (6, "arrival"), (7, "group"),
        (8, "sessions"), (9, "sessions"), (10, "sessions"), (11, "row"),
    ]  # fmt: skip
    assert "Secret" not in str(caught.value)
    assert str(caught.value).startswith("8 errors:\n")


def test_header_problems() -> None:
    with pytest.raises(ProblemError) as caught:
        parse_requests_csv("id,group,role,arrival,sessions,id,\n", "h.csv")
    assert messages(caught.value) == [
        "h.csv, line 1: header: field 'id' must appear once, got 'id, group, role, arrival, "
        "sessions, id, '",
        "h.csv, line 1: header: field 'column 7' must have a name, got ''",
    ]
    with pytest.raises(InputError, match=r"^e\.csv: empty, expected a header row"):
        parse_requests_csv("\n", "e.csv")


def test_blank_and_all_empty_rows_are_not_requests() -> None:
    text = "id;group;role;arrival;sessions\n\nr1;g;;1;\n;;;;\n"
    (request,) = parse_requests_csv(text)
    assert request == Request("r1", "g", "", 1)


def test_arrivals_integer_or_iso() -> None:
    text = (
        "id,group,role,arrival,sessions\na,g,,2020-10-01T09:00:00Z,\nb,g,,2020-10-01 09:30+00:00,\n"
    )
    a, b = parse_requests_csv(text)
    assert a.arrival == datetime(2020, 10, 1, 9, tzinfo=UTC)
    assert b.arrival == datetime(2020, 10, 1, 9, 30, tzinfo=UTC)
    (c,) = parse_requests_csv("id,group,role,arrival,sessions\nc,g,,-007,\n")
    assert c.arrival == -7


def test_parse_requests_checks_against_the_problem() -> None:
    problem = Problem([Session("a", 1)], [Group("g")], [])
    got = parse_requests("id,group,role,arrival,sessions\nr,g,x,1,a\n", problem)
    assert got.requests == (Request("r", "g", "x", 1, ("a",)),)
    with pytest.raises(ProblemError, match="<requests>, line 2, column 'sessions'"):
        parse_requests("id,group,role,arrival,sessions\nr,g,x,1,b\n", problem)


# --- allocation JSON and CSV ---------------------------------------------------------------


@pytest.fixture
def good() -> Problem:
    return load_scenario(GOOD / "scenario.toml")


def test_allocation_json_round_trip(good: Problem, tmp_path: Path) -> None:
    allocation = allocate(good)
    path = tmp_path / "a.json"
    write_allocation(allocation, path)
    again = load_allocation(path, good)
    assert again == allocation
    assert again.method == "fcfs"
    assert again.to_dict() == allocation.to_dict()


def test_hand_edited_assignments_only(good: Problem) -> None:
    text = json.dumps(
        {"assignments": {"r1": "tue", "r2": None, "r3": None, "r4": "mon", "r5": None}}
    )
    allocation = parse_allocation(text, good)
    assert allocation.method == "file"
    # Default waitlist: the unseated in arrival order.
    assert allocation.waitlist == tuple(r.id for r in good.order if r.id in {"r2", "r3", "r5"})
    assert allocation.decisions["r4"].session == "mon"
    r1 = allocation.decisions["r1"]
    assert (r1.status.value, r1.session, r1.rank) == ("seated", "tue", 2)


def test_allocation_errors_all_at_once(good: Problem) -> None:
    text = json.dumps(
        {
            "assignments": {"r1": "mon", "r2": None, "r3": "wed", "r4": ["x"], "r9": "mon"},
            "waitlist": ["r1", "r2", "r2", "zz", "r5"],
            "extra": 1,
        }
    )
    with pytest.raises(ProblemError) as caught:
        parse_allocation(text, good, "a.json")
    assert messages(caught.value) == [
        "a.json: allocation: field 'extra' is not a known key "
        "(method, assignments, waitlist, decisions, metrics, report), got 'extra'",
        "a.json: request 'r3': field 'assignments' must be a known session id or null, got 'wed'",
        "a.json: request 'r4': field 'assignments' must be a known session id or null, got ['x']",
        "a.json: request 'r9': field 'assignments' must name a request of the problem, got 'r9'",
        "a.json: request 'r5': field 'assignments' must be listed (a session id, or null when "
        "unseated), got None",
        "a.json: request 'r1': field 'waitlist' must list unseated requests only, but it sits "
        "in 'mon', got 'r1'",
        "a.json: request 'r2': field 'waitlist' must list each request once, got 'r2'",
        "a.json: request 'zz': field 'waitlist' must name a request of the problem, got 'zz'",
    ]


def test_allocation_shapes_that_are_wrong(good: Problem) -> None:
    with pytest.raises(ProblemError) as caught:
        parse_allocation('{"assignments": [], "waitlist": "r1", "method": ""}', good, "a.json")
    assert messages(caught.value) == [
        "a.json: allocation: field 'method' must be a non-empty string, got ''",
        "a.json: allocation: field 'assignments' must be an object mapping request ids to "
        "session ids or null, got 'list'",
        "a.json: allocation: field 'waitlist' must be a list of request ids, got 'str'",
    ]
    with pytest.raises(ProblemError) as caught:
        parse_allocation('{"assignments": {"r1": "mon", "r1": null}}', good, "a.json")
    assert messages(caught.value)[0] == (
        "a.json: allocation: field 'r1' must appear once in its JSON object, got 'r1'"
    )
    with pytest.raises(ProblemError, match="field 'assignments' is required"):
        parse_allocation("{}", good, "a.json")


def test_malformed_json_names_line_and_column(good: Problem) -> None:
    text = '{\n  "assignments": {\n    "r1": "mon",\n  }\n}'
    with pytest.raises(InputError) as caught:
        parse_allocation(text, good, "a.json")
    # The fault's place and this Python's own words for it (3.13 words it anew).
    with pytest.raises(json.JSONDecodeError) as decoded:
        json.loads(text)
    fault = decoded.value
    assert str(caught.value) == (
        f"a.json, line {fault.lineno}, column {fault.colno}: not valid JSON: {fault.msg}"
    )


def test_allocation_csv_records(good: Problem, tmp_path: Path) -> None:
    allocation = allocate(good)
    path = tmp_path / "a.csv"
    write_allocation(allocation, path, "csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert rows[0] == {
        "id": "r1", "group": "north", "role": "lead", "arrival": "2024-02-01T08:00:00+01:00",
        "status": "seated", "session": "mon", "rank": "1", "position": "", "reason": "first-choice",
        "explanation": "seated in Monday (1st choice)",
    }  # fmt: skip
    assert [r["id"] for r in rows] == [r.id for r in good.order]
    assert path.read_text(encoding="utf-8") == allocation_csv(allocation)


def test_write_is_atomic(good: Problem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.json"
    path.write_text("old", encoding="utf-8")

    def crash(src: str, dst: str) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        write_allocation(allocate(good), path)
    assert path.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_unknown_format_is_refused(good: Problem, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format must be 'json' or 'csv', got 'xml'"):
        write_allocation(allocate(good), tmp_path / "a.xml", "xml")  # type: ignore[arg-type]
    assert not list(tmp_path.iterdir())


# --- the embedded workshop ------------------------------------------------------------------

BOARDS = {
    "blekinge": "Länsstyrelsen i Blekinge län",
    "dalarna": "Länsstyrelsen i Dalarnas län",
    "gotland": "Länsstyrelsen i Gotlands län",
    "gavleborg": "Länsstyrelsen i Gävleborgs län",
    "halland": "Länsstyrelsen i Hallands län",
    "jamtland": "Länsstyrelsen i Jämtlands län",
    "jonkoping": "Länsstyrelsen i Jönköpings län",
    "kalmar": "Länsstyrelsen i Kalmar län",
    "kronoberg": "Länsstyrelsen i Kronobergs län",
    "norrbotten": "Länsstyrelsen i Norrbottens län",
    "skane": "Länsstyrelsen Skåne",
    "stockholm": "Länsstyrelsen i Stockholms län",
    "sodermanland": "Länsstyrelsen i Södermanlands län",
    "uppsala": "Länsstyrelsen i Uppsala län",
    "varmland": "Länsstyrelsen i Värmlands län",
    "vasterbotten": "Länsstyrelsen i Västerbottens län",
    "vasternorrland": "Länsstyrelsen i Västernorrlands län",
    "vastmanland": "Länsstyrelsen i Västmanlands län",
    "vastra-gotaland": "Länsstyrelsen i Västra Götalands län",
    "orebro": "Länsstyrelsen i Örebro län",
    "ostergotland": "Länsstyrelsen i Östergötlands län",
}


def test_workshop_is_the_announced_one() -> None:
    problem = workshop()
    assert {g.id: g.label for g in problem.groups} == BOARDS
    assert set(problem.quotas) == {Quota(4, group=g) for g in BOARDS}
    noon = [datetime(2020, m, d, 12, tzinfo=CET) for m, d in ((11, 4), (11, 25), (12, 2))]
    assert [(s.capacity, s.start, s.end) for s in problem.sessions] == [
        (28, start, start + timedelta(days=1)) for start in noon
    ]
    dash = "\N{EN DASH}"
    assert [s.label for s in problem.sessions] == [
        f"4{dash}5 November",
        f"25{dash}26 November",
        f"2{dash}3 December",
    ]
    assert sum(s.capacity for s in problem.sessions) == 4 * len(BOARDS) == 84
    assert problem.requests == ()
    assert sorted(WORKSHOP_ROLES) == sorted(
        ["planner", "infrastructure", "energy-climate", "env-objectives", "transport"]
    )


def test_public_names_exist() -> None:
    for name in ("load_scenario", "load_requests", "load_allocation", "write_allocation"):
        assert name in seatalloc.__all__
        assert callable(getattr(seatalloc, name))
