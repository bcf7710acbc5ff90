"""The requests CSV reader's column-wise path says exactly what the row-by-row path says."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seatalloc import Group, Problem, SeatallocError, Session
from seatalloc.errors import InputError
from seatalloc.io.requests import parse_requests, read_request_rows

# Cells chosen to hit every check of both paths: blanks, spaces to trim, repeats, empty
# items, control characters, every arrival form read or refused, quotes and delimiters.
IDS = st.sampled_from(["r1", "r2", "r3", " r4 ", "", "r\x075", "r6", "r7", "r8", "r9"])
GROUPS = st.sampled_from(["g", " g", "h", "", "g\u202e"])
ROLES = st.sampled_from(["", "lead", " lead "])
ARRIVALS = st.sampled_from([
    "1", " 2", "-3", "x", "",
    "2020-10-01T09:00:00", "2020-10-01 09:00", "2020-10-01T09:00:01.5", "2020-13-01T09:00:00",
    "2020-10-01", "2020-W40-4T09:00", "2020-10-01T09:00:00.1234567", "2020-10-01T09:00+01:00",
])  # fmt: skip
SESSIONS = st.sampled_from(["", " ", "a", "a|b", "b | a", "a||b", "a|a", "|", "c", "a,b", 'a"b'])
PARTIES = st.sampled_from(["", "p", " p", "q"])
EXTRA = st.sampled_from(["", "x", "y z"])


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    party, extra = draw(st.booleans()), draw(st.booleans())
    header = ["id", "group", "role", "arrival", "sessions"]
    header += ["party"] if party else []
    header += ["note"] if extra else []
    cells = [IDS, GROUPS, ROLES, ARRIVALS, SESSIONS]
    cells += [PARTIES] if party else []
    cells += [EXTRA] if extra else []
    rows = draw(st.lists(st.tuples(*cells), min_size=1, max_size=8))
    if draw(st.booleans()):  # integer arrivals (or date-times) throughout, as exports have
        rows = [(*r[:3], str(i), *r[4:]) for i, r in enumerate(rows)]
    delimiter = draw(st.sampled_from([",", ";"]))
    out = io.StringIO()
    lineterminator = draw(st.sampled_from(["\n", "\r\n"]))
    if draw(st.booleans()):  # csv.writer: quotes where a cell needs them
        writer = csv.writer(out, delimiter=delimiter, lineterminator=lineterminator)
        writer.writerow(header)
        writer.writerows(rows)
    else:  # plainly joined, as a careless script writes it (may be wrong on purpose)
        for row in [header, *rows]:
            out.write(delimiter.join(row) + lineterminator)
    return out.getvalue()


def facts(text: str) -> tuple[object, ...]:
    """What reading ``text`` gives: requests and their fields, errors and places, or the
    error that stops the reading."""
    try:
        rows = read_request_rows(text, "f.csv")
    except SeatallocError as error:
        return (type(error), str(error))
    return (
        rows.requests,
        [(r.arrival, type(r.arrival), r.sessions, dict(r.attributes)) for r in rows.requests],
        [str(e) for e in rows.errors],
        dict(rows.lines),
        dict(rows.arrivals),
    )


@settings(max_examples=400, deadline=None)
@given(csv_texts())
def test_column_wise_and_row_by_row_reading_agree(text: str) -> None:
    # A blank last line never passes the column-wise checks: that reading is row by row.
    assert facts(text) == facts(text + "\n")


def test_a_plain_file_is_read_whole_with_crlf_line_ends_and_a_sep_line() -> None:
    text = "sep=;\r\nid;group;role;arrival;sessions\r\nr1;g;;1;a|b\r\nr2;g;;2;\r\n"
    rows = read_request_rows(text, "f.csv")
    assert [(r.id, r.sessions) for r in rows.requests] == [("r1", ("a", "b")), ("r2", ())]
    assert dict(rows.lines) == {"r1": 3, "r2": 4}
    lone = read_request_rows("id,group,role,arrival,sessions\rr1,g,,1,a\r", "f.csv")
    assert [r.id for r in lone.requests] == ["r1"]


def test_loaded_requests_share_the_problems_ids_and_equal_values() -> None:
    problem = Problem(sessions=[Session("a", 1), Session("b", 1)], groups=[Group("g")], requests=[])
    text = "id,group,role,arrival,sessions\n" + "".join(
        f"r{i},{'g'},lead,2020-10-01T09:00:0{i % 2},a|b\n" for i in range(4)
    )
    loaded = parse_requests(text, problem, "f.csv")
    first, *others = loaded.requests
    assert first.sessions[0] is problem.session_ids[0] and first.group is problem.groups[0].id
    assert all(r.sessions is first.sessions and r.role is first.role for r in others)
    assert loaded.requests[0].arrival is loaded.requests[1].arrival  # equal arrivals


def test_an_open_quote_is_found_whatever_the_count_of_quotes() -> None:
    header = "id,group,role,arrival,sessions,note\n"
    # A quote inside a cell opens nothing (csv reads it as it is): not an error.
    rows = read_request_rows(header + 'r1,g,,1,a,5" screen\nr2,g,,2,a,x\n', "f.csv")
    assert [(r.id, r.attributes["note"]) for r in rows.requests] == [
        ("r1", '5" screen'),
        ("r2", "x"),
    ]
    # An even number of quotes, the last one opening a cell never closed.
    with pytest.raises(InputError, match=r"^f\.csv, line 3: a quote opened on this line is never"):
        read_request_rows(
            header.replace("note", "note,name") + 'r1,g,,1,a,x,y\nr2,g,,2,a,5" screen,"Bob\n'
            "r3,g,,3,a,x,y\n",
            "f.csv",
        )
    with pytest.raises(InputError, match=r"^f\.csv, line 3: a quote opened"):
        read_request_rows(header + 'r1,g,,1,a,x\nr2,g,,2,a,"Bob\nr3,g,,3,a,y', "f.csv")
