"""Ledger settings, events and entries as text, for stores that keep text (SQLite, PostgreSQL).

A request's free attributes are never written into an event's or an entry's
text: they go to the store's attributes table (:func:`dump_attributes`), so
erasing them leaves the log intact, and come back when the row is read.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from seatalloc.allocation import Reason, Status
from seatalloc.booking.events import (
    Event,
    EventKind,
    LedgerSetup,
    NotALedgerError,
    PromotionMode,
    Time,
)
from seatalloc.booking.state import Entry
from seatalloc.model import Group, Policy, Problem, Quota, Request, Session

__all__ = [
    "dump_attributes",
    "dump_entry",
    "dump_event",
    "dump_setup",
    "dump_time",
    "load_entries",
    "load_event",
    "load_setup",
    "load_time",
    "side_writes",
]


def dump_time(value: Time) -> str:
    """A time as JSON text: an integer, or a quoted ISO date-time."""
    return f'"{value.isoformat()}"' if isinstance(value, datetime) else str(value)


def load_time(text: str) -> Time:
    """A time from :func:`dump_time` text."""
    return datetime.fromisoformat(text[1:-1]) if text.startswith('"') else int(text)


def _time(value: int | datetime | None) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _untime(value: Any) -> Any:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _request(request: Request) -> dict[str, Any]:
    return {
        "id": request.id,
        "group": request.group,
        "role": request.role,
        "arrival": _time(request.arrival),
        "sessions": list(request.sessions),
        "party": request.party,
    }


def _unrequest(data: dict[str, Any], attributes: str | None) -> Request:
    fields = {k: v for k, v in data.items() if k != "attributes"}  # schema 1 kept them here
    fields["arrival"] = _untime(fields["arrival"])
    fields["attributes"] = {} if attributes is None else json.loads(attributes)
    return Request(**fields)


def dump_attributes(request: Request) -> str | None:
    """The request's free attributes as JSON text, or ``None`` when it has none."""
    return json.dumps(dict(request.attributes), sort_keys=True) if request.attributes else None


def side_writes(events: Iterable[Event]) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """What the events change beside the log, in order: the one rule the SQL stores share.

    ``("forget", (id,))`` deletes a request's free attributes (erased, or
    corrected to none), ``("keep", (id, body))`` stores them, ``("capacity",
    (session, capacity))`` and ``("release", (quota,))`` update the state tables.
    """
    for event in events:
        if event.kind is EventKind.ERASED:
            yield "forget", (event.request,)
        elif event.kind is EventKind.CAPACITY_CHANGED:
            yield "capacity", (event.session, event.capacity)
        elif event.kind is EventKind.RELEASED:
            yield "release", (event.quota,)
        elif event.payload is not None:
            body = dump_attributes(event.payload)
            if body is None:
                yield "forget", (event.request,)
            else:
                yield "keep", (event.request, body)


def dump_setup(setup: LedgerSetup) -> str:
    """The settings as JSON text."""
    scenario = setup.scenario
    window = setup.offer_window
    return json.dumps(
        {
            "sessions": [
                {"id": s.id, "capacity": s.capacity, "label": s.label,
                 "start": _time(s.start), "end": _time(s.end)}
                for s in scenario.sessions
            ],
            "groups": [{"id": g.id, "label": g.label} for g in scenario.groups],
            "quotas": [
                {"limit": q.limit, "group": q.group, "role": q.role,
                 "per_session": q.per_session, "release": _time(q.release)}
                for q in scenario.quotas
            ],
            "policy": {
                "tie_break": scenario.policy.tie_break.value,
                "seed": scenario.policy.seed,
                "parties": scenario.policy.parties.value,
                "prefer_colleagues": scenario.policy.prefer_colleagues,
            },
            "mode": setup.mode.value,
            "offer_window": (
                {"seconds": window.total_seconds()} if isinstance(window, timedelta) else window
            ),
        },
        sort_keys=True,
    )  # fmt: skip


