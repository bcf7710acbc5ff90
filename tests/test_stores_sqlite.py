"""Both durable stores (SQLite, PostgreSQL): many processes, a negative control, SIGKILL mid-write.

The stress and crash tests run unchanged against each store (parametrised).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from _postgres import fresh_database, postgres_server  # noqa: F401 (a fixture)

from seatalloc import Group, Problem, Quota, Request, Session, Status
from seatalloc.booking import Ledger, LedgerError, LedgerState
from seatalloc.booking.store import Store
from seatalloc.fairness import violations
from seatalloc.stores import SQLiteStore, open_store
from seatalloc.stores.sqlite import SCHEMA_VERSION

SESSIONS = ("nov4", "nov25", "dec2")
GROUPS = tuple(f"board{i:02d}" for i in range(1, 22))
CHECKS = ("capacity", "quota", "party", "acceptability")
WORKERS, PER_WORKER = 8, 250


def workshop() -> Problem:
    """The workshop: 3 occasions of 28, 4 places earmarked for each of 21 boards (84 seats)."""
    return Problem(
        [Session(s, 28) for s in SESSIONS],
        [Group(g) for g in GROUPS],
        [],
        [Quota(4, g) for g in GROUPS],
    )


def request(rng: random.Random, request_id: str) -> Request:
    ranked = rng.sample(SESSIONS, k=3)[: rng.randint(1, 3)]
    return Request(request_id, rng.choice(GROUPS), arrival=0, sessions=ranked)


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a fresh ledger goes: an SQLite path, or a new database's URL."""
    if request.param == "sqlite":
        return str(tmp_path / "ledger.db")
    return fresh_database(request.getfixturevalue("postgres_server"))


def unsafe_store(target: str, locking: bool) -> Store:
    """The store at ``target``; without locking, it widens the read-to-write window."""
    if target.startswith("postgresql://"):
        from seatalloc.stores.postgres import PostgresStore

        return PostgresStore(target, locking=locking, unsafe_window=0.01)
    return SQLiteStore(target, durable=False, locking=locking, unsafe_window=0.01)


def worker(path: str, index: int, locking: bool) -> None:
    """Submit this worker's requests, withdrawing one of its own now and then."""
    rng = random.Random(index)
    store = unsafe_store(path, locking)
    ledger = Ledger(store, clock=lambda: 0)
    mine: list[str] = []
    for k in range(PER_WORKER):
        submitted = request(rng, f"w{index}-{k}")
        ledger.submit(submitted)
        mine.append(submitted.id)
        if rng.random() < 0.1:
            ledger.withdraw(rng.choice(mine))
    store.close()


