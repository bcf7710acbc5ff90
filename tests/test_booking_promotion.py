"""Indexed promotion against the plain pass over the whole waitlist, event for event.

The ledger examines only the waitlisted units filed under a counter that
gained room (booking/waitlist_index.py). The oracle here is the rule as
docs/booking.md states it: every waitlisted unit, in arrival order, is
offered to the engine. Random operation sequences must give both exactly the
same events, and the index must hold its invariant after every step (see
``index_holds``).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from test_booking import FailingStore

from seatalloc import Group, Policy, Problem, Quota, Reason, Request, Session, Status
from seatalloc.booking import Ledger, LedgerError, LedgerState, waitlist_index
from seatalloc.stores import MemoryStore

SESSIONS = ("s1", "s2", "s3")
GROUPS = ("g1", "g2")
ROLES = ("", "chair")


class PlainState(LedgerState):
    """The promotion rule written plainly: every waitlisted unit, in arrival order."""

    def promote(self, examine: Callable[[str], object]) -> None:
        for unit in self.waitlisted():
            examine(unit)


def plain_ledger(scenario: Problem, clock: Callable[[], int], **options: object) -> Ledger:
    """A new ledger whose state promotes by the plain pass (set after its first read, which
    may build a new state)."""
    ledger = Ledger.create(MemoryStore(), scenario, clock=clock, **options)  # type: ignore[arg-type]
    ledger.refresh()
    ledger._state = PlainState(ledger.setup)
    return ledger


def index_holds(state: LedgerState) -> list[str]:
    """Where the waitlist index breaks its invariant (empty: nowhere).

    Each waitlisted unit not deferred to the next pass is filed with its
    members, in every list it is filed under, and is ready, or has for each
    session it accepts a key of counters it spends there, with what it spends
    of each (released quotas aside), of which one lacks room for it now or
    gained room since the last pass (so the next pass looks at the key).
    """
    index = state._blocked
    engine = state.engine
    listed = {(key, g, unit) for key, heap in index._lists.items() for _, g, unit in heap}
    problems = []
    for unit in state.waitlist:
        if unit in index._deferred:
            continue  # filed by the next pass, before it walks
        members = state.members(unit)
        filing = index._filed.get(unit)
        if filing is None or filing.size != len(members):
            problems.append(f"{unit}: not filed with its {len(members)} members")
            continue
        if any((key, filing.generation, unit) not in listed for key in filing.keys):
            problems.append(f"{unit}: missing from a list it is filed under")
        if filing.keys == ((),):
            continue
        for session in state.setup.scenario.unit_acceptable(members):
            needs = set(engine.need(members, session).items())
            lacking = {
                index._counter[b.limit.session, b.limit.quota]
                for b in engine.shortfalls(members, session)
            }
            if not any(
                {(c, n) for c, n in key if c not in index._released} <= needs
                and {c for c, _ in key} & (lacking | index._gained)
                for key in filing.keys
            ):
                problems.append(f"{unit}: no key of its holds it back in {session}")
    return problems


class PromotionMachine(RuleBasedStateMachine):
    """Two indexed ledgers sharing one store (one catches up by replay) and a plain one."""

    @initialize(
        caps=st.lists(st.integers(0, 3), min_size=1, max_size=3),
        quotas=st.lists(
            st.tuples(
                st.sampled_from((None, *GROUPS)),
                st.sampled_from((None, *ROLES)),
                st.integers(0, 3),
                st.booleans(),
                st.none() | st.integers(1, 30),
            ),
            max_size=3,
            unique_by=lambda q: (q[0], q[1], q[3]),
        ),
        together=st.booleans(),
        colleagues=st.booleans(),
        offer=st.booleans(),
        window=st.integers(1, 5),
    )
    def start(
        self,
        caps: list[int],
        quotas: list[tuple[str | None, str | None, int, bool, int | None]],
        together: bool,
        colleagues: bool,
        offer: bool,
        window: int,
    ) -> None:
        scenario = Problem(
            [Session(s, c) for s, c in zip(SESSIONS, caps, strict=False)],
            [Group(g) for g in GROUPS],
            [],
            [
                Quota(limit, group, role, per_session=per, release=release)
                for group, role, limit, per, release in quotas
            ],
            Policy(parties="together" if together else "independent", prefer_colleagues=colleagues),
        )
        self.now = 0
        self.ids = itertools.count(1)
        self.sessions = scenario.session_ids
        options = {"mode": "offer" if offer else "direct", "offer_window": window}
        self.store = FailingStore()
        self.indexed = Ledger.create(self.store, scenario, clock=lambda: self.now, **options)
        self.other = Ledger(self.store, clock=lambda: self.now)
        self.plain = plain_ledger(scenario, lambda: self.now, **options)
        self.quota_keys = sorted(q.key for q in scenario.quotas)

    def _both(self, call: Callable[[Ledger], object], second: bool, fail: bool) -> None:
        """Run ``call`` on an indexed ledger (after a failed write, when ``fail``) and the plain."""
        ledger = self.other if second else self.indexed
        if fail:
            self.store.fail = True
            try:
                call(ledger)
            except OSError:
                assert index_holds(ledger._state) == []
            else:
                raise AssertionError("the write should have failed")
        got, expected = call(ledger), call(self.plain)
        assert got == expected
        assert ledger.last_events == self.plain.last_events

    def _ids(self, data: st.DataObject, statuses: tuple[Status, ...]) -> str | None:
        state = self.plain._state
        ids = sorted(r for r, e in state.entries.items() if e.status in statuses)
        return data.draw(st.sampled_from(ids)) if ids else None

    @rule(
        size=st.integers(1, 3),
        group=st.sampled_from(GROUPS),
        role=st.sampled_from(ROLES),
        prefs=st.permutations(SESSIONS),
        length=st.integers(0, 3),
        second=st.booleans(),
        fail=st.booleans(),
    )
    def submit(
        self,
        size: int,
        group: str,
        role: str,
        prefs: list[str],
        length: int,
        second: bool,
        fail: bool,
    ) -> None:
        party = f"p{next(self.ids)}" if size > 1 else None
        unit = [
            Request(
                f"r{next(self.ids)}",
                group,
                role if k == 0 else "",
                arrival=0,
                sessions=[s for s in prefs[: length + k % 2] if s in self.sessions],
                party=party,
            )
            for k in range(size)
        ]
        self._both(lambda ledger: ledger.submit_party(unit), second, fail)

    @rule(data=st.data(), second=st.booleans(), fail=st.booleans())
    def withdraw(self, data: st.DataObject, second: bool, fail: bool) -> None:
        request_id = self._ids(data, (Status.SEATED, Status.OFFERED, Status.WAITLISTED))
        if request_id is not None:
            self._both(lambda ledger: ledger.withdraw(request_id), second, fail)

    @precondition(lambda self: self.plain._state.offered)
    @rule(data=st.data(), accept=st.booleans(), second=st.booleans(), fail=st.booleans())
    def respond(self, data: st.DataObject, accept: bool, second: bool, fail: bool) -> None:
        request_id = self._ids(data, (Status.OFFERED,))
        if request_id is not None:
            if accept:
                self._both(lambda ledger: ledger.accept(request_id), second, fail)
            else:
                self._both(lambda ledger: ledger.decline(request_id), second, fail)

    @rule(data=st.data(), capacity=st.integers(0, 4), second=st.booleans(), fail=st.booleans())
    def change_capacity(self, data: st.DataObject, capacity: int, second: bool, fail: bool) -> None:
        session = data.draw(st.sampled_from(self.sessions))
        self._both(lambda ledger: ledger.set_capacity(session, capacity), second, fail)

    @rule(data=st.data(), second=st.booleans(), fail=st.booleans())
    def release_now(self, data: st.DataObject, second: bool, fail: bool) -> None:
        if self.quota_keys:
            key = data.draw(st.sampled_from(self.quota_keys))
            self._both(lambda ledger: ledger.release(quota=key), second, fail)

    @rule(dt=st.integers(1, 6), second=st.booleans(), fail=st.booleans())
    def time_passes(self, dt: int, second: bool, fail: bool) -> None:
        self.now += dt
        self._both(lambda ledger: ledger.tick(), second, fail)

    @invariant()
    def same_events_and_the_index_holds(self) -> None:
        if not hasattr(self, "plain"):
            return
        assert isinstance(self.plain._state, PlainState)
        expected = self.plain.events()
        for ledger in (self.indexed, self.other):
            assert ledger.events() == expected
            assert index_holds(ledger._state) == []


TestPromotionMachine = PromotionMachine.TestCase
TestPromotionMachine.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)


def test_a_replayed_ledger_files_its_waitlist_and_promotes_like_the_live_one() -> None:
    """Only ``apply`` builds the index, so a ledger that replays the log has it too."""
    problem = Problem(
        [Session("a", 2), Session("b", 1)],
        [Group("g"), Group("h")],
        [],
        [Quota(1, "h"), Quota(1, "g", "chair", per_session=True)],
    )
    live = Ledger.create(MemoryStore(), problem, clock=lambda: 0)
    for k in range(8):
        live.submit(Request(f"r{k}", "gh"[k % 2], "chair" if k % 3 else "", sessions=["a", "b"]))
    copy = MemoryStore()
    copy.initialise(live.setup)
    with copy.operation():
        copy.append(live.events(), live.store.entries)  # type: ignore[attr-defined]
    replayed = Ledger(copy, clock=lambda: 0)
    replayed.refresh()
    assert index_holds(replayed._state) == [] and index_holds(live._state) == []
    seated = [r for ids in live.rosters().values() for r in ids]
    for request_id in seated:
        promoted = live.withdraw(request_id)
        assert replayed.withdraw(request_id) == promoted
        assert replayed.last_events == live.last_events
    assert any(e.reason is Reason.PROMOTED for e in live.events())


def test_a_lone_request_without_sessions_is_told_there_is_no_session() -> None:
    ledger = Ledger.create(MemoryStore(), Problem([], [Group("g")], []), clock=lambda: 0)
    decision = ledger.submit(Request("r1", "g"))
    assert (decision.status, decision.reason) == (Status.WAITLISTED, Reason.NO_SESSION)
    explanation = ledger.allocation().explain("r1")
    assert explanation == "waitlisted (position 1): there is no session to seat it in"


@pytest.mark.parametrize("fresh", [False, True])
def test_a_failed_write_files_the_units_its_pass_examined_as_they_were(fresh: bool) -> None:
    """The pass of a failed operation filed u under the quota v had just filled; undone, the
    quota has room again, so u must be filed again under what blocks it before the operation.
    A ``fresh`` ledger (its state read from the store) files its waitlist in that same pass."""
    problem = Problem([Session("a", 1)], [Group("g"), Group("h")], [], [Quota(1, "g")])
    store = FailingStore()
    ledger = Ledger.create(store, problem, clock=lambda: 0)
    for request_id, group in (("r1", "h"), ("v", "g"), ("u", "g")):
        ledger.submit(Request(request_id, group))
    if fresh:
        ledger = Ledger(store, clock=lambda: 0)
        ledger.refresh()
    assert ledger.waitlist() == ("v", "u")
    store.fail = True
    with pytest.raises(OSError):
        ledger.set_capacity("a", 3)
    assert ledger.waitlist() == ("v", "u")
    assert index_holds(ledger._state) == []
    promoted = ledger.set_capacity("a", 3)
    assert [d.request for d in promoted] == ["v"]
    assert index_holds(ledger._state) == []


def test_freed_room_asks_only_the_units_it_could_seat() -> None:
    """One free seat asks no party of three; the quota's own units are asked, in order."""
    problem = Problem(
        [Session("a", 3), Session("b", 1)], [Group("g"), Group("h")], [], [Quota(1, "h")]
    )
    ledger = Ledger.create(MemoryStore(), problem, clock=lambda: 0)
    for k in range(3):
        ledger.submit(Request(f"s{k}", "g", sessions=["a"]))
    ledger.submit(Request("h0", "h", sessions=["b"]))
    ledger.submit_party([Request(f"p{k}", "g", sessions=["a"], party="p") for k in range(3)])
    ledger.submit(Request("h1", "h", sessions=["b"]))
    asked: list[set[str]] = []
    index = ledger._state._blocked
    walk = index.walk

    def recording(examine: Callable[[str], object]) -> set[str]:
        asked.append(walk(examine))
        return asked[-1]

    index.walk = recording  # type: ignore[method-assign]
    assert ledger.withdraw("s0") == () and ledger.withdraw("s1") == ()
    assert asked == [set(), set()]
    assert [d.request for d in ledger.withdraw("s2")] == ["p0", "p1", "p2"]
    assert asked[-1] == {"p0"}
    assert [d.request for d in ledger.withdraw("h0")] == ["h1"]
    assert asked[-1] == {"h1"}


