"""Where a booking ledger keeps its event log: in memory, or in an SQLite file.

A store promises four things (docs/booking.md, "The store contract"):
``operation()`` makes everything inside it one atomic, exclusive unit;
``events(after=n)`` returns the log after seq ``n`` in seq order;
``append`` writes an operation's events and the current entry of every
request they touched; ``setup()`` returns what the ledger was created with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from seatalloc.booking.events import Event, LedgerSetup
from seatalloc.booking.state import Entry
from seatalloc.stores.memory import MemoryStore
from seatalloc.stores.sqlite import SQLiteStore

__all__ = ["MemoryStore", "SQLiteStore", "Store"]


class Store(Protocol):
    """What a ledger needs from its storage."""

    locking: bool
    """False only in the test-only unlocked mode, where operations are not exclusive."""

    def setup(self) -> LedgerSetup:
        """The settings the store was initialised with; :class:`LedgerError` if none."""
        ...

    def initialise(self, setup: LedgerSetup) -> None:
        """Store the settings of a new ledger; :class:`LedgerError` if it holds one already."""
        ...

    def operation(self) -> AbstractContextManager[None]:
        """One exclusive, atomic operation: all of its writes land, or none."""
        ...

    def events(self, after: int) -> list[Event]:
        """The events with ``seq > after``, in seq order."""
        ...

    def append(self, events: Sequence[Event], entries: Mapping[str, Entry]) -> None:
        """Write an operation's events and the current entries of the requests they touched."""
        ...
