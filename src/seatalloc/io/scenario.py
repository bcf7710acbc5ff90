"""Scenario files, TOML: sessions, groups, quotas, policy and optionally a requests CSV.

See docs/formats.md. Unknown keys are errors, so a typo is never ignored;
every error is reported at once, naming file, line, table (``sessions[2]``
is the second ``[[sessions]]`` table), field and value.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import attrs

from seatalloc.errors import FieldError, InputError, Where
from seatalloc.io._files import SPREADSHEET_SUFFIXES, read_text
from seatalloc.io.requests import (
    Located,
    RequestRows,
    build_checked,
    datetime_fault,
    parse_datetime,
    read_request_rows,
)
from seatalloc.model import Group, Policy, Problem, Quota, Request, Session

__all__ = [
    "ScenarioTables",
    "input_files",
    "load_scenario",
    "parse_scenario",
    "read_scenario_tables",
]

_KEYS: Mapping[str, tuple[str, ...]] = {
    "scenario": ("sessions", "groups", "quotas", "policy", "requests"),
    "sessions": ("id", "capacity", "label", "start", "end"),
    "groups": ("id", "label", "quota"),
    "quotas": ("limit", "group", "role", "per_session", "release"),
    "policy": ("tie_break", "seed", "parties", "prefer_colleagues"),
}
_REQUIRED: Mapping[str, tuple[str, ...]] = {
    "sessions": ("id", "capacity"),
    "groups": ("id",),
    "quotas": ("limit",),
    "policy": (),
}
T = TypeVar("T")
_HEADER = re.compile(r"\s*\[\[?\s*([A-Za-z0-9_-]+)\s*\]\]?")


@attrs.frozen
class _Lines:
    """Lines of tables and keys in TOML text, for messages (tomllib does not report them)."""

    text_lines: tuple[str, ...]
    headers: tuple[tuple[int, str], ...]
    """(line, table name) of every ``[name]`` or ``[[name]]`` header, in order."""

    @classmethod
    def of(cls, text: str) -> _Lines:
        lines = tuple(text.splitlines())
        headers = tuple(
            (i, m.group(1)) for i, line in enumerate(lines, start=1) if (m := _HEADER.match(line))
        )
        return cls(lines, headers)

    def find(self, table: str, index: int, count: int, key: str | None) -> int | None:
        """The line of ``key`` in the ``index``-th ``table`` (of ``count``), or of its header.

        ``None`` when the tables are not written as headers (inline arrays).
        """
        if table == "scenario":  # top-level keys: before the first header
            first, end = 0, self.headers[0][0] if self.headers else len(self.text_lines) + 1
        else:
            starts = [i for i, (_, name) in enumerate(self.headers) if name == table]
            if len(starts) != count:
                return None
            h = starts[index]
            first = self.headers[h][0]
            end = self.headers[h + 1][0] if h + 1 < len(self.headers) else len(self.text_lines) + 1
        if key is not None:
            pattern = re.compile(rf"\s*\"?{re.escape(key)}\"?\s*=")
            for line in range(first + 1, end):
                if pattern.match(self.text_lines[line - 1]):
                    return line
        return first or None


class _At(NamedTuple):
    """A table in the file: the ``nth`` (from 0) of ``total`` tables named ``table``."""

    table: str
    nth: int = 0
    total: int = 1

    @property
    def label(self) -> str:
        """``sessions[2]`` for the second ``[[sessions]]`` table; single tables by name."""
        return (
            self.table if self.table in ("scenario", "policy") else f"{self.table}[{self.nth + 1}]"
        )


_TOP = _At("scenario")


@attrs.frozen
class ScenarioTables:
    """The objects read from a scenario file, the errors found, and where each object came from."""

    source: str
    sessions: tuple[Session, ...]
    groups: tuple[Group, ...]
    quotas: tuple[Quota, ...]
    policy: Policy
    requests: str | None
    """The requests CSV the file names, as written."""
    errors: tuple[FieldError, ...]
    places: Mapping[tuple[str, str | None], _At]
    """(kind, object key) to the table the object was read from."""
    lines: _Lines
    broken: tuple[tuple[str, str], ...]
    """(table, id) of sessions and groups whose tables had errors."""

    def locate(self, error: FieldError) -> FieldError | None:
        """A model error about a session, group, quota or policy, placed at its table."""
        at = self.places.get((error.kind, None if error.key is None else str(error.key)))
        if at is None:
            return None
        where = Where(self.source, self.lines.find(*at, error.field))
        return FieldError(at.label, error.key, error.field, error.value, error.expected, where)


def _datetime(value: object) -> datetime | None:
    """TOML date-times as they are; ISO 8601 text parsed; anything else ``None``."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return parse_datetime(value.strip())
    return None


