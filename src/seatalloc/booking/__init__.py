"""The online booking ledger: one engine fed one event at a time, with a replayable log.

See docs/booking.md for the rules and how to embed it.
"""

from seatalloc.booking.events import (
    ConflictError,
    Event,
    EventKind,
    LedgerError,
    LedgerSetup,
    PromotionMode,
    Time,
    UnknownRequestError,
)
from seatalloc.booking.ledger import Ledger
from seatalloc.booking.state import Entry, LedgerState

__all__ = [
    "ConflictError",
    "Entry",
    "Event",
    "EventKind",
    "Ledger",
    "LedgerError",
    "LedgerSetup",
    "LedgerState",
    "PromotionMode",
    "Time",
    "UnknownRequestError",
]
