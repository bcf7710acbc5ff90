"""A commented scenario template, optionally filled from a requests file's columns.

``seatalloc init`` writes it. From a requests file it takes the groups,
sessions and roles the requests name (sorted, so the same file gives the same
template); capacities and quotas it cannot know are left as placeholders the
organiser must set (the template says which).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from seatalloc.errors import ProblemError
from seatalloc.io._files import read_text
from seatalloc.io.requests import RequestRows, read_request_rows
from seatalloc.model import Request

__all__ = ["read_any_request_rows", "scenario_template", "template_from_file"]

_PLACEHOLDER_CAPACITY = 0


def read_any_request_rows(path: str | os.PathLike[str]) -> RequestRows:
    """The rows of a requests CSV, or of a spreadsheet (.xlsx, .ods: the ``excel`` extra)."""
    from seatalloc.io.excel import SPREADSHEET_SUFFIXES, read_sheet_request_rows

    if Path(path).suffix.lower() in SPREADSHEET_SUFFIXES:
        return read_sheet_request_rows(path)
    return read_request_rows(read_text(path), str(path))


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def scenario_template(requests: Iterable[Request] = (), requests_file: str | None = None) -> str:
    """TOML text of a scenario, every key explained; sessions and groups from ``requests``."""
    requests = tuple(requests)
    sessions = sorted({s for r in requests for s in r.sessions}) or ["session1"]
    groups = sorted({r.group for r in requests}) or ["group1"]
    roles = sorted({r.role for r in requests if r.role})
    lines = [
        "# A seatalloc scenario (see docs/formats.md). Lines starting with # are comments.",
        "# Set every capacity (0 below: nobody is seated until you do) and each quota.",
        "",
    ]
    if requests_file is not None:
        lines += [
            f"# Sessions, groups and roles below are those named in {requests_file}",
            f"# ({len(requests)} requests).",
            f"requests = {_toml_string(requests_file)}  # the requests file, relative to this one",
            "",
        ]
    else:
        lines += ['# requests = "requests.csv"  # optional: the requests file', ""]
    for sid in sessions:
        lines += [
            "[[sessions]]",
            f"id = {_toml_string(sid)}",
            f"label = {_toml_string(sid)}  # how rosters and messages name it",
            f"capacity = {_PLACEHOLDER_CAPACITY}  # SET ME: seats in this session",
            "# start = 2026-03-07T09:00:00+01:00  # optional",
            "# end = 2026-03-07T16:00:00+01:00    # optional, not before start",
            "",
        ]
    for gid in groups:
        lines += [
            "[[groups]]",
            f"id = {_toml_string(gid)}",
            f"label = {_toml_string(gid)}",
            "# quota = 4  # optional: seats for this group over all sessions",
            "",
        ]
    if roles:
        lines.append("# Roles the requests name: " + ", ".join(roles) + ".")
        lines.append("# A quota on one of them, for example:")
        lines += [
            "# [[quotas]]",
            f"# role = {_toml_string(roles[0])}",
            "# limit = 2",
            "# per_session = true",
            "",
        ]
    lines += [
        "[policy]",
        '# tie_break = "id"          # equal arrivals: by request id, or "seeded" (a lottery)',
        '# seed = 0                  # with tie_break = "seeded"',
        '# parties = "together"      # or "independent"',
        "# prefer_colleagues = false # true: sessions where colleagues sit are tried first",
        "",
    ]
    return "\n".join(lines)


def template_from_file(path: str | os.PathLike[str], relative_to: str | os.PathLike[str]) -> str:
    """The template for the requests in ``path``, which the scenario names relative to itself."""
    rows = read_any_request_rows(path)
    if rows.errors:
        raise ProblemError(rows.errors)
    where = os.path.relpath(Path(path).resolve(), Path(relative_to).resolve().parent)
    return scenario_template(rows.requests, Path(where).as_posix())
