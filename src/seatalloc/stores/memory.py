"""An in-memory store: for tests, simulations and single-process services."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import attrs

from seatalloc.booking.events import Event, EventKind, LedgerError, LedgerSetup
from seatalloc.booking.state import Entry, Materialised

__all__ = ["MemoryStore"]


class MemoryStore:
    """The event log in a list; a lock makes operations exclusive between threads.

    Free attributes are kept in the log's payloads, replaced there when
    corrected and dropped when erased (nothing is written anywhere else).
    Beside the log it keeps the materialised state, as the SQL stores do in
    their tables: each request's entry, the capacities and the released quotas.
    """

    locking = True

    def __init__(self) -> None:
        self._setup: LedgerSetup | None = None
        self._events: list[Event] = []
        self._pending: list[tuple[Sequence[Event], Mapping[str, Entry]]] = []
        self.entries: dict[str, Entry] = {}
        """The current entry of every request (what SQLite keeps in its ``requests`` table)."""
        self._seqs: dict[str, list[int]] = {}
        """Request id to the seqs of its events."""
        self._capacities: dict[str, int] = {}
        self._released: set[str] = set()
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
            self._capacities = {s.id: s.capacity for s in setup.scenario.sessions}

    @contextmanager
    def operation(self) -> Iterator[None]:
        with self._lock:
            self._pending = []
            yield
            # Reached only without an exception: the operation's writes land together.
            for events, entries in self._pending:
                self._write(events, entries)
            self._pending = []

    def _write(self, events: Sequence[Event], entries: Mapping[str, Entry]) -> None:
        for event in events:
            self._events.append(event)
            if event.request is not None:
                self._seqs.setdefault(event.request, []).append(event.seq)
            if event.kind in (EventKind.CORRECTED, EventKind.ERASED):
                self._reattribute(event)
            elif event.kind is EventKind.CAPACITY_CHANGED:
                assert event.session is not None and event.capacity is not None
                self._capacities[event.session] = event.capacity
            elif event.kind is EventKind.RELEASED:
                assert event.quota is not None
                self._released.add(event.quota)
        self.entries.update(entries)

    def _reattribute(self, event: Event) -> None:
        attributes = {} if event.payload is None else event.payload.attributes
        for seq in self._seqs[event.request or ""]:
            old = self._events[seq - 1]
            if old.payload is not None:
                payload = attrs.evolve(old.payload, attributes=attributes)
                self._events[seq - 1] = attrs.evolve(old, payload=payload)

    def events(self, after: int) -> list[Event]:
        return self._events[after:]

    def history(self, request_id: str) -> list[Event]:
        return [self._events[seq - 1] for seq in self._seqs.get(request_id, ())]

    def append(self, events: Sequence[Event], entries: Mapping[str, Entry]) -> None:
        self._pending.append((events, dict(entries)))

    def materialised(self) -> Materialised:
        with self._lock:
            last = self._events[-1] if self._events else None
            return Materialised(
                seq=0 if last is None else last.seq,
                at=None if last is None else last.at,
                entries=sorted(self.entries.values(), key=lambda e: e.order),
                capacities=dict(self._capacities),
                released=frozenset(self._released),
            )

    def statuses(self) -> dict[str, tuple[str, str | None]]:
        """Request id to its current (status, session)."""
        return {rid: (e.status.value, e.session) for rid, e in self.entries.items()}

    def close(self) -> None:
        """Nothing to release."""
