"""A roster as CSV: columns ``id``, ``group``, ``role``; further columns are free attributes.

Same conventions as the requests CSV (seatalloc.io): comma or semicolon,
UTF-8 with or without a byte-order mark; or the same columns in a
spreadsheet (.xlsx, .ods), each row checked by the same rule. Every bad row is reported at once by
file, line, column and value; free attributes never appear in a message.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from io import StringIO
from pathlib import Path

from seatalloc.breakouts.model import Participant, Roster
from seatalloc.errors import FieldError, InputError, ProblemError, Where
from seatalloc.io._files import SPREADSHEET_SUFFIXES, read_text
from seatalloc.io.requests import delimiter, header_errors

__all__ = ["COLUMNS", "parse_roster", "read_roster"]

COLUMNS = ("id", "group", "role")


def parse_roster(text: str, source: str = "<roster>") -> Roster:
    """The roster in CSV ``text``; :class:`ProblemError` lists every bad row."""
    text = text.removeprefix("\ufeff")
    reader = csv.reader(StringIO(text, newline=""), delimiter=delimiter(text))

    def numbered() -> Iterator[tuple[int, list[str]]]:
        previous = reader.line_num
        for fields in reader:
            line, previous = previous + 1, reader.line_num
            if "".join(fields).strip():
                yield line, fields

    try:
        header = [name.strip() for name in next(reader, [])]
        if not any(header):
            raise InputError(f"{source}: empty, expected a header row naming the columns")
        return _checked(header, numbered(), source)
    except csv.Error as error:
        raise InputError(f"{source}, line {reader.line_num}: not valid CSV: {error}") from None


def _checked(header: list[str], rows: Iterable[tuple[int, list[str]]], source: str) -> Roster:
    """The roster in ``rows`` (line number, fields) under ``header``; every bad row reported."""
    errors = header_errors(header, source, COLUMNS)
    if errors:
        raise ProblemError(errors)
    people: list[Participant] = []
    first_line: dict[str, int] = {}
    for line, fields in rows:
        if len(fields) != len(header):
            expected = f"must have {len(header)} fields like the header"
            errors.append(
                FieldError("participant", None, "row", len(fields), expected, Where(source, line))
            )
            continue
        cells = {name: value.strip() for name, value in zip(header, fields, strict=True)}
        key = cells["id"] or None
        bad = [c for c in ("id", "group") if not cells[c]]
        errors += [
            FieldError("participant", key, c, "", "must not be empty", Where(source, line, c))
            for c in bad
        ]
        if key is not None and key in first_line:
            errors.append(
                FieldError("participant", key, "id", key,
                           f"must be unique, first on line {first_line[key]}",
                           Where(source, line, "id"))
            )  # fmt: skip
            continue
        if bad or key is None:
            continue
        first_line[key] = line
        attributes = {k: v for k, v in cells.items() if k not in COLUMNS}
        people.append(Participant(key, cells["group"], cells["role"], attributes))
    if errors:
        raise ProblemError(errors, source)
    return Roster(people)


def read_roster(path: str | os.PathLike[str], sheet: str | None = None) -> Roster:
    """The roster in a CSV file, or in a spreadsheet (``.xlsx``, ``.ods``: extra ``excel``).

    A spreadsheet's rows (the first sheet unless ``sheet`` names one) go
    through the same row check as CSV rows; messages name the sheet.
    """
    if Path(path).suffix.lower() in SPREADSHEET_SUFFIXES:
        from seatalloc.io.excel import read_sheet_table

        source, header, rows = read_sheet_table(path, sheet)
        return _checked(header, rows, source)
    return parse_roster(read_text(path), str(path))
