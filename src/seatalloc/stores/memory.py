"""An in-memory store: for tests, simulations and single-process services."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import attrs

from seatalloc.booking.events import Event, EventKind, LedgerError, LedgerSetup
from seatalloc.booking.state import Entry

__all__ = ["MemoryStore"]


class MemoryStore:
    """The event log in a list; a lock makes operations exclusive between threads.

    Free attributes are kept in the log's payloads, replaced there when
    corrected and dropped when erased (nothing is written anywhere else).
    """

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
            for event in self._pending:
                if event.kind in (EventKind.CORRECTED, EventKind.ERASED):
                    self._reattribute(event)
            self._events.extend(self._pending)
            self._pending = []

    def _reattribute(self, event: Event) -> None:
        attributes = {} if event.payload is None else event.payload.attributes
        entry = self.entries[event.request or ""]
        for seq in entry.history:
            old = self._events[seq - 1] if seq <= len(self._events) else None
            if old is not None and old.payload is not None:
                payload = attrs.evolve(old.payload, attributes=attributes)
                self._events[seq - 1] = attrs.evolve(old, payload=payload)

    def events(self, after: int) -> list[Event]:
        return self._events[after:]

    def append(self, events: Sequence[Event], entries: Mapping[str, Entry]) -> None:
        self._pending.extend(events)
        self.entries.update(entries)

    def statuses(self) -> dict[str, tuple[str, str | None]]:
        """Request id to its current (status, session)."""
        return {rid: (e.status.value, e.session) for rid, e in self.entries.items()}

    def close(self) -> None:
        """Nothing to release."""
