"""Requests as CSV: the format spreadsheet programs export.

Header row with the columns ``id``, ``group``, ``role``, ``arrival``,
``sessions`` (ranked ids separated by ``|``; empty means any session) and
optionally ``party``; any further column becomes a free attribute. Comma or
semicolon delimiter (whichever the header line holds more of), UTF-8 with or
without a byte-order mark, any line ends. Every bad row is reported at once,
by physical line and column; free attributes never appear in a message.
"""

from __future__ import annotations

import csv
import itertools
import operator
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from io import StringIO
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

import attrs

from seatalloc._bulk import paused_gc
from seatalloc.errors import FieldError, InputError, ProblemError, Where
from seatalloc.io._files import read_text
from seatalloc.model import Arrival, Problem, Request, Requests, has_control

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "Located",
    "RequestRows",
    "build_checked",
    "datetime_fault",
    "delimiter",
    "header_errors",
    "load_requests",
    "parse_arrival",
    "parse_datetime",
    "parse_requests",
    "parse_requests_csv",
    "read_request_rows",
    "requests_from_rows",
]

REQUIRED_COLUMNS = ("id", "group", "role", "arrival", "sessions")
OPTIONAL_COLUMNS = ("party",)
_INTEGER = re.compile(r"[+-]?[0-9]+")
_KNOWN = frozenset((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))
_V = TypeVar("_V")


@attrs.frozen
class RequestRows:
    """Requests read from CSV text, the row errors found, and where each request came from."""

    source: str
    requests: Requests
    errors: tuple[FieldError, ...]
    lines: Mapping[str, int]
    """Request id to the physical line its row starts on."""
    arrivals: Mapping[str, str]
    """Request id to its arrival cell as written (messages quote the file, not a parsed value)."""

    def locate(self, error: FieldError) -> FieldError | None:
        """``error`` placed at the line and column of its request; ``None`` if not about one."""
        if error.kind != "request" or error.key not in self.lines:
            return None
        key = str(error.key)
        value = self.arrivals[key] if error.field == "arrival" else error.value
        where = Where(self.source, self.lines[key], error.field)
        return FieldError(error.kind, error.key, error.field, value, error.expected, where)


_EXCEL_SEP = re.compile(r"sep=(.)\r?\n?")
_END_MARK = "\x1e"
"""Appended as a last line to the text csv.reader reads: it comes back as a row of its own
exactly when no quote is left open (an open quote reads it into its cell)."""


_FORMATS = (
    " (such as 2020-10-01 09:00 or 2020-10-01T09:00+01:00; "
    "write day/month/year dates as year-month-day)"
)
"""The accepted arrival forms, named when an arrival is none of them."""


def delimiter(text: str) -> str:
    """The CSV delimiter: the one an Excel ``sep=X`` first line names, else whichever of
    ``,``, ``;`` and tab the header line holds most of (``,`` on a tie)."""
    header = _first_line(text)
    if (sep := _EXCEL_SEP.fullmatch(header + "\n")) is not None:
        return sep.group(1)
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def _csv_reader(text: str) -> Any:
    """A csv.reader over ``text`` with its delimiter, past an Excel ``sep=X`` line if any."""
    reader = csv.reader(StringIO(text, newline=""), delimiter=delimiter(text))
    if _EXCEL_SEP.fullmatch(_first_line(text) + "\n"):
        next(reader)
    return reader


def _first_line(text: str) -> str:
    end = text.find("\n")
    return text if end < 0 else text[:end]


# What an ISO 8601 date-time must look like here: a calendar date, a time of day, at most
# microseconds (what datetime holds), an optional zone. fromisoformat alone also takes a
# bare date (a silent midnight), week dates and longer fractions (cut: a false tie).
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?"
)
_FRACTION = re.compile(r".*T?[0-9]{2}:[0-9]{2}:[0-9]{2}[.,][0-9]{7,}.*")


def parse_arrival(text: str) -> Arrival | None:
    """An integer or an ISO 8601 date-time with a time of day; ``None`` when it is neither."""
    if _INTEGER.fullmatch(text):
        return int(text)
    return parse_datetime(text)


