"""Hypothesis strategies that generate valid seatalloc problems, for your own tests.

Needs the light ``testing`` extra (hypothesis only): ``pip install
'seatalloc[testing]'``; without it, importing this module raises
:class:`~seatalloc.errors.MissingExtraError` naming that install.
``import seatalloc`` never imports this module. Importing it registers
:func:`problems` for ``st.from_type(Problem)``. Pair it with
:mod:`seatalloc.fairness`, or the ``assert_fair`` fixture of seatalloc's pytest plugin::

    @given(problems(tight=True, quotas=True))
    def test_fair(problem):
        assert violations(problem, my_allocator(problem)) == []

Every knob that takes ``bool | None`` means: ``True`` always, ``False``
never, ``None`` (the default) let hypothesis choose per example.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import attrs

from seatalloc._extras import require

require("hypothesis", "testing", "seatalloc.testing (hypothesis strategies)")

from hypothesis import strategies as st  # noqa: E402

from seatalloc.model import (  # noqa: E402
    Arrival,
    Group,
    PartyRule,
    Policy,
    Problem,
    Quota,
    Request,
    Session,
    TieBreak,
)

__all__ = ["ROLES", "assignments", "policies", "problems"]

ROLES = ("planner", "strategist", "coordinator")
"""The roles requests take when ``roles`` is on."""

_EPOCH = datetime(2026, 11, 4, 12, 0)


def _flag(draw: st.DrawFn, knob: bool | None) -> bool:
    return draw(st.booleans()) if knob is None else knob


def policies(*, prefer_colleagues: bool | None = None) -> st.SearchStrategy[Policy]:
    """Any policy: tie-break by id or by a seeded lottery, parties together or not."""
    return st.builds(
        Policy,
        tie_break=st.sampled_from(TieBreak),
        seed=st.integers(0, 2**32),
        parties=st.sampled_from(PartyRule),
        prefer_colleagues=st.booleans()
        if prefer_colleagues is None
        else st.just(prefer_colleagues),
    )


@st.composite
def problems(
    draw: st.DrawFn,
    *,
    max_sessions: int = 4,
    max_groups: int = 4,
    max_requests: int = 12,
    tight: bool | None = None,
    ties: bool | None = None,
    parties: bool | None = None,
    quotas: bool | None = None,
    roles: bool | None = None,
    any_preferences: bool | None = None,
    prefer_colleagues: bool | None = None,
    arrival: Literal["int", "datetime", "either"] = "either",
) -> Problem:
    """A valid :class:`Problem`, always: no example is ever rejected by the model.

    Sizes: 1..max_sessions sessions, 1..max_groups groups, 0..max_requests requests.

    - ``tight``: total capacity at most half the requests, so many wait.
      Otherwise each session holds 0..max_requests seats.
    - ``ties``: arrivals drawn from 3 values, so ties are common and the
      policy's tie-break decides. Otherwise arrivals are all distinct.
    - ``parties``: requests join the party of an earlier request (same
      group and arrival, as the model requires).
    - ``quotas``: binding quotas (limits 0..3): per-group totals, role
      quotas, and per-session quotas by group or role.
    - ``roles``: requests take roles from :data:`ROLES`; otherwise ``""``.
    - ``any_preferences``: some requests accept any session (an empty list);
      otherwise every request ranks 1..all sessions.
    - ``prefer_colleagues``: the policy's flag; tie-break, seed and party
      rule are always drawn.
    - ``arrival``: integer sequence numbers, naive date-times, or either.

    Sessions sometimes have start times not in id order, so the canonical
    session order ("any" ranks by it) differs from id order. Request ids are
    numbered in a shuffled order, so id order differs from arrival order.
    """
    n_sessions = draw(st.integers(1, max_sessions))
    n_groups = draw(st.integers(1, max_groups))
    n_requests = draw(st.integers(0, max_requests))
    tight_, ties_ = _flag(draw, tight), _flag(draw, ties)
    parties_, quotas_ = _flag(draw, parties), _flag(draw, quotas)
    roles_, any_ = _flag(draw, roles), _flag(draw, any_preferences)

    session_ids = [f"s{i}" for i in range(1, n_sessions + 1)]
    seats = max(n_requests // 2, 0) if tight_ else max_requests
    capacities = draw(st.lists(st.integers(0, seats), min_size=n_sessions, max_size=n_sessions))
    if tight_:
        # Trim from the largest sessions until supply is at most half the demand.
        while sum(capacities) > seats:
            capacities[capacities.index(max(capacities))] -= 1
    dated = draw(st.booleans())
    days = draw(st.permutations(range(n_sessions)))
    sessions = [
        Session(
            sid,
            capacity,
            start=_EPOCH + timedelta(days=7 * day) if dated else None,
            end=_EPOCH + timedelta(days=7 * day + 1) if dated else None,
        )
        for sid, capacity, day in zip(session_ids, capacities, days, strict=True)
    ]
    groups = [Group(f"g{i}") for i in range(1, n_groups + 1)]
    group_ids = [g.id for g in groups]

    use_datetime = draw(st.booleans()) if arrival == "either" else arrival == "datetime"
    ticks = draw(
        st.lists(st.integers(0, 2), min_size=n_requests, max_size=n_requests)
        if ties_
        else st.lists(st.integers(0, 10_000), min_size=n_requests, max_size=n_requests, unique=True)
    )
    numbers = draw(st.permutations(range(1, n_requests + 1)))
    requests: list[Request] = []
    for k, (tick, number) in enumerate(zip(ticks, numbers, strict=True)):
        at: Arrival = _EPOCH + timedelta(minutes=tick) if use_datetime else tick
        group = draw(st.sampled_from(group_ids))
        party = None
        if parties_ and requests and draw(st.booleans()):
            leader = draw(st.sampled_from(requests))
            party = leader.party or f"p{leader.id}"
            if leader.party is None:
                requests[requests.index(leader)] = attrs.evolve(leader, party=party)
            group, at = leader.group, leader.arrival
        ranked = draw(st.permutations(session_ids))
        length = draw(st.integers(0 if any_ else 1, n_sessions))
        requests.append(
            Request(
                f"r{number}",
                group,
                draw(st.sampled_from(ROLES)) if roles_ else "",
                at,
                ranked[:length],
                party,
                attributes={"name": f"Person {k}"},
            )
        )
    quota_list = draw(_quotas(group_ids, roles_)) if quotas_ else []
    return Problem(
        sessions, groups, requests, quota_list, draw(policies(prefer_colleagues=prefer_colleagues))
    )


def _quotas(group_ids: list[str], roles: bool) -> st.SearchStrategy[list[Quota]]:
    """Small, binding quotas with distinct keys (the model rejects duplicates)."""
    filters: list[tuple[str | None, str | None]] = [(g, None) for g in group_ids]
    if roles:
        filters += [(None, r) for r in ROLES]
    quota = st.builds(
        lambda scope, limit, per_session: Quota(limit, scope[0], scope[1], per_session),
        st.sampled_from(filters),
        st.integers(0, 3),
        st.booleans(),
    )
    return st.lists(quota, min_size=1, max_size=4, unique_by=lambda q: q.key)


def assignments(problem: Problem) -> st.SearchStrategy[dict[str, str | None]]:
    """Any assignment of the problem's requests to its sessions or to none: fair or not.

    For testing checkers and explainers on allocations no FCFS run would make.
    """
    choices = st.sampled_from((None, *problem.session_ids))
    return st.fixed_dictionaries({r.id: choices for r in problem.requests})


st.register_type_strategy(Problem, problems())
st.register_type_strategy(Policy, policies())
