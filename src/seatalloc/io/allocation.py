"""Allocations as JSON (read and written) and as CSV records (written).

The JSON is :meth:`Allocation.to_json`. The reader needs only
``assignments``: ``waitlist`` defaults to the unseated requests in arrival
order, and ``decisions`` and ``metrics`` are derived data it recomputes, so a
hand-edited file stays consistent.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from io import StringIO
from typing import IO, Any, Literal

from seatalloc._bulk import paused_gc
from seatalloc.allocation import Allocation, DecisionChoice
from seatalloc.errors import FieldError, InputError, ProblemError, Where
from seatalloc.io._files import atomic_writer, read_text
from seatalloc.model import Problem

__all__ = [
    "Format",
    "allocation_csv",
    "allocation_text",
    "dump_allocation",
    "load_allocation",
    "parse_allocation",
    "write_allocation",
]

Format = Literal["json", "csv"]
_KEYS = ("method", "assignments", "waitlist", "decisions", "metrics", "report")


def _pairs(duplicates: list[str]) -> Any:
    """A JSON object hook that notes repeated keys (``json`` would keep the last silently)."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                duplicates.append(key)
            seen[key] = value
        return seen

    return hook


class _Errors:
    """The errors found in one allocation file, each about the file or about one request."""

    def __init__(self, source: str) -> None:
        self.where = Where(source)
        self.found: list[FieldError] = []

    def add(self, request: object, field: str, value: object, expected: str) -> None:
        """Record an error about ``request`` (``None``: about the file as a whole)."""
        kind = "allocation" if request is None else "request"
        self.found.append(FieldError(kind, request, field, value, expected, self.where))


def parse_allocation(text: str, problem: Problem, source: str = "<allocation>") -> Allocation:
    """The allocation of ``problem`` in JSON text, checked against the problem.

    Raises :class:`InputError` for text that is not JSON (with line and
    column) and :class:`ProblemError` listing every inconsistency.
    """
    duplicates: list[str] = []
    try:
        data = json.loads(text, object_pairs_hook=_pairs(duplicates))
    except json.JSONDecodeError as error:
        raise InputError(
            f"{source}, line {error.lineno}, column {error.colno}: not valid JSON: {error.msg}"
        ) from None
    errors = _Errors(source)
    for key in dict.fromkeys(duplicates):
        errors.add(None, key, key, "must appear once in its JSON object")
    if not isinstance(data, dict):
        errors.add(None, "type", type(data).__name__, "must be an object")
        raise ProblemError(errors.found)
    for key in data:
        if key not in _KEYS:
            errors.add(None, key, key, f"is not a known key ({', '.join(_KEYS)})")
    method = data.get("method", "file")
    if not isinstance(method, str) or not method:
        errors.add(None, "method", method, "must be a non-empty string")
    report = data.get("report")
    if report is not None and not isinstance(report, dict):
        errors.add(None, "report", report, "must be an object")
    assignments = _assignments(data.get("assignments"), problem, errors)
    waitlist = _waitlist(data.get("waitlist"), problem, assignments, errors)
    if errors.found:
        raise ProblemError(errors.found)
    return Allocation(problem, assignments, waitlist, method=method, report=report)


def _assignments(raw: object, problem: Problem, errors: _Errors) -> dict[str, str | None]:
    """Every request's session (or ``None``), recording each unknown, missing or bad entry."""
    if raw is None:
        errors.add(None, "assignments", None, "is required")
        return {}
    if not isinstance(raw, dict):
        expected = "must be an object mapping request ids to session ids or null"
        errors.add(None, "assignments", type(raw).__name__, expected)
        return {}
    assignments: dict[str, str | None] = {}
    for request_id, session in raw.items():
        if request_id not in problem.request_by_id:
            errors.add(request_id, "assignments", request_id, "must name a request of the problem")
        elif session is not None and (
            not isinstance(session, str) or session not in problem.session_by_id
        ):
            errors.add(request_id, "assignments", session, "must be a known session id or null")
        else:
            assignments[request_id] = session
    for request in problem.order:
        if request.id not in raw:
            expected = "must be listed (a session id, or null when unseated)"
            errors.add(request.id, "assignments", None, expected)
    return assignments