def parse_datetime(text: str) -> datetime | None:
    """An ISO 8601 calendar date-time with a time of day; ``None`` otherwise."""
    if not _DATETIME.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def datetime_fault(text: str) -> str:
    """Why ``text`` is not a date-time this library reads: the end of a message."""
    if _FRACTION.fullmatch(text):
        return "with at most 6 fractional digits (more would be cut into a false tie)"
    if re.fullmatch(r"[0-9]{4}-?W[0-9]{2}.*", text):
        return "as a calendar date with a time of day (an ISO week date is not read)"
    try:
        date.fromisoformat(text)
    except ValueError:
        return ""
    return "with a time of day (a date alone would silently mean midnight)"


def header_errors(
    header: list[str], source: str, required: Sequence[str] = REQUIRED_COLUMNS
) -> list[FieldError]:
    """Every fault of a header row: a required column missing, a column unnamed or repeated."""
    where = Where(source, 1)
    present = ", ".join(header)
    errors = [
        FieldError("header", None, name, present, "is a required column but missing", where)
        for name in required
        if name not in header
    ]
    for i, name in enumerate(header, start=1):
        if not name:
            errors.append(FieldError("header", None, f"column {i}", "", "must have a name", where))
        elif header.index(name) != i - 1:
            errors.append(FieldError("header", None, name, present, "must appear once", where))
    return errors


def read_request_rows(
    text: str,
    source: str = "<requests>",
    *,
    session_ids: Iterable[str] = (),
    group_ids: Iterable[str] = (),
) -> RequestRows:
    """Parse every row, collecting each bad one; no check against a problem yet.

    Cells equal to one of ``session_ids`` or ``group_ids`` (the problem's)
    share that string, so a loaded problem keeps each id once.
    """
    with paused_gc():  # a million rows are a few million new objects, none in a cycle
        return _read(text, source, (session_ids, group_ids))


def _read(text: str, source: str, known: tuple[Iterable[str], Iterable[str]]) -> RequestRows:
    plain = '"' not in text and "\0" not in text  # then no cell spans lines
    # Without quotes the header is on the first two lines (after an Excel sep= line).
    reader = _csv_reader(text[: _line_end(text, 2)] if plain else text)
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as error:
        raise InputError(f"{source}, line {reader.line_num}: not valid CSV: {error}") from None
    if not any(header):
        raise InputError(f"{source}: empty, expected a header row naming the columns")
    errors = header_errors(header, source)
    if errors:
        raise ProblemError(errors)
    header_line = reader.line_num
    columns = _plain_columns(text, header_line, reader.dialect.delimiter, len(header))
    if columns is None:
        # Not the parity of '"' count: a quote inside a cell (5" screen) opens nothing.
        end = ("" if text.endswith(("\n", "\r")) else "\n") + _END_MARK + "\n"
        reader = _csv_reader(text + end)
        next(reader)
        rows = _rows(reader, source)
        if rows[-1:] != [[_END_MARK]]:
            raise InputError(
                f"{source}, line {_last_row_line(text)}: a quote opened on this line is never"
                ' closed, so every later line would be read into one cell; close it with " or'
                " remove it"
            )
        rows.pop()
        one_line_each = reader.line_num - 1 - len(rows) == header_line
        columns = _columns(rows, len(header)) if one_line_each else None
    if columns is not None:
        fast = _read_fast(header, columns, source, header_line + 1, known)
        if fast is not None:
            return fast
    return requests_from_rows(header, _numbered(text), source, errors)


def _line_end(text: str, lines: int) -> int:
    """Where the first ``lines`` lines of ``text`` end (after their newline)."""
    end = 0
    for _ in range(lines):
        end = text.find("\n", end) + 1
        if end == 0:
            return len(text)
    return end


def _numbered(text: str) -> Iterator[tuple[int, list[str]]]:
    """The rows after the header with the line each starts on; blank rows left out."""
    reader = _csv_reader(text)
    next(reader)
    previous = reader.line_num
    for fields in reader:
        line, previous = previous + 1, reader.line_num
        if "".join(fields).strip():  # not a blank line, nor a spreadsheet's empty row ";;;;"
            yield line, fields


