"""Rosters for the organiser: CSV, an Excel workbook and printable HTML, from one set of records.

Personal data only when asked: ``columns`` names the free attributes to
include (``name``, ``email``, ...); by default the rosters hold ids, groups
and roles only, like every other output. Every format is built from
:func:`roster_records`, so they always agree.
"""

from __future__ import annotations

import csv
import html
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seatalloc.allocation import Allocation
from seatalloc.errors import FieldError

if TYPE_CHECKING:
    from seatalloc.breakouts import BreakoutPlan

__all__ = [
    "WAITLIST_SHEET",
    "check_columns",
    "roster_csv",
    "roster_html",
    "roster_records",
    "roster_sheets",
    "write_roster_xlsx",
]

WAITLIST_SHEET = "Waitlist"
_FIXED = ("id", "group", "role")


def check_columns(allocation: Allocation, columns: Sequence[str]) -> tuple[str, ...]:
    """``columns`` when each is a free attribute some request has; else one clear error.

    The message lists the attributes the requests have (their names, never values).
    """
    known = sorted({k for r in allocation.problem.requests for k in r.attributes})
    for column in columns:
        if column not in known:
            have = ", ".join(known) or "none"
            raise FieldError(
                "roster",
                None,
                "columns",
                column,
                f"must be a free attribute (requests have: {have})",
            )
    return tuple(columns)


def roster_records(allocation: Allocation, columns: Sequence[str] = ()) -> list[dict[str, Any]]:
    """:meth:`Allocation.records`, each with the chosen free attributes after ``role``.

    The one place rosters get personal data from (a request without the
    attribute gets ``""``).
    """
    by_id = allocation.problem.request_by_id
    chosen = check_columns(allocation, columns)
    rows = []
    for record in allocation.records():
        attributes = by_id[record["id"]].attributes
        extra = {c: str(attributes.get(c, "")) for c in chosen}
        head = {k: record[k] for k in _FIXED}
        rest = {k: v for k, v in record.items() if k not in _FIXED}
        rows.append({**head, **extra, **rest})
    return rows


def _cell(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def roster_csv(allocation: Allocation, columns: Sequence[str] = ()) -> str:
    """One row per request in arrival order: the allocation CSV plus the chosen columns."""
    records = roster_records(allocation, columns)
    fields = list(records[0]) if records else [*_FIXED, *columns, "session"]
    out = StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in record.items()} for record in records)
    return out.getvalue()


def _session_columns(columns: Sequence[str]) -> list[str]:
    return ["seat", *_FIXED, *columns, "arrival", "rank"]


def roster_sheets(
    allocation: Allocation, columns: Sequence[str] = ()
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[str]]]:
    """Per session (by its name) its seated records, numbered; then the waitlist in order."""
    records = roster_records(allocation, columns)
    by_id = {r["id"]: r for r in records}
    sheets: dict[str, list[dict[str, Any]]] = {}
    headers: dict[str, list[str]] = {}
    for session in allocation.problem.sessions:
        title = session.name
        sheets[title] = [
            {**by_id[i], "seat": n} for n, i in enumerate(allocation.rosters[session.id], start=1)
        ]
        headers[title] = _session_columns(columns)
    sheets[WAITLIST_SHEET] = [by_id[i] for i in allocation.waitlist]
    headers[WAITLIST_SHEET] = ["position", *_FIXED, *columns, "arrival", "explanation"]
    return sheets, headers


def write_roster_xlsx(
    allocation: Allocation, path: str | os.PathLike[str], columns: Sequence[str] = ()
) -> Path:
    """An .xlsx workbook: one sheet per session, then the waitlist (extra ``excel``)."""
    from seatalloc.io.excel import write_workbook

    sheets, headers = roster_sheets(allocation, columns)
    return write_workbook(path, sheets, headers)


_STYLE = """
body { font-family: sans-serif; margin: 2em; }
section { page-break-after: always; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #999; padding: 0.2em 0.6em; text-align: left; }
.cards { display: flex; flex-wrap: wrap; gap: 1em; }
.card { border: 2px solid #333; border-radius: 6px; padding: 0.6em 1em; min-width: 12em;
        page-break-inside: avoid; }
.card h4 { margin: 0 0 0.4em; }
.card ul { margin: 0; padding-left: 1.2em; }
@media print { body { margin: 0; } }
"""


def _table(headers: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_text(r.get(h)))}</td>" for h in headers) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _person(record: Mapping[str, Any], columns: Sequence[str]) -> str:
    shown = [record[c] for c in columns if record.get(c)] or [record["id"]]
    return (
        " ".join(shown) + f" ({record['group']}{', ' + record['role'] if record['role'] else ''})"
    )


def roster_html(
    allocation: Allocation,
    columns: Sequence[str] = (),
    breakouts: Mapping[str, BreakoutPlan] | None = None,
    title: str = "Rosters",
) -> str:
    """A printable page: per session its roster (a page each), then per breakout round
    one card per table listing who sits there; the waitlist last."""
    sheets, headers = roster_sheets(allocation, columns)
    records = {r["id"]: r for r in roster_records(allocation, columns)}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for session in allocation.problem.sessions:
        seated = sheets[session.name]
        parts.append(f'<section id="session-{html.escape(session.id)}">')
        parts.append(
            f"<h2>{html.escape(session.name)}: {len(seated)} of {session.capacity} seats</h2>"
        )
        parts.append(_table(headers[session.name], seated) if seated else "<p>(nobody)</p>")
        plan = (breakouts or {}).get(session.id)
        if plan is not None:
            for number, tables in enumerate(plan.rounds, start=1):
                parts.append(f'<h3>Breakout round {number}</h3><div class="cards">')
                for index, people in enumerate(tables, start=1):
                    items = "".join(
                        f"<li>{html.escape(_person(records[p], columns))}</li>" for p in people
                    )
                    parts.append(f'<div class="card"><h4>Table {index}</h4><ul>{items}</ul></div>')
                parts.append("</div>")
        parts.append("</section>")
    waiting = sheets[WAITLIST_SHEET]
    parts.append('<section id="waitlist">')
    parts.append(f"<h2>{WAITLIST_SHEET}: {len(waiting)}</h2>")
    parts.append(_table(headers[WAITLIST_SHEET], waiting) if waiting else "<p>(empty)</p>")
    parts.append("</section></body></html>\n")
    return "\n".join(parts)
