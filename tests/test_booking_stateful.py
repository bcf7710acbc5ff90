"""Random operation sequences against the ledger and an independent reference model.

The reference recounts every seat by brute force and knows nothing of the
engine; after every step both must agree on every request's status and
session and on the waitlist, and the fairness checks must pass.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from _postgres import fresh_database, postgres_server  # noqa: F401 (a fixture)
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from test_booking import fingerprint

from seatalloc import Group, PartyRule, Policy, Problem, Quota, Request, Session
from seatalloc.booking import Ledger, LedgerError, UnknownRequestError
from seatalloc.booking.store import Store
from seatalloc.fairness import violations
from seatalloc.stores import MemoryStore, SQLiteStore

SESSIONS = ("s1", "s2", "s3")
GROUPS = ("g1", "g2")
HOLDING = ("seated", "offered")


class Reference:
    """The ledger's rules written plainly: lists, counts and loops."""

    def __init__(self, scenario: Problem, offer: bool, window: int) -> None:
        self.sessions = list(scenario.session_ids)
        self.capacity = {s.id: s.capacity for s in scenario.sessions}
        self.quotas = list(scenario.quotas)
        self.released: set[str] = set()
        self.together = scenario.policy.parties is PartyRule.TOGETHER
        self.offer, self.window = offer, window
        self.units: list[list[Request]] = []
        self.status: dict[str, tuple[str, str | None]] = {}
        self.expires: dict[str, int] = {}

    def holders(self, session: str) -> list[Request]:
        return [
            r
            for unit in self.units
            for r in unit
            if self.status[r.id] in ((h, session) for h in HOLDING)
        ]

    def fits(self, unit: list[Request], session: str) -> bool:
        if len(self.holders(session)) + len(unit) > self.capacity[session]:
            return False
        for quota in self.quotas:
            if quota.key in self.released:
                continue
            mine = sum(quota.applies_to(r) for r in unit)
            scopes = [session] if quota.per_session else self.sessions
            used = sum(quota.applies_to(r) for s in scopes for r in self.holders(s))
            if mine and used + mine > quota.limit:
                return False
        return True

    def acceptable(self, unit: list[Request]) -> list[str]:
        ranked = list(unit[0].sessions) or self.sessions
        return [s for s in ranked if all(not r.sessions or s in r.sessions for r in unit)]

    def place(self, unit: list[Request]) -> str | None:
        return next((s for s in self.acceptable(unit) if self.fits(unit, s)), None)

    def waiting(self) -> list[list[Request]]:
        return [u for u in self.units if u and self.status[u[0].id][0] == "waitlisted"]

    def promote(self, now: int) -> None:
        for unit in self.waiting():
            session = self.place(unit)
            if session is not None:
                for r in unit:
                    self.status[r.id] = ("offered" if self.offer else "seated", session)
                    self.expires[r.id] = now + self.window

    def tick(self, now: int) -> None:
        due = [
            (q.release, 0, q.key)
            for q in self.quotas
            if q.release is not None and q.key not in self.released and q.release <= now
        ]
        due += [
            (self.expires[u[0].id], i, u)
            for i, u in enumerate(self.units)
            if u and self.status[u[0].id][0] == "offered" and self.expires[u[0].id] <= now
        ]
        for _, _, what in sorted(due, key=lambda d: d[:2]):
            if isinstance(what, str):
                self.released.add(what)
            else:
                self.leave(what, list(what))
            self.promote(now)

    def leave(self, unit: list[Request], leaving: list[Request]) -> None:
        for r in leaving:
            self.status[r.id] = ("withdrawn", None)
            unit.remove(r)

    def unit_of(self, request_id: str) -> list[Request]:
        return next(u for u in self.units if any(r.id == request_id for r in u))


