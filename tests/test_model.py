"""The model: every validation error's exact message, and canonical ordering."""

from __future__ import annotations

import pickle
import random
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from seatalloc import (
    FieldError,
    Group,
    PartyRule,
    Policy,
    Problem,
    ProblemError,
    Quota,
    Request,
    Requests,
    Session,
    TieBreak,
)

DAY1 = datetime(2026, 11, 4, 12)
DAY2 = datetime(2026, 11, 25, 12)


def message(build: Any) -> str:
    """The message of the FieldError that ``build()`` raises."""
    with pytest.raises(FieldError) as caught:
        build()
    return str(caught.value)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (
            lambda: Session("", 1),
            "session '': field 'id' must be a non-empty string, got ''",
        ),
        (
            lambda: Session("a", -1),
            "session 'a': field 'capacity' must be an integer >= 0, got -1",
        ),
        (
            lambda: Session("a", True),
            "session 'a': field 'capacity' must be an integer >= 0, got True",
        ),
        (
            lambda: Session("a", 1, label=3),
            "session 'a': field 'label' must be a string, got 3",
        ),
        (
            lambda: Session("a", 1, start="2026-11-04"),
            "session 'a': field 'start' must be a date-time, got '2026-11-04'",
        ),
        (
            lambda: Session("a", 1, start=DAY2, end=DAY1),
            "session 'a': field 'end' must not be before start, got "
            "datetime.datetime(2026, 11, 4, 12, 0)",
        ),
        (
            lambda: Session("a", 1, start=DAY1, end=DAY2.replace(tzinfo=UTC)),
            "session 'a': field 'end' must match start in having a time zone, got "
            "datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.timezone.utc)",
        ),
        (
            lambda: Group(" "),
            "group ' ': field 'id' must be a non-empty string, got ' '",
        ),
        (
            lambda: Quota(-1, group="g"),
            "quota 'group=g': field 'limit' must be an integer >= 0, got -1",
        ),
        (
            lambda: Quota(1, role=5),
            "quota 'role=5': field 'role' must be a string or absent, got 5",
        ),
        (
            lambda: Quota(1, group="g", per_session="yes"),
            "quota 'group=g,per-session': field 'per_session' must be a bool, got 'yes'",
        ),
        (
            lambda: Request("", "g"),
            "request '': field 'id' must be a non-empty string, got ''",
        ),
        (
            lambda: Request("r1", ""),
            "request 'r1': field 'group' must be a non-empty string, got ''",
        ),
        (
            lambda: Request("r1", "g", role=None),
            "request 'r1': field 'role' must be a string, got None",
        ),
        (
            lambda: Request("r1", "g", arrival=True),
            "request 'r1': field 'arrival' must be an integer or a date-time, got True",
        ),
        (
            lambda: Request("r1", "g", arrival="09:00"),
            "request 'r1': field 'arrival' must be an integer or a date-time, got '09:00'",
        ),
        (
            lambda: Request("r1", "g", sessions=["a", "b", "a"]),
            "request 'r1': field 'sessions' must not repeat a session (a), got 'a|b|a'",
        ),
        (
            lambda: Request("r1", "g", sessions=["a", ""]),
            "request 'r1': field 'sessions' must be a non-empty string, got ''",
        ),
        (
            lambda: Request("r1", "g", party=""),
            "request 'r1': field 'party' must be a non-empty string, got ''",
        ),
        (
            lambda: Policy(tie_break="coin"),
            "policy: field 'tie_break' must be one of 'id', 'seeded', got 'coin'",
        ),
        (
            lambda: Policy(parties="maybe"),
            "policy: field 'parties' must be one of 'together', 'independent', got 'maybe'",
        ),
        (
            lambda: Policy(seed=1.5),
            "policy: field 'seed' must be an integer, got 1.5",
        ),
        (
            lambda: Policy(prefer_colleagues="yes"),
            "policy: field 'prefer_colleagues' must be a bool, got 'yes'",
        ),
    ],
)
def test_field_errors_name_object_field_and_value(build: Any, expected: str) -> None:
    assert message(build) == expected


def test_field_error_is_a_value_error_and_keeps_its_parts() -> None:
    with pytest.raises(ValueError, match="capacity") as caught:
        Session("a", -2)
    error = caught.value
    assert isinstance(error, FieldError)
    assert (error.kind, error.key, error.field, error.value) == ("session", "a", "capacity", -2)


def test_request_attributes_never_appear_in_errors_or_repr() -> None:
    secret = {"email": "anna@example.org"}
    request = Request("r1", "g", attributes=secret)
    assert "anna" not in repr(request)
    with pytest.raises(ProblemError) as caught:
        Problem([Session("a", 1)], [Group("h")], [request])
    assert "anna" not in str(caught.value)
    assert request.attributes["email"] == "anna@example.org"