def requests_from_rows(
    header: Sequence[str],
    rows: Iterable[tuple[int, Sequence[str]]],
    source: str,
    errors: list[FieldError],
) -> RequestRows:
    """The requests of numbered rows (CSV lines or sheet rows), each checked by the one row rule;
    every bad row is collected in ``errors``."""
    requests: list[Request] = []
    lines: dict[str, int] = {}
    arrivals: dict[str, str] = {}
    for line, fields in rows:
        if len(fields) != len(header):
            column = header.index("id")
            key = fields[column].strip() if column < len(fields) else ""
            errors.append(
                FieldError(
                    "request", key or None, "row", len(fields),
                    f"must have {len(header)} fields like the header", Where(source, line),
                )
            )  # fmt: skip
            continue
        cells = dict(zip(header, fields, strict=True))
        request, row_errors = _request(cells, lines, source, line)
        errors += row_errors
        if request is not None:
            requests.append(request)
            lines[request.id] = line
            arrivals[request.id] = cells["arrival"].strip()
    return RequestRows(source, Requests.of(requests), tuple(errors), lines, arrivals)


def _rows(reader: Iterator[list[str]], source: str) -> list[list[str]]:
    """Every row after the header; a CSV fault is an :class:`InputError` naming its line."""
    try:
        return list(reader)
    except csv.Error as error:
        line = getattr(reader, "line_num", 0)
        raise InputError(f"{source}, line {line}: not valid CSV: {error}") from None


def _last_row_line(text: str) -> int:
    """The line the last row starts on (where an unclosed quote swallows the rest)."""
    reader = _csv_reader(text)
    start: int = reader.line_num
    previous: int = start
    for _ in reader:
        start, previous = previous + 1, reader.line_num
    return start