def load_setup(text: str) -> LedgerSetup:
    """Settings from :func:`dump_setup` text."""
    data = json.loads(text)
    sessions = [
        Session(**{**s, "start": _untime(s["start"]), "end": _untime(s["end"])})
        for s in data["sessions"]
    ]
    quotas = [Quota(**{**q, "release": _untime(q["release"])}) for q in data["quotas"]]
    scenario = Problem(
        sessions, [Group(**g) for g in data["groups"]], (), quotas, Policy(**data["policy"])
    )
    window = data["offer_window"]
    if isinstance(window, dict):
        window = timedelta(seconds=window["seconds"])
    return LedgerSetup(scenario, PromotionMode(data["mode"]), window)


def dump_event(event: Event) -> str:
    """Everything but seq, kind, time and request (kept in their own columns) as JSON text."""
    body = {
        "session": event.session,
        "reason": None if event.reason is None else event.reason.value,
        "note": event.note,
        "cause": event.cause,
        "payload": None if event.payload is None else _request(event.payload),
        "unit": event.unit,
        "capacity": event.capacity,
        "quota": event.quota,
        "expires": _time(event.expires),
    }
    return json.dumps({k: v for k, v in body.items() if v is not None}, sort_keys=True)


def load_event(
    seq: int, kind: str, at: str, request: str | None, body: str, attributes: str | None = None
) -> Event:
    """An event from its columns, with the request's attributes (JSON text) when it has any."""
    data = json.loads(body)
    if "reason" in data:
        data["reason"] = Reason(data["reason"])
    if "payload" in data:
        data["payload"] = _unrequest(data["payload"], attributes)
    if "expires" in data:
        data["expires"] = _untime(data["expires"])
    return Event(seq, EventKind(kind), load_time(at), request, **data)


def dump_entry(entry: Entry) -> tuple[Any, ...]:
    """The entry as the columns of a requests row (docs/booking.md, "Schema").

    The request's fields have columns of their own (reading them back is the
    bulk of a new process's start): its ranked sessions joined by newlines,
    which ids cannot contain. Attributes are not among them.
    """
    request = entry.request
    expires = None if entry.expires is None else dump_time(entry.expires)
    return (
        request.id, entry.unit, entry.order, entry.status.value, entry.reason.value,
        entry.session, entry.note, expires, entry.cause, request.group, request.role,
        dump_time(request.arrival), "\n".join(request.sessions), request.party,
    )  # fmt: skip


def load_entries(rows: Iterable[Sequence[Any]], attributes: Mapping[str, str]) -> list[Entry]:
    """The entries from rows of the columns :func:`dump_entry` wrote, in arrival order.

    ``attributes`` maps request ids to their attributes' JSON. The requests
    were checked when submitted, and the rows written from them: they are
    rebuilt without the checks (a new process reads every entry; ``verify``
    replays the log's checked requests and compares). Rows come in any order
    (sorting rows already nearly in order is a linear pass).
    """
    status_of, reason_of, unchecked, time_of = _STATUS, _REASON, Request.unchecked, load_time
    entries = []
    for row in rows:
        (rid, unit, order, status, reason, session, note, expires, cause,
         group, role, arrival, sessions, party) = row  # fmt: skip
        body = attributes.get(rid)
        try:
            request = unchecked(
                rid, group, role, time_of(arrival),
                tuple(sessions.split("\n")) if sessions else (), party,
                None if body is None else json.loads(body),
            )  # fmt: skip
            entries.append(Entry(
                request, unit, order, status_of[status], reason_of[reason], session, note,
                None if expires is None else time_of(expires), cause,
            ))  # fmt: skip
        except (KeyError, ValueError, TypeError, AttributeError) as error:
            raise NotALedgerError(
                f"the stored state of request {rid!r} is malformed ({type(error).__name__}); "
                "the ledger is damaged: restore it from a backup"
            ) from None
    entries.sort(key=_ORDER)
    return entries


_ORDER = operator.attrgetter("order")
_STATUS = {s.value: s for s in Status}
_REASON = {r.value: r for r in Reason}
