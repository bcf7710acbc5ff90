"""The demand model: seeded, valid, shaped by its fields, and a TOML round trip."""

from __future__ import annotations

import statistics
from datetime import datetime
from pathlib import Path

import pytest

from seatalloc import FieldError, InputError, ProblemError, Request, allocate
from seatalloc.demand import (
    ROLES,
    DemandModel,
    demand_sampler,
    load_demand,
    sample_demand,
    sample_requests,
)
from seatalloc.scenarios import workshop

PROBLEM = workshop()


def test_same_seed_gives_the_same_requests_and_another_seed_others() -> None:
    model = DemandModel(party=0.3)
    assert sample_demand(PROBLEM, model, 7) == sample_demand(PROBLEM, model, 7)
    assert sample_requests(PROBLEM, model, 7) != sample_requests(PROBLEM, model, 8)


def test_a_sampler_built_once_draws_the_same_whatever_the_order_of_seeds() -> None:
    model = DemandModel(party=0.4, groups=9)
    draw = demand_sampler(PROBLEM, model)
    seeds = [5, 1, 5, 30, 2, 1]
    assert [draw(s) for s in seeds] == [sample_demand(PROBLEM, model, s) for s in seeds]


@pytest.mark.parametrize(
    "model", [DemandModel(party=0.5), DemandModel(opens=datetime(2020, 9, 1, 9), scale=3)]
)
def test_sampled_requests_pass_the_checks_they_skip(model: DemandModel) -> None:
    # The sampler builds requests with Request.unchecked: checked ones must be equal.
    for seed in range(10):
        for r in sample_requests(PROBLEM, model, seed):
            checked = Request(r.id, r.group, r.role, r.arrival, r.sessions, r.party)
            assert checked == r and dict(checked.attributes) == dict(r.attributes) == {}
            assert type(r.arrival) is type(checked.arrival) and type(r.sessions) is tuple


def test_samples_make_valid_problems_that_allocate() -> None:
    for seed in range(20):
        requests = sample_requests(PROBLEM, DemandModel(party=0.5), seed)
        allocation = allocate(PROBLEM.replace(requests=requests))
        assert len(allocation.assignments) == len(requests)


def test_default_demand_is_about_one_and_a_half_times_the_seats() -> None:
    totals = [len(sample_requests(PROBLEM, DemandModel(), seed)) for seed in range(300)]
    # 84 seats * 1.5 = 126 expected; the mean of 300 samples lies well within +-6.
    assert abs(statistics.fmean(totals) - 126) < 6
    assert DemandModel().scale == 1.5


def test_scale_zero_gives_no_requests() -> None:
    assert sample_requests(PROBLEM, DemandModel(scale=0), 1) == ()


def test_roles_follow_their_weights() -> None:
    only = sample_requests(PROBLEM, DemandModel(roles={"planner": 1, "transport": 0}), 3)
    assert {r.role for r in only} == {"planner"}
    mixed = [r.role for s in range(30) for r in sample_requests(PROBLEM, DemandModel(), s)]
    assert set(mixed) == set(ROLES)


def test_accepts_sets_how_many_sessions_a_request_ranks() -> None:
    everything = sample_requests(PROBLEM, DemandModel(accepts=(0, 0, 1)), 2)
    assert {len(r.sessions) for r in everything} == {3}
    single = sample_requests(PROBLEM, DemandModel(accepts=(1,)), 2)
    assert {len(r.sessions) for r in single} == {1}
    # Weight on more sessions than exist means all of them.
    beyond = sample_requests(PROBLEM, DemandModel(accepts=(0, 0, 0, 0, 1)), 2)
    assert {len(r.sessions) for r in beyond} == {3}


def test_a_session_of_zero_popularity_is_never_a_first_choice() -> None:
    model = DemandModel(popularity={"nov04": 0}, accepts=(0, 0, 1))
    requests = sample_requests(PROBLEM, model, 5)
    assert requests
    assert all(r.sessions[0] != "nov04" for r in requests)
    assert all(r.sessions[-1] == "nov04" for r in requests)


def test_full_cohesion_gives_every_board_one_first_choice() -> None:
    requests = sample_requests(PROBLEM, DemandModel(cohesion=1.0), 4)
    firsts: dict[str, set[str]] = {}
    for request in requests:
        firsts.setdefault(request.group, set()).add(request.sessions[0])
    assert all(len(sessions) == 1 for sessions in firsts.values())


