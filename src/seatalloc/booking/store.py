"""The store contract: what a ledger needs from the place that keeps its log.

It lives with the ledger (below the concrete stores in ``seatalloc.stores``,
which implement it), so the ledger never imports a store and a store never
imports the ledger. A store promises (docs/booking.md, "The store contract"):

- ``operation()`` makes everything inside it one atomic, exclusive unit;
- ``events(after=n)`` returns the log after seq ``n`` in seq order, each
  submitted or corrected request carrying its current free attributes;
  ``history(id)`` the events of one request;
- ``append`` writes an operation's events and, in the same transaction, the
  materialised state they lead to: the current entry of every request they
  touched, changed capacities and released quotas; free attributes go to
  their own table, never into the log, and an erased event deletes them;
- ``materialised()`` reads that state back, as of one moment, without the log;
- ``setup()`` returns what the ledger was created with.

Failures of the storage itself are raised as :class:`StoreError` subclasses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from seatalloc.booking.events import Event, LedgerSetup
from seatalloc.booking.state import Entry, Materialised

__all__ = ["Store"]


class Store(Protocol):
    """What a ledger needs from its storage."""

    locking: bool
    """False only in the test-only unlocked mode, where operations are not exclusive."""

    def setup(self) -> LedgerSetup:
        """The settings the store was initialised with; :class:`NotALedgerError` if none."""
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

    def history(self, request_id: str) -> list[Event]:
        """The events about one request, in seq order."""
        ...

    def append(self, events: Sequence[Event], entries: Mapping[str, Entry]) -> None:
        """Write an operation's events and the state they lead to (the touched entries)."""
        ...

    def materialised(self) -> Materialised:
        """The state as of the last committed operation, read consistently, without the log."""
        ...

    def statuses(self) -> dict[str, tuple[str, str | None]]:
        """Request id to its current (status, session), as the store keeps them."""
        ...

    def close(self) -> None:
        """Release the store's connection (a no-op for stores without one)."""
        ...
