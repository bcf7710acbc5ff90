"""The online booking ledger: one engine fed one event at a time, with a replayable log.

See docs/booking.md for the rules and how to embed it.
"""

from seatalloc.booking.events import (
    ConflictError,
    Event,
    EventKind,
    LedgerError,
    LedgerSetup,
    LockTimeoutError,
    NotALedgerError,
    PromotionMode,
    ReadOnlyError,
    StoreError,
    StoreFullError,
    Time,
    UnknownRequestError,
)
from seatalloc.booking.ledger import Ledger, wall_clock
from seatalloc.booking.state import Entry, LedgerState
from seatalloc.booking.store import Store

__all__ = [
    "ConflictError",
    "Entry",
    "Event",
    "EventKind",
    "Ledger",
    "LedgerError",
    "LedgerSetup",
    "LedgerState",
    "LockTimeoutError",
    "NotALedgerError",
    "PromotionMode",
    "ReadOnlyError",
    "Store",
    "StoreError",
    "StoreFullError",
    "Time",
    "UnknownRequestError",
    "wall_clock",
]
