"""Printing for the command line: aligned tables, allocation sections, output to a file.

Sub-commands share these so every command prints an allocation the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any

from seatalloc.allocation import Allocation, DecisionChoice
from seatalloc.io._files import atomic_writer, write_text_atomic
from seatalloc.io.allocation import Format, allocation_text, dump_allocation

__all__ = [
    "FORMATS",
    "emit",
    "emit_allocation",
    "render",
    "render_allocation",
    "render_metrics",
    "render_rosters",
    "render_waitlist",
    "table",
]

FORMATS = ("table", "json", "csv")


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], indent: str = "  ") -> str:
    """Columns padded to their widest cell; ``None`` prints as ``-``."""
    cells = [[str(h) for h in headers]]
    cells += [["-" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        indent + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
    lines.insert(1, indent + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_rosters(allocation: Allocation) -> str:
    """Per session: who sits there, in arrival order, with their group and role."""
    problem = allocation.problem
    sections = []
    for session in problem.sessions:
        seated = allocation.rosters[session.id]
        head = f"{session.name} ({session.id}): {len(seated)} of {session.capacity} seats"
        rows = []
        for request_id in seated:
            request = problem.request_by_id[request_id]
            rank = problem.rank(request, session.id)
            group = problem.group_by_id[request.group].name
            rows.append((request_id, group, request.role, "any" if rank is None else rank))
        body = table(("id", "group", "role", "choice"), rows) if rows else "  (nobody)"
        sections.append(f"{head}\n{body}")
    return "\n\n".join(sections)


def render_waitlist(allocation: Allocation, decisions: DecisionChoice = "all") -> str:
    """The waitlist in order, each request with the sentence saying what blocked it.

    With ``decisions="none"`` only the ids, groups and roles.
    """
    problem = allocation.problem
    if not allocation.waitlist:
        return "Waitlist: empty"
    lines = [f"Waitlist: {len(allocation.waitlist)}"]
    for request_id in allocation.waitlist:
        # The group by id: the sentence already names it in full when its quota blocked.
        request = problem.request_by_id[request_id]
        what = ", ".join(x for x in (request.group, request.role) if x)
        if decisions == "none":
            lines.append(f"  {request_id} ({what})")
        else:
            lines.append(f"  {request_id} ({what}): {allocation.explain(request_id)}")
    return "\n".join(lines)


def render_metrics(allocation: Allocation) -> str:
    """The allocation's metrics: totals, then per session, then per group."""
    problem = allocation.problem
    metrics: dict[str, Any] = allocation.metrics()
    totals = ("requests", "seated", "waitlisted", "capacity", "empty_seats", "first_choice")
    lines = ["Metrics"]
    lines += [f"  {name.replace('_', ' ')}: {metrics[name]}" for name in totals]
    split = ", ".join(metrics["split_groups"]) or "none"
    lines.append(f"  groups split across sessions: {metrics['groups_split']} ({split})")
    session_rows = [
        (
            s.id,
            f"{metrics['seats_filled'][s.id]}/{s.capacity}",
            ", ".join(f"{role or '-'} {n}" for role, n in metrics["role_mix"][s.id].items()),
        )
        for s in problem.sessions
    ]
    lines += ["", table(("session", "filled", "role mix"), session_rows)]
    group_rows = [
        (g.id, g.name, counts["requested"], counts["seated"])
        for g in problem.groups
        for counts in (metrics["groups"][g.id],)
    ]
    lines += ["", table(("group", "name", "requested", "seated"), group_rows)]
    return "\n".join(lines)


def render_allocation(allocation: Allocation, decisions: DecisionChoice = "all") -> str:
    """Rosters, waitlist with reasons, and metrics, as readable text."""
    title = f"Allocation ({allocation.method})"
    parts = [title, render_rosters(allocation), render_waitlist(allocation, decisions)]
    return "\n\n".join([*parts, render_metrics(allocation)]) + "\n"


def render(allocation: Allocation, format: str, decisions: DecisionChoice = "all") -> str:
    """The allocation as ``table`` text, or the ``json`` or ``csv`` file format."""
    if format == "table":
        return render_allocation(allocation, decisions)
    return allocation_text(allocation, "json" if format == "json" else "csv", decisions=decisions)


def emit(text: str, out: str | None) -> None:
    """Print ``text``, or write it to ``out`` atomically (never half a file)."""
    if out is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(out, text)


def emit_allocation(
    allocation: Allocation, format: str, out: str | None, decisions: DecisionChoice = "all"
) -> None:
    """Print the allocation in ``format``, or write it to ``out``; files stream, never whole.

    JSON and CSV are written one request at a time (atomically to ``out``), so
    a million decisions never sit in memory as one text.
    """
    if format == "table":
        emit(render_allocation(allocation, decisions), out)
        return
    kind: Format = "json" if format == "json" else "csv"
    if out is None:
        dump_allocation(allocation, sys.stdout, kind, decisions=decisions)
    else:
        with atomic_writer(out) as handle:
            dump_allocation(allocation, handle, kind, decisions=decisions)
