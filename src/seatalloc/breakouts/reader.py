"""A roster as CSV: columns ``id``, ``group``, ``role``; further columns are free attributes.

Same conventions as the requests CSV (seatalloc.io): comma or semicolon,
UTF-8 with or without a byte-order mark. Every bad row is reported at once by
file, line, column and value; free attributes never appear in a message.
"""

from __future__ import annotations

import csv
import os
from io import StringIO

from seatalloc.breakouts.model import Participant, Roster
from seatalloc.errors import FieldError, InputError, ProblemError, Where
from seatalloc.io._files import read_text
from seatalloc.io.requests import delimiter, header_errors

__all__ = ["COLUMNS", "parse_roster", "read_roster"]

COLUMNS = ("id", "group", "role")


def parse_roster(text: str, source: str = "<roster>") -> Roster:
    """The roster in CSV ``text``; :class:`ProblemError` lists every bad row."""
    text = text.removeprefix("\ufeff")
    reader = csv.reader(StringIO(text, newline=""), delimiter=delimiter(text))
    try:
        header = [name.strip() for name in next(reader, [])]
        if not any(header):
            raise InputError(f"{source}: empty, expected a header row naming the columns")
        errors = header_errors(header, source, COLUMNS)
        if errors:
            raise ProblemError(errors)
        people: list[Participant] = []
        first_line: dict[str, int] = {}
        previous = reader.line_num
        for fields in reader:
            line, previous = previous + 1, reader.line_num
            if not "".join(fields).strip():
                continue
            if len(fields) != len(header):
                expected = f"must have {len(header)} fields like the header"
                errors.append(
                    FieldError(
                        "participant", None, "row", len(fields), expected, Where(source, line)
                    )
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
    except csv.Error as error:
        raise InputError(f"{source}, line {reader.line_num}: not valid CSV: {error}") from None
    if errors:
        raise ProblemError(errors, source)
    return Roster(people)


def read_roster(path: str | os.PathLike[str]) -> Roster:
    """The roster in a CSV file (see :func:`parse_roster`)."""
    return parse_roster(read_text(path), str(path))
