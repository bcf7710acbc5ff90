"""Monte Carlo throughput: FCFS replications of the workshop, in-process and on 2 workers.

Each replication samples the default demand (about 126 requests for 84
seats), allocates it first come, first served and computes every metric.
Both runs happen in this process's time frame, so the speed-up ratio is
measured against a baseline on the same machine and load. The records of
the two runs must be identical (checked). CPU time of this process is
printed too: on a shared machine the wall-clock figures include waiting.

    python benchmarks/bench_simulate.py [--runs 10000] [--workers 2] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import time

from seatalloc.scenarios import workshop
from seatalloc.simulate import simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    problem = workshop()
    simulate(problem, runs=50, seed=args.seed, policies=("fcfs",))  # warm caches and imports

    wall, cpu = time.perf_counter(), time.process_time()
    serial = simulate(problem, runs=args.runs, seed=args.seed, policies=("fcfs",))
    serial_wall, serial_cpu = time.perf_counter() - wall, time.process_time() - cpu

    wall = time.perf_counter()
    pooled = simulate(
        problem, runs=args.runs, seed=args.seed, policies=("fcfs",), workers=args.workers
    )
    pooled_wall = time.perf_counter() - wall
    assert pooled.records == serial.records, "records differ between in-process and pool"

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{args.runs} FCFS replications of the workshop (cpus: {os.cpu_count()}, load {load:.2f})"
    )
    print(f"  in-process     {serial_wall:7.2f} s wall  {serial_cpu:7.2f} s cpu  "
          f"{1000 * serial_wall / args.runs:.3f} ms per replication")  # fmt: skip
    print(f"  {args.workers} workers      {pooled_wall:7.2f} s wall")
    print(f"  speed-up       {serial_wall / pooled_wall:7.2f}x  (target >= 1.7 with 2 workers)")
    print(f"  in-process target < 10 s: {'met' if serial_wall < 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
