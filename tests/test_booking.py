"""The booking ledger: decisions, idempotence, promotion, offers, capacity, release, replay."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import pytest
from hypothesis import given

from seatalloc import Group, PartyRule, Policy, Problem, Quota, Reason, Request, Session, Status
from seatalloc.booking import (
    ConflictError,
    Entry,
    Event,
    Ledger,
    LedgerError,
    LedgerState,
    UnknownRequestError,
)
from seatalloc.fairness import violations
from seatalloc.fcfs import allocate
from seatalloc.stores import MemoryStore
from seatalloc.testing import problems

CHECKS = ("capacity", "quota", "party", "acceptability", "waste")


def fingerprint(state: LedgerState) -> tuple[object, ...]:
    """Everything a state holds, copied (the live tables change) and comparable."""
    engine = state.engine
    tables = (
        state.entries, state.units, state.unit_ids_ever, state.waitlist, state.party_unit,
        state.capacities,
        state.released, state.offered, engine.left, engine.seat_of,
    )  # fmt: skip
    return (state.seq, state.at, *(copy.copy(t) for t in tables))


def ledger_for(scenario: Problem, **options: object) -> Ledger:
    clock = itertools.count()
    return Ledger.create(MemoryStore(), scenario, clock=lambda: next(clock), **options)  # type: ignore[arg-type]


def small(quotas: tuple[Quota, ...] = (), parties: str = "together") -> Problem:
    return Problem(
        [Session("a", 2), Session("b", 1)],
        [Group("g"), Group("h")],
        [],
        quotas,
        Policy(parties=parties),
    )


@given(problems(max_requests=14))
def test_ledger_fed_in_arrival_order_equals_batch_fcfs(problem: Problem) -> None:
    ledger = ledger_for(problem.replace(requests=()))
    for unit in problem.units:
        ledger.submit_party(unit)
    assert ledger.allocation() == allocate(problem)
    replayed = LedgerState.replay(ledger.setup, ledger.events())
    assert fingerprint(replayed) == fingerprint(ledger._state)


def test_submit_decides_at_once_with_position_and_reason() -> None:
    ledger = ledger_for(small((Quota(1, "h"),)))
    assert ledger.submit(Request("r1", "g", arrival=1, sessions=["b"])).session == "b"
    second = ledger.submit(Request("r2", "g", arrival=2, sessions=["b", "a"]))
    assert (second.status, second.session, second.rank, second.reason) == (
        Status.SEATED,
        "a",
        2,
        Reason.LOWER_CHOICE,
    )
    ledger.submit(Request("r3", "h", arrival=3))
    waiting = ledger.submit(Request("r4", "h", arrival=4))
    assert (waiting.status, waiting.position, waiting.reason) == (
        Status.WAITLISTED,
        1,
        Reason.NO_ROOM,
    )
    assert {b.limit.quota.key for b in waiting.blocks if b.limit.quota} == {"group=h"}


def test_invalid_request_is_rejected_with_the_field_named() -> None:
    ledger = ledger_for(small())
    decision = ledger.submit(Request("r1", "nobody", arrival=1))
    assert decision.status is Status.REJECTED and decision.reason is Reason.INVALID
    assert "'group'" in (decision.note or "")
    ledger.submit(Request("r2", "g", arrival=1))
    mixed = ledger.submit(Request("r3", "g", arrival=datetime(2026, 1, 1)))
    assert mixed.status is Status.REJECTED and "'arrival'" in (mixed.note or "")


def test_submit_is_idempotent_and_conflicts_are_errors() -> None:
    ledger = ledger_for(small())
    request = Request("r1", "g", arrival=1, attributes={"email": "x@example.org"})
    first = ledger.submit(request)
    n = len(ledger.events())
    assert ledger.submit(request) == first
    assert len(ledger.events()) == n
    with pytest.raises(ConflictError) as error:
        ledger.submit(Request("r1", "h", arrival=1, attributes={"email": "x@example.org"}))
    assert "r1" in str(error.value) and "example.org" not in str(error.value)


def test_party_is_seated_together_or_waits_together() -> None:
    ledger = ledger_for(small())
    party = [Request(f"p{i}", "g", arrival=1, sessions=["a", "b"], party="p") for i in range(3)]
    assert {d.status for d in ledger.submit_party(party)} == {Status.WAITLISTED}
    solo = ledger.submit(Request("s", "h", arrival=2, sessions=["a"]))
    assert solo.status is Status.SEATED, "a later unit that fits passes a party that does not"
    assert ledger.submit_party(party)[0].status is Status.WAITLISTED
    with pytest.raises(ConflictError):
        ledger.submit_party(party[:2])
    # One member leaves; the other two still fit nowhere (a has 1 seat left, b has 1).
    assert ledger.withdraw("p2") == ()
    promoted = ledger.withdraw("s")
    assert {(d.request, d.session, d.reason) for d in promoted} == {
        ("p0", "a", Reason.PROMOTED),
        ("p1", "a", Reason.PROMOTED),
    }


def test_withdraw_promotes_in_arrival_order_and_is_idempotent() -> None:
    ledger = ledger_for(small())
    for i in range(5):
        ledger.submit(Request(f"r{i}", "g", arrival=i, sessions=["a"]))
    assert ledger.waitlist() == ("r2", "r3", "r4")
    promoted = ledger.withdraw("r0")
    assert [(d.request, d.session, d.note) for d in promoted] == [("r2", "a", "after r0 withdrew")]
    assert ledger.withdraw("r0") == ()
    assert ledger.decision("r3").position == 1
    with pytest.raises(UnknownRequestError):
        ledger.withdraw("nobody")


def test_offer_mode_holds_a_seat_until_accept_decline_or_expiry() -> None:
    ledger = ledger_for(small(), mode="offer", offer_window=10)
    for i in range(5):
        ledger.submit(Request(f"r{i}", "g", arrival=i, sessions=["a"]), at=i)
    (offer,) = ledger.withdraw("r0", at=10)
    assert (offer.request, offer.status) == ("r2", Status.OFFERED)
    assert ledger.history("r2")[-1].expires == 20
    (next_offer,) = ledger.decline("r2", at=11)
    assert next_offer.request == "r3"
    with pytest.raises(LedgerError):
        ledger.accept("r2", at=12)
    assert ledger.tick(at=25)[0].request == "r4", "r3's offer (until 21) expired"
    assert ledger.decision("r3").reason is Reason.EXPIRED
    assert ledger.accept("r4", at=26)[0].status is Status.SEATED
    assert ledger.rosters()["a"] == ("r1", "r4")


def test_shrinking_displaces_latest_arrivals_who_move_if_they_can() -> None:
    ledger = ledger_for(small())
    ledger.submit(Request("r1", "g", arrival=1, sessions=["a"]))
    ledger.submit(Request("r2", "g", arrival=2, sessions=["a", "b"]))
    changed = ledger.set_capacity("a", 1)
    assert [(d.request, d.session) for d in changed] == [("r2", "b")]
    changed = ledger.set_capacity("a", 0)
    assert [(d.request, d.status) for d in changed] == [("r1", Status.WAITLISTED)]
    assert [d.request for d in ledger.set_capacity("a", 3)] == ["r1"]
    with pytest.raises(ValueError, match="capacity"):
        ledger.set_capacity("a", -1)


def test_earmarks_release_at_their_time_then_the_waitlist_moves() -> None:
    ledger = ledger_for(
        Problem(
            [Session("a", 4)],
            [Group("g"), Group("h")],
            [],
            [Quota(2, "g", release=50), Quota(2, "h")],
        )
    )
    for i in range(4):
        ledger.submit(Request(f"g{i}", "g", arrival=i), at=i)
    ledger.submit(Request("h0", "h", arrival=5), at=5)
    assert ledger.waitlist() == ("g2", "g3")
    assert ledger.tick(at=49) == ()
    promoted = ledger.tick(at=50)
    assert [d.request for d in promoted] == ["g2"]
    assert ledger.released() == {"group=g"}
    assert violations(ledger.allocation().problem, ledger.allocation(), checks=CHECKS) == []


def test_manual_release_and_time_type_are_checked() -> None:
    ledger = ledger_for(small((Quota(0, "g", release=100),)))
    assert ledger.submit(Request("r1", "g", arrival=1), at=1).status is Status.WAITLISTED
    assert [d.request for d in ledger.release(at=2, quota="group=g")] == ["r1"]
    with pytest.raises(ValueError, match="time"):
        ledger.tick(at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="quota"):
        ledger.release(at=3, quota="group=zzz")


def test_scenario_with_requests_is_refused() -> None:
    with pytest.raises(ValueError, match="no requests"):
        ledger_for(Problem([Session("a", 1)], [Group("g")], [Request("r", "g")]))


def test_independent_party_rule_submits_members_one_by_one() -> None:
    ledger = ledger_for(small(parties=PartyRule.INDEPENDENT.value))
    party = [Request(f"p{i}", "g", arrival=1, sessions=["b"], party="p") for i in range(2)]
    assert [d.status for d in ledger.submit_party(party)] == [Status.SEATED, Status.WAITLISTED]


def test_allocation_json_has_assignments_and_waitlist() -> None:
    ledger = ledger_for(small())
    for i in range(4):
        ledger.submit(Request(f"r{i}", "g", arrival=i, sessions=["b"]))
    data = ledger.allocation().to_dict()
    assert data["assignments"] == {"r0": "b", "r1": None, "r2": None, "r3": None}
    assert data["waitlist"] == ["r1", "r2", "r3"]
    assert data["decisions"]["r2"]["explanation"].startswith("waitlisted (position 2)")


class FailingStore(MemoryStore):
    """A memory store whose next write fails, as a full disk would."""

    fail = False

    def append(self, events: Sequence[Event], entries: Mapping[str, Entry]) -> None:
        if self.fail:
            self.fail = False
            raise OSError("disk full")
        super().append(events, entries)


@pytest.mark.parametrize("mode", ["direct", "offer"])
def test_an_operation_whose_write_fails_leaves_no_trace(mode: str) -> None:
    store = FailingStore()
    window = 5 if mode == "offer" else None
    scenario = small((Quota(1, "h", release=30),))
    ledger, twin = (
        Ledger.create(s, scenario, clock=lambda: 0, mode=mode, offer_window=window)
        for s in (store, MemoryStore())
    )
    party = [Request(f"p{i}", "g", arrival=0, party="p") for i in range(2)]
    operations: list[Callable[[Ledger], object]] = [
        *(
            lambda ledger, i=i: ledger.submit(
                Request(f"r{i}", "gh"[i % 2], sessions=["a", "b"]), at=i
            )
            for i in range(6)
        ),
        lambda ledger: ledger.set_capacity("a", 0, at=10),
        lambda ledger: ledger.withdraw("r0", at=11),
        lambda ledger: ledger.set_capacity("a", 3, at=12),
        lambda ledger: ledger.submit_party(party, at=13),
        lambda ledger: ledger.tick(at=40),  # offers expire, the quota is released
        lambda ledger: ledger.submit(Request("late", "h"), at=41),
    ]
    for operation in operations:
        before = fingerprint(ledger._state)
        store.fail = True
        with pytest.raises(OSError):
            operation(ledger)
        assert fingerprint(ledger._state) == before
        operation(ledger)
        operation(twin)
        assert fingerprint(ledger._state) == fingerprint(twin._state)
    replayed = LedgerState.replay(ledger.setup, store.events(after=0))
    assert fingerprint(ledger._state) == fingerprint(replayed)
    assert len(ledger.events()) > len(operations)


def test_releases_due_together_fill_free_seats_in_arrival_order_not_board_by_board() -> None:
    problem = Problem(
        sessions=[Session("d1", 4)],
        groups=[Group("a"), Group("b")],
        quotas=[Quota(1, group="a", release=10), Quota(1, group="b", release=10)],
        requests=[],
    )
    ledger = Ledger.create(MemoryStore(), problem, clock=lambda: 0)
    arrivals = [("a1", "a"), ("b1", "b"), ("b2", "b"), ("b3", "b"), ("a2", "a")]
    for t, (rid, group) in enumerate(arrivals, start=1):
        ledger.submit(Request(rid, group, arrival=t, sessions=("d1",)), at=t)
    assert ledger.waitlist() == ("b2", "b3", "a2")
    promoted = ledger.tick(at=10)
    # Two seats free up at once: the two earliest waiting get them, whatever their board
    # (releasing board a first and promoting after it would seat a2 before b3).
    assert [d.request for d in promoted] == ["b2", "b3"]
    assert ledger.waitlist() == ("a2",)