def run_load(path: str, *, locking: bool) -> set[str]:
    Ledger.create(open_store(path, create=True), workshop(), clock=lambda: 0)
    context = multiprocessing.get_context("forkserver")
    processes = [
        context.Process(target=worker, args=(str(path), i, locking)) for i in range(WORKERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    return {f"w{i}-{k}" for i in range(WORKERS) for k in range(PER_WORKER)}


def over_sold(statuses: dict[str, tuple[str, str | None]], by_id: dict[str, str]) -> list[str]:
    """Sessions over 28 and boards over 4, counted from the store's status table."""
    holding = [(rid, s) for rid, (status, s) in statuses.items() if status in ("seated", "offered")]
    seats = Counter(s for _, s in holding)
    boards = Counter(by_id[rid] for rid, _ in holding)
    return [s for s, n in seats.items() if n > 28] + [g for g, n in boards.items() if n > 4]


def over_sold_ever(store: Store) -> list[int]:
    """Seqs of the events after which a session or a board quota held more than its limit.

    Withdrawals later drain an oversold session back to its capacity, so the
    final state alone can hide overselling; the log shows every moment.
    """
    state = LedgerState(store.setup())
    found = []
    for event in store.events(after=0):
        state.apply(event)
        if min(state.engine.left) < 0:
            found.append(event.seq)
    return found


def test_eight_processes_never_oversell_and_the_log_replays(target: str) -> None:
    path = target
    submitted = run_load(path, locking=True)
    store = open_store(path)
    ledger = Ledger(store, clock=lambda: 0)
    allocation = ledger.allocation()
    assert violations(allocation.problem, allocation, checks=CHECKS) == []
    assert sum(len(ids) for ids in ledger.rosters().values()) == 84, "demand far exceeds seats"
    statuses = store.statuses()
    assert set(statuses) == submitted, "every submitted id has exactly one status row"
    by_id = {e.request: e.payload.group for e in ledger.events() if e.payload is not None}
    assert over_sold(statuses, by_id) == []
    assert over_sold_ever(store) == []
    # The status table was written live by eight processes; the replay must agree with it.
    for request_id, (status, session) in statuses.items():
        decision = ledger.decision(request_id)
        assert (decision.status.value, decision.session) == (status, session)
    assert Counter(status for status, _ in statuses.values())[Status.WITHDRAWN.value] > 0
    assert ledger.verify() == []


def test_negative_control_without_locking_the_test_sees_overselling(target: str) -> None:
    run_load(target, locking=False)
    assert over_sold_ever(open_store(target)), "the unlocked load should oversell"


CHILD = """
import random, sys
from seatalloc import Group, Problem, Quota, Request, Session
from seatalloc.booking import Ledger
from seatalloc.stores import open_store
path, start = sys.argv[1], int(sys.argv[2])
ledger = Ledger(open_store(path), clock=lambda: 0)
rng = random.Random(start)
sessions = ("nov4", "nov25", "dec2")
for k in range(start, start + 100000):
    ranked = rng.sample(sessions, k=3)[: rng.randint(1, 3)]
    group = f"board{rng.randint(1, 21):02d}"
    d = ledger.submit(Request(f"c{k}", group, arrival=0, sessions=ranked))
    print(d.request, d.status.value, d.session, flush=True)
"""


def test_sigkill_loses_no_committed_decision(target: str) -> None:
    path = target
    Ledger.create(open_store(path, create=True), workshop(), clock=lambda: 0)
    rng = random.Random(7)
    committed: dict[str, tuple[str, str | None]] = {}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for round_ in range(5):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), str(round_ * 100000)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert child.stdout is not None
        first = child.stdout.readline()  # started and committing
        time.sleep(rng.uniform(0.05, 0.4))
        child.send_signal(signal.SIGKILL)
        child.wait()
        # The kill may cut the last line short: only whole lines (ending in a newline)
        # name a decision; a cut one was committed too, it is just not checked.
        complete = (first + child.stdout.read()).split("\n")[:-1]
        for line in complete:
            request_id, status, session = line.split()
            committed[request_id] = (status, None if session == "None" else session)
    assert len(committed) > 50
    store = open_store(path)
    if isinstance(store, SQLiteStore):
        assert store.integrity() == "ok"
    ledger = Ledger(store, clock=lambda: 0)
    allocation = ledger.allocation()
    assert violations(allocation.problem, allocation, checks=CHECKS) == []
    statuses = store.statuses()
    for request_id, outcome in committed.items():
        assert statuses[request_id] == outcome
        decision = ledger.decision(request_id)
        assert (decision.status.value, decision.session) == outcome


def test_schema_version_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    with pytest.raises(LedgerError, match="no such ledger file"):
        SQLiteStore(path).setup()
    assert not path.exists(), "opening a missing ledger creates nothing"
    Ledger.create(SQLiteStore(path), workshop(), clock=lambda: 0)
    with pytest.raises(LedgerError, match="already holds"):
        Ledger.create(SQLiteStore(path), workshop(), clock=lambda: 0)
    store = SQLiteStore(path)
    store._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(LedgerError, match="schema version"):
        SQLiteStore(path).setup()


def test_settings_and_offers_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "offers.db"
    scenario = Problem([Session("a", 1)], [Group("g")], [], [Quota(1, "g", release=30)])
    ledger = Ledger.create(
        SQLiteStore(path), scenario, clock=lambda: 0, mode="offer", offer_window=5
    )
    ledger.submit(Request("r1", "g", arrival=0, attributes={"name": "Ada"}), at=1)
    ledger.submit(Request("r2", "g", arrival=0), at=2)
    ledger.withdraw("r1", at=3)
    reopened = Ledger(SQLiteStore(path), clock=lambda: 0)
    assert reopened.setup == ledger.setup
    assert reopened.decision("r2").status is Status.OFFERED
    assert reopened.history("r1")[0].payload == Request(
        "r1", "g", arrival=0, attributes={"name": "Ada"}
    )
    assert [d.request for d in reopened.tick(at=9)] == []
    assert reopened.decision("r2").reason.value == "expired"
