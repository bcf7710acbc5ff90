"""Booking ledger throughput: memory ledger vs batch FCFS; SQLite submits, 1 and 4 processes.

Run: ``python benchmarks/bench_booking.py [N ...]`` (default sizes 2000 and
20000 requests). Every figure is measured in this run; in-memory figures are
the best of a few repeats (the machine may be shared), SQLite figures one run
each (fsync time dominates them). Ratios compare figures of the same process:
the in-memory ledger against batch FCFS on the same requests, and each size
against the first (a submit whose cost grew with the ledger would show here).
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
REPEATS = 3


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


def memory_best(n: int) -> tuple[float, float]:
    """:func:`memory_vs_batch`, the fastest of a few runs for each figure."""
    runs = [memory_vs_batch(n) for _ in range(REPEATS)]
    return max(r[0] for r in runs), max(r[1] for r in runs)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [2000, 20000]
    print(f"3 sessions x 28 seats, 21 group quotas of 4; best of {REPEATS} runs in memory")
    first: dict[str, float] = {}
    for n in sizes:
        ledger_rate, batch_rate = memory_best(n)
        first.setdefault("memory", ledger_rate)
        print(f"\n{n} requests")
        print(f"  batch FCFS:              {batch_rate:12,.0f} requests/s")
        print(f"  in-memory ledger submit: {ledger_rate:12,.0f} requests/s")
        print(f"  batch/ledger:            {batch_rate / ledger_rate:12.1f} x")
        print(f"  ledger vs {sizes[0]} requests:  {ledger_rate / first['memory']:12.2f} x")
        for durable in (True, False):
            sync = "FULL  " if durable else "NORMAL"
            for processes in (1, 4):
                rate = sqlite_rate(n, processes, durable)
                key = f"{sync}{processes}"
                first.setdefault(key, rate)
                print(
                    f"  SQLite submit, synchronous={sync}, {processes} process(es): "
                    f"{rate:8,.0f} ops/s ({rate / first[key]:.2f} x of {sizes[0]})"
                )


if __name__ == "__main__":
    main()