def _id(entry: Mapping[str, Any]) -> str | None:
    value = entry.get("id")
    return value if isinstance(value, str) and value.strip() else None


class _Reader:
    """Walks a parsed scenario, collecting every error with its place in the file."""

    def __init__(self, document: Mapping[str, Any], source: str, lines: _Lines) -> None:
        self.document = document
        self.source = source
        self.lines = lines
        self.errors: list[FieldError] = []
        self.places: dict[tuple[str, str | None], _At] = {}
        self.broken: list[tuple[str, str]] = []

    def error(self, at: _At, key: object, field: str, value: object, expected: str) -> None:
        where = Where(self.source, self.lines.find(*at, field))
        self.errors.append(FieldError(at.label, key, field, value, expected, where))

    def entries(self, table: str) -> Iterator[tuple[_At, dict[str, Any], bool]]:
        """Each table of an array ``[[table]]``: its known keys, and whether it has the required.

        Unknown and missing keys are recorded as errors but the rest is still
        checked, so one run reports everything.
        """
        raw = self.document.get(table, [])
        if not isinstance(raw, list):
            self.error(_TOP, None, table, raw, "must be an array of tables")
            return
        for index, entry in enumerate(raw):
            at = _At(table, index, len(raw))
            if not isinstance(entry, dict):
                self.error(at, None, "type", entry, "must be a table")
                continue
            known, complete = self.known_keys(at, entry)
            yield at, known, complete

    def known_keys(self, at: _At, entry: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """The entry without unknown keys, and whether it has every required key.

        Both kinds of error are recorded; an incomplete table is marked broken.
        """
        for name, value in entry.items():
            if name not in _KEYS[at.table]:
                known = ", ".join(_KEYS[at.table])
                self.error(at, _id(entry), name, value, f"is not a known key ({known})")
        missing = [name for name in _REQUIRED[at.table] if name not in entry]
        for name in missing:
            self.error(at, _id(entry), name, None, "is required")
        if missing:
            self.mark_broken(at, entry)
        return {k: v for k, v in entry.items() if k in _KEYS[at.table]}, not missing

    def build(self, at: _At, entry: Mapping[str, Any], make: Callable[[], T]) -> T | None:
        """``make()``, or ``None`` with its :class:`FieldError` recorded at the table."""
        try:
            return make()
        except FieldError as e:
            self.error(at, e.key, e.field, e.value, e.expected)
            self.mark_broken(at, entry)
            return None

    def mark_broken(self, at: _At, entry: Mapping[str, Any]) -> None:
        key = _id(entry)
        if key is not None and (at.table, key) not in self.broken:
            self.broken.append((at.table, key))

    def sessions(self) -> list[Session]:
        sessions = []
        for at, entry, complete in self.entries("sessions"):
            times: dict[str, Any] = {}
            for name in ("start", "end"):
                if name in entry:
                    times[name] = _datetime(entry[name])
                    if times[name] is None:
                        expected = "must be a date-time (TOML, or ISO 8601 text)"
                        value = entry[name]
                        if isinstance(value, date):  # a TOML date without a time
                            expected, value = expected + " with a time of day", value.isoformat()
                        elif isinstance(value, str) and (fault := datetime_fault(value.strip())):
                            expected += " " + fault
                        self.error(at, _id(entry), name, value, expected)
            if any(t is None for t in times.values()):
                self.mark_broken(at, entry)
                continue
            if not complete:
                continue
            fields = {**entry, **times}
            session = self.build(at, entry, partial(Session, **fields))
            if session is not None:
                sessions.append(session)
                self.places["session", session.id] = at
        return sessions

    def groups(self) -> tuple[list[Group], list[Quota]]:
        groups, quotas = [], []
        for at, entry, complete in self.entries("groups"):
            if not complete:
                continue
            fields = {k: v for k, v in entry.items() if k != "quota"}
            group = self.build(at, entry, partial(Group, **fields))
            if group is None:
                continue
            groups.append(group)
            self.places["group", group.id] = at
            if "quota" not in entry:
                continue
            try:
                quota = Quota(entry["quota"], group=group.id)
            except FieldError as e:
                self.error(at, group.id, "quota", e.value, e.expected)
                continue
            quotas.append(quota)
            self.places["quota", quota.key] = at  # its errors point at the group's table
        return groups, quotas

    def quotas(self) -> list[Quota]:
        quotas = []
        for at, entry, complete in self.entries("quotas"):
            if not complete:
                continue
            fields = dict(entry)
            if isinstance(entry.get("release"), str):
                # ISO text is accepted like the sessions' times; bad text stays for Quota to name.
                fields["release"] = _datetime(entry["release"]) or entry["release"]
            quota = self.build(at, entry, partial(Quota, **fields))
            if quota is not None:
                quotas.append(quota)
                self.places["quota", quota.key] = at
        return quotas

    def policy(self) -> Policy:
        raw = self.document.get("policy", {})
        at = _At("policy")
        if not isinstance(raw, dict):
            self.error(_TOP, None, "policy", raw, "must be a table")
            return Policy()
        known, _ = self.known_keys(at, raw)  # policy has no required key
        self.places["policy", None] = at
        return self.build(at, known, partial(Policy, **known)) or Policy()

    def requests(self) -> str | None:
        raw = self.document.get("requests")
        if raw is not None and (not isinstance(raw, str) or not raw.strip()):
            self.error(_TOP, None, "requests", raw, "must be the path of a CSV file")
            return None
        return raw


def read_scenario_tables(text: str, source: str = "<scenario>") -> ScenarioTables:
    """Parse scenario TOML into its objects, collecting every error (no cross checks yet)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{source}: not valid TOML: {error}") from None
    reader = _Reader(document, source, _Lines.of(text))
    for name, value in document.items():
        if name not in _KEYS["scenario"]:
            known = ", ".join(_KEYS["scenario"])
            reader.error(_TOP, None, name, value, f"is not a known key ({known})")
    sessions = reader.sessions()
    groups, group_quotas = reader.groups()
    quotas = group_quotas + reader.quotas()
    policy = reader.policy()
    requests = reader.requests()
    return ScenarioTables(
        source, tuple(sessions), tuple(groups), tuple(quotas), policy, requests,
        tuple(reader.errors), reader.places, reader.lines, tuple(reader.broken),
    )  # fmt: skip


def parse_scenario(
    text: str,
    source: str = "<scenario>",
    base: str | os.PathLike[str] | None = None,
    requests_file: str | os.PathLike[str] | None = None,
) -> Problem:
    """The problem a scenario TOML text describes, with the requests CSV it names, if any.

    ``base`` is the folder a relative ``requests`` path starts from (default:
    the folder of ``source``). ``requests_file`` replaces the CSV the scenario
    names: that one is then not read at all.
    """
    tables = read_scenario_tables(text, source)
    readers: list[Located] = [tables]
    requests: Sequence[Request] = ()
    if requests_file is None and tables.requests is not None:
        requests_file = Path(base if base is not None else Path(source).parent) / tables.requests
    if requests_file is not None:
        rows = _request_rows(requests_file, tables)
        readers.append(rows)
        requests = rows.requests
    # Stand-ins for sessions and groups whose tables had errors, so the cross
    # checks do not also call every reference to them unknown. The problem is
    # never returned then: those tables' errors are already recorded.
    sessions = tables.sessions + tuple(Session(i, 0) for t, i in tables.broken if t == "sessions")
    groups = tables.groups + tuple(Group(i) for t, i in tables.broken if t == "groups")
    return build_checked(
        partial(Problem, sessions, groups, requests, tables.quotas, tables.policy), readers
    )


def _request_rows(path: str | os.PathLike[str], tables: ScenarioTables) -> RequestRows:
    """The rows of a requests file: a spreadsheet (.xlsx, .ods) or CSV text (sharing the
    scenario's session and group id strings)."""
    if Path(path).suffix.lower() in SPREADSHEET_SUFFIXES:
        # Imported here: spreadsheets need the optional 'excel' extra.
        from seatalloc.io.excel import read_sheet_request_rows

        return read_sheet_request_rows(path)
    return read_request_rows(
        read_text(path),
        str(path),
        session_ids=[s.id for s in tables.sessions],
        group_ids=[g.id for g in tables.groups],
    )


def load_scenario(
    path: str | os.PathLike[str], requests: str | os.PathLike[str] | None = None
) -> Problem:
    """The problem in a scenario TOML file, with the requests CSV it names, if any.

    ``requests`` is a requests CSV to read instead of the one the scenario names.
    """
    return parse_scenario(read_text(path), str(path), requests_file=requests)


def input_files(path: str | os.PathLike[str]) -> list[Path]:
    """The scenario file and the requests CSV it names (resolved), for "never overwrite"."""
    files = [Path(path).resolve()]
    try:
        named = read_scenario_tables(read_text(path), str(path)).requests
    except (OSError, InputError):
        return files
    if named is not None:
        files.append((Path(path).parent / named).resolve())
    return files
