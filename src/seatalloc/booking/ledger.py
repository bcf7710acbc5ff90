"""The online booking ledger: immediate decisions, waitlist promotion, offers, releases.

Every seating decision is the engine's (``Engine.place``); this module only
chooses *when* to ask it and *who* is asked, in the ledger's arrival order.
Rules (docs/booking.md states them in full):

- A submission is one unit: a request alone, or a whole party at once.
- Whenever room may have appeared, the waitlist is passed through in arrival
  order and each unit is offered to ``Engine.place``: a later unit that fits
  may pass an earlier one that does not, never one that does.
- A shrinking session sends its latest-arrived units back to the waitlist
  (at their own arrival position) until it fits.
- Time is passed in: each operation first expires due offers and applies due
  quota releases, in time order. Date-times must carry a time zone; an
  explicit time earlier than the last event is an error, a clock reading
  earlier than it is taken as the last event's time (docs/booking.md, "Time").
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar

import attrs

from seatalloc._bulk import paused_gc
from seatalloc.allocation import Allocation, Decision, Reason, Status
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
from seatalloc.booking.state import Entry, LedgerState
from seatalloc.booking.store import Store
from seatalloc.errors import FieldError
from seatalloc.model import PartyRule, Problem, Request, duplicate_errors, request_errors

__all__ = ["Ledger", "wall_clock"]

DEFAULT_HORIZON = timedelta(days=1)
"""How far ahead of the clock an explicit date-time may lie without ``far_future``."""

_HOLDING = (Status.SEATED, Status.OFFERED)


_F = TypeVar("_F", bound=Callable[..., Any])


def _locked(method: _F) -> _F:
    """Run the method under the ledger's own lock (threads share one ledger safely)."""

    @functools.wraps(method)
    def run(self: Ledger, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return run  # type: ignore[return-value]


class _Operation:
    """The events one operation records, applied to the state as they are made."""

    def __init__(self, state: LedgerState, now: Time) -> None:
        self.state = state
        self.now = now
        self.events: list[Event] = []

    def emit(self, kind: EventKind, request: str | None = None, **fields: Any) -> Event:
        event = Event(self.state.seq + 1, kind, self.now, request, **fields)
        self.state.apply(event)
        self.events.append(event)
        return event


class Ledger:
    """One booking ledger over a store; every method is one atomic operation on it.

    ``clock`` gives the current time when an operation is not given ``at``;
    it is the only place time comes from (inject a fixed or fake clock in
    tests), and it is read inside the store's lock. Several ledgers
    (processes, servers) may share one store; one ledger may be shared by
    threads (its methods take its own lock). The attribute ``horizon``
    bounds how far an explicit time may lie ahead of the clock: none by
    default (simulations drive time with ``at``), a day for date-time
    ledgers opened with :meth:`open` and in the CLI (``--far-future`` lifts it).
    """

    _opened: ClassVar[dict[tuple[int, str], Ledger]] = {}
    _opening: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, store: Store, *, clock: Callable[[], Time]) -> None:
        self.store = store
        self.clock = clock
        self.setup = store.setup()
        self._state = LedgerState(self.setup)
        self._restored = False
        self._time_kind = _time_kind(self.setup)
        self._releases = [
            (q.release, q.key) for q in self.setup.scenario.quotas if q.release is not None
        ]
        self.horizon: int | timedelta | None = None
        self._lock = threading.RLock()
        self._local = threading.local()

    @classmethod
    def open(
        cls,
        target: str | os.PathLike[str],
        *,
        clock: Callable[[], Time] | None = None,
        lock_timeout: float = 10.0,
    ) -> Ledger:
        """The ledger at ``target`` (an SQLite path or a ``postgresql://`` URL), once per process.

        The same target gives the same ledger object in one process (so its
        state is read once, then kept up to date); it is safe to share
        between threads. ``clock`` defaults to :func:`wall_clock`. A target
        holding no ledger is a :class:`NotALedgerError`, and nothing is created.
        """
        from seatalloc.stores import open_store  # the concrete stores sit above the ledger

        key = (os.getpid(), os.fspath(target))
        with cls._opening:
            ledger = cls._opened.get(key)
            if ledger is None:
                store = open_store(target, lock_timeout=lock_timeout, threads=True)
                try:
                    setup = store.setup()
                except BaseException:
                    store.close()
                    raise
                ledger = cls(store, clock=clock or wall_clock(setup))
                if _time_kind(setup) is not int:
                    ledger.horizon = DEFAULT_HORIZON
                cls._opened[key] = ledger
            return ledger

    @classmethod
    def create(
        cls,
        store: Store,
        scenario: Problem,
        *,
        clock: Callable[[], Time],
        mode: PromotionMode | str = PromotionMode.DIRECT,
        offer_window: Any = None,
    ) -> Ledger:
        """Initialise an empty store with a scenario (a problem without requests)."""
        store.initialise(LedgerSetup(scenario, PromotionMode(mode), offer_window))
        return cls(store, clock=clock)

    # -- write side ------------------------------------------------------------------

    def submit(self, request: Request, *, at: Time | None = None) -> Decision:
        """Decide one request now: seated, waitlisted (position, reason) or rejected."""
        return self.submit_party((request,), at=at)[0]

    def submit_party(
        self, members: Sequence[Request], *, at: Time | None = None
    ) -> tuple[Decision, ...]:
        """Decide a whole party as one unit (all members in one session, or none).

        Idempotent: the same ids with the same content return their current
        decisions and change nothing; an id already used with other content,
        or in another unit, raises :class:`ConflictError`. Under an
        independent party rule the members are submitted one by one.
        """
        if not members:
            raise LedgerError("submit_party needs at least one request")
        if self.setup.scenario.policy.parties is PartyRule.INDEPENDENT and len(members) > 1:
            return tuple(d for m in members for d in self.submit_party((m,), at=at))
        with self._operation(at) as op:
            known = self._known(members)
            if known:
                return tuple(self._decision(m.id) for m in members)
            error = self._invalid(tuple(members))
            if error is not None:
                # Nothing is recorded: the ids stay free for a corrected submission.
                return tuple(
                    Decision(m.id, Status.REJECTED, Reason.INVALID, note=error) for m in members
                )
            self._submit(op, tuple(members))
            return tuple(self._decision(m.id) for m in members)

    def withdraw(self, request_id: str, *, at: Time | None = None) -> tuple[Decision, ...]:
        """Free the request's seat or waitlist place; return the promotions this caused.

        Withdrawing twice changes nothing and returns no promotions.
        """
        with self._operation(at) as op:
            entry = self._entry(request_id)
            if entry.status in (Status.WITHDRAWN, Status.REJECTED):
                return ()
            event = op.emit(EventKind.WITHDRAWN, request_id, note="withdrew")
            # Withdrawing from the waitlist frees no seat: only the withdrawer's own
            # unit, now smaller, may come to fit, and the pass examines only that one.
            return self._promote(op, event.seq, f"{request_id} withdrew")

    def accept(self, request_id: str, *, at: Time | None = None) -> tuple[Decision, ...]:
        """Accept a held offer; any member accepts for the whole party. Returns their decisions."""
        with self._operation(at) as op:
            unit = self._offered_unit(request_id)
            for member in unit:
                op.emit(EventKind.ACCEPTED, member)
            return tuple(self._decision(m) for m in unit)

    def decline(self, request_id: str, *, at: Time | None = None) -> tuple[Decision, ...]:
        """Decline a held offer (for the whole party); return the promotions this caused."""
        with self._operation(at) as op:
            unit = self._offered_unit(request_id)
            first = None
            for member in unit:
                event = op.emit(EventKind.DECLINED, member, note="declined the offer")
                first = first or event.seq
            return self._promote(op, first, f"{request_id} declined an offer")

    def set_capacity(
        self, session: str, capacity: int, *, at: Time | None = None
    ) -> tuple[Decision, ...]:
        """Grow, shrink or (with 0) cancel a session; return every decision that changed.

        When seats are too few, the session's latest-arrived units go back to
        the waitlist at their own arrival position; then the waitlist is
        promoted in arrival order, so a displaced unit may land in another
        acceptable session.
        """
        if session not in self.setup.scenario.session_by_id:
            raise FieldError("session", session, "id", session, "must name a session of the ledger")
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
            raise FieldError("session", session, "capacity", capacity, "must be an integer >= 0")
        with self._operation(at) as op:
            state = self._state
            event = op.emit(EventKind.CAPACITY_CHANGED, session=session, capacity=capacity)
            counter = self.setup.scenario.session_ids.index(session)
            # The engine's seats are exactly the seated and offered entries.
            seats = state.engine.seat_of.items()
            holding = sorted(
                {state.entries[r].unit for r, s in seats if s == session},
                key=lambda unit: state.entries[unit].order,
            )
            displaced: list[str] = []
            while state.engine.left[counter] < 0:
                unit = holding.pop()
                note = f"displaced: {session} cut to {capacity} seats"
                for member in state.units[unit]:
                    op.emit(
                        EventKind.WAITLISTED, member, reason=Reason.NO_ROOM, note=note,
                        cause=event.seq,
                    )  # fmt: skip
                    displaced.append(member)
            promoted = self._promote(op, event.seq, f"{session} now has {capacity} seats")
            moved = {d.request for d in promoted}
            return (*(self._decision(m) for m in displaced if m not in moved), *promoted)

    def release(self, *, at: Time | None = None, quota: str | None = None) -> tuple[Decision, ...]:
        """Apply every release due at ``at`` (or now), and release ``quota`` (a key) at once.

        Returns the promotions caused.
        """
        with self._operation(at) as op:
            if quota is not None and quota not in self._state.released:
                if quota not in {q.key for q in self.setup.scenario.quotas}:
                    raise FieldError(
                        "quota", quota, "key", quota, "must name a quota of the ledger"
                    )
                event = op.emit(EventKind.RELEASED, quota=quota, note="released on request")
                self._promote(op, event.seq, f"quota {quota} released")
            return self._promoted_since(op, 0)

    def tick(self, *, at: Time | None = None) -> tuple[Decision, ...]:
        """Let time pass: expire due offers, apply due releases; return the promotions.

        Every event this caused (expiries included) is in :attr:`last_events`.
        """
        with self._operation(at) as op:
            return self._promoted_since(op, 0)

    def correct(
        self, request_id: str, attributes: Mapping[str, Any], *, at: Time | None = None
    ) -> Decision:
        """Replace a live request's free attributes (a corrected e-mail); its place stays."""
        with self._operation(at) as op:
            entry = self._entry(request_id)
            if entry.status in (Status.WITHDRAWN, Status.REJECTED):
                raise LedgerError(
                    f"request {request_id!r} is {entry.status.value}: only a live request "
                    "can be corrected (erase removes a gone one's attributes)"
                )
            request = attrs.evolve(entry.request, attributes=attributes)
            op.emit(EventKind.CORRECTED, request_id, payload=request)
            return self._decision(request_id)

    def erase(self, request_id: str, *, at: Time | None = None) -> None:
        """Remove the request's free attributes for good; the log still replays to the same seats.

        The store deletes them from its attributes table (SQLite overwrites
        the freed bytes: ``secure_delete``; see docs/booking.md for PostgreSQL).
        """
        with self._operation(at) as op:
            self._entry(request_id)
            op.emit(EventKind.ERASED, request_id)

    @property
    def last_events(self) -> tuple[Event, ...]:
        """Every event the calling thread's last successful operation recorded, in order.

        This is each consequence of that operation: its own decision, and the
        expiries, releases, offers and promotions due to time catching up.
        """
        events: tuple[Event, ...] = getattr(self._local, "events", ())
        return events

    @_locked
    def outbox(self, after: int = 0) -> tuple[Event, ...]:
        """The events with ``seq > after``, oldest first: a service's notification feed.

        Keep the seq of the last event handled as the cursor (durably, with the
        notice sent) and ask again with it: each event is seen exactly once.
        """
        return tuple(self.store.events(after=after))

    @_locked
    def verify(self) -> list[str]:
        """Replay the whole log afresh; compare it with the materialised state and the ledger's.

        The store's materialised state is read again and restored as a new
        process would; a replay of the log up to the same event must equal
        it, table by table, and so must a replay up to this ledger's last
        event equal its state. Returns the differences found (empty when all agree).
        """
        stored = LedgerState.restore(self.setup, self.store.materialised())
        self.refresh()
        # Other processes may append meanwhile: each state is compared at its own seq.
        pending = sorted(
            [(stored.seq, "the store's materialised state", stored),
             (self._state.seq, "the ledger", self._state)],
            key=lambda p: p[0],
        )  # fmt: skip
        replayed = LedgerState(self.setup)
        problems: list[str] = []
        events = iter(self.store.events(after=0))
        for seq, name, state in pending:
            while replayed.seq < seq:
                event = next(events, None)
                if event is None:
                    problems.append(f"{name} is at seq {seq}, the log ends at {replayed.seq}")
                    break
                replayed.apply(event)
            else:
                problems.extend(_differences(replayed, state, name))
        return problems

    # -- read side ---------------------------------------------------------------------

    @_locked
    def decision(self, request_id: str) -> Decision:
        """The request's current decision."""
        self.refresh()
        return self._decision(request_id)

    @_locked
    def history(self, request_id: str) -> tuple[Event, ...]:
        """Every event that touched the request, oldest first (read from the store)."""
        self.refresh()
        self._entry(request_id)
        return tuple(self.store.history(request_id))

    @_locked
    def events(self) -> tuple[Event, ...]:
        """The whole event log (read from the store)."""
        return tuple(self.store.events(after=0))

    @_locked
    def waitlist(self) -> tuple[str, ...]:
        """Waitlisted request ids in queue order (a request's position is its index + 1)."""
        self.refresh()
        return self._waitlist_ids()

    @_locked
    def rosters(self) -> dict[str, tuple[str, ...]]:
        """Session id to the ids holding a seat there (seated or offered), in arrival order."""
        self.refresh()
        state = self._state
        rosters: dict[str, list[str]] = {s: [] for s in self.setup.scenario.session_ids}
        for entry in sorted(state.entries.values(), key=lambda e: e.order):
            if entry.status in _HOLDING and entry.session is not None:
                rosters[entry.session].append(entry.request.id)
        return {s: tuple(ids) for s, ids in rosters.items()}

    @_locked
    def capacities(self) -> dict[str, int]:
        """Session id to its current capacity."""
        self.refresh()
        return dict(self._state.capacities)

    @_locked
    def released(self) -> frozenset[str]:
        """Keys of the quotas released so far."""
        self.refresh()
        return frozenset(self._state.released)

    @_locked
    def allocation(self) -> Allocation:
        """The current state as an allocation of the active (seated, offered, waitlisted) requests.

        Its problem has the current capacities and only the unreleased
        quotas, so fairness checks judge the ledger by the rules now in force.
        Held offers count as assignments; decisions are the ledger's own.
        """
        self.refresh()
        state = self._state
        scenario = self.setup.scenario
        gone = (Status.WITHDRAWN, Status.REJECTED)
        active = sorted(
            (e for e in state.entries.values() if e.status not in gone), key=lambda e: e.order
        )
        problem = scenario.replace(
            sessions=[attrs.evolve(s, capacity=state.capacities[s.id]) for s in scenario.sessions],
            quotas=[q for q in scenario.quotas if q.key not in state.released],
            requests=[e.request for e in active],
        )
        assignments = {e.request.id: e.session if e.status in _HOLDING else None for e in active}
        decisions = {e.request.id: self._decision(e.request.id) for e in active}
        return Allocation(
            problem, assignments, self._waitlist_ids(), method="ledger",
            explainer=lambda _: decisions,
        )  # fmt: skip

    @_locked
    def refresh(self) -> None:
        """Catch up with the store: the events other processes have written since.

        The first time, the state is restored from the store's materialised
        state (what a new process needs to decide, not the log's history).
        """
        if not self._restored:
            with paused_gc():
                self._state = LedgerState.restore(self.setup, self.store.materialised())
            self._restored = True
        for event in self.store.events(after=self._state.seq):
            self._state.apply(event)

    # -- internals ---------------------------------------------------------------------

    @contextmanager
    def _operation(self, at: Time | None) -> Iterator[_Operation]:
        with self._lock:
            yield from self._operate(at)

    def _operate(self, at: Time | None) -> Iterator[_Operation]:
        """One atomic operation: lock the store, catch up, let time pass, act, write.

        A new ledger first restores its state from the store's materialised
        state, outside the lock (a consistent read of its own), so the lock is
        held only for the events written since and the operation itself.

        If anything fails the in-memory state goes back to before the
        operation, undone from its journal (the store rolls back its
        transaction). A store without locking (a test-only mode) writes the
        events but the state goes back too, so it catches up from the store
        in store order.
        """
        if at is not None:
            self._check_time(at, "at")
        if not self._restored:
            self.refresh()  # the bulk read before the lock: under it, only what came since
        journaling = False
        try:
            with self.store.operation():
                self.refresh()
                state = self._state
                now = self._now(at)
                state.begin()
                journaling = True
                op = _Operation(state, now)
                self._catch_up_time(op)
                yield op
                self.store.append(op.events, self._current(op.events))
        except BaseException:
            if journaling:
                state.rollback()
            raise
        if self.store.locking:
            state.commit()
        else:
            state.rollback()
        self._local.events = tuple(op.events)

    def _current(self, events: Sequence[Event]) -> dict[str, Entry]:
        """The entries the events touched, as they stand now (the store's status table)."""
        entries = self._state.entries
        return {e.request: entries[e.request] for e in events if e.request is not None}

    def _check_time(self, now: object, field: str) -> None:
        kind = self._time_kind
        valid = isinstance(now, int | datetime) and not isinstance(now, bool)
        if valid and kind is not None and not isinstance(now, kind):
            valid = False
        if not valid:
            expected = "an integer or a date-time" if kind is None else kind.__name__
            raise FieldError("ledger", None, field, now, f"must be {expected}")
        if isinstance(now, datetime) and now.utcoffset() is None:
            raise FieldError(
                "ledger", None, field, now.isoformat(),
                "must carry a time zone (e.g. 2026-03-01T10:00:00+01:00 or ...Z)",
            )  # fmt: skip

    def _now(self, at: Time | None) -> Time:
        """The operation's time, read inside the lock and checked against the last event.

        An explicit ``at`` earlier than the last event is an error (a typo or a
        replayed request); a clock reading earlier than it (clocks of two
        servers disagree) is taken as the last event's time. An explicit ``at``
        more than ``horizon`` ahead of the clock is an error.
        """
        last = self._state.at
        field = "clock" if at is None else "at"
        now = self.clock() if at is None else at
        self._check_time(now, field)
        if last is not None and isinstance(now, datetime) != isinstance(last, datetime):
            raise FieldError(
                "ledger", None, field, _show(now),
                f"must be {type(last).__name__}, like the ledger's earlier times",
            )  # fmt: skip
        if at is None:
            return last if last is not None and now < last else now  # type: ignore[operator]
        if last is not None and at < last:  # type: ignore[operator]
            raise LedgerError(
                f"time {_show(at)} is before the ledger's last event ({_show(last)}): "
                "a ledger's time never goes back; pass a later --at (or none for now)"
            )
        if self.horizon is not None and isinstance(at, datetime) == isinstance(
            self.horizon, timedelta
        ):
            clock: Time | None
            try:
                clock = self.clock()
            except LedgerError:  # a tick ledger without a clock: bound by the last event
                clock = last
            same = isinstance(clock, datetime) == isinstance(at, datetime)
            if clock is not None and same and at > clock + self.horizon:  # type: ignore[operator]
                raise LedgerError(
                    f"time {_show(at)} is more than {self.horizon} ahead of now ({_show(clock)}); "
                    "if that is meant, pass --far-future (or set Ledger.horizon = None)"
                )
        return at

    def _catch_up_time(self, op: _Operation) -> None:
        """Expire offers and apply releases due by ``op.now``, in time order."""
        state = self._state
        due: list[tuple[Time, int, str, str]] = []
        for release, key in self._releases:
            if key not in state.released and release <= op.now:  # type: ignore[operator]
                due.append((release, 0, key, "release"))
        if self.setup.mode is PromotionMode.OFFER:
            for unit in state.offered:
                expires = next(
                    state.entries[m].expires for m in state.units[unit]
                    if state.entries[m].status is Status.OFFERED
                )  # fmt: skip
                assert expires is not None
                if expires <= op.now:  # type: ignore[operator]
                    due.append((expires, state.entries[unit].order, unit, "expire"))
        ordered = sorted(due, key=lambda d: (d[0], d[1], d[2]))
        batch: list[str] = []  # quotas released at one instant: freed together, one promotion
        first_release = 0
        for i, (when, _, key, what) in enumerate(ordered):
            if what == "release":
                event = op.emit(EventKind.RELEASED, quota=key, note=f"release time {when}")
                first_release = first_release if batch else event.seq
                batch.append(key)
                following = ordered[i + 1] if i + 1 < len(ordered) else None
                if following is None or following[3] != "release" or following[0] != when:
                    why = (
                        f"quota {key} released"
                        if len(batch) == 1
                        else (f"{len(batch)} quotas released at {when}")
                    )
                    self._promote(op, first_release, why)
                    batch = []
                continue
            first = None
            for member in state.units.get(key, ()):
                if state.entries[member].status is Status.OFFERED:
                    event = op.emit(EventKind.EXPIRED, member, note=f"offer expired at {when}")
                    first = first or event.seq
            if first is not None:
                self._promote(op, first, f"an offer to {key} expired")

    def _promoted_since(self, op: _Operation, start: int) -> tuple[Decision, ...]:
        kinds = (EventKind.SEATED, EventKind.OFFERED)
        return tuple(
            self._decision(e.request)
            for e in op.events[start:]
            if e.kind in kinds and e.request is not None and e.reason is Reason.PROMOTED
        )

    def _promote(self, op: _Operation, cause: int | None, why: str) -> tuple[Decision, ...]:
        """Pass through the waitlist in arrival order; seat (or offer) each unit that fits.

        The state gives only the units that may fit (those blocked by what
        gained room); the rest could not be seated if asked.
        """
        state = self._state
        offer = self.setup.mode is PromotionMode.OFFER
        kind = EventKind.OFFERED if offer else EventKind.SEATED
        expires = op.now + self.setup.offer_window if offer else None  # type: ignore[operator]
        promoted: list[str] = []

        def examine(unit: str) -> None:
            members = state.members(unit)
            session = state.place(members)
            if session is None:
                return
            for member in members:
                op.emit(
                    kind, member.id, session=session, reason=Reason.PROMOTED,
                    note=f"after {why}", cause=cause, expires=expires,
                )  # fmt: skip
                promoted.append(member.id)

        state.promote(examine)
        return tuple(self._decision(m) for m in promoted)

    def _known(self, members: Sequence[Request]) -> bool:
        """Whether this exact submission was made before; raise on a conflicting one."""
        entries = self._state.entries
        seen = [m for m in members if m.id in entries]
        if not seen:
            party = members[0].party
            if (
                party is not None
                and self.setup.scenario.policy.parties is PartyRule.TOGETHER
                and party in self._state.party_unit
                and len({m.party for m in members}) == 1
            ):
                raise ConflictError(
                    f"party {party!r} was already submitted; submit all its members together"
                )
            return False
        units = {entries[m.id].unit for m in seen}
        same_unit = {m for unit in units for m in self._state.unit_ids(unit)}
        for member in members:
            entry = entries.get(member.id)
            if entry is None or entry.request != member or len(units) > 1:
                raise ConflictError(
                    f"request {member.id!r} conflicts with an earlier submission: "
                    "an id may be submitted again only with the same content and party"
                )
        if len(same_unit) != len(members):
            raise ConflictError(
                f"request {members[0].id!r} was submitted in a unit of {len(same_unit)}"
            )
        return True

    def _submit(self, op: _Operation, members: tuple[Request, ...]) -> None:
        state = self._state
        unit = members[0].id
        for member in members:
            op.emit(EventKind.SUBMITTED, member.id, payload=member, unit=unit)
        problem = self.setup.scenario
        ranked = problem.unit_acceptable(members)
        session = state.place(members)
        if session is None:
            if ranked:
                reason = Reason.NO_ROOM
            else:  # as batch FCFS says it: no session at all, or none the members share
                reason = Reason.NO_COMMON_SESSION if problem.sessions else Reason.NO_SESSION
            for member in members:
                op.emit(EventKind.WAITLISTED, member.id, reason=reason)
            return
        better = ranked[: ranked.index(session)]
        reason = Reason.FIRST_CHOICE
        if better:
            # Whether a better-ranked session lacked room decides the reason, as in
            # batch: judged on the seats as they were, so the unit's own go back a moment.
            engine = state.engine
            engine.unseat(members)
            blocked = any(engine.shortfalls(members, s) for s in better)
            engine.seat(members, session)
            reason = Reason.LOWER_CHOICE if blocked else Reason.WITH_COLLEAGUES
        for member in members:
            op.emit(EventKind.SEATED, member.id, session=session, reason=reason)

    def _invalid(self, members: tuple[Request, ...]) -> str | None:
        """Why the submission cannot enter the ledger, or ``None``: the model's own checks.

        The members are checked against the scenario's sessions and groups by
        the same functions a :class:`Problem` uses, and their arrivals against
        the type of the ledger's first accepted request.
        """
        if len(members) > 1 and (members[0].party is None or len({m.party for m in members}) != 1):
            return "the members of one submission must share one party id"
        scenario = self.setup.scenario
        ids = [m.id for m in members]
        errors = [
            *(duplicate_errors("request", ids) if len(ids) > 1 else ()),
            *request_errors(
                members, scenario.session_by_id, scenario.group_by_id, scenario.policy.parties,
                self._state.anchor,
            ),
        ]  # fmt: skip
        return "; ".join(str(e) for e in errors) or None

    def _entry(self, request_id: str) -> Entry:
        entry = self._state.entries.get(request_id)
        if entry is None:
            raise UnknownRequestError(f"no request {request_id!r} was submitted to this ledger")
        return entry

    def _offered_unit(self, request_id: str) -> tuple[str, ...]:
        entry = self._entry(request_id)
        if entry.status is not Status.OFFERED:
            raise LedgerError(f"request {request_id!r} holds no offer; it is {entry.status.value}")
        state = self._state
        return tuple(
            m for m in state.units[entry.unit] if state.entries[m].status is Status.OFFERED
        )

    def _waitlist_ids(self) -> tuple[str, ...]:
        state = self._state
        return tuple(m for unit in state.waitlisted() for m in state.units.get(unit, ()))

    def _decision(self, request_id: str) -> Decision:
        entry = self._entry(request_id)
        state = self._state
        request = entry.request
        if entry.status is Status.WAITLISTED:
            members = state.members(entry.unit)
            blocks = state.blocks(members, self.setup.scenario.unit_acceptable(members))
            return Decision(
                request.id, entry.status, entry.reason,
                position=state.position(request.id), blocks=blocks, note=entry.note,
            )  # fmt: skip
        rank = None
        if entry.session is not None and request.sessions:
            rank = request.sessions.index(entry.session) + 1
        return Decision(
            request.id, entry.status, entry.reason, session=entry.session, rank=rank,
            note=entry.note,
        )  # fmt: skip


