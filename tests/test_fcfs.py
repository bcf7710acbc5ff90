"""Batch FCFS on hand-computed examples: capacity, quotas, parties, colleagues, tie-breaks."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from seatalloc import (
    Allocation,
    Group,
    Policy,
    Problem,
    Quota,
    Reason,
    Request,
    Session,
    Status,
    allocate,
)


def problem(
    capacities: dict[str, int],
    requests: Sequence[Request],
    quotas: Sequence[Quota] = (),
    **policy: Any,
) -> Problem:
    """Sessions from ``capacities`` (in that start order), groups from the requests."""
    base = datetime(2026, 11, 4, 12)
    sessions = [
        Session(sid, cap, start=base + timedelta(days=i))
        for i, (sid, cap) in enumerate(capacities.items())
    ]
    groups = [Group(g) for g in sorted({r.group for r in requests})]
    return Problem(sessions, groups, requests, quotas, Policy(**policy))


def seats(allocation: Allocation) -> dict[str, str | None]:
    return dict(sorted(allocation.assignments.items()))


def test_capacity_fills_first_choices_then_lower_ones() -> None:
    requests = [Request(f"r{i}", "g", arrival=i, sessions=["a", "b"]) for i in range(1, 5)]
    result = allocate(problem({"a": 2, "b": 1}, requests))
    assert seats(result) == {"r1": "a", "r2": "a", "r3": "b", "r4": None}
    assert result.waitlist == ("r4",)
    assert result.method == "fcfs"


def test_group_quota_in_total() -> None:
    requests = [
        Request("r1", "g", arrival=1, sessions=["a"]),
        Request("r2", "g", arrival=2, sessions=["b"]),
        Request("r3", "g", arrival=3, sessions=["a", "b"]),
        Request("r4", "h", arrival=4, sessions=["a"]),
    ]
    result = allocate(problem({"a": 5, "b": 5}, requests, [Quota(2, group="g")]))
    assert seats(result) == {"r1": "a", "r2": "b", "r3": None, "r4": "a"}


def test_group_quota_per_session() -> None:
    requests = [Request(f"r{i}", "g", arrival=i, sessions=["a", "b"]) for i in range(1, 4)]
    requests.append(Request("r4", "h", arrival=4, sessions=["a"]))
    result = allocate(
        problem({"a": 5, "b": 5, "c": 5}, requests, [Quota(1, "g", per_session=True)])
    )
    # r3 would fit in c by the quota, but does not accept it.
    assert seats(result) == {"r1": "a", "r2": "b", "r3": None, "r4": "a"}


def test_role_quota_counts_every_group() -> None:
    requests = [
        Request("r1", "g", role="planner", arrival=1),
        Request("r2", "h", role="planner", arrival=2),
        Request("r3", "h", role="strategist", arrival=3),
    ]
    result = allocate(problem({"a": 5}, requests, [Quota(1, role="planner")]))
    assert seats(result) == {"r1": "a", "r2": None, "r3": "a"}


def test_group_and_role_quota_only_matches_both() -> None:
    requests = [
        Request("r1", "g", role="planner", arrival=1),
        Request("r2", "g", role="planner", arrival=2),
        Request("r3", "g", role="strategist", arrival=3),
        Request("r4", "h", role="planner", arrival=4),
    ]
    result = allocate(problem({"a": 5}, requests, [Quota(1, group="g", role="planner")]))
    assert seats(result) == {"r1": "a", "r2": None, "r3": "a", "r4": "a"}


def test_zero_capacity_and_zero_quota_seat_nobody() -> None:
    requests = [Request("r1", "g", arrival=1), Request("r2", "h", arrival=2)]
    result = allocate(problem({"a": 0, "b": 1}, requests, [Quota(0, group="h")]))
    assert seats(result) == {"r1": "b", "r2": None}


def test_party_is_seated_together_where_all_fit() -> None:
    requests = [
        Request("r1", "g", arrival=1, sessions=["a"]),
        *(Request(f"p{i}", "h", arrival=2, sessions=["a", "b"], party="p") for i in (1, 2, 3)),
        Request("r5", "g", arrival=3, sessions=["a"]),
    ]
    result = allocate(problem({"a": 2, "b": 3}, requests))
    # The party skips a (one seat left for three) and leaves that seat to r5.
    assert seats(result) == {"p1": "b", "p2": "b", "p3": "b", "r1": "a", "r5": "a"}


def test_party_too_big_for_any_session_waits_whole_and_blocks_nobody() -> None:
    requests = [
        *(Request(f"p{i}", "g", arrival=1, party="p") for i in range(1, 5)),
        Request("r5", "g", arrival=2),
    ]
    result = allocate(problem({"a": 3, "b": 3}, requests))
    assert seats(result) == {"p1": None, "p2": None, "p3": None, "p4": None, "r5": "a"}
    assert result.waitlist == ("p1", "p2", "p3", "p4")
    assert {result.decisions[f"p{i}"].reason for i in range(1, 5)} == {Reason.NO_ROOM}


def test_party_whose_members_share_no_session() -> None:
    requests = [
        Request("p1", "g", arrival=1, sessions=["a"], party="p"),
        Request("p2", "g", arrival=1, sessions=["b"], party="p"),
        Request("r3", "g", arrival=2, sessions=["b"]),
    ]
    result = allocate(problem({"a": 5, "b": 5}, requests))
    assert seats(result) == {"p1": None, "p2": None, "r3": "b"}
    assert result.decisions["p2"].reason is Reason.NO_COMMON_SESSION


def test_party_counts_against_a_group_quota_as_a_whole() -> None:
    requests = [
        *(Request(f"p{i}", "g", arrival=1, party="p") for i in (1, 2, 3)),
        Request("r4", "g", arrival=2),
    ]
    result = allocate(problem({"a": 9}, requests, [Quota(2, group="g")]))
    assert seats(result) == {"p1": None, "p2": None, "p3": None, "r4": "a"}


def test_independent_parties_seat_members_one_by_one() -> None:
    requests = [
        Request("p1", "g", arrival=1, sessions=["a"], party="p"),
        Request("p2", "g", arrival=1, sessions=["b"], party="p"),
        Request("p3", "g", arrival=1, sessions=["a"], party="p"),
    ]
    result = allocate(problem({"a": 1, "b": 1}, requests, parties="independent"))
    assert seats(result) == {"p1": "a", "p2": "b", "p3": None}


def test_party_ranks_by_its_first_member() -> None:
    requests = [
        Request("p1", "g", arrival=1, sessions=["b", "a"], party="p"),
        Request("p2", "g", arrival=1, sessions=["a", "b"], party="p"),
    ]
    result = allocate(problem({"a": 5, "b": 5}, requests))
    assert seats(result) == {"p1": "b", "p2": "b"}


def colleague_requests() -> list[Request]:
    return [
        Request("r1", "g", arrival=1, sessions=["b"]),
        Request("r2", "g", arrival=2, sessions=["a", "b"]),
        Request("r3", "h", arrival=3, sessions=["a", "b"]),
        Request("r4", "g", arrival=4, sessions=["a", "b"]),
    ]


def test_prefer_colleagues_moves_to_where_the_group_sits() -> None:
    result = allocate(problem({"a": 5, "b": 5}, colleague_requests(), prefer_colleagues=True))
    assert seats(result) == {"r1": "b", "r2": "b", "r3": "a", "r4": "b"}
    assert result.decisions["r2"].reason is Reason.WITH_COLLEAGUES


def test_without_prefer_colleagues_rank_decides() -> None:
    result = allocate(problem({"a": 5, "b": 5}, colleague_requests()))
    assert seats(result) == {"r1": "b", "r2": "a", "r3": "a", "r4": "a"}


def test_prefer_colleagues_falls_back_to_rank_when_their_session_is_full() -> None:
    result = allocate(problem({"a": 5, "b": 1}, colleague_requests(), prefer_colleagues=True))
    assert seats(result) == {"r1": "b", "r2": "a", "r3": "a", "r4": "a"}


def test_id_tie_break_orders_ids_as_text_never_by_input_position() -> None:
    requests = [Request("r9", "g", arrival=5), Request("r10", "g", arrival=5)]
    for ordered in (requests, requests[::-1]):
        result = allocate(problem({"a": 1}, ordered))
        assert seats(result) == {"r10": "a", "r9": None}


def lottery_winner(ids: Sequence[str], seed: int) -> str:
    """The stated seeded tie-break: smallest blake2b digest (8 bytes) of "seed:id"."""
    return min(
        ids, key=lambda i: hashlib.blake2b(f"{seed}:{i}".encode(), digest_size=8).hexdigest()
    )


def test_seeded_tie_break_is_the_stated_lottery() -> None:
    ids = [f"r{i}" for i in range(10)]
    winners = set()
    for seed in range(6):
        order = list(ids)
        random.Random(seed).shuffle(order)
        requests = [Request(i, "g", arrival=0) for i in order]
        result = allocate(problem({"a": 1}, requests, tie_break="seeded", seed=seed))
        seated = [r for r, s in result.assignments.items() if s is not None]
        assert seated == [lottery_winner(ids, seed)]
        winners.add(seated[0])
    assert len(winners) > 1, "the seed should change who wins a tie"


def test_earlier_arrival_beats_tie_break() -> None:
    requests = [Request("a1", "g", arrival=2), Request("z9", "g", arrival=1)]
    result = allocate(problem({"a": 1}, requests))
    assert seats(result) == {"a1": None, "z9": "a"}


def test_any_preference_takes_sessions_by_start_then_id() -> None:
    sessions = [
        Session("a", 1, start=datetime(2026, 12, 2)),
        Session("b", 1, start=datetime(2026, 11, 4)),
        Session("c", 1),
    ]
    requests = [Request(f"r{i}", "g", arrival=i) for i in range(1, 5)]
    result = allocate(Problem(sessions, [Group("g")], requests))
    assert seats(result) == {"r1": "b", "r2": "a", "r3": "c", "r4": None}
    assert result.decisions["r1"].reason is Reason.FIRST_CHOICE
    assert result.decisions["r2"].rank is None


def test_datetime_arrivals_order_like_integers() -> None:
    t = datetime(2026, 10, 1, 9)
    requests = [
        Request("r1", "g", arrival=t + timedelta(minutes=5)),
        Request("r2", "g", arrival=t),
    ]
    result = allocate(problem({"a": 1}, requests))
    assert seats(result) == {"r1": None, "r2": "a"}


def test_waitlist_keeps_arrival_order() -> None:
    requests = [Request(f"r{i}", "g", arrival=10 - i) for i in range(1, 6)]
    result = allocate(problem({"a": 1}, requests))
    assert result.waitlist == ("r4", "r3", "r2", "r1")
    positions = [result.decisions[r].position for r in result.waitlist]
    assert positions == [1, 2, 3, 4]
    assert result.decisions["r5"].status is Status.SEATED


def test_no_requests_gives_an_empty_allocation() -> None:
    result = allocate(problem({"a": 3}, []))
    assert dict(result.assignments) == {}
    assert result.waitlist == ()
    assert result.metrics()["empty_seats"] == 3