def outcome(ledger: Ledger, name: str, args: tuple[object, ...]) -> object:
    """What the operation returned, or the message of the ledger error it raised."""
    try:
        return getattr(ledger, name)(*args)
    except LedgerError as error:  # an offer that expired as time caught up, in both
        return str(error)


@pytest.mark.parametrize("seed", [1, 2])
def test_long_random_runs_match_the_plain_pass_and_compact_the_index(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of operations: stale entries pile up and the index is rebuilt from its filings."""
    rng = random.Random(seed)
    scenario = Problem(
        [Session(s, rng.randint(2, 5)) for s in SESSIONS],
        [Group(g) for g in GROUPS],
        [],
        [Quota(3, "g1"), Quota(1, None, "chair", per_session=True), Quota(4, "g2", release=900)],
        Policy(parties="together", prefer_colleagues=seed == 2),
    )
    now = [0]
    options = {"mode": "offer" if seed == 2 else "direct", "offer_window": 7}
    indexed = Ledger.create(MemoryStore(), scenario, clock=lambda: now[0], **options)
    plain = plain_ledger(scenario, lambda: now[0], **options)
    indexed.refresh()  # its first read, which may build a new state
    compactions = 0
    index = indexed._state._blocked
    compact = index._compact

    def counting() -> None:
        nonlocal compactions
        compactions += 1
        compact()

    index._compact = counting  # type: ignore[method-assign]
    monkeypatch.setattr(waitlist_index, "_SLACK", 16)
    ids = itertools.count()
    for step in range(2500):
        now[0] += rng.randint(0, 1)
        live = sorted(
            r for r, e in plain._state.entries.items()
            if e.status in (Status.SEATED, Status.OFFERED, Status.WAITLISTED)
        )  # fmt: skip
        roll = rng.random()
        operation: tuple[str, tuple[object, ...]]
        if roll < 0.45 or not live:
            party = f"p{next(ids)}" if rng.random() < 0.2 else None
            unit = [
                Request(
                    f"r{next(ids)}", rng.choice(GROUPS), rng.choice(ROLES),
                    sessions=rng.sample(SESSIONS, rng.randint(1, 3)), party=party,
                )
                for _ in range(rng.randint(2, 3) if party else 1)
            ]  # fmt: skip
            operation = ("submit_party", (unit,))
        elif roll < 0.85:
            operation = ("withdraw", (rng.choice(live),))
        elif roll < 0.95:
            operation = ("set_capacity", (rng.choice(SESSIONS), rng.randint(0, 6)))
        else:
            offered = [r for r in live if plain._state.entries[r].status is Status.OFFERED]
            if offered:
                operation = (rng.choice(("accept", "decline")), (rng.choice(offered),))
            else:
                operation = ("tick", ())
        assert outcome(indexed, *operation) == outcome(plain, *operation), step
    assert indexed.events() == plain.events()
    assert index_holds(indexed._state) == []
    assert sum(e.reason is Reason.PROMOTED for e in plain.events()) > 100
    assert compactions > 0
    assert isinstance(plain._state, PlainState) and not isinstance(indexed._state, PlainState)


def test_a_failed_write_files_again_the_units_a_fresh_ledger_filed_in_its_pass() -> None:
    """A fresh ledger files its waitlist in its first pass, on the seats of that operation:
    x went under the session the cut filled; undone, the session has room again and x must
    be filed again under the quota that blocks it (and that nothing will examine otherwise)."""
    problem = Problem([Session("a", 3)], [Group("g"), Group("h")], [], [Quota(1, "g")])
    store = FailingStore()
    first = Ledger.create(store, problem, clock=lambda: 0)
    for request_id, group in (("z", "h"), ("y", "g"), ("x", "g")):
        first.submit(Request(request_id, group))
    ledger = Ledger(store, clock=lambda: 0)
    ledger.refresh()
    store.fail = True
    with pytest.raises(OSError):
        ledger.set_capacity("a", 1)  # displaces y, freeing the quota; x waits for the session
    assert ledger.waitlist() == ("x",)
    assert index_holds(ledger._state) == []
    ledger.withdraw("z")
    assert ledger.decision("x").status is Status.WAITLISTED  # the quota (y) still blocks x
    assert [d.request for d in ledger.withdraw("y")] == ["x"]