def test_problem_reports_every_cross_object_error_at_once() -> None:
    with pytest.raises(ProblemError) as caught:
        Problem(
            [Session("a", 1), Session("a", 2)],
            [Group("g"), Group("g")],
            [Request("r1", "g"), Request("r1", "h", sessions=["x"])],
            [Quota(1, "g"), Quota(2, "g"), Quota(1, "zz")],
        )
    assert str(caught.value) == (
        "7 errors:\n"
        "  session 'a': field 'id' must be unique, appears 2 times, got 'a'\n"
        "  group 'g': field 'id' must be unique, appears 2 times, got 'g'\n"
        "  request 'r1': field 'id' must be unique, appears 2 times, got 'r1'\n"
        "  quota 'group=g': field 'key' must be unique, appears 2 times, got 'group=g'\n"
        "  quota 'group=zz': field 'group' must name a known group, got 'zz'\n"
        "  request 'r1': field 'group' must name a known group, got 'h'\n"
        "  request 'r1': field 'sessions' must name a known session, got 'x'"
    )
    assert len(caught.value.errors) == 7
    assert all(isinstance(e, FieldError) for e in caught.value.errors)


def test_mixed_arrival_types() -> None:
    with pytest.raises(ProblemError) as caught:
        Problem(
            [Session("a", 1)],
            [Group("g")],
            [Request("r1", "g", arrival=1), Request("r2", "g", arrival=DAY1)],
        )
    assert str(caught.value) == (
        "1 error:\n"
        "  request 'r2': field 'arrival' must be an integer like the first request's, "
        "got datetime.datetime(2026, 11, 4, 12, 0)"
    )


def test_mixed_time_zones_in_arrivals() -> None:
    with pytest.raises(ProblemError) as caught:
        Problem(
            [Session("a", 1)],
            [Group("g")],
            [
                Request("r1", "g", arrival=DAY1),
                Request("r2", "g", arrival=DAY2.replace(tzinfo=UTC)),
            ],
        )
    assert str(caught.value) == (
        "1 error:\n"
        "  request 'r2': field 'arrival' must be a date-time without a time zone like the first "
        "request's, got datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.timezone.utc)"
    )


def test_mixed_time_zones_in_session_starts() -> None:
    with pytest.raises(ProblemError) as caught:
        Problem(
            [Session("a", 1, start=DAY1), Session("b", 1, start=DAY2.replace(tzinfo=UTC))],
            [Group("g")],
            [],
        )
    assert str(caught.value) == (
        "1 error:\n"
        "  session 'b': field 'start' must match the other sessions' time zones, "
        "got datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.timezone.utc)"
    )


def test_party_members_must_share_group_and_arrival() -> None:
    requests = [
        Request("r1", "g", arrival=1, party="p"),
        Request("r2", "h", arrival=2, party="p"),
    ]
    with pytest.raises(ProblemError) as caught:
        Problem([Session("a", 1)], [Group("g"), Group("h")], requests)
    assert str(caught.value) == (
        "2 errors:\n"
        "  request 'r2': field 'group' must equal that of 'r1', in the same party 'p', got 'h'\n"
        "  request 'r2': field 'arrival' must equal that of 'r1', in the same party 'p', got 2"
    )
    # With independent parties the party id is only a label: nothing to check.
    independent = Problem(
        [Session("a", 1)], [Group("g"), Group("h")], requests, policy=Policy(parties="independent")
    )
    assert independent.parties == {}


def test_wrong_object_type_in_a_list() -> None:
    with pytest.raises(ProblemError) as caught:
        Problem([Session("a", 1)], [Group("g")], ["r1"])  # type: ignore[list-item]
    assert str(caught.value) == "1 error:\n  request 0: field 'type' must be a Request, got 'str'"


def test_a_request_subclass_is_refused_not_cut_down() -> None:
    class Tagged(Request):
        pass

    with pytest.raises(ProblemError) as caught:
        Problem([Session("a", 1)], [Group("g")], [Tagged("r1", "g")])
    assert (
        str(caught.value) == "1 error:\n  request 0: field 'type' must be a Request, got 'Tagged'"
    )


def test_requests_read_back_equal_to_the_ones_given() -> None:
    given = [
        Request("r2", "g", "boss", 2, ("b", "a"), attributes={"name": "Ada"}),
        Request("r1", "g", "", 1, ("a",), party="p"),
        Request("r3", "h", "", 1, (), party="p2"),
    ]
    problem = Problem([Session("a", 1), Session("b", 1)], [Group("g"), Group("h")], given)
    ordered = [given[1], given[2], given[0]]
    assert list(problem.requests) == ordered
    assert [problem.requests[i] for i in range(3)] == ordered
    assert problem.requests == tuple(ordered)
    assert problem.requests[1:] == tuple(ordered[1:])
    assert isinstance(problem.requests[1:], Requests)
    assert problem.requests[2].attributes == {"name": "Ada"}
    assert problem.request_by_id["r3"] == given[2]
    assert "r4" not in problem.request_by_id
    assert list(problem.request_by_id) == ["r1", "r3", "r2"]
    copy = pickle.loads(pickle.dumps(problem))
    assert copy == problem
    assert hash(copy) == hash(problem)
    assert copy.requests[2].attributes == {"name": "Ada"}
    other = problem.replace(requests=[*ordered[:2], attrs.evolve(ordered[2], role="x")])
    assert other != problem


