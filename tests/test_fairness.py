"""The fairness checkers on hand-made wrong allocations, and against a brute-force oracle."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seatalloc import FieldError, Group, Policy, Problem, Quota, Request, Session, allocate
from seatalloc.fairness import CHECKS, Violation, violations
from seatalloc.testing import assignments, problems


def base(**policy: object) -> Problem:
    """a holds 2, b holds 3; group g may seat 2 in total.

    FCFS: r1, r2 in a; r3, r4 in b; r5 waits (g's quota), r6 waits (a full).
    """
    return Problem(
        [Session("a", 2), Session("b", 3)],
        [Group("g"), Group("h")],
        [
            Request("r1", "g", arrival=1, sessions=["a", "b"]),
            Request("r2", "h", arrival=2, sessions=["a"]),
            Request("r3", "g", arrival=3, sessions=["a", "b"]),
            Request("r4", "h", arrival=4, sessions=["a", "b"]),
            Request("r5", "g", arrival=5, sessions=["b"]),
            Request("r6", "h", arrival=6, sessions=["a"]),
        ],
        [Quota(2, group="g")],
        Policy(**policy),  # type: ignore[arg-type]
    )


FCFS = {"r1": "a", "r2": "a", "r3": "b", "r4": "b", "r5": None, "r6": None}


def planted(**changes: str | None) -> dict[str, str | None]:
    return {**FCFS, **changes}


def test_fcfs_allocation_is_clean() -> None:
    problem = base()
    allocation = allocate(problem)
    assert dict(allocation.assignments) == FCFS
    assert violations(problem, allocation) == []
    assert violations(problem, FCFS) == []


def test_overfilled_session_is_a_capacity_violation_only() -> None:
    assert violations(base(), planted(r6="a")) == [
        Violation(
            "capacity",
            "session 'a' seats 3, over its capacity of 2: r1, r2, r6",
            ("r1", "r2", "r6"),
            "a",
        )
    ]


def test_exceeded_quota_is_a_quota_violation_only() -> None:
    assert violations(base(), planted(r5="b")) == [
        Violation(
            "quota",
            "quota group=g (limit 2) in total is exceeded by 3 seated: r1, r3, r5",
            ("r1", "r3", "r5"),
            None,
        )
    ]


def test_per_session_quota_violation_names_the_session() -> None:
    problem = base().replace(quotas=[Quota(1, group="g", per_session=True)])
    found = violations(problem, {"r1": "b", "r3": "b"}, checks=["quota"])
    assert found == [
        Violation(
            "quota",
            "quota group=g,per-session (limit 1) in session 'b' is exceeded by 2 seated: r1, r3",
            ("r1", "r3"),
            "b",
        )
    ]


def test_seat_outside_the_preferences_is_an_acceptability_violation_only() -> None:
    assert violations(base(), planted(r6="b")) == [
        Violation(
            "acceptability",
            "request 'r6' is seated in 'b', which it did not accept",
            ("r6",),
            "b",
        )
    ]


def test_seat_in_an_unknown_session_is_an_acceptability_violation() -> None:
    assert violations(base(), planted(r6="zz")) == [
        Violation(
            "acceptability",
            "request 'r6' is seated in 'zz', not a session at all",
            ("r6",),
            "zz",
        )
    ]


def test_unseated_request_with_room_is_waste_only() -> None:
    assert violations(base(), planted(r4=None)) == [
        Violation(
            "waste",
            "request 'r4' is unseated although session 'b' has room for it",
            ("r4",),
            "b",
        )
    ]


def test_later_request_in_an_earlier_ones_seat_is_a_priority_violation_only() -> None:
    found = violations(base(), planted(r2=None, r6="a"))
    assert found[0] == Violation(
        "priority",
        "request 'r2' sits in no session although it came before request 'r6', "
        "and would fit in session 'a' in its place",
        ("r2", "r6"),
        "a",
    )
    # r6's seat in a is also envied by r3 and r4, seated in b, their second choice.
    assert [(v.kind, v.requests) for v in found[1:]] == [
        ("priority", ("r3", "r6")),
        ("priority", ("r4", "r6")),
    ]


def test_seated_in_a_lower_choice_while_later_ones_hold_the_better() -> None:
    wrong = planted(r1="b", r4="a")
    found = violations(base(), wrong)
    assert [(v.kind, v.requests, v.session) for v in found] == [
        ("priority", ("r1", "r2"), "a"),
        ("priority", ("r1", "r4"), "a"),
        ("priority", ("r3", "r4"), "a"),
    ]
    assert found[1].message == (
        "request 'r1' sits in session 'b' although it came before request 'r4', "
        "and would fit in session 'a' in its place"
    )
    # With prefer_colleagues, FCFS promises only that nobody unseated is envious.
    assert violations(base(prefer_colleagues=True), wrong) == []


def test_priority_respects_quotas() -> None:
    # r5 came before r6, but g's quota (r1, r3) keeps r5 out of b even if r6 leaves it.
    problem = base()
    assert violations(problem, planted(r6="b"), checks=["priority"]) == []


def party_problem() -> Problem:
    return Problem(
        [Session("a", 3), Session("b", 3)],
        [Group("h")],
        [
            Request("p1", "h", arrival=1, sessions=["a", "b"], party="p"),
            Request("p2", "h", arrival=1, party="p"),
            Request("r3", "h", arrival=2, sessions=["a"]),
        ],
    )


def test_split_party_is_a_party_violation_only() -> None:
    problem = party_problem()
    assert violations(problem, allocate(problem)) == []
    assert violations(problem, {"p1": "a", "p2": "b", "r3": "a"}) == [
        Violation("party", "party 'p' is split: p1 in a, p2 in b", ("p1", "p2"), None)
    ]
    assert violations(problem, {"p1": "a", "p2": None, "r3": "a"}, checks="party") == [
        Violation("party", "party 'p' is split: p1 in a, p2 in no session", ("p1", "p2"), None)
    ]


def test_unseated_party_with_room_is_waste_and_envy_of_the_later_request() -> None:
    problem = party_problem()
    found = violations(problem, {"r3": "a"})
    assert found == [
        Violation(
            "waste",
            "party 'p' (p1, p2) is unseated although session 'a' has room for it",
            ("p1", "p2"),
            "a",
        ),
        Violation(
            "waste",
            "party 'p' (p1, p2) is unseated although session 'b' has room for it",
            ("p1", "p2"),
            "b",
        ),
        Violation(
            "priority",
            "party 'p' (p1, p2) sits in no session although it came before request 'r3', "
            "and would fit in session 'a' in its place",
            ("p1", "p2", "r3"),
            "a",
        ),
    ]


def test_independent_parties_are_not_checked_as_parties() -> None:
    problem = party_problem().replace(policy=Policy(parties="independent"))
    assert violations(problem, {"p1": "a", "p2": "b", "r3": "a"}, checks="party") == []
    # Each member is its own unit: p2 (any session, so a first) envies r3 alone.
    found = violations(problem, {"p1": "a", "p2": "b", "r3": "a"})
    assert [(v.kind, v.requests) for v in found] == [("priority", ("p2", "r3"))]


def test_checks_select_kinds_and_reject_unknown_ones() -> None:
    wrong = planted(r6="a", r4=None)
    assert {v.kind for v in violations(base(), wrong)} == {"capacity", "waste"}
    assert [v.kind for v in violations(base(), wrong, checks=("waste",))] == ["waste"]
    with pytest.raises(ValueError, match="unknown fairness check 'fairness'"):
        violations(base(), wrong, checks=["fairness"])


def test_unknown_request_in_the_allocation_is_an_error_naming_it() -> None:
    with pytest.raises(FieldError) as caught:
        violations(base(), {"r1": "a", "nobody": "a"})
    assert str(caught.value) == (
        "allocation: field 'assignments' must name only known requests, got 'nobody'"
    )


def test_messages_never_carry_personal_attributes() -> None:
    problem = base()
    secret = problem.replace(
        requests=[
            Request(r.id, r.group, r.role, r.arrival, r.sessions, attributes={"email": "x@y.se"})
            for r in problem.requests
        ]
    )
    found = violations(secret, planted(r6="a", r2=None, r4=None, r5="b"))
    assert found
    assert not any("x@y.se" in v.message for v in found)


# A brute-force oracle: the definitions read literally, every pair of units tried.


def _counts(problem: Problem, seat: Mapping[str, str | None]) -> Counter[tuple[object, ...]]:
    counts: Counter[tuple[object, ...]] = Counter()
    for request in problem.requests:
        session = seat.get(request.id)
        if session not in problem.session_ids:
            continue
        counts["seats", session] += 1
        for quota in problem.quotas:
            if quota.applies_to(request):
                counts[quota.key, session if quota.per_session else None] += 1
    return counts


def _limits(problem: Problem) -> dict[tuple[object, ...], int]:
    limits: dict[tuple[object, ...], int] = {("seats", s.id): s.capacity for s in problem.sessions}
    for quota in problem.quotas:
        for scope in problem.session_ids if quota.per_session else (None,):
            limits[quota.key, scope] = quota.limit
    return limits


def _adds(problem: Problem, before: Mapping[str, str | None], unit: list[Request], s: str) -> bool:
    """Whether adding ``unit`` to ``s`` leaves every counter it grows within its limit."""
    after = {**before, **{r.id: s for r in unit}}
    old, new, limits = _counts(problem, before), _counts(problem, after), _limits(problem)
    return all(new[k] <= limits[k] for k in new if new[k] > old[k])


def oracle(problem: Problem, seat: Mapping[str, str | None]) -> set[tuple[object, ...]]:
    found: set[tuple[object, ...]] = set()
    units = [list(u) for u in problem.units]

    def where(unit: list[Request]) -> str | bool | None:
        places = {seat.get(r.id) for r in unit}
        return places.pop() if len(places) == 1 else False

    for i, unit in enumerate(units):
        own = where(unit)
        ids = tuple(r.id for r in unit)
        ranked = problem.unit_acceptable(unit)
        if own is None:
            for s in ranked:
                if _adds(problem, seat, unit, s):
                    found.add(("waste", ids, s))
        if own is False or (own is not None and problem.policy.prefer_colleagues):
            continue
        for later in units[i + 1 :]:
            s = where(later)
            if not isinstance(s, str) or s not in ranked or s not in problem.session_ids:
                continue
            if isinstance(own, str) and own in ranked and ranked.index(own) <= ranked.index(s):
                continue
            removed = {**seat, **{r.id: None for r in later + unit}}
            if _adds(problem, removed, unit, s):
                found.add(("priority", ids + tuple(r.id for r in later), s))
    return found


@given(st.data())
def test_waste_and_priority_agree_with_a_brute_force_oracle(data: st.DataObject) -> None:
    problem = data.draw(problems(max_requests=8))
    seat = data.draw(assignments(problem))
    found = violations(problem, seat, checks=["waste", "priority"])
    assert len(found) == len(set(found))
    assert {(v.kind, v.requests, v.session) for v in found} == oracle(problem, seat)


@given(st.data())
def test_counting_checks_agree_with_a_direct_count(data: st.DataObject) -> None:
    problem = data.draw(problems(max_requests=10))
    seat = data.draw(assignments(problem))
    found = violations(problem, seat, checks=["capacity", "quota"])
    counts, limits = _counts(problem, seat), _limits(problem)
    over = {key for key, limit in limits.items() if counts[key] > limit}
    assert len(found) == len(over)
    for v in found:
        assert set(v.requests) <= {
            r for r, s in seat.items() if s == v.session or v.session is None
        }


def test_checks_are_listed_in_report_order() -> None:
    assert CHECKS == ("capacity", "quota", "party", "acceptability", "waste", "priority")
