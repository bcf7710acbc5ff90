"""The ledger's state as a fold over its event log: ``apply`` is the only thing that changes it.

Live operations decide with the engine, then record their events through
``apply``; replaying a log calls the same ``apply`` on a fresh state, so a
replay rebuilds exactly what the live ledger held. A new process does not
replay: it :meth:`~LedgerState.restore` s the state from the entries the store
materialised (:class:`Materialised`), through the same helpers ``apply`` uses
to seat a unit and to index it. The log itself is never held in memory.

An operation that fails is undone from a journal of what its events touched
(``begin``, ``commit``, ``rollback``), so neither succeeding nor failing
costs time in proportion to the size of the ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from seatalloc.allocation import Reason, Status
from seatalloc.booking.events import Event, EventKind, LedgerSetup, PromotionMode, Time
from seatalloc.booking.waitlist_index import WaitlistIndex
from seatalloc.engine import Engine, Shortfall
from seatalloc.model import PartyRule, Request

__all__ = ["Entry", "LedgerState", "Materialised"]

# Each kind that ends a request's participation, and the reason it records.
_LEAVING = {
    EventKind.WITHDRAWN: Reason.WITHDREW,
    EventKind.DECLINED: Reason.DECLINED,
    EventKind.EXPIRED: Reason.EXPIRED,
}
_HOLDING = (Status.SEATED, Status.OFFERED)
# The tables a journal saves entries of before an operation changes them.
_TABLES = ("entries", "units", "unit_ids_ever", "waitlist", "party_unit", "capacities")
_ABSENT: Any = object()
"""Journal mark: the key was not in the table before the operation."""


@attrs.frozen
class Entry:
    """One submitted request and where it stands now (its events are in the store: ``history``)."""

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


@attrs.frozen
class Materialised:
    """The state a store keeps current beside the log, written with the events it follows from.

    Everything a new process needs to decide, and nothing of the history:
    the last event's seq and time, every request's entry (in arrival
    order), the capacities changed since the ledger began and the quotas
    released so far.
    """

    seq: int
    at: Time | None
    entries: Sequence[Entry]
    capacities: Mapping[str, int]
    released: frozenset[str]


class _QueueCounts:
    """How many waitlisted members wait at each queue order, with sums of those before one.

    A Fenwick tree over orders: a waitlist position costs O(log n) to read or
    change instead of a pass over the whole queue. Its size doubles as the
    log grows, each time rebuilt in one linear pass (amortised O(1)).
    """

    def __init__(self) -> None:
        self._values: dict[int, int] = {}
        self._size = 64
        self._tree = [0] * (self._size + 1)

    def load(self, counts: Mapping[int, int]) -> None:
        """Hold exactly ``counts`` (order to members waiting there), built in one linear pass."""
        self._values = {order: count for order, count in counts.items() if count}
        self._grow(max(self._values, default=1))

    def set(self, order: int, count: int) -> None:
        delta = count - self._values.pop(order, 0)
        if count:
            self._values[order] = count
        if order > self._size:
            self._grow(order)
            return
        tree, size = self._tree, self._size
        while delta and order <= size:
            tree[order] += delta
            order += order & -order

    def before(self, order: int) -> int:
        """The members waiting at orders below ``order``."""
        tree = self._tree
        total = 0
        i = min(order - 1, self._size)
        while i > 0:
            total += tree[i]
            i &= i - 1
        return total

    def _grow(self, order: int) -> None:
        size = self._size
        while size < order:
            size *= 2
        tree = [0] * (size + 1)
        for i, count in self._values.items():
            tree[i] += count
        for i in range(1, size + 1):
            parent = i + (i & -i)
            if parent <= size:
                tree[parent] += tree[i]
        self._size, self._tree = size, tree


class LedgerState:
    """Entries, the active units, the waitlist and the engine holding the seats."""

    def __init__(self, setup: LedgerSetup) -> None:
        self.setup = setup
        self.engine = Engine(setup.scenario)
        self.seq = 0
        self.at: Time | None = None
        """The time of the last event (``None`` before the first)."""
        self.entries: dict[str, Entry] = {}
        self.units: dict[str, tuple[str, ...]] = {}
        """Unit key to its active (not withdrawn, not rejected) member ids."""
        self.unit_ids_ever: dict[str, tuple[str, ...]] = {}
        """Key of a unit of several to every id submitted in it (gone members too)."""
        self.waitlist: dict[str, int] = {}
        """Waitlisted unit key to its order."""
        self.party_unit: dict[str, str] = {}
        self.capacities = {s.id: s.capacity for s in setup.scenario.sessions}
        self.released: set[str] = set()
        self.anchor: Request | None = None
        """The first request not rejected: later arrivals must have its type of arrival."""
        self.offered: set[str] = set()
        """Keys of the units with a member holding an offer."""
        self._offering = setup.mode is PromotionMode.OFFER
        self._queue = _QueueCounts()
        self._queued: dict[str, tuple[int, int]] = {}
        """Waitlisted unit key to the (order, member count) it holds in ``_queue``."""
        self._blocked = WaitlistIndex(self.engine)
        """The waitlist filed by what blocks each unit (kept by ``apply``, read by ``promote``)."""
        self._journal: dict[str, dict[Any, Any]] | None = None
        self._saved: tuple[int, Time | None, Request | None, Any] = (0, None, None, None)
        self._seats = 0
        """Counts changes to the engine's seats, capacities and quotas (keys the blocks cache)."""
        self._blocks: tuple[int, dict[Any, tuple[Shortfall, ...]]] = (0, {})

    @classmethod
    def replay(cls, setup: LedgerSetup, events: Iterable[Event]) -> LedgerState:
        """The state a log leads to."""
        state = cls(setup)
        for event in events:
            state.apply(event)
        return state

    @classmethod
    def restore(cls, setup: LedgerSetup, stored: Materialised) -> LedgerState:
        """The state a store materialised, rebuilt without its log.

        Each entry goes in as ``apply`` leaves it (its unit, queue place,
        party), holders take their seats in the engine, and every unit is
        indexed by :meth:`_index`, the helper ``apply`` calls after each event.
        """
        state = cls(setup)
        state.seq, state.at = stored.seq, stored.at
        state.released = set(stored.released)
        state.capacities.update(stored.capacities)
        for quota in setup.scenario.quotas:
            if quota.key in state.released:
                state.engine.release(quota)
        for session, capacity in state.capacities.items():
            state.engine.set_capacity(session, capacity)
        together = setup.scenario.policy.parties is PartyRule.TOGETHER
        entries, ever, units, waitlist = (
            state.entries,
            state.unit_ids_ever,
            state.units,
            state.waitlist,
        )
        seat, party_unit = state.engine.seat, state.party_unit
        for entry in stored.entries:
            request, unit, status = entry.request, entry.unit, entry.status
            rid = request.id
            entries[rid] = entry
            if rid != unit:
                ever[unit] = (*ever.get(unit, (unit,)), rid)
            if status is Status.REJECTED:
                continue
            if state.anchor is None:
                state.anchor = request
            if together and request.party is not None:
                party_unit[request.party] = unit
            if status is Status.WITHDRAWN:
                continue
            members = units.get(unit)
            units[unit] = (rid,) if members is None else (*members, rid)
            if status is Status.WAITLISTED:
                waitlist[unit] = entry.order if unit == rid else entries[unit].order
            elif entry.session is not None:
                seat((request,), entry.session)
        # The queue counts in one pass; _index then finds them current and indexes the rest.
        state._queued = {u: (order, len(units[u])) for u, order in waitlist.items() if units.get(u)}
        state._queue.load(dict(state._queued.values()))
        for unit in units:
            state._index(unit)
        return state

    def apply(self, event: Event) -> None:
        """Fold one event into the state (the engine included)."""
        self.seq, self.at = event.seq, event.at
        kind = event.kind
        if kind is EventKind.RELEASED:
            quota = next(q for q in self.setup.scenario.quotas if q.key == event.quota)
            if self._journal is not None:
                self._journal["released"][quota.key] = True
            self._seats += 1
            self._blocked.release(quota)
            self.engine.release(quota)
            self.released.add(quota.key)
            return
        if kind is EventKind.CAPACITY_CHANGED:
            assert event.session is not None and event.capacity is not None
            self._remember("capacities", event.session)
            self._seats += 1
            if event.capacity > self.capacities[event.session]:
                self._blocked.gain_session(event.session)
            self.engine.set_capacity(event.session, event.capacity)
            self.capacities[event.session] = event.capacity
            return
        assert event.request is not None
        if kind is EventKind.SUBMITTED:
            self._submitted(event)
            return
        entry = self.entries[event.request]
        self._touch(entry.request, entry.unit)
        if kind in (EventKind.CORRECTED, EventKind.ERASED):
            self._reattribute(entry, event)
            return
        if kind in (EventKind.SEATED, EventKind.OFFERED) or entry.request.id in self.engine.seat_of:
            self._seats += 1  # may seat or unseat
        changes: dict[str, Any] = {"cause": event.cause}
        if event.note is not None or kind is not EventKind.ACCEPTED:
            changes["note"] = event.note
        members = self.units.setdefault(entry.unit, ())
        if kind in (EventKind.SEATED, EventKind.OFFERED):
            assert event.session is not None
            # Live, the engine has seated the unit already; on replay it has not.
            if self.engine.seat_of.get(entry.request.id) != event.session:
                self._unseat(entry.request)
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
            self._unseat(entry.request)
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
            self._unseat(entry.request)
            changes.update(
                status=Status.WITHDRAWN, reason=_LEAVING[kind], session=None, expires=None
            )
            self._leave(entry)
        self.entries[event.request] = attrs.evolve(entry, **changes)
        if self.anchor is None and kind in (EventKind.SEATED, EventKind.WAITLISTED):
            # A request's first decision after submission: it was not rejected.
            self.anchor = entry.request
        self._index(entry.unit)

    def _submitted(self, event: Event) -> None:
        request = event.payload
        assert request is not None and event.unit is not None
        self._touch(request, event.unit)
        self.entries[request.id] = Entry(
            request, event.unit, event.seq, Status.WAITLISTED, Reason.NO_ROOM
        )
        self.units[event.unit] = (*self.units.get(event.unit, ()), request.id)
        if request.id != event.unit:
            ever = self.unit_ids_ever
            ever[event.unit] = (*ever.get(event.unit, (event.unit,)), request.id)
        if request.party is not None and self.setup.scenario.policy.parties is PartyRule.TOGETHER:
            self.party_unit[request.party] = event.unit

    def _reattribute(self, entry: Entry, event: Event) -> None:
        """Give the request new free attributes (none when erased)."""
        attributes = {} if event.payload is None else event.payload.attributes
        request = attrs.evolve(entry.request, attributes=attributes)
        self.entries[request.id] = attrs.evolve(entry, request=request)

    def _unseat(self, request: Request) -> None:
        """Free the request's seat, if it holds one, noting the counters that gain room."""
        session = self.engine.seat_of.get(request.id)
        if session is not None:
            self._blocked.gain(self.engine.counters(request, session))
            self.engine.unseat((request,))

    def _leave(self, entry: Entry) -> None:
        members = tuple(m for m in self.units.get(entry.unit, ()) if m != entry.request.id)
        if members:
            self.units[entry.unit] = members
        else:
            self.units.pop(entry.unit, None)
            self.waitlist.pop(entry.unit, None)

    def _index(self, unit: str, refile: bool = False) -> None:
        """Bring the derived indexes of ``unit`` (queue counts, what blocks it, offers) up to date.

        A waitlisted unit is filed by what blocks it once all its members are
        unseated, and again when its members change (or with ``refile``); outside
        an operation the filing is left to the next pass (a state built in bulk,
        by a replay or a restore, files nothing until something may be promoted).
        """
        members = self.units.get(unit, ())
        order = self.waitlist.get(unit)
        held = self._queued.get(unit)
        now = None if order is None or not members else (order, len(members))
        if held != now:
            if held is not None:
                self._queue.set(held[0], 0)
                del self._queued[unit]
            if now is not None:
                self._queue.set(*now)
                self._queued[unit] = now
        blocked = self._blocked
        seated = self.engine.seat_of
        if now is None or any(m in seated for m in members):
            blocked.drop(unit)
        elif refile or blocked.stale(unit, len(members)):
            if self._journal is None:
                # Outside an operation (a replay, a restore, catching up, undoing): the
                # state is built in bulk, and the next pass files what it left.
                blocked.defer(unit)
            else:
                self._file(unit)
        if not self._offering:
            return
        entries = self.entries
        if any(entries[m].status is Status.OFFERED for m in members):
            self.offered.add(unit)
        else:
            self.offered.discard(unit)

    def _file(self, unit: str) -> None:
        """File the waitlisted ``unit`` by what blocks it on the seats as they are now."""
        requests = self.members(unit)
        sessions = self.setup.scenario.unit_acceptable(requests)
        blocks = self.blocks(requests, sessions)
        self._blocked.file(unit, self.waitlist[unit], len(requests), sessions, blocks)

    # -- journal: undoing a failed operation -------------------------------------------

    def begin(self) -> None:
        """Start journaling: everything applied from now on can be undone by :meth:`rollback`."""
        self._journal = {name: {} for name in (*_TABLES, "released", "deferred")}
        self._saved = (self.seq, self.at, self.anchor, self._blocked.save())

    def commit(self) -> None:
        """Keep what was applied since :meth:`begin`."""
        self._journal = None

    def rollback(self) -> None:
        """Undo everything since :meth:`begin`, the engine's seats included.

        Seats are given back by unseating every touched request and seating
        again those that held a seat before. A quota release cannot be undone
        in the engine, so an operation that released one is undone by
        restoring a fresh state from the tables as they were before it (rare:
        a release due when a failing operation began).
        """
        journal, self._journal = self._journal, None
        assert journal is not None
        self._seats += 1
        seq, at, anchor, gains = self._saved
        engine = self.engine
        touched = [self.entries[r].request for r in journal["entries"] if r in self.entries]
        engine.unseat(touched)
        for name in _TABLES:
            table = getattr(self, name)
            for key, value in journal[name].items():
                if value is _ABSENT:
                    table.pop(key, None)
                else:
                    table[key] = value
        if journal["released"]:
            self.released -= journal["released"].keys()
            entries = sorted(self.entries.values(), key=lambda e: e.order)
            stored = Materialised(seq, at, entries, self.capacities, frozenset(self.released))
            vars(self).update(vars(LedgerState.restore(self.setup, stored)))
            return
        for session in journal["capacities"]:
            engine.set_capacity(session, self.capacities[session])
        for request in touched:
            entry = self.entries.get(request.id)
            if entry is not None and entry.status in _HOLDING and entry.session is not None:
                engine.seat((request,), entry.session)
        self.seq, self.at, self.anchor = seq, at, anchor
        self._blocked.restore(gains)
        # The units examined or changed are filed again on the seats as they were.
        for unit in (
            journal["units"].keys() | journal["waitlist"].keys() | journal["deferred"].keys()
        ):
            self._index(unit, refile=True)

    def _remember(self, name: str, key: str) -> None:
        """Journal the value ``key`` has in table ``name`` before its first change."""
        journal = self._journal
        if journal is not None and key not in journal[name]:
            journal[name][key] = getattr(self, name).get(key, _ABSENT)

    def _touch(self, request: Request, unit: str) -> None:
        """Journal everything an event about ``request`` in ``unit`` may change."""
        if self._journal is None:
            return
        self._remember("entries", request.id)
        self._remember("units", unit)
        self._remember("unit_ids_ever", unit)
        self._remember("waitlist", unit)
        if request.party is not None:
            self._remember("party_unit", request.party)

    # -- for the ledger ------------------------------------------------------------------

    def place(self, unit: Sequence[Request]) -> str | None:
        """Ask the engine to seat ``unit`` (journaled: a rollback frees the seats again)."""
        for request in unit:
            self._remember("entries", request.id)
        session = self.engine.place(unit)
        if session is not None:
            self._seats += 1
        return session

    def blocks(self, unit: Sequence[Request], sessions: Sequence[str]) -> tuple[Shortfall, ...]:
        """What lacks room for ``unit`` in each of ``sessions``: the engine's shortfalls.

        Cached until the seats next change: while they stay as they are (a full
        ledger taking waitlisted arrivals), arrivals like an earlier one have its blocks.
        """
        seats, cache = self._blocks
        if seats != self._seats:
            cache = {}
            self._blocks = (self._seats, cache)
        key = (tuple([(r.group, r.role) for r in unit]), tuple(sessions))
        blocks = cache.get(key)
        if blocks is None:
            engine = self.engine
            blocks = cache[key] = tuple(b for s in sessions for b in engine.shortfalls(unit, s))
        return blocks

    def promote(self, examine: Callable[[str], object]) -> None:
        """Give ``examine`` each waitlisted unit that may fit now, in queue order.

        ``examine`` seats (or offers) the unit through :meth:`place` and
        ``apply``, or leaves it waiting. Only the units filed under a counter
        that gained room since the last pass, and those filed as ready, are
        given: every other one still lacks room (booking/waitlist_index.py),
        so this equals a pass over the whole waitlist at a cost that follows
        what changed. Units whose filing was left to it are filed first.
        """

        def journaled(unit: str) -> None:
            self._remember("units", unit)  # a rollback files it again
            examine(unit)

        deferred = self._blocked.take_deferred()
        if self._journal is not None:
            self._journal["deferred"] = dict.fromkeys(deferred)  # a rollback defers them again
        for unit in deferred:
            self._file(unit)
        for unit in self._blocked.walk(journaled):
            self._index(unit, refile=True)

    def waitlisted(self) -> list[str]:
        """Waitlisted unit keys in queue order."""
        return sorted(self.waitlist, key=self.waitlist.__getitem__)

    def members(self, unit: str) -> tuple[Request, ...]:
        """The active members of a unit, as requests."""
        entries = self.entries
        return tuple([entries[m].request for m in self.units.get(unit, ())])

    def position(self, request_id: str) -> int:
        """The 1-based waitlist position of a waitlisted request."""
        unit = self.entries[request_id].unit
        return self._queue.before(self.waitlist[unit]) + self.units[unit].index(request_id) + 1

    def unit_ids(self, unit: str) -> set[str]:
        """Every id ever submitted in ``unit``, withdrawn and rejected members included."""
        return set(self.unit_ids_ever.get(unit, (unit,)))
