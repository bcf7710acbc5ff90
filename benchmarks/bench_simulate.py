"""Monte Carlo throughput: FCFS replications of the workshop, in-process and on 2 workers.

Each replication samples the default demand (about 126 requests for 84
seats), allocates it first come, first served and computes every metric.
Both runs happen in this process's time frame, so the speed-up ratio is
measured against a baseline on the same machine and load. The records of
the two runs must be identical (checked).

On a shared machine wall-clock figures include waiting for a CPU, so CPU
time is printed too: this process's for the in-process run, and for the
pool run the workers' (collected when the pool has exited) and this
process's (sending tasks, receiving records). ``cpu-bound speed-up`` is
what the pool would reach with its CPUs to itself: the in-process CPU over
the busiest share, taken as the workers' CPU split evenly, plus this
process's. The fixed cost of the pool (start, first task, shut down) is
timed on its own, with one replication.

    python benchmarks/bench_simulate.py [--runs 10000] [--workers 2] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import resource
import time

from seatalloc.scenarios import workshop
from seatalloc.simulate import simulate


def _children_cpu() -> float:
    """CPU seconds of exited child processes (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    runs, workers = args.runs, args.workers
    problem = workshop()
    simulate(problem, runs=50, seed=args.seed, policies=("fcfs",))  # warm caches and imports

    wall, cpu = time.perf_counter(), time.process_time()
    serial = simulate(problem, runs=runs, seed=args.seed, policies=("fcfs",))
    serial_wall, serial_cpu = time.perf_counter() - wall, time.process_time() - cpu

    wall, children = time.perf_counter(), _children_cpu()
    simulate(problem, runs=1, seed=args.seed, policies=("fcfs",), workers=workers)
    fixed_wall, fixed_cpu = time.perf_counter() - wall, _children_cpu() - children

    wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    pooled = simulate(problem, runs=runs, seed=args.seed, policies=("fcfs",), workers=workers)
    pooled_wall, parent_cpu = time.perf_counter() - wall, time.process_time() - cpu
    workers_cpu = _children_cpu() - children
    assert pooled.records == serial.records, "records differ between in-process and pool"

    load = os.getloadavg()[0]
    bound = serial_cpu / (workers_cpu / workers + parent_cpu)
    print(f"{runs} FCFS replications of the workshop (cpus: {os.cpu_count()}, load {load:.2f})")
    print(f"  in-process   {serial_wall:7.2f} s wall  {serial_cpu:7.2f} s cpu  "
          f"{1000 * serial_cpu / runs:.3f} ms cpu per replication")  # fmt: skip
    print(f"  {workers} workers    {pooled_wall:7.2f} s wall  {workers_cpu:7.2f} s cpu  "
          f"{1000 * workers_cpu / runs:.3f} ms cpu per replication in workers; "
          f"{parent_cpu:.2f} s cpu here")  # fmt: skip
    print(f"  pool fixed   {fixed_wall:7.2f} s wall  {fixed_cpu:7.2f} s cpu  "
          f"(start, one replication, shut down)")  # fmt: skip
    print(f"  speed-up     {serial_wall / pooled_wall:7.2f}x wall  {bound:5.2f}x cpu-bound  "
          f"(target >= 1.7 with 2 workers)")  # fmt: skip
    verdict = "met" if serial_wall < 10 else "NOT met"
    print(f"  in-process < 10 s: {verdict} on wall; cpu {serial_cpu:.2f} s")


if __name__ == "__main__":
    main()