def test_requests_beyond_one_chunk_iterate_as_they_index() -> None:
    given = [Request(f"r{i:05d}", "g", arrival=i % 7, sessions=("a",)) for i in range(10_000)]
    problem = Problem([Session("a", 1)], [Group("g")], given)
    requests = problem.requests
    assert list(requests) == [requests[i] for i in range(len(requests))]
    assert sorted(requests, key=problem.policy.order_key) == list(requests)


@pytest.mark.parametrize("tie_break", ["id", "seeded"])
def test_arrival_order_of_the_columns_is_order_key(tie_break: str) -> None:
    rng = random.Random(3)
    given = [
        Request(f"r{rng.randrange(10**6)}-{i}", "g", arrival=rng.randrange(5)) for i in range(300)
    ]
    policy = Policy(tie_break=tie_break, seed=11)
    rows = policy.arrival_order(Requests.of(given))
    assert [given[i] for i in rows] == sorted(given, key=policy.order_key)


def test_policy_values_convert_from_text() -> None:
    policy = Policy(tie_break="seeded", parties="independent")
    assert policy.tie_break is TieBreak.SEEDED
    assert policy.parties is PartyRule.INDEPENDENT


def build(order: random.Random | None = None) -> Problem:
    sessions = [
        Session("late", 2, start=DAY2),
        Session("early", 2, start=DAY1),
        Session("undated", 1),
    ]
    groups = [Group("g2"), Group("g1")]
    requests = [
        Request("r2", "g1", arrival=1, sessions=["late"]),
        Request("r1", "g2", arrival=1),
        Request("r3", "g1", arrival=0, party="p"),
        Request("r4", "g1", arrival=0, party="p"),
    ]
    quotas = [Quota(1, role="x"), Quota(2, group="g1"), Quota(1, group="g2", per_session=True)]
    if order is not None:
        for items in (sessions, groups, requests, quotas):
            order.shuffle(items)  # type: ignore[arg-type]
    return Problem(sessions, groups, requests, quotas)


def test_canonical_order_whatever_the_input_order() -> None:
    reference = build()
    assert reference.session_ids == ("early", "late", "undated")
    assert [g.id for g in reference.groups] == ["g1", "g2"]
    assert [q.key for q in reference.quotas] == ["group=g1", "group=g2,per-session", "role=x"]
    assert [r.id for r in reference.order] == ["r3", "r4", "r1", "r2"]
    assert [[r.id for r in unit] for unit in reference.units] == [["r3", "r4"], ["r1"], ["r2"]]
    for seed in range(20):
        shuffled = build(random.Random(seed))
        assert shuffled == reference
        assert shuffled.session_ids == reference.session_ids
        assert shuffled.order == reference.order
        assert shuffled.units == reference.units


def test_seeded_tie_break_is_repeatable_and_depends_on_the_seed() -> None:
    requests = [Request(f"r{i}", "g", arrival=0) for i in range(12)]

    def order(seed: int) -> list[str]:
        problem = Problem(
            [Session("a", 1)], [Group("g")], requests, policy=Policy(tie_break="seeded", seed=seed)
        )
        return [r.id for r in problem.order]

    assert order(7) == order(7)
    assert order(7) != order(8)
    assert sorted(order(7)) == sorted(r.id for r in requests)


def test_acceptable_rank_and_unit_acceptable() -> None:
    problem = Problem(
        [Session("b", 1, start=DAY1), Session("a", 1, start=DAY2), Session("c", 1)],
        [Group("g")],
        [
            Request("r1", "g", sessions=["c", "a"], party="p"),
            Request("r2", "g", sessions=["a", "b"], party="p"),
            Request("r3", "g", party="p"),
        ],
    )
    r1, r2, r3 = (problem.request_by_id[i] for i in ("r1", "r2", "r3"))
    assert problem.acceptable(r3) == ("b", "a", "c")
    assert problem.rank(r1, "a") == 2
    assert problem.rank(r3, "a") is None
    assert problem.rank(r1, "b") is None  # not ranked: an allocation made elsewhere seats it
    assert problem.unit_acceptable((r1, r2, r3)) == ("a",)
    assert problem.unit_acceptable((r3, r1)) == ("a", "c")
    assert problem.unit_of("r2") == (r1, r2, r3)


def test_session_name_is_label_or_id() -> None:
    assert Session("a", 1, label="4-5 November").name == "4-5 November"
    assert Session("a", 1).name == "a"
    assert Group("ab", label="Stockholm").name == "Stockholm"
