"""Booking ledger costs: a fresh process's first submit by log length, withdraw and submit by
waitlist length, and submits per second from 1, 4 and 8 processes (SQLite FULL and NORMAL,
PostgreSQL when ``SEATALLOC_BENCH_POSTGRES_URL`` names a server database to create ledgers in).

Run: ``python benchmarks/bench_booking.py`` (add ``--quick`` for smaller sizes,
``--first-submit`` or ``--waitlisted`` for that part alone).
Every figure is measured in this run; timings are medians of a few repeats
(the machine may be shared); ratios compare sizes measured in the same run.
The first-submit runs are interleaved across sizes (each round runs every
size once, each on a fresh copy of its file), beside a baseline process that
only imports seatalloc.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from seatalloc import Group, Problem, Quota, Request, Session
from seatalloc.booking import Ledger
from seatalloc.booking.store import Store
from seatalloc.stores import MemoryStore, SQLiteStore, open_store

SESSIONS = ("nov04", "nov25", "dec02")
GROUPS = tuple(f"board{i:02d}" for i in range(1, 22))
REPEATS = 3
FIRST_SUBMIT_ROUNDS = 5


def scenario() -> Problem:
    return Problem(
        [Session(s, 28) for s in SESSIONS],
        [Group(g) for g in GROUPS],
        [],
        [Quota(4, g) for g in GROUPS],
    )


def requests(n: int, prefix: str, seed: int) -> list[Request]:
    rng = random.Random(seed)
    return [
        Request(
            f"{prefix}{k}",
            rng.choice(GROUPS),
            arrival=k,
            sessions=rng.sample(SESSIONS, k=3)[: rng.randint(1, 3)],
        )
        for k in range(n)
    ]


IMPORT_ONLY = """
import time
start = time.perf_counter()
import seatalloc, seatalloc.booking, seatalloc.stores
print(time.perf_counter() - start)
"""

FIRST_SUBMIT = """
import sys, time
start = time.perf_counter()
from seatalloc import Request
from seatalloc.booking import Ledger
from seatalloc.stores import SQLiteStore
ledger = Ledger(SQLiteStore(sys.argv[1]), clock=lambda: 0)
ledger.submit(Request("fresh", "board01", arrival=0, sessions=["nov04"]))
print(time.perf_counter() - start)
"""


def ledger_file(path: str, events: int) -> None:
    """An SQLite ledger of about ``events`` events (built in memory, written in one go)."""
    ledger = Ledger.create(MemoryStore(), scenario(), clock=lambda: 0)
    for request in requests(events // 2, "r", seed=3):
        ledger.submit(request)
    store = SQLiteStore(path, create=True, durable=False)
    store.initialise(ledger.setup)
    log = ledger.events()
    with store.operation():
        store.append(log, ledger.store.entries)  # type: ignore[attr-defined]
    store.close()


def first_submits(sizes: tuple[int, ...], tmp: str) -> dict[str, list[float]]:
    """Seconds from a fresh process's start (imports included) to its first submit's return.

    Keyed by size, and ``"import"`` for the baseline process that only imports.
    Each round runs the baseline and every size once, in turn, each size on a
    fresh copy of its ledger (so each submit is a new request's first).
    """
    originals = {}
    for n in sizes:
        originals[n] = str(Path(tmp) / f"log{n}.db")
        ledger_file(originals[n], n)
    runs: dict[str, list[float]] = {"import": [], **{str(n): [] for n in sizes}}
    copy = str(Path(tmp) / "copy.db")
    for _ in range(FIRST_SUBMIT_ROUNDS):
        runs["import"].append(_seconds(IMPORT_ONLY))
        for n in sizes:
            shutil.copyfile(originals[n], copy)
            runs[str(n)].append(_seconds(FIRST_SUBMIT, copy))
    return runs


def _seconds(script: str, *args: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], check=True, capture_output=True, text=True
    )
    return float(done.stdout)


def restore_seconds(path: str) -> tuple[float, int]:
    """In this process: median seconds a new ledger takes to read and restore its state,
    and the number of requests in it."""
    times = []
    for _ in range(REPEATS):
        store = SQLiteStore(path)
        ledger = Ledger(store, clock=lambda: 0)
        start = time.perf_counter()
        ledger.refresh()
        times.append(time.perf_counter() - start)
        requests = len(store.statuses())
        store.close()
    return statistics.median(times), requests


def waitlisted_ops(sizes: tuple[int, ...]) -> dict[int, tuple[float, float, float, float]]:
    """Per waitlist length, median seconds to withdraw a waitlisted person, withdraw a seated
    one (a seat freed: a promotion), submit one (waitlisted), and the first seated withdrawal
    of a new ledger on the same store (its state read from the store beforehand, untimed).

    The ledgers are built first; then each round times every operation on every size in
    turn, so a burst of load on the shared machine falls on all sizes alike.
    """
    ledgers = {}
    for waiting in sizes:
        ledger = Ledger.create(MemoryStore(), scenario(), clock=lambda: 0)
        for request in requests(84 * 3 + waiting, "w", seed=5):
            ledger.submit(request)
        seated = [r for ids in ledger.rosters().values() for r in ids]
        queue = list(ledger.waitlist())
        assert len(queue) >= waiting
        ledgers[waiting] = (ledger, seated, queue)
    times: dict[tuple[int, str], list[float]] = {}
    for k in range(REPEATS * 3):
        for waiting, (ledger, seated, queue) in ledgers.items():
            for key in ("wait", "seat", "submit"):
                start = time.perf_counter()
                if key == "wait":
                    ledger.withdraw(queue[len(queue) // 2 + k])
                elif key == "seat":
                    promoted = ledger.withdraw(seated[k])
                else:
                    ledger.submit(requests(1, f"x{k}-", seed=k)[0])
                times.setdefault((waiting, key), []).append(time.perf_counter() - start)
                # The seat freed went to someone waiting: a real promotion was timed.
                assert key != "seat" or len(promoted) == 1
    for k in range(REPEATS):
        for waiting, (ledger, seated, _) in ledgers.items():
            fresh = Ledger(ledger.store, clock=lambda: 0)
            fresh.refresh()
            start = time.perf_counter()
            promoted = fresh.withdraw(seated[REPEATS * 3 + k])
            times.setdefault((waiting, "new"), []).append(time.perf_counter() - start)
            assert len(promoted) == 1
    return {
        w: tuple(statistics.median(times[w, k]) for k in ("wait", "seat", "submit", "new"))  # type: ignore[misc]
        for w in sizes
    }


def submit_all(target: str, prefix: str, n: int, durable: bool) -> None:
    store: Store = (
        open_store(target) if target.startswith("postgresql://")
        else SQLiteStore(target, durable=durable)
    )  # fmt: skip
    ledger = Ledger(store, clock=lambda: 0)
    for request in requests(n, prefix, seed=hash(prefix) & 0xFFFF):
        ledger.submit(request)


def rate(target: str, n: int, processes: int, durable: bool) -> float:
    """Submits per second into one fresh ledger at ``target`` from ``processes`` processes."""
    Ledger.create(open_store(target, create=True), scenario(), clock=lambda: 0)
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=submit_all, args=(target, f"p{i}-", n // processes, durable))
        for i in range(processes)
    ]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    assert all(w.exitcode == 0 for w in workers)
    return (n // processes) * processes / elapsed


def postgres_target(server: str, k: int) -> str:
    import psycopg

    name = f"seatalloc_bench_{os.getpid()}_{k}"
    with psycopg.connect(server, autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name}")
        db.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    quick = "--quick" in sys.argv
    waitlisted_only = "--waitlisted" in sys.argv
    print(f"3 sessions x 28 seats, 21 group quotas of 4; medians of {REPEATS} runs")
    if not waitlisted_only:
        print(
            f"\nfresh process, first submit (imports, opening and the submit), "
            f"{FIRST_SUBMIT_ROUNDS} interleaved rounds:"
        )
        sizes = (1000, 10000, 30000) if quick else (1000, 10000, 100000)
        with tempfile.TemporaryDirectory() as tmp:
            runs = first_submits(sizes, tmp)
            first = {key: statistics.median(values) for key, values in runs.items()}
            print(f"  baseline, imports only: {first['import'] * 1000:9.1f} ms")
            for n in sizes:
                restore, entries = restore_seconds(str(Path(tmp) / f"log{n}.db"))
                print(
                    f"  {n:7,} events: {first[str(n)] * 1000:9.1f} ms  (of which reading and "
                    f"restoring {entries:,} entries, measured in this process: "
                    f"{restore * 1000:.0f} ms)"
                )
        big, small = first[str(sizes[-1])], first[str(sizes[0])]
        print(f"  ratio {sizes[-1]:,}/{sizes[0]:,}: {big / small:.1f} x")
        if "--first-submit" in sys.argv:
            return
    print(f"\nin-memory ledger, by waitlist length (medians of {REPEATS * 3}, sizes in turn):")
    waits = (1000, 10000, 20000) if quick else (1000, 10000, 50000)
    ops = waitlisted_ops(waits)
    for w, (wait, seat, submit, new) in ops.items():
        print(
            f"  {w:6,} waitlisted: withdraw waitlisted {wait * 1000:8.2f} ms, "
            f"withdraw seated {seat * 1000:8.2f} ms, submit {submit * 1000:8.2f} ms, "
            f"a new ledger's first seated withdrawal {new * 1000:8.1f} ms"
        )
    low, high = ops[waits[0]], ops[waits[-1]]
    print(
        f"  ratio {waits[-1]:,}/{waits[0]:,}: withdraw waitlisted {high[0] / low[0]:.1f} x, "
        f"withdraw seated {high[1] / low[1]:.1f} x, submit {high[2] / low[2]:.1f} x"
    )
    if waitlisted_only:
        return
    n = 400 if quick else 2000
    print(f"\nsubmits per second, {n} submits into a fresh ledger:")
    server = os.environ.get("SEATALLOC_BENCH_POSTGRES_URL")
    with tempfile.TemporaryDirectory() as tmp:
        for k, processes in enumerate((1, 4, 8)):
            cells = []
            for durable in (True, False):
                path = str(Path(tmp) / f"s{k}{durable}.db")
                sync = "FULL" if durable else "NORMAL"
                cells.append(f"SQLite {sync} {rate(path, n, processes, durable):7,.0f}")
            if server:
                cells.append(
                    f"PostgreSQL {rate(postgres_target(server, k), n, processes, True):7,.0f}"
                )
            print(f"  {processes} process(es): " + ", ".join(cells))
    if not server:
        print("  (PostgreSQL: set SEATALLOC_BENCH_POSTGRES_URL, e.g. after source .ci/postgres.sh)")


if __name__ == "__main__":
    main()
