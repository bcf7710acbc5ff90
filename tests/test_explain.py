"""Decisions, reasons and the exact sentences that explain them."""

from __future__ import annotations

import json
from collections.abc import Sequence

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

NOV4 = "4\N{EN DASH}5 November"
NOV25 = "25\N{EN DASH}26 November"
BOARDS = [Group("upps", label="Uppsala"), Group("sthlm", label="Stockholm")]


def workshop(requests: Sequence[Request], quotas: Sequence[Quota] = (), **policy: bool) -> Problem:
    sessions = [Session("nov4", 12, label=NOV4), Session("nov25", 12, label=NOV25)]
    return Problem(sessions, BOARDS, requests, quotas, Policy(**policy))


def uppsala_full() -> Allocation:
    """nov4 fills with r1..r12, four of them (r3, r7, r9, r12) from Uppsala, its quota."""
    requests = [
        Request(f"r{i}", "upps" if i in (3, 7, 9, 12) else "sthlm", arrival=i, sessions=["nov4"])
        for i in range(1, 13)
    ]
    requests += [
        Request("r13", "upps", arrival=13, sessions=["nov4", "nov25"]),
        Request("r14", "sthlm", arrival=14, sessions=["nov4", "nov25"]),
        Request("r15", "upps", arrival=15, sessions=["nov25"]),
        Request("r16", "sthlm", arrival=16),
    ]
    return allocate(workshop(requests, [Quota(4, group="upps")]))


def test_seated_in_first_choice() -> None:
    allocation = uppsala_full()
    decision = allocation.decisions["r1"]
    assert (decision.status, decision.reason, decision.rank) == (
        Status.SEATED,
        Reason.FIRST_CHOICE,
        1,
    )
    assert allocation.explain("r1") == f"seated in {NOV4} (1st choice)"


def test_seated_in_any_session_has_no_rank() -> None:
    allocation = uppsala_full()
    assert allocation.decisions["r16"].reason is Reason.FIRST_CHOICE
    assert allocation.explain("r16") == f"seated in {NOV25}"


def test_seated_in_a_lower_choice_names_the_full_session() -> None:
    allocation = uppsala_full()
    decision = allocation.decisions["r14"]
    assert (decision.reason, decision.session, decision.rank) == (Reason.LOWER_CHOICE, "nov25", 2)
    assert [(b.session, b.limit.quota, b.needed, b.left) for b in decision.blocks] == [
        ("nov4", None, 1, 0)
    ]
    assert allocation.explain("r14") == (
        f"seated in {NOV25} (2nd choice): at its turn, {NOV4} was full (12 of 12 seats)"
    )


def test_waitlisted_by_capacity_and_group_quota_names_the_holders() -> None:
    allocation = uppsala_full()
    decision = allocation.decisions["r13"]
    assert (decision.status, decision.reason, decision.position) == (
        Status.WAITLISTED,
        Reason.NO_ROOM,
        1,
    )
    assert allocation.explain("r13") == (
        f"waitlisted (position 1): at its turn, {NOV4} was full (12 of 12 seats); "
        "Uppsala's 4 places were held by r3, r7, r9 and r12"
    )


def test_waitlisted_by_the_quota_alone() -> None:
    allocation = uppsala_full()
    assert allocation.explain("r15") == (
        "waitlisted (position 2): at its turn, Uppsala's 4 places were held by r3, r7, r9 and r12"
    )


def test_many_holders_are_summed_up() -> None:
    requests = [Request(f"r{i}", "upps", arrival=i, sessions=["nov4"]) for i in range(1, 10)]
    allocation = allocate(workshop(requests, [Quota(8, group="upps")]))
    assert allocation.explain("r9") == (
        "waitlisted (position 1): at its turn, "
        "Uppsala's 8 places were held by r1, r2, r3, r4, r5 and 3 others"
    )


def test_per_session_role_quota_with_one_place() -> None:
    requests = [
        Request("r1", "sthlm", role="planner", arrival=1, sessions=["nov4"]),
        Request("r2", "upps", role="planner", arrival=2, sessions=["nov4", "nov25"]),
        Request("r3", "upps", role="planner", arrival=3, sessions=["nov4", "nov25"]),
    ]
    allocation = allocate(workshop(requests, [Quota(1, role="planner", per_session=True)]))
    assert allocation.explain("r2") == (
        f"seated in {NOV25} (2nd choice): at its turn, "
        f"the 1 place for role 'planner' in {NOV4} was held by r1"
    )
    assert allocation.explain("r3") == (
        f"waitlisted (position 1): at its turn, the 1 place for role 'planner' in {NOV4} "
        f"was held by r1; the 1 place for role 'planner' in {NOV25} was held by r2"
    )


def test_quota_of_zero() -> None:
    requests = [Request("r1", "upps", arrival=1, sessions=["nov4"])]
    allocation = allocate(workshop(requests, [Quota(0, group="upps")]))
    assert (
        allocation.explain("r1")
        == "waitlisted (position 1): at its turn, Uppsala's quota allows no places"
    )


def test_lower_choice_names_only_what_blocked_it_then() -> None:
    # nov4's planner place was taken when r2 came; nov4's seats filled only later.
    sessions = [Session("nov4", 2, label=NOV4), Session("nov25", 5, label=NOV25)]
    requests = [
        Request("r1", "sthlm", role="planner", arrival=1, sessions=["nov4"]),
        Request("r2", "upps", role="planner", arrival=2, sessions=["nov4", "nov25"]),
        Request("r3", "upps", arrival=3, sessions=["nov4"]),
    ]
    problem = Problem(sessions, BOARDS, requests, [Quota(1, role="planner", per_session=True)])
    allocation = allocate(problem)
    assert allocation.explain("r2") == (
        f"seated in {NOV25} (2nd choice): at its turn, "
        f"the 1 place for role 'planner' in {NOV4} was held by r1"
    )


