"""Booking ledger throughput: SQLite submits with 1 and 4 processes; memory ledger vs batch FCFS.

Run: ``python benchmarks/bench_booking.py [N]`` (N requests, default 2000). Every
figure is measured in this run; the ratio compares the in-memory ledger with
batch FCFS on the same requests in the same process.
"""

from __future__ import annotations

import multiprocessing
import random
import sys
import tempfile
import time
from pathlib import Path

from seatalloc import Group, Problem, Quota, Request, Session
from seatalloc.booking import Ledger
from seatalloc.fcfs import allocate
from seatalloc.stores import MemoryStore, SQLiteStore

SESSIONS = ("nov04", "nov25", "dec02")
GROUPS = tuple(f"board{i:02d}" for i in range(1, 22))


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


def submit_all(path: str, prefix: str, n: int, durable: bool) -> None:
    ledger = Ledger(SQLiteStore(path, durable=durable), clock=lambda: 0)
    for request in requests(n, prefix, seed=hash(prefix) & 0xFFFF):
        ledger.submit(request)


def sqlite_rate(n: int, processes: int, durable: bool) -> float:
    """Submits per second into one fresh SQLite file from ``processes`` processes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bench.db")
        Ledger.create(SQLiteStore(path), scenario(), clock=lambda: 0)
        context = multiprocessing.get_context("fork")
        workers = [
            context.Process(target=submit_all, args=(path, f"p{i}-", n // processes, durable))
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


def memory_vs_batch(n: int) -> tuple[float, float]:
    """Requests per second: in-memory ledger submits, and batch FCFS, on the same requests."""
    demand = requests(n, "r", seed=1)
    problem = scenario().replace(requests=demand)
    start = time.perf_counter()
    batch = allocate(problem)
    batch_time = time.perf_counter() - start
    start = time.perf_counter()
    ledger = Ledger.create(MemoryStore(), scenario(), clock=lambda: 0)
    for unit in problem.units:
        ledger.submit_party(unit)
    ledger_time = time.perf_counter() - start
    assert ledger.allocation() == batch
    return n / ledger_time, n / batch_time


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(f"{n} requests for 84 seats (3 sessions x 28, 21 group quotas of 4)")
    for durable in (True, False):
        sync = "synchronous=FULL" if durable else "synchronous=NORMAL"
        for processes in (1, 4):
            rate = sqlite_rate(n, processes, durable)
            print(f"SQLite submit, {processes} process(es), {sync}: {rate:,.0f} ops/s")
    ledger_rate, batch_rate = memory_vs_batch(n)
    print(f"in-memory ledger submit: {ledger_rate:,.0f} requests/s")
    print(f"batch FCFS:              {batch_rate:,.0f} requests/s")
    print(f"ratio ledger/batch:      {ledger_rate / batch_rate:.3f}")


if __name__ == "__main__":
    main()
