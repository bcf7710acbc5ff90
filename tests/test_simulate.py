"""The runner: same seed, same records whatever runs them; same demand for every policy."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import sys
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

import pytest

from seatalloc import FieldError, MissingExtraError, Quota
from seatalloc.demand import DemandModel
from seatalloc.scenarios import workshop
from seatalloc.simulate import replication_seed, simulate, sweep, sweep_values

PROBLEM = workshop()
RUNS = 12


@pytest.fixture(scope="module")
def reference() -> list[dict[str, Any]]:
    """In-process records: what every other way of running must reproduce."""
    return simulate(PROBLEM, runs=RUNS, seed=42, policies=("fcfs", "colleagues")).records


def test_chunking_does_not_change_records(reference: list[dict[str, Any]]) -> None:
    chunked = simulate(PROBLEM, runs=RUNS, seed=42, policies=("fcfs", "colleagues"), chunk=5)
    assert chunked.records == reference


def test_process_pool_gives_identical_records_and_is_not_shut_down(
    reference: list[dict[str, Any]],
) -> None:
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("forkserver")) as pool:
        pooled = simulate(
            PROBLEM, runs=RUNS, seed=42, policies=("fcfs", "colleagues"), executor=pool, chunk=4
        )
        assert pool.submit(sum, (1, 2)).result() == 3  # still usable: the library left it open
    assert pooled.records == reference


def test_workers_start_an_own_pool_with_identical_records(
    reference: list[dict[str, Any]],
) -> None:
    owned = simulate(PROBLEM, runs=RUNS, seed=42, policies=("fcfs", "colleagues"), workers=2)
    assert owned.records == reference


def test_a_threaded_caller_gets_a_pool_it_can_start_safely(
    reference: list[dict[str, Any]],
) -> None:
    # Python 3.12+ warns when a threaded process forks (the child may deadlock).
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            owned = simulate(
                PROBLEM, runs=RUNS, seed=42, policies=("fcfs", "colleagues"), workers=2
            )
    finally:
        stop.set()
        other.join()
    assert [str(w.message) for w in caught if "fork" in str(w.message)] == []
    assert owned.records == reference


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[Executor]:
    distributed = pytest.importorskip("distributed", reason="needs the 'dask' extra")
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    )
    client = distributed.Client(cluster)
    try:
        yield client.get_executor()
    finally:
        client.close()
        cluster.close()


def test_local_dask_cluster_gives_identical_records(
    reference: list[dict[str, Any]], dask_executor: Executor
) -> None:
    on_dask = simulate(
        PROBLEM, runs=RUNS, seed=42, policies=("fcfs", "colleagues"), executor=dask_executor,
        chunk=3,
    )  # fmt: skip
    assert on_dask.records == reference


def test_every_policy_sees_the_same_demand(reference: list[dict[str, Any]]) -> None:
    by_replication: dict[int, set[tuple[int, int]]] = {}
    for record in reference:
        by_replication.setdefault(record["replication"], set()).add(
            (record["seed"], record["requests"])
        )
    assert len(by_replication) == RUNS
    assert all(len(v) == 1 for v in by_replication.values())
    assert [r["policy"] for r in reference[:4]] == ["fcfs", "colleagues", "fcfs", "colleagues"]


def test_replication_seeds_depend_on_base_seed_and_index() -> None:
    assert replication_seed(1, 2) == replication_seed(1, 2)
    assert len({replication_seed(s, i) for s in range(5) for i in range(5)}) == 25
    first = simulate(PROBLEM, runs=3, seed=1, policies=("fcfs",)).records
    longer = simulate(PROBLEM, runs=5, seed=1, policies=("fcfs",)).records
    assert longer[:3] == first


def test_prefer_colleagues_splits_fewer_boards_than_plain_fcfs(
    reference: list[dict[str, Any]],
) -> None:
    split = {
        p: sum(r["groups_split"] for r in reference if r["policy"] == p)
        for p in ("fcfs", "colleagues")
    }
    assert split["colleagues"] < split["fcfs"]


def test_progress_reports_every_chunk_up_to_the_total() -> None:
    seen: list[tuple[int, int]] = []
    simulate(
        PROBLEM, runs=7, policies=("fcfs",), chunk=3, progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(3, 7), (6, 7), (7, 7)]


def test_sweep_gives_a_summary_per_point_on_common_seeds() -> None:
    result = sweep(
        PROBLEM, DemandModel(), "scale", sweep_values(0.5, 3.0, 3), runs=4, policies=("fcfs",)
    )
    assert sorted({r["scale"] for r in result.records}) == [0.5, 1.75, 3.0]
    seeds = {s: [r["seed"] for r in result.records if r["scale"] == s] for s in (0.5, 3.0)}
    assert seeds[0.5] == seeds[3.0]
    waitlisted = {r["scale"]: r["mean"] for r in result.summary() if r["metric"] == "waitlisted"}
    assert waitlisted[0.5] < waitlisted[1.75] < waitlisted[3.0]


def test_booking_without_withdrawals_or_releases_equals_batch_fcfs() -> None:
    model = DemandModel(withdrawal=0.0, party=0.3)
    result = simulate(PROBLEM, model, runs=4, policies=("fcfs", "booking"))
    fcfs = [r for r in result.records if r["policy"] == "fcfs"]
    booking = [r for r in result.records if r["policy"] == "booking"]
    strip = lambda r: {k: v for k, v in r.items() if k != "policy"}  # noqa: E731
    assert [strip(r) for r in booking] == [strip(r) for r in fcfs]


def test_booking_applies_withdrawals_and_an_early_release_fills_more_seats() -> None:
    model = DemandModel(withdrawal=0.2)
    kept = simulate(PROBLEM, model, runs=6, policies=("booking",))
    released = simulate(PROBLEM, model, runs=6, policies=("booking",), release=0)
    assert all(r["withdrawn"] > 0 for r in kept.records)
    for before, after in zip(kept.records, released.records, strict=True):
        assert after["seats_filled"] >= before["seats_filled"]
    assert sum(r["seats_filled"] for r in released.records) > sum(
        r["seats_filled"] for r in kept.records
    )


def test_booking_keeps_a_scenario_release_time() -> None:
    quotas = [Quota(q.limit, group=q.group, release=0) for q in PROBLEM.quotas]
    problem = PROBLEM.replace(quotas=quotas)
    own = simulate(problem, runs=3, policies=("booking",)).records
    given = simulate(PROBLEM, runs=3, policies=("booking",), release=0).records
    assert own == given


@pytest.mark.solver
def test_optimal_keeps_the_fcfs_seat_count_and_splits_no_more() -> None:
    pytest.importorskip("ortools", reason="needs the 'solver' extra")
    result = simulate(PROBLEM, runs=2, policies=("fcfs", "optimal"), time_limit=20)
    pairs = list(zip(result.records[::2], result.records[1::2], strict=True))
    for fcfs, optimal in pairs:
        assert optimal["seats_filled"] >= fcfs["seats_filled"]
        assert optimal["groups_split"] <= fcfs["groups_split"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"runs": 0}, "runs"),
        ({"runs": 2, "policies": ("lottery",)}, "policies"),
        ({"runs": 2, "policies": ()}, "policies"),
    ],
)
def test_bad_settings_fail_before_any_work(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(FieldError) as caught:
        simulate(PROBLEM, **kwargs)
    assert caught.value.field == field


def test_sweep_of_an_unknown_parameter_fails() -> None:
    with pytest.raises(FieldError, match="param"):
        sweep(PROBLEM, None, "colour", [1, 2], runs=1)


def test_records_as_csv_and_json() -> None:
    result = simulate(PROBLEM, runs=3, policies=("fcfs",))
    rows = list(csv.DictReader(io.StringIO(result.to_csv())))
    assert len(rows) == 3 and rows[0]["seats_filled"] == str(result.records[0]["seats_filled"])
    data = json.loads(result.to_json())
    assert data["records"] == result.records
    assert {r["metric"] for r in data["summary"]} >= {"seats_filled", "first_choice_rate"}
    assert data["demand"] == DemandModel().to_dict()


def test_optimal_policy_without_ortools_fails_before_any_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "ortools", None)  # as if the extra were not installed
    calls: list[object] = []
    with pytest.raises(MissingExtraError, match=r"pip install 'seatalloc\[solver\]'"):
        simulate(PROBLEM, runs=2, policies=("fcfs", "optimal"), progress=calls.append)
    assert calls == []
