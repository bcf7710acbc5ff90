"""The booking ledger's vocabulary: its settings, and the events its log is made of."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any, TypeAlias

import attrs

from seatalloc.allocation import Reason
from seatalloc.errors import FieldError, SeatallocError
from seatalloc.model import Problem, Request

__all__ = [
    "ConflictError",
    "Event",
    "EventKind",
    "LedgerError",
    "LedgerSetup",
    "LockTimeoutError",
    "NotALedgerError",
    "PromotionMode",
    "ReadOnlyError",
    "StoreError",
    "StoreFullError",
    "Time",
    "UnknownRequestError",
]

Time: TypeAlias = int | datetime
"""A point in the ledger's time: integer ticks or date-times, never both in one ledger."""


class LedgerError(SeatallocError, ValueError):
    """An operation the ledger cannot do (unknown session, no offer to accept, bad time...)."""


class ConflictError(LedgerError):
    """A request id (or party) submitted again with different content."""


class UnknownRequestError(LedgerError, KeyError):
    """No request with this id was ever submitted."""

    def __str__(self) -> str:
        # KeyError would quote the whole message; keep it readable.
        return str(self.args[0]) if self.args else ""


class StoreError(LedgerError):
    """The storage failed; nothing of the operation was written. The message says what to do."""


class LockTimeoutError(StoreError):
    """Another process held the ledger's lock longer than the lock timeout."""


class NotALedgerError(StoreError):
    """The place named holds no ledger: missing, not a database, corrupt or a foreign schema."""


class ReadOnlyError(StoreError):
    """The ledger can be read but not written (file permissions, a read-only server)."""


class StoreFullError(StoreError):
    """The disk (or the database's size limit) is full."""


class PromotionMode(enum.Enum):
    """What a freed seat does for the first waitlisted unit that fits."""

    DIRECT = "direct"
    """The unit is seated at once."""
    OFFER = "offer"
    """The seat is held for the unit until it accepts, declines or the offer expires."""


class EventKind(enum.Enum):
    """Every kind of change the ledger records."""

    SUBMITTED = "submitted"
    SEATED = "seated"
    WAITLISTED = "waitlisted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    RELEASED = "released"
    CAPACITY_CHANGED = "capacity-changed"
    CORRECTED = "corrected"
    """The request's free attributes were replaced (its place does not change)."""
    ERASED = "erased"
    """The request's free attributes were erased for good."""


def _check_window(setup: LedgerSetup, _: Any, value: Any) -> None:
    if value is None:
        if setup.mode is PromotionMode.OFFER:
            raise FieldError("ledger", None, "offer_window", value, "is needed in offer mode")
        return
    if isinstance(value, bool) or not isinstance(value, int | timedelta):
        raise FieldError("ledger", None, "offer_window", value, "must be an integer or a timedelta")
    if (value <= timedelta(0)) if isinstance(value, timedelta) else value <= 0:
        raise FieldError("ledger", None, "offer_window", value, "must be positive")


def _check_scenario(_: Any, __: Any, value: Any) -> None:
    if not isinstance(value, Problem):
        raise FieldError("ledger", None, "scenario", type(value).__name__, "must be a Problem")
    if value.requests:
        raise FieldError(
            "ledger", None, "scenario", f"{len(value.requests)} requests",
            "must hold no requests: submit them to the ledger",
        )  # fmt: skip
    for quota in value.quotas:
        if isinstance(quota.release, datetime) and quota.release.tzinfo is None:
            raise FieldError(
                "quota", quota.key, "release", quota.release.isoformat(),
                "must carry a time zone in a ledger (e.g. +01:00 or Z)",
            )  # fmt: skip


@attrs.frozen
class LedgerSetup:
    """What a ledger is created with and every process using it must agree on.

    ``scenario`` is a problem without requests: sessions, groups, quotas
    (with optional release times) and policy. ``offer_window`` is how long
    an offer is held (ticks or a timedelta, matching the ledger's time).
    """

    scenario: Problem = attrs.field(validator=_check_scenario)
    mode: PromotionMode = attrs.field(default=PromotionMode.DIRECT, converter=PromotionMode)
    offer_window: int | timedelta | None = attrs.field(default=None, validator=_check_window)


@attrs.frozen
class Event:
    """One recorded change. ``seq`` numbers the log from 1; ``cause`` points at an earlier event.

    Which fields are set depends on ``kind``: ``payload`` and ``unit`` for
    submitted; ``payload`` (the request with its new attributes) for
    corrected; ``session`` for seated and offered (with ``expires``);
    ``reason`` and ``note`` for decisions; ``quota`` (its key) for released;
    ``session`` and ``capacity`` for capacity changed.
    """

    seq: int
    kind: EventKind
    at: Time
    request: str | None = None
    session: str | None = None
    reason: Reason | None = None
    note: str | None = None
    cause: int | None = None
    payload: Request | None = attrs.field(default=None, repr=False)
    unit: str | None = None
    capacity: int | None = None
    quota: str | None = None
    expires: Time | None = None