def _differences(replayed: LedgerState, state: LedgerState, name: str) -> list[str]:
    """Where ``state`` differs from the replay of the log up to its seq."""
    problems = []
    if replayed.at != state.at:
        problems.append(f"the last event's time: replay {replayed.at}, {name} {state.at}")
    for request_id in sorted(replayed.entries.keys() | state.entries.keys()):
        if replayed.entries.get(request_id) != state.entries.get(request_id):
            problems.append(f"request {request_id!r}: replay and {name} differ")
    for table in ("units", "unit_ids_ever", "waitlist", "party_unit", "capacities", "released"):
        if getattr(replayed, table) != getattr(state, table):
            problems.append(f"{table}: replay and {name} differ")
    if replayed.anchor != state.anchor:
        problems.append(f"the first accepted request: replay and {name} differ")
    if replayed.engine.seat_of != state.engine.seat_of:
        problems.append(f"who holds which seat: replay and {name} differ")
    if replayed.engine.left != state.engine.left:
        problems.append(f"seats left per session and quota: replay and {name} differ")
    return problems


def _show(time: Time) -> str:
    return time.isoformat() if isinstance(time, datetime) else str(time)


def wall_clock(setup: LedgerSetup) -> Callable[[], Time]:
    """Now in UTC for a date-time ledger; a tick ledger has no wall clock (pass ``at``)."""
    if _time_kind(setup) is int:

        def needs_at() -> Time:
            raise LedgerError("this ledger counts time in integer ticks: pass at= (--at TICK)")

        return needs_at
    return lambda: datetime.now(UTC)


def _time_kind(setup: LedgerSetup) -> type | None:
    """The type every time in this ledger must have, when its settings fix one."""
    times: list[object] = [q.release for q in setup.scenario.quotas if q.release is not None]
    if setup.offer_window is not None:
        times.append(0 if isinstance(setup.offer_window, int) else datetime.min)
    for time in times:
        return int if isinstance(time, int) else datetime
    return None
