"""An in-memory store: for tests, simulations and single-process services."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from seatalloc.booking.events import Event, LedgerError, LedgerSetup
from seatalloc.booking.state import Entry

__all__ = ["MemoryStore"]


class MemoryStore:
    """The event log in a list; a lock makes operations exclusive between threads."""

    locking = True

    def __init__(self) -> None:
        self._setup: LedgerSetup | None = None
        self._events: list[Event] = []
        self._pending: list[Event] = []
        self.entries: dict[str, Entry] = {}
        """The current entry of every request (what SQLite keeps in its ``requests`` table)."""
        self._lock = threading.RLock()

    def setup(self) -> LedgerSetup:
        if self._setup is None:
            raise LedgerError("this store holds no ledger yet: create one first")
        return self._setup

    def initialise(self, setup: LedgerSetup) -> None:
        with self._lock:
            if self._setup is not None:
                raise LedgerError("this store already holds a ledger")
            self._setup = setup

    @contextmanager
    def operation(self) -> Iterator[None]:
        with self._lock:
            self._pending = []
            yield
            # Reached only without an exception: the operation's events land together.
            self._events.extend(self._pending)
            self._pending = []

    def events(self, after: int) -> list[Event]:
        return self._events[after:]

    def append(self, events: Sequence[Event], entries: Mapping[str, Entry]) -> None:
        self._pending.extend(events)
        self.entries.update(entries)
