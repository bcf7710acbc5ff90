"""Web app latency at 40,000 events: p50/p99 of status reads and registrations over HTTP.

Run: ``python benchmarks/bench_web.py [EVENTS]`` (default 40000; extra ``web``).
The workshop ledger is first filled through the ledger itself with
registrations (two events each: submitted, then seated or waitlisted) until
it holds EVENTS events; then a real server on 127.0.0.1 takes 20 concurrent
clients, each alternating a registration and a status read. The baseline is
the same two operations called directly on a ledger in this process (no
HTTP, no threads): the ratio is what the web layer and the queueing of 20
clients on one ledger thread add. Target: p99 < 100 ms for both.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from webtools import Client, person, running  # noqa: E402

from seatalloc import Request  # noqa: E402
from seatalloc.scenarios import workshop  # noqa: E402
from seatalloc.web._ledger import open_ledger  # noqa: E402

CONCURRENCY, ROUNDS = (1, 4, 20), 50
GROUPS = [g.id for g in workshop().groups]


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def fill(db: Path, events: int) -> float:
    """Registrations through the ledger until it holds ``events`` events; the seconds taken."""
    ledger = open_ledger(str(db), workshop())
    k = 0
    started = time.perf_counter()
    while True:
        now = datetime.now(UTC)
        ledger.submit(Request(f"fill{k}", GROUPS[k % len(GROUPS)], "planner", arrival=now,
                              attributes={"name": "x", "email": "x@example.org"}))  # fmt: skip
        k += 1
        if k % 1000 == 0 and len(ledger.events()) >= events:
            break
    ledger.store.close()  # type: ignore[attr-defined]
    return time.perf_counter() - started


def direct(db: Path, n: int) -> tuple[list[float], list[float]]:
    """The baseline: submit and decision called directly on the ledger."""
    ledger = open_ledger(str(db), workshop())
    writes, reads = [], []
    for k in range(n):
        request = Request(f"direct{k}", GROUPS[k % len(GROUPS)], "planner",
                          arrival=datetime.now(UTC))  # fmt: skip
        t = time.perf_counter()
        ledger.submit(request)
        writes.append(time.perf_counter() - t)
        t = time.perf_counter()
        ledger.decision(request.id)
        reads.append(time.perf_counter() - t)
    ledger.store.close()  # type: ignore[attr-defined]
    return writes, reads


def over_http(base: str, c: int, writes: list[float], reads: list[float]) -> None:
    client = Client(base, timeout=30)
    lock = threading.Lock()
    for k in range(ROUNDS):
        t = time.perf_counter()
        answer = client.json("POST", "/api/registrations",
                             person(c * ROUNDS + k, GROUPS[(c + k) % len(GROUPS)], "any"))
        w = time.perf_counter() - t
        assert answer.status == 201, answer.status
        token = answer.json()["registrations"][0]["token"]
        t = time.perf_counter()
        assert client.get(f"/api/registrations/{token}").status == 200
        r = time.perf_counter() - t
        with lock:
            writes.append(w)
            reads.append(r)
    client.close()


def main(argv: list[str]) -> int:
    events = int(argv[1]) if len(argv) > 1 else 40_000
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        took = fill(db, events)
        print(f"filled the workshop ledger to {events:,}+ events in {took:.1f} s")
        base_w, base_r = direct(db, 200)
        print(f"direct on the ledger: median submit {1000 * statistics.median(base_w):.2f} ms, "
              f"p99 submit {_p(base_w, .99):.2f} ms, p99 decision {_p(base_r, .99):.2f} ms")
        print(f"{'clients':>8}{'req/s':>8}{'reg p50':>9}{'reg p99':>9}{'read p50':>10}"
              f"{'read p99':>10}{'p99 < 100 ms':>14}")  # fmt: skip
        with running(db) as (base, _):
            for clients in CONCURRENCY:
                writes: list[float] = []
                reads: list[float] = []
                started = time.perf_counter()
                with ThreadPoolExecutor(clients) as pool:
                    list(pool.map(lambda c: over_http(base, c, writes, reads),
                                  range(clients * 1000, clients * 1000 + clients)))
                rate = (len(writes) + len(reads)) / (time.perf_counter() - started)
                ok = all(_p(v, .99) < 100 for v in (writes, reads))
                print(f"{clients:8}{rate:8.0f}{_p(writes, .5):9.1f}{_p(writes, .99):9.1f}"
                      f"{_p(reads, .5):10.1f}{_p(reads, .99):10.1f}{'yes' if ok else 'NO':>14}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