class _ByRow(Mapping[str, _V]):
    """Request id to a value of its row, for rows one line each from ``first_line`` on.

    The index by id is built on first use: only messages read it.
    """

    def __init__(self, ids: Sequence[str], values: Sequence[_V]) -> None:
        self._ids = ids
        self._values = values
        self._index: dict[str, int] | None = None

    def _row(self, key: str) -> int:
        if self._index is None:
            self._index = {r: i for i, r in enumerate(self._ids)}
        return self._index[key]

    def __getitem__(self, key: str) -> _V:
        return self._values[self._row(key)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


def _plain_columns(
    text: str, header_line: int, delimiter: str, width: int
) -> list[list[str]] | None:
    """The cells after the header, column by column, when CSV reading is plain splitting.

    Text without quotes, NUL or carriage returns other than in CRLF line ends,
    every line holding ``width`` fields, none longer than the csv module's
    field limit: then csv.reader's rows are exactly the lines split at the
    delimiter, and one ``split`` of the whole text makes every cell. ``None``
    otherwise: the caller reads the text with csv.reader.
    """
    if '"' in text or "\0" in text:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None
    body = text[_line_end(text, header_line) :].removesuffix("\n")
    if not body:
        return None
    # Each newline starts the cell after it. Every line holds ``width`` fields exactly
    # when there are ``width`` cells per line and each row's first cell (but the first
    # row's) starts with a newline: then no other cell holds one.
    newlines = body.count("\n")
    cells = body.replace("\n", delimiter + "\n").split(delimiter)
    starts = cells[width::width]
    if (
        len(cells) != width * (newlines + 1)
        or sum(map(str.startswith, starts, itertools.repeat("\n"))) != newlines
        or max(map(len, cells)) > csv.field_size_limit()
    ):
        return None
    columns = [cells[i::width] for i in range(1, width)]
    return [[cells[0], *map(operator.itemgetter(slice(1, None)), starts)], *columns]


def _columns(rows: list[list[str]], width: int) -> list[list[str]] | None:
    """The rows as columns, or ``None`` when some row has not ``width`` fields."""
    if not rows or set(map(len, rows)) != {width}:
        return None
    # itemgetter per column: zip(*rows) over a million rows is slower than the CSV parse.
    return [list(map(operator.itemgetter(i), rows)) for i in range(width)]


def _read_fast(
    header: list[str],
    columns: list[list[str]],
    source: str,
    first_line: int,
    known: tuple[Iterable[str], Iterable[str]],
) -> RequestRows | None:
    """The rows (one line each from ``first_line`` on) read column by column, or ``None``
    when any row needs a closer look.

    Each check is set-based over a whole column, with no Python code per
    row, and equal values share one object; when a check fails the caller
    reads row by row, which names every error. Both accept exactly the same
    rows (``tests/test_requests_csv.py`` checks it), so the fast path changes
    no outcome, only the time and memory.
    """
    column = dict(zip(header, columns, strict=True))
    ids = list(map(str.strip, column["id"]))
    distinct_ids = set(ids)
    if "" in distinct_ids or len(distinct_ids) != len(ids):
        return None
    del distinct_ids
    # Equal values share one string: one table for session ids (the most looked up, so
    # kept small), one for the other columns.
    session_ids = {name: name for name in known[0]}
    shared = {name: name for name in known[1]}
    groups = _shared(column["group"], shared)
    if "" in groups:
        return None
    roles = _shared(column["role"], shared)
    arrival_cells = list(map(str.strip, column["arrival"]))
    arrivals = _arrivals(arrival_cells)
    sessions = _rankings(column["sessions"], session_ids)
    if arrivals is None or sessions is None:
        return None
    if "party" in column:
        party_of = {
            c: (shared.setdefault(c.strip(), c.strip()) or None) for c in set(column["party"])
        }
        parties: Sequence[str | None] = list(map(party_of.__getitem__, column["party"]))
    else:
        parties = [None] * len(ids)
    if any(map(has_control, ("".join(ids), "".join(shared), "".join(session_ids)))):
        return None
    extra = [name for name in header if name not in _KNOWN]
    attributes = _attributes(extra, [column[name] for name in extra]) if extra else None
    requests = Requests(ids, groups, roles, arrivals, sessions, parties, attributes)
    lines = _ByRow(ids, range(first_line, first_line + len(ids)))
    return RequestRows(source, requests, (), lines, _ByRow(ids, arrival_cells))


def _shared(cells: list[str], shared: dict[str, str]) -> list[str]:
    """Each cell trimmed, equal values as one string (kept in ``shared``)."""
    values = list(map(str.strip, cells))
    return list(map(shared.setdefault, values, values))


def _rankings(cells: list[str], shared: dict[str, str]) -> list[tuple[str, ...]] | None:
    """Each sessions cell as its ranking (equal rankings share one tuple, equal ids one
    string); ``None`` when one has an empty item or repeats a session.

    The items of all cells are split in one pass and cut back into one tuple
    per cell by the cell's item count: no Python code runs per cell.
    """
    values = list(map(str.strip, cells))
    items = list(map(str.strip, "|".join(values).split("|")))
    if items.count("") != values.count(""):  # more empty items than empty cells
        return None
    each = map(shared.setdefault, items, items)
    counts = map((1).__add__, map(str.count, values, itertools.repeat("|")))
    rankings = list(map(tuple, map(itertools.islice, itertools.repeat(each), counts)))
    if any(map(operator.ne, map(len, map(set, rankings)), map(len, rankings))):
        return None
    shared_ranking: dict[tuple[str, ...], tuple[str, ...]] = {("",): ()}  # empty: any session
    return list(map(shared_ranking.setdefault, rankings, rankings))


def _attributes(names: list[str], columns: list[list[str]]) -> Iterator[Mapping[str, str]]:
    """Each row's free cells as its attributes (as the row-by-row reading gives them)."""
    cells = map(zip, itertools.repeat(names), zip(*columns, strict=True))
    return map(MappingProxyType, map(dict, cells))


def _arrivals(cells: list[str]) -> list[Arrival] | None:
    """Every cell as an integer, or every cell as a date-time (equal ones share one object);
    ``None`` otherwise."""
    parsed: list[Arrival]
    if all(map(_INTEGER.fullmatch, cells)):
        parsed = list(map(int, cells))
    elif _all_datetimes(cells):
        try:
            parsed = list(map(datetime.fromisoformat, cells))
        except ValueError:
            return None
    else:
        return None
    shared: dict[Arrival, Arrival] = {}
    return list(map(shared.setdefault, parsed, parsed))


def _all_datetimes(cells: list[str]) -> bool:
    """Whether every cell has the form :data:`_DATETIME` accepts.

    A column an export wrote in one layout is checked by character position
    instead of cell by cell: when every cell is as long as the first, has its
    separators where the first has them and ASCII digits where it has digits,
    each matches the pattern exactly as the first does.
    """
    first = cells[0]
    width = len(first)
    if _DATETIME.fullmatch(first) and set(map(len, cells)) == {width}:
        text = "".join(cells)
        digits = "".join(text[i::width] for i, c in enumerate(first) if c.isdigit())
        if (
            digits.isascii()
            and digits.isdigit()
            and all(set(text[i::width]) == {c} for i, c in enumerate(first) if not c.isdigit())
        ):
            return True
    return all(map(_DATETIME.fullmatch, cells))


def _request(
    cells: dict[str, str], lines: Mapping[str, int], source: str, line: int
) -> tuple[Request | None, list[FieldError]]:
    """One row's request, or the errors that stop it (each naming the request id, not its data)."""
    value = {name: cells.get(name, "").strip() for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)}
    key = value["id"] or None
    errors: list[FieldError] = []

    def bad(field: str, got: object, expected: str) -> None:
        where = Where(source, line, field)
        errors.append(FieldError("request", key, field, got, expected, where))

    if key is None:
        bad("id", value["id"], "must be a non-empty string")
    elif key in lines:
        bad("id", key, f"must be unique, already used on line {lines[key]}")
    arrival = parse_arrival(value["arrival"])
    if arrival is None:
        fault = datetime_fault(value["arrival"])
        expected = "must be an integer or an ISO 8601 date-time"
        bad("arrival", value["arrival"], f"{expected} {fault}" if fault else expected + _FORMATS)
    sessions = tuple(s.strip() for s in value["sessions"].split("|")) if value["sessions"] else ()
    if "" in sessions:
        bad("sessions", value["sessions"], "must not have an empty item between '|'")
    if errors or key is None or arrival is None:
        return None, errors
    attributes = {k: v for k, v in cells.items() if k not in value}
    try:
        request = Request(
            id=key, group=value["group"], role=value["role"], arrival=arrival,
            sessions=sessions, party=value["party"] or None, attributes=attributes,
        )  # fmt: skip
    except FieldError as error:
        bad(error.field, error.value, error.expected)
        return None, errors
    return request, errors


