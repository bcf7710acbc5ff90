"""The engine's counters and first-fit rule, step by step on hand-computed states."""

from __future__ import annotations

from typing import Any

from seatalloc import Engine, Group, Limit, Policy, Problem, Quota, Request, Session, Shortfall


def workshop(**policy: Any) -> Problem:
    """Two sessions; group g capped at 2 in total, role planner at 1 per session."""
    return Problem(
        [Session("a", 2), Session("b", 3)],
        [Group("g"), Group("h")],
        [
            Request("g1", "g", role="planner", arrival=1, sessions=["a", "b"]),
            Request("g2", "g", role="planner", arrival=2, sessions=["a", "b"]),
            Request("g3", "g", arrival=3),
            Request("h1", "h", arrival=4, sessions=["b"]),
            Request("p1", "h", arrival=5, party="p", sessions=["a", "b"]),
            Request("p2", "h", arrival=5, party="p"),
        ],
        [Quota(2, group="g"), Quota(1, role="planner", per_session=True)],
        Policy(**policy),
    )


def req(problem: Problem, request_id: str) -> Request:
    return problem.request_by_id[request_id]


def test_counters_are_seats_and_every_applying_quota() -> None:
    problem = workshop()
    engine = Engine(problem)
    # Limits: 0 = a's seats, 1 = b's seats, 2 = g total, 3/4 = planner in a/b.
    assert [engine.limit(c) for c in range(5)] == [
        Limit(2, session="a"),
        Limit(3, session="b"),
        Limit(2, quota=problem.quotas[0]),
        Limit(1, session="a", quota=problem.quotas[1]),
        Limit(1, session="b", quota=problem.quotas[1]),
    ]
    assert engine.need((req(problem, "g1"),), "a") == {0: 1, 2: 1, 3: 1}
    assert engine.need((req(problem, "g1"),), "b") == {1: 1, 2: 1, 4: 1}
    assert engine.need((req(problem, "g3"),), "b") == {1: 1, 2: 1}
    assert engine.need((req(problem, "h1"),), "a") == {0: 1}
    assert engine.need(problem.unit_of("p1"), "b") == {1: 2}


def test_place_spends_counters_and_follows_the_first_fit_rule() -> None:
    problem = workshop()
    engine = Engine(problem)
    assert engine.place((req(problem, "g1"),)) == "a"
    # g2 is a planner too: a's planner place is gone, so b.
    assert engine.place((req(problem, "g2"),)) == "b"
    # g's total quota of 2 is spent.
    assert engine.place((req(problem, "g3"),)) is None
    assert engine.left == [1, 2, 0, 0, 0]
    assert engine.seat_of == {"g1": "a", "g2": "b"}


def test_shortfalls_name_every_counter_without_room() -> None:
    problem = workshop()
    engine = Engine(problem)
    engine.place((req(problem, "g1"),))
    engine.place((req(problem, "g2"),))
    assert engine.shortfalls((req(problem, "g3"),), "a") == [
        Shortfall("a", Limit(2, quota=problem.quotas[0]), needed=1, left=0)
    ]
    party = problem.unit_of("p1")
    assert engine.need(party, "a") == {0: 2}
    assert engine.shortfalls(party, "a") == [Shortfall("a", Limit(2, session="a"), 2, 1)]
    assert engine.shortfalls(party, "b") == []


def test_party_goes_where_all_members_fit() -> None:
    problem = workshop()
    engine = Engine(problem)
    engine.place((req(problem, "g1"),))
    party = problem.unit_of("p2")
    assert [r.id for r in party] == ["p1", "p2"]
    assert engine.candidates(party) == ("a", "b")
    assert engine.place(party) == "b"
    assert engine.left[:2] == [1, 1]


def test_seat_and_unseat_are_inverse_and_seat_may_overfill() -> None:
    problem = workshop()
    engine = Engine(problem)
    everyone = [req(problem, i) for i in ("g1", "g2", "g3")]
    engine.seat(everyone, "a")
    assert engine.left == [-1, 3, -1, -1, 1]
    engine.unseat(everyone)
    assert engine.left == [2, 3, 2, 1, 1]
    assert engine.seat_of == {}
    engine.unseat(everyone)  # unseating the unseated changes nothing
    assert engine.left == [2, 3, 2, 1, 1]


def test_set_capacity_keeps_the_seated() -> None:
    problem = workshop()
    engine = Engine(problem)
    engine.seat([req(problem, "h1"), req(problem, "g3")], "a")
    engine.set_capacity("a", 1)
    assert engine.limit(0) == Limit(1, session="a")
    assert engine.left[0] == -1
    engine.set_capacity("a", 4)
    assert engine.left[0] == 2


def test_with_seats_rebuilds_the_state() -> None:
    problem = workshop()
    engine = Engine.with_seats(problem, {"g1": "a", "h1": "b", "g3": None})
    assert engine.seat_of == {"g1": "a", "h1": "b"}
    assert engine.left == [1, 2, 1, 0, 1]


def test_candidates_put_sessions_with_colleagues_first() -> None:
    problem = workshop(prefer_colleagues=True)
    engine = Engine(problem)
    g3 = (req(problem, "g3"),)
    assert engine.candidates(g3) == ("a", "b")
    engine.seat((req(problem, "g2"),), "b")
    assert engine.candidates(g3) == ("b", "a")
    assert engine.place(g3) == "b"
    # Another group's colleagues do not count.
    assert engine.candidates((req(problem, "p1"), req(problem, "p2"))) == ("a", "b")
    engine.unseat((req(problem, "g2"), req(problem, "g3")))
    assert engine.candidates(g3) == ("a", "b")


def test_without_prefer_colleagues_candidates_are_the_ranking() -> None:
    problem = workshop()
    engine = Engine(problem)
    engine.seat((req(problem, "g2"),), "b")
    assert engine.candidates((req(problem, "g3"),)) == ("a", "b")
