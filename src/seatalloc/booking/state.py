"""The ledger's state as a fold over its event log: ``apply`` is the only thing that changes it.

Live operations decide with the engine, then record their events through
``apply``; replaying a log calls the same ``apply`` on a fresh state, so a
replay rebuilds exactly what the live ledger held.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from seatalloc.allocation import Reason, Status
from seatalloc.booking.events import Event, EventKind, LedgerSetup, Time
from seatalloc.engine import Engine
from seatalloc.model import PartyRule, Request

__all__ = ["Entry", "LedgerState"]

# Each kind that ends a request's participation, and the reason it records.
_LEAVING = {
    EventKind.WITHDRAWN: Reason.WITHDREW,
    EventKind.DECLINED: Reason.DECLINED,
    EventKind.EXPIRED: Reason.EXPIRED,
}


@attrs.frozen
class Entry:
    """One submitted request: where it stands now, and the events that touched it."""

    request: Request = attrs.field(repr=False)
    unit: str
    """The id of the unit's first member: the unit's key and its place in the queue."""
    order: int
    """Seq of its submitted event: the ledger's arrival order."""
    status: Status
    reason: Reason
    session: str | None = None
    note: str | None = None
    expires: Time | None = None
    cause: int | None = None
    history: tuple[int, ...] = ()


class LedgerState:
    """Entries, the active units, the waitlist and the engine holding the seats."""

    def __init__(self, setup: LedgerSetup) -> None:
        self.setup = setup
        self.engine = Engine(setup.scenario)
        self.seq = 0
        self.log: list[Event] = []
        self.entries: dict[str, Entry] = {}
        self.units: dict[str, tuple[str, ...]] = {}
        """Unit key to its active (not withdrawn, not rejected) member ids."""
        self.waitlist: dict[str, int] = {}
        """Waitlisted unit key to its order."""
        self.party_unit: dict[str, str] = {}
        self.capacities = {s.id: s.capacity for s in setup.scenario.sessions}
        self.released: set[str] = set()
        self.version = 0
        """Bumped by every change (restores included): a key for caches of derived views."""

    @classmethod
    def replay(cls, setup: LedgerSetup, events: Iterable[Event]) -> LedgerState:
        """The state a log leads to."""
        state = cls(setup)
        for event in events:
            state.apply(event)
        return state

    def apply(self, event: Event) -> None:
        """Fold one event into the state (the engine included)."""
        self.seq = event.seq
        self.version += 1
        self.log.append(event)
        kind = event.kind
        if kind is EventKind.RELEASED:
            quota = next(q for q in self.setup.scenario.quotas if q.key == event.quota)
            self.engine.release(quota)
            self.released.add(quota.key)
            return
        if kind is EventKind.CAPACITY_CHANGED:
            assert event.session is not None and event.capacity is not None
            self.engine.set_capacity(event.session, event.capacity)
            self.capacities[event.session] = event.capacity
            return
        assert event.request is not None
        if kind is EventKind.SUBMITTED:
            self._submitted(event)
            return
        entry = self.entries[event.request]
        changes: dict[str, Any] = {"history": (*entry.history, event.seq), "cause": event.cause}
        if event.note is not None or kind is not EventKind.ACCEPTED:
            changes["note"] = event.note
        members = self.units.setdefault(entry.unit, ())
        if kind in (EventKind.SEATED, EventKind.OFFERED):
            assert event.session is not None
            # Live, the engine has seated the unit already; on replay it has not.
            if self.engine.seat_of.get(entry.request.id) != event.session:
                self.engine.unseat((entry.request,))
                self.engine.seat((entry.request,), event.session)
            seated = kind is EventKind.SEATED
            changes.update(
                status=Status.SEATED if seated else Status.OFFERED,
                session=event.session,
                reason=event.reason,
                expires=None if seated else event.expires,
            )
            if entry.request.id not in members:
                self.units[entry.unit] = (*members, entry.request.id)
            self.waitlist.pop(entry.unit, None)
        elif kind is EventKind.ACCEPTED:
            changes.update(status=Status.SEATED, expires=None)
        elif kind is EventKind.WAITLISTED:
            self.engine.unseat((entry.request,))
            changes.update(
                status=Status.WAITLISTED, session=None, reason=event.reason, expires=None
            )
            self.waitlist[entry.unit] = self.entries[entry.unit].order
        elif kind is EventKind.REJECTED:
            changes.update(status=Status.REJECTED, reason=Reason.INVALID, session=None)
            self._leave(entry)
            if entry.request.party is not None:
                self.party_unit.pop(entry.request.party, None)
        else:
            self.engine.unseat((entry.request,))
            changes.update(
                status=Status.WITHDRAWN, reason=_LEAVING[kind], session=None, expires=None
            )
            self._leave(entry)
        self.entries[event.request] = attrs.evolve(entry, **changes)

    def _submitted(self, event: Event) -> None:
        request = event.payload
        assert request is not None and event.unit is not None
        self.entries[request.id] = Entry(
            request, event.unit, event.seq, Status.WAITLISTED, Reason.NO_ROOM,
            history=(event.seq,),
        )  # fmt: skip
        self.units[event.unit] = (*self.units.get(event.unit, ()), request.id)
        if request.party is not None and self.setup.scenario.policy.parties is PartyRule.TOGETHER:
            self.party_unit[request.party] = event.unit

    def _leave(self, entry: Entry) -> None:
        members = tuple(m for m in self.units.get(entry.unit, ()) if m != entry.request.id)
        if members:
            self.units[entry.unit] = members
        else:
            self.units.pop(entry.unit, None)
            self.waitlist.pop(entry.unit, None)

    def snapshot(self) -> tuple[Any, ...]:
        """What :meth:`restore` needs to undo the operations that follow (cheap copies)."""
        return (
            self.seq, len(self.log), dict(self.entries), dict(self.units), dict(self.waitlist),
            dict(self.party_unit), dict(self.capacities), set(self.released),
        )  # fmt: skip

    def restore(self, saved: tuple[Any, ...]) -> None:
        """Go back to a snapshot; the engine is rebuilt from the seats the entries hold."""
        (self.seq, length, self.entries, self.units, self.waitlist,
         self.party_unit, self.capacities, self.released) = saved  # fmt: skip
        del self.log[length:]
        self.version += 1
        engine = Engine(self.setup.scenario)
        for quota in self.setup.scenario.quotas:
            if quota.key in self.released:
                engine.release(quota)
        for session, capacity in self.capacities.items():
            engine.set_capacity(session, capacity)
        for entry in sorted(self.entries.values(), key=lambda e: e.order):
            if entry.session is not None and entry.status in (Status.SEATED, Status.OFFERED):
                engine.seat((entry.request,), entry.session)
        self.engine = engine

    def waitlisted(self) -> list[str]:
        """Waitlisted unit keys in queue order."""
        return sorted(self.waitlist, key=self.waitlist.__getitem__)

    def members(self, unit: str) -> tuple[Request, ...]:
        """The active members of a unit, as requests."""
        return tuple(self.entries[m].request for m in self.units.get(unit, ()))