def test_parties_share_group_arrival_and_sessions() -> None:
    requests = sample_requests(PROBLEM, DemandModel(follow=1.0, party=1.0), 6)
    members: dict[str, list[Request]] = {}
    for request in requests:
        members.setdefault(request.group, []).append(request)
    assert any(len(m) > 1 for m in members.values())
    for group, mine in members.items():
        expected = f"{group}-party" if len(mine) > 1 else None
        assert {r.party for r in mine} == {expected}
        assert len({(r.arrival, r.sessions) for r in mine}) == 1


def test_arrivals_burst_then_followers_close_behind() -> None:
    model = DemandModel(burst=1.0, burst_hours=2, follow=1.0, follow_minutes=0)
    requests = sample_requests(PROBLEM, model, 9)
    assert all(0 <= r.arrival <= 7200 for r in requests)  # type: ignore[operator]
    late = sample_requests(PROBLEM, DemandModel(burst=0.0, burst_hours=2), 9)
    assert min(r.arrival for r in late) >= 7200  # type: ignore[type-var]


def test_arrivals_are_date_times_from_the_opening_when_given() -> None:
    opens = datetime(2020, 10, 1, 9, 0)
    demand = sample_demand(PROBLEM, DemandModel(opens=opens, withdrawal=1.0), 3)
    assert all(isinstance(r.arrival, datetime) and r.arrival >= opens for r in demand.requests)
    assert all(isinstance(at, datetime) for _, at in demand.withdrawals)


def test_withdrawals_follow_their_rate_and_come_after_arrival() -> None:
    none = sample_demand(PROBLEM, DemandModel(withdrawal=0.0), 1)
    assert none.withdrawals == ()
    every = sample_demand(PROBLEM, DemandModel(withdrawal=1.0), 1)
    arrival = {r.id: r.arrival for r in every.requests}
    assert sorted(i for i, _ in every.withdrawals) == sorted(arrival)
    assert all(at > arrival[i] for i, at in every.withdrawals)  # type: ignore[operator]
    assert [at for _, at in every.withdrawals] == sorted(at for _, at in every.withdrawals)


def test_withdrawal_settings_never_change_the_requests() -> None:
    a = sample_demand(PROBLEM, DemandModel(withdrawal=0.0), 11)
    b = sample_demand(PROBLEM, DemandModel(withdrawal=0.9, withdraw_hours=1), 11)
    assert a.requests == b.requests


def test_groups_limits_how_many_boards_take_part() -> None:
    requests = sample_requests(PROBLEM, DemandModel(groups=5, scale=3, spread=0), 2)
    assert len({r.group for r in requests}) == 5


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"scale": -1}, "scale"),
        ({"cohesion": 1.5}, "cohesion"),
        ({"groups": 0}, "groups"),
        ({"roles": {"planner": 0}}, "roles"),
        ({"roles": {"planner": -1}}, "roles.planner"),
        ({"accepts": ()}, "accepts"),
        ({"decay_hours": float("nan")}, "decay_hours"),
        ({"opens": "monday"}, "opens"),
    ],
)
def test_bad_fields_raise_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(FieldError) as caught:
        DemandModel(**changes)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_popularity_must_name_a_session_of_the_problem() -> None:
    with pytest.raises(FieldError, match="popularity"):
        sample_requests(PROBLEM, DemandModel(popularity={"jan01": 2}), 1)


def test_toml_round_trip(tmp_path: Path) -> None:
    model = DemandModel(
        scale=2.0, groups=7, popularity={"nov04": 2}, party=0.25,
        opens=datetime(2020, 10, 1, 9, 0), accepts=(1, 1),
    )  # fmt: skip
    path = tmp_path / "demand.toml"
    path.write_text(model.to_toml(), encoding="utf-8")
    assert load_demand(path) == model
    bare = tmp_path / "bare.toml"
    bare.write_text(DemandModel().to_toml(table=None), encoding="utf-8")
    assert load_demand(bare) == DemandModel()
    assert DemandModel.from_dict(model.to_dict()) == model
    assert model.evolve(scale=3.0).scale == 3.0


def test_file_errors_name_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "demand.toml"
    path.write_text("[demand]\nscale = -2\n", encoding="utf-8")
    with pytest.raises(FieldError) as caught:
        load_demand(path)
    assert caught.value.field == "scale" and str(path) in str(caught.value)
    path.write_text("[demand]\nscael = 2\n", encoding="utf-8")
    with pytest.raises(ProblemError, match="scael"):
        load_demand(path)
    path.write_text("[demand\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"demand\.toml"):
        load_demand(path)
