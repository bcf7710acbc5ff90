"""Every named block and holder is true at the request's turn: checked by an own replay.

The replay here shares no code with the engine or the explainer: it walks the
units in arrival order, seats each as the allocation says, and keeps per
counter the list of who spent it. At a unit's turn (before it is seated) the
list is who held the counter's room then.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from seatalloc import Allocation, Problem, Reason, Request, Status, allocate
from seatalloc.testing import assignments, problems

Key = tuple[object, str | None]

# Quotas of every kind (per group, per role, in total and per session), parties, ties.
EVERY_KIND = problems(quotas=True, roles=True, parties=True, tight=True)
ANY_KIND = problems(quotas=True, roles=True, parties=True)


def keys(problem: Problem, request: Request, session: str) -> list[Key]:
    """The counters a seat of ``request`` in ``session`` spends: seats, then quotas."""
    found: list[Key] = [("seats", session)]
    for quota in problem.quotas:
        if quota.group in (None, request.group) and quota.role in (None, request.role):
            found.append((quota.key, session if quota.per_session else None))
    return found


def cap(problem: Problem, key: Key) -> int:
    kind, session = key
    if kind == "seats":
        return problem.session_by_id[str(session)].capacity
    return next(q.limit for q in problem.quotas if q.key == kind)


def block_key(block: object) -> Key:
    limit = block.limit  # type: ignore[attr-defined]
    if limit.quota is None:
        return ("seats", block.session)  # type: ignore[attr-defined]
    return (limit.quota.key, limit.session)


def expected_blocks(
    problem: Problem,
    held: dict[Key, list[str]],
    members: Sequence[Request],
    sessions: Sequence[str],
) -> list[tuple[str, Key, int, int, list[str]]]:
    """(session, counter, needed, left, holders) for every counter lacking room."""
    found = []
    for session in sessions:
        need: dict[Key, int] = {}
        for member in members:
            for key in keys(problem, member, session):
                need[key] = need.get(key, 0) + 1
        for key, n in need.items():
            holders = held.get(key, [])
            left = cap(problem, key) - len(holders)
            if left < n:
                found.append((session, key, n, left, list(holders)))
    return found


def shown(holders: list[str]) -> str:
    """How a sentence lists holders: all of up to six, else five and a count."""
    if len(holders) > 6:
        return ", ".join(holders[:5]) + f" and {len(holders) - 5} others"
    return holders[0] if len(holders) == 1 else ", ".join(holders[:-1]) + " and " + holders[-1]


def units(problem: Problem) -> list[tuple[Request, ...]]:
    """Units in arrival order: a party (kept together) at its first member."""
    together = problem.policy.parties.value == "together"
    parties: dict[str, list[Request]] = {}
    for request in problem.order:
        if together and request.party is not None:
            parties.setdefault(request.party, []).append(request)
    done: set[str] = set()
    found = []
    for request in problem.order:
        if together and request.party is not None:
            if request.party not in done:
                done.add(request.party)
                found.append(tuple(parties[request.party]))
        else:
            found.append((request,))
    return found


def acceptable(problem: Problem, unit: Sequence[Request]) -> list[str]:
    every = [s.id for s in problem.sessions]
    ranked = list(unit[0].sessions) or every
    return [s for s in ranked if all(not m.sessions or s in m.sessions for m in unit)]


def check(allocation: Allocation) -> None:
    problem = allocation.problem
    seat = dict(allocation.assignments)
    held: dict[Key, list[str]] = {}
    seated_groups: dict[tuple[str, str], int] = {}
    data = json.loads(allocation.to_json())["decisions"]
    for turn, unit in enumerate(units(problem)):
        ranked = acceptable(problem, unit)
        for request in unit:
            decision = allocation.decisions[request.id]
            session = seat[request.id]
            sentence = allocation.explain(request.id)
            if session is None:
                assert decision.status is Status.WAITLISTED
                if not problem.sessions:
                    assert decision.reason is Reason.NO_SESSION
                    assert sentence.endswith(": there is no session to seat it in")
                    continue
                if not ranked:
                    assert len(unit) > 1 and decision.reason is Reason.NO_COMMON_SESSION
                    continue
                assert decision.reason is Reason.NO_ROOM
                wanted = expected_blocks(problem, held, unit, ranked)
            elif session in ranked:
                better = ranked[: ranked.index(session)]
                together = [m for m in unit if seat[m.id] == session]
                wanted = expected_blocks(problem, held, together, better)
                if decision.reason is Reason.WITH_COLLEAGUES:
                    assert seated_groups.get((request.group, session), turn) < turn
                    assert "with colleagues who registered earlier" in sentence
            else:
                assert decision.reason is Reason.NOT_REQUESTED
                continue
            got = [
                (b.session, block_key(b), b.needed, b.left, list(b.holders))
                for b in decision.blocks
            ]
            assert sorted(got, key=repr) == sorted(wanted, key=repr)
            if wanted:
                assert ": at its turn, " in sentence
            for (where, key, needed, left, holders), block in zip(
                got, data[request.id]["blocks"], strict=True
            ):
                limit = cap(problem, key)
                assert (block["session"], block["cap"], block["needed"], block["left"]) == (
                    where,
                    limit,
                    needed,
                    left,
                )
                name = problem.session_by_id[where].name
                if key[0] == "seats":
                    assert block["limit"] == "capacity"
                    if limit == 0:
                        assert f"{name} has no seats" in sentence
                    elif left > 0:
                        assert f"{name} had only {left} of {limit} seats left, {needed}" in sentence
                    else:
                        assert f"{name} was full ({limit - left} of {limit} seats" in sentence
                    continue
                assert block["limit"] == key[0]
                assert block["holders"] == (holders if len(holders) <= 6 else holders[:5])
                if limit == 0:
                    assert "quota" in sentence and "allows no places" in sentence
                elif left > 0:
                    assert f"only {left} of " in sentence and f"left, {needed} needed" in sentence
                    if holders:
                        assert f"held by {shown(holders)})" in sentence
                else:
                    assert f"held by {shown(holders)}" in sentence
            # A session the unit could have taken at its turn is named as such.
            free = [s for s in ranked if all(b[0] != s for b in wanted)]
            if session is None and free:
                assert "had room at its turn" in sentence
        for request in unit:
            if (session := seat[request.id]) is not None and session in problem.session_by_id:
                for key in keys(problem, request, session):
                    held.setdefault(key, []).append(request.id)
                seated_groups.setdefault((request.group, session), turn)


@given(EVERY_KIND)
def test_fcfs_blocks_and_holders_are_true_at_each_turn(problem: Problem) -> None:
    allocation = allocate(problem)
    check(allocation)
    # FCFS waitlists a unit only when every candidate lacked room at its turn.
    for request_id in allocation.waitlist:
        decision = allocation.decisions[request_id]
        if decision.reason is Reason.NO_ROOM:
            assert "had room" not in allocation.explain(request_id)


@given(problems(quotas=True, roles=True, parties=True, prefer_colleagues=True))
def test_with_colleagues_is_true_at_each_turn(problem: Problem) -> None:
    check(allocate(problem))


@given(st.data())
def test_any_allocation_is_explained_by_its_own_replay(data: st.DataObject) -> None:
    problem = data.draw(ANY_KIND)
    seats = data.draw(assignments(problem))
    waitlist = [r.id for r in problem.order if seats[r.id] is None]
    check(Allocation(problem, seats, waitlist, method="file"))