def _waitlist(
    raw: object, problem: Problem, assignments: Mapping[str, str | None], errors: _Errors
) -> list[str]:
    """The waitlist as given (default: unseated requests in arrival order), each entry checked."""
    if raw is None:
        return [r.id for r in problem.order if assignments.get(r.id, "") is None]
    if not isinstance(raw, list):
        errors.add(None, "waitlist", type(raw).__name__, "must be a list of request ids")
        return []
    seen: set[str] = set()
    for request_id in raw:
        if not isinstance(request_id, str) or request_id not in problem.request_by_id:
            expected = "must name a request of the problem"
        elif request_id in seen:
            expected = "must list each request once"
        elif (session := assignments.get(request_id)) is not None:
            expected = f"must list unseated requests only, but it sits in {session!r}"
        else:
            seen.add(request_id)
            continue
        errors.add(request_id, "waitlist", request_id, expected)
    return [str(r) for r in raw]


def load_allocation(path: str | os.PathLike[str], problem: Problem) -> Allocation:
    """The allocation of ``problem`` in a JSON file (see :func:`parse_allocation`)."""
    return parse_allocation(read_text(path), problem, str(path))


def _cell(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def dump_allocation(
    allocation: Allocation,
    handle: IO[str],
    format: Format = "json",
    *,
    decisions: DecisionChoice = "all",
    attributes: Sequence[str] = (),
) -> None:
    """Write the allocation as JSON or CSV to ``handle``, streaming: one request at a time.

    ``decisions`` chooses whose decisions are written (``all``, ``waitlisted``
    or ``none``); ``attributes`` adds those free attributes as CSV columns
    (personal data: only when asked for; JSON never carries them).
    """
    if format == "json":
        allocation.write_json(handle, decisions=decisions)
        handle.write("\n")
    elif format == "csv":
        with paused_gc():  # as write_json: short-lived records, no cycles
            _write_csv(allocation, handle, decisions, attributes)
    else:
        raise ValueError(f"format must be 'json' or 'csv', got {format!r}")


def _write_csv(
    allocation: Allocation,
    handle: IO[str],
    decisions: DecisionChoice,
    attributes: Sequence[str],
) -> None:
    """One CSV row per request in arrival order, a header first (see :meth:`Allocation.records`)."""
    records = allocation.iter_records(attributes, decisions)
    first = next(records, None)
    fields: Sequence[str] = list(first) if first is not None else _csv_fields(decisions, attributes)
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(fields)
    if first is not None:
        writer.writerows(
            [_cell(v) for v in record.values()] for record in itertools.chain([first], records)
        )


def _csv_fields(decisions: DecisionChoice, attributes: Sequence[str]) -> list[str]:
    """The CSV header of an allocation without requests."""
    fields = ["id", "group", "role", "arrival", "status", "session", "rank", "position"]
    fields += [] if decisions == "none" else ["reason", "explanation"]
    return [*fields, *attributes]


def allocation_csv(
    allocation: Allocation, *, decisions: DecisionChoice = "all", attributes: Sequence[str] = ()
) -> str:
    """One CSV row per request in arrival order: :meth:`Allocation.records`."""
    out = StringIO()
    dump_allocation(allocation, out, "csv", decisions=decisions, attributes=attributes)
    return out.getvalue()


def allocation_text(
    allocation: Allocation, format: Format, *, decisions: DecisionChoice = "all"
) -> str:
    """The allocation as JSON or CSV text."""
    out = StringIO()
    dump_allocation(allocation, out, format, decisions=decisions)
    return out.getvalue()


def write_allocation(
    allocation: Allocation,
    path: str | os.PathLike[str],
    format: Format = "json",
    *,
    decisions: DecisionChoice = "all",
    attributes: Sequence[str] = (),
) -> None:
    """Write the allocation as JSON or CSV, streamed and atomically: never half a file."""
    if format not in ("json", "csv"):
        raise ValueError(f"format must be 'json' or 'csv', got {format!r}")
    with atomic_writer(path) as handle:
        dump_allocation(allocation, handle, format, decisions=decisions, attributes=attributes)