class LedgerMachine(RuleBasedStateMachine):
    """Submit, withdraw, capacity, release, accept, decline and time passing."""

    new_store: Callable[[], Store] = staticmethod(MemoryStore)

    @initialize(
        caps=st.lists(st.integers(0, 3), min_size=1, max_size=3),
        quotas=st.lists(
            st.tuples(
                st.sampled_from(GROUPS),
                st.integers(0, 3),
                st.booleans(),
                st.none() | st.integers(1, 30),
            ),
            max_size=2,
            unique_by=lambda q: q[0],
        ),
        together=st.booleans(),
        offer=st.booleans(),
        window=st.integers(1, 5),
    )
    def start(
        self,
        caps: list[int],
        quotas: list[tuple[str, int, bool, int | None]],
        together: bool,
        offer: bool,
        window: int,
    ) -> None:
        scenario = Problem(
            [Session(s, c) for s, c in zip(SESSIONS, caps, strict=False)],
            [Group(g) for g in GROUPS],
            [],
            [
                Quota(limit, group, per_session=per, release=rel)
                for group, limit, per, rel in quotas
            ],
            Policy(parties="together" if together else "independent"),
        )
        self.now = 0
        self.ids = itertools.count(1)
        self.ledger = Ledger.create(
            self.new_store(),
            scenario,
            clock=lambda: self.now,
            mode="offer" if offer else "direct",
            offer_window=window,
        )
        self.reference = Reference(scenario, offer, window)

    def _sync_time(self) -> None:
        self.reference.tick(self.now)

    @rule(
        size=st.integers(1, 3),
        group=st.sampled_from(GROUPS),
        prefs=st.lists(st.permutations(SESSIONS), min_size=3, max_size=3),
        lengths=st.lists(st.integers(0, 3), min_size=3, max_size=3),
        invalid=st.integers(0, 9),
    )
    def submit(
        self, size: int, group: str, prefs: list[list[str]], lengths: list[int], invalid: int
    ) -> None:
        ref = self.reference
        known = set(ref.sessions)
        party = f"p{next(self.ids)}" if size > 1 else None
        unit = [
            Request(
                f"r{next(self.ids)}",
                group if invalid else "nobody",
                arrival=self.now,
                sessions=[s for s in prefs[k][: lengths[k]] if s in known],
                party=party,
            )
            for k in range(size)
        ]
        decisions = self.ledger.submit_party(unit)
        self._sync_time()
        if not invalid:
            # A rejected submission is not recorded: its ids stay unknown (and free).
            assert {d.status.value for d in decisions} == {"rejected"}
            for r in unit:
                with pytest.raises(UnknownRequestError):
                    self.ledger.decision(r.id)
            return
        units = [unit] if ref.together else [[r] for r in unit]
        for u in units:
            session = ref.place(u)
            ref.units.append(u)
            for r in u:
                ref.status[r.id] = ("waitlisted", None) if session is None else ("seated", session)

    def _pick(self, data: st.DataObject, status: tuple[str, ...]) -> str | None:
        ids = sorted(i for i, (s, _) in self.reference.status.items() if s in status)
        return data.draw(st.sampled_from(ids)) if ids else None

    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        request_id = self._pick(data, ("seated", "offered", "waitlisted"))
        if request_id is None:
            return
        self.ledger.withdraw(request_id)
        self._sync_time()
        ref = self.reference
        unit = ref.unit_of(request_id)
        ref.leave(unit, [r for r in unit if r.id == request_id])
        ref.promote(self.now)

    @rule(data=st.data(), capacity=st.integers(0, 4))
    def change_capacity(self, data: st.DataObject, capacity: int) -> None:
        ref = self.reference
        session = data.draw(st.sampled_from(ref.sessions))
        self.ledger.set_capacity(session, capacity)
        self._sync_time()
        ref.capacity[session] = capacity
        while len(ref.holders(session)) > capacity:
            last = [
                u for u in ref.units if u and ref.status[u[0].id] in ((h, session) for h in HOLDING)
            ][-1]
            for r in last:
                ref.status[r.id] = ("waitlisted", None)
        ref.promote(self.now)

    @rule(data=st.data())
    def release_now(self, data: st.DataObject) -> None:
        ref = self.reference
        keys = sorted(q.key for q in ref.quotas if q.key not in ref.released)
        if not keys:
            return
        key = data.draw(st.sampled_from(keys))
        self.ledger.release(quota=key)
        self._sync_time()
        ref.released.add(key)
        ref.promote(self.now)

    @precondition(lambda self: self.reference.offer)
    @rule(data=st.data(), accept=st.booleans())
    def respond(self, data: st.DataObject, accept: bool) -> None:
        request_id = self._pick(data, ("offered",))
        if request_id is None:
            return
        ref = self.reference
        (self.ledger.accept if accept else self.ledger.decline)(request_id)
        unit = ref.unit_of(request_id)
        offered = [r for r in unit if ref.status[r.id][0] == "offered"]
        if accept:
            for r in offered:
                ref.status[r.id] = ("seated", ref.status[r.id][1])
        else:
            ref.leave(unit, offered)
            ref.promote(self.now)

    @rule(dt=st.integers(1, 6))
    def time_passes(self, dt: int) -> None:
        self.now += dt
        self.ledger.tick()
        self._sync_time()

    @rule(dt=st.integers(0, 6), conflict=st.booleans())
    def failing_operation_changes_nothing(self, dt: int, conflict: bool) -> None:
        """An operation that fails after due offers expired and releases applied undoes them."""
        before = fingerprint(self.ledger._state)
        self.now += dt
        known = sorted(self.reference.status)
        try:
            if conflict and known:
                original = self.ledger.history(known[0])[0].payload
                assert original is not None
                self.ledger.submit(attrs.evolve(original, role="changed"))
            else:
                self.ledger.accept("nobody")
        except LedgerError:
            pass
        else:
            raise AssertionError("the operation should have failed")
        assert fingerprint(self.ledger._state) == before
        self.ledger.tick()
        self._sync_time()

    @invariant()
    def agrees_with_reference_and_is_fair(self) -> None:
        if not hasattr(self, "ledger"):
            return
        ledger, ref = self.ledger, self.reference
        for request_id, (status, session) in ref.status.items():
            decision = ledger.decision(request_id)
            assert (decision.status.value, decision.session) == (status, session), request_id
        waitlist = ledger.waitlist()
        assert waitlist == tuple(r.id for u in ref.waiting() for r in u)
        assert [ledger.decision(r).position for r in waitlist] == list(range(1, len(waitlist) + 1))
        allocation = ledger.allocation()
        checks = ("capacity", "quota", "party", "acceptability", "waste")
        assert violations(allocation.problem, allocation, checks=checks) == []
        # A second ledger on the same store replays the log: same state, same decisions.
        replayed = Ledger(ledger.store, clock=lambda: self.now)
        replayed.refresh()
        assert fingerprint(replayed._state) == fingerprint(ledger._state)
        for request_id in ref.status:
            assert replayed.decision(request_id) == ledger.decision(request_id)


TestLedgerMachine = LedgerMachine.TestCase
TestLedgerMachine.settings = settings(stateful_step_count=25)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_same_machine_on_the_durable_stores(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The machine above, each example on a fresh SQLite file or PostgreSQL database.

    Fewer examples than in memory (a database per example costs time), same rules.
    """
    paths = (tmp_path / f"m{k}.db" for k in itertools.count())
    if kind == "sqlite":

        def new_store() -> Store:
            return SQLiteStore(next(paths), durable=False)

    else:
        from seatalloc.stores.postgres import PostgresStore

        server = request.getfixturevalue("postgres_server")

        def new_store() -> Store:
            return PostgresStore(fresh_database(server))

    class DurableMachine(LedgerMachine):
        pass

    DurableMachine.new_store = staticmethod(new_store)  # type: ignore[assignment]
    run_state_machine_as_test(
        DurableMachine,
        settings=settings(
            max_examples=15, stateful_step_count=20, deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )  # fmt: skip