def parse_requests_csv(text: str, source: str = "<requests>") -> Requests:
    """The requests in CSV text, checked row by row (not yet against a problem).

    Raises :class:`ProblemError` listing every bad row, by line and column.
    """
    rows = read_request_rows(text, source)
    if rows.errors:
        raise ProblemError(rows.errors)
    return rows.requests


class Located(Protocol):
    """What read a file: its name, the errors found while reading, and how to place others."""

    @property
    def source(self) -> str: ...

    @property
    def errors(self) -> tuple[FieldError, ...]: ...

    def locate(self, error: FieldError) -> FieldError | None: ...


def build_checked(build: Callable[[], Problem], readers: Sequence[Located]) -> Problem:
    """``build()``, or one :class:`ProblemError` with every error placed in its file.

    Errors found while reading and those of the problem's cross checks are
    reported together: file by file in the readers' order, by line within a file.
    """
    errors = [e for reader in readers for e in reader.errors]
    try:
        problem = build()
    except ProblemError as error:
        for e in error.errors:
            errors.append(next((p for r in readers if (p := r.locate(e)) is not None), e))
    if errors:
        rank = {reader.source: i for i, reader in enumerate(readers)}

        def position(e: FieldError) -> tuple[int, int]:
            if e.where is None:
                return (len(rank), 0)
            return (rank.get(e.where.file or "", len(rank)), e.where.line or 0)

        raise ProblemError(sorted(errors, key=position))
    return problem


def parse_requests(text: str, problem: Problem, source: str = "<requests>") -> Problem:
    """``problem`` with the requests in CSV text, checked row by row and against the problem."""
    groups = (g.id for g in problem.groups)
    rows = read_request_rows(text, source, session_ids=problem.session_ids, group_ids=groups)
    return build_checked(lambda: problem.replace(requests=rows.requests), [rows])


def load_requests(path: str | os.PathLike[str], problem: Problem) -> Problem:
    """``problem`` with the requests in a CSV file (see :func:`parse_requests`)."""
    return parse_requests(read_text(path), problem, str(path))