def test_seated_with_colleagues() -> None:
    requests = [
        Request("r1", "upps", arrival=1, sessions=["nov25"]),
        Request("r2", "upps", arrival=2, sessions=["nov4", "nov25"]),
    ]
    allocation = allocate(workshop(requests, prefer_colleagues=True))
    decision = allocation.decisions["r2"]
    assert (decision.reason, decision.session, decision.blocks) == (
        Reason.WITH_COLLEAGUES,
        "nov25",
        (),
    )
    assert allocation.explain("r2") == (
        f"seated in {NOV25} (2nd choice), with colleagues who registered earlier"
    )


def test_party_whose_members_share_no_session() -> None:
    requests = [
        Request("p1", "upps", arrival=1, sessions=["nov4"], party="p"),
        Request("p2", "upps", arrival=1, sessions=["nov25"], party="p"),
    ]
    allocation = allocate(workshop(requests))
    for request_id, position in (("p1", 1), ("p2", 2)):
        assert allocation.decisions[request_id].reason is Reason.NO_COMMON_SESSION
        assert allocation.explain(request_id) == (
            f"waitlisted (position {position}): the party's members share no acceptable session"
        )


def test_party_too_big_says_how_many_seats_it_needed() -> None:
    sessions = [Session("nov4", 2, label=NOV4)]
    requests = [Request(f"p{i}", "upps", arrival=1, party="p") for i in (1, 2, 3)]
    allocation = allocate(Problem(sessions, BOARDS, requests))
    assert allocation.explain("p1") == (
        f"waitlisted (position 1): at its turn, {NOV4} had only 2 of 2 seats left, 3 needed"
    )


def test_records_and_json_carry_the_sentences() -> None:
    allocation = uppsala_full()
    record = allocation.records()[12]
    assert record["id"] == "r13"
    assert record["reason"] == "no-room"
    assert record["explanation"] == allocation.explain("r13")
    data = json.loads(allocation.to_json())
    assert data["decisions"]["r14"]["blocks"] == [
        {"session": "nov4", "limit": "capacity", "cap": 12, "needed": 1, "left": 0}
    ]
    assert data["decisions"]["r15"]["blocks"] == [
        {
            "session": "nov25",
            "limit": "group=upps",
            "cap": 4,
            "needed": 1,
            "left": 0,
            "holders": ["r3", "r7", "r9", "r12"],
        }
    ]
    assert data["decisions"]["r13"]["explanation"].endswith("r3, r7, r9 and r12")


def test_capacity_the_real_blocker_is_named_not_a_quota_filled_later() -> None:
    # At r3's turn nov4 was full but Uppsala had 2 of its 3 places left; r4 and r5
    # filled the quota later: they are not named, the quota is not blamed.
    sessions = [Session("nov4", 2, label=NOV4), Session("nov25", 5, label=NOV25)]
    requests = [
        Request("r1", "upps", arrival=1, sessions=["nov4"]),
        Request("r2", "sthlm", arrival=2, sessions=["nov4"]),
        Request("r3", "upps", arrival=3, sessions=["nov4"]),
        Request("r4", "upps", arrival=4, sessions=["nov25"]),
        Request("r5", "upps", arrival=5, sessions=["nov25"]),
    ]
    allocation = allocate(Problem(sessions, BOARDS, requests, [Quota(3, group="upps")]))
    assert allocation.explain("r3") == (
        f"waitlisted (position 1): at its turn, {NOV4} was full (2 of 2 seats)"
    )
    data = json.loads(allocation.to_json())["decisions"]["r3"]
    assert data["blocks"] == [
        {"session": "nov4", "limit": "capacity", "cap": 2, "needed": 1, "left": 0}
    ]


def test_party_needing_more_than_the_quota_has_left_is_not_told_it_is_full() -> None:
    requests = [
        Request("r1", "upps", arrival=1, sessions=["nov4"]),
        Request("p1", "upps", arrival=2, sessions=["nov4"], party="p"),
        Request("p2", "upps", arrival=2, sessions=["nov4"], party="p"),
    ]
    allocation = allocate(workshop(requests, [Quota(2, group="upps")]))
    assert allocation.explain("p1") == (
        "waitlisted (position 1): at its turn, only 1 of Uppsala's 2 places was left, "
        "2 needed (the other was held by r1)"
    )
    block = json.loads(allocation.to_json())["decisions"]["p2"]["blocks"][0]
    assert (block["cap"], block["needed"], block["left"], block["holders"]) == (2, 2, 1, ["r1"])


def test_role_quota_of_zero_says_it_allows_no_places() -> None:
    requests = [Request("r1", "upps", role="boss", arrival=1, sessions=["nov4"])]
    allocation = allocate(workshop(requests, [Quota(0, role="boss")]))
    assert allocation.explain("r1") == (
        "waitlisted (position 1): at its turn, the quota for role 'boss' allows no places"
    )


def test_a_lone_request_in_a_problem_without_sessions() -> None:
    problem = Problem([], BOARDS, [Request("r1", "upps", arrival=1)])
    allocation = allocate(problem)
    assert allocation.decisions["r1"].reason is Reason.NO_SESSION
    assert allocation.explain("r1") == "waitlisted (position 1): there is no session to seat it in"


def test_a_file_allocation_that_left_room_says_so() -> None:
    requests = [Request("r1", "upps", arrival=1, sessions=["nov4", "nov25"])]
    allocation = Allocation(workshop(requests), {"r1": None}, ["r1"], method="file")
    assert allocation.explain("r1") == (
        f"waitlisted (position 1), although {NOV4} and {NOV25} each had room at its turn"
    )
