"""Benchmark optimize_sessions: workshop-size and large problems, every backend.

(a) Workshop size: 21 groups with quota 4, 3 sessions of 28, 3-8 requests
    per group; 20 seeds. Target: all proven optimal, median < 50 ms, slowest < 1 s.
(b) Large: 500 groups, 60 sessions of 30, about 3,000 requests. Target:
    proven optimal in < 2 s.
(c) Budget and scale (issue 12): cohesive demand (every choice among the
    group's 3 favourite sessions) at 10,000 and 30,000 requests, 50 % "any
    session" at 3,000, and guarantee ``none`` at 3,000 with time_limit 0.01.
    Each prints its wall time against the limit asked (target: within
    limit + 10 % + 1 s), its CPU time and the machine's load average when it
    started, what stopped it and every level's status and gap.

Times are wall-clock seconds of one optimize_sessions call (FCFS included)
and, in brackets, process CPU seconds (less disturbed by other load on the
machine); the ratio is against batch FCFS on the same problems in this
process. Usage: python benchmarks/bench_optimize_sessions.py [--seeds N]
[--large-seeds N] [--backends cp-sat,highs,scip] [--scale-only] [--limit S]
[--per-level LIMIT] (each level's end on the cohesive 10,000 and 50 %-"any" cases)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

import attrs

from seatalloc import Group, Problem, Quota, Request, Session, allocate
from seatalloc.budget import Progress
from seatalloc.optimize import optimize_sessions


def workshop(seed: int) -> Problem:
    """21 groups with quota 4, 3 sessions of 28, 3-8 requests per group ranking 1-3 sessions."""
    rng = random.Random(seed)
    sessions = [Session(f"s{i}", 28) for i in range(3)]
    return _problem(rng, sessions, groups=21, per_group=(3, 8), quota=4, ranked=(1, 3))


def large(seed: int) -> Problem:
    """500 groups (quota 4), 60 sessions of 30, 3-9 requests per group ranking 1-3 sessions."""
    rng = random.Random(seed)
    sessions = [Session(f"s{i:02d}", 30) for i in range(60)]
    return _problem(rng, sessions, groups=500, per_group=(3, 9), quota=4, ranked=(1, 3))


def scaled(n: int, *, cohesion: float = 0.6, any_share: float = 0.0, seed: int = 0) -> Problem:
    """About ``n`` requests: n/6 groups (quota 4), n/50 sessions of 30, favourites with
    chance ``cohesion``, and a share ``any_share`` of requests accepting any session."""
    rng = random.Random(seed)
    sessions = [Session(f"s{i:03d}", 30) for i in range(max(3, n // 50))]
    problem = _problem(rng, sessions, groups=n // 6, per_group=(3, 9), quota=4, ranked=(1, 3),
                       cohesion=cohesion)  # fmt: skip
    pick = random.Random(seed + 1)
    requests = [
        attrs.evolve(r, sessions=()) if pick.random() < any_share else r for r in problem.requests
    ]
    return problem.replace(requests=requests)


def _problem(
    rng: random.Random,
    sessions: list[Session],
    *,
    groups: int,
    per_group: tuple[int, int],
    quota: int,
    ranked: tuple[int, int],
    cohesion: float = 0.6,
) -> Problem:
    """Colleagues lean to their group's favourite sessions, as the announcement asks them to."""
    ids = [s.id for s in sessions]
    group_list = [Group(f"g{i:03d}") for i in range(groups)]
    requests = []
    for group in group_list:
        favourites = rng.sample(ids, min(3, len(ids)))
        for _ in range(rng.randint(*per_group)):
            k = rng.randint(*ranked)
            pool = favourites if rng.random() < cohesion else ids
            chosen = rng.sample(pool, min(k, len(pool)))
            requests.append(
                Request(
                    f"r{len(requests)}", group.id, arrival=rng.randrange(10**7), sessions=chosen
                )
            )
    quotas = [Quota(quota, group=g.id) for g in group_list]
    return Problem(sessions, group_list, requests, quotas)


def _timed(problem: Problem, backend: str) -> tuple[float, float, bool, int, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = optimize_sessions(problem, backend=backend, time_limit=10.0)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert result.report is not None
    proven = not result.report["stopped_early"]
    return wall, cpu, proven, result.metrics()["groups_split"], len(result.report["levels"])


def _fcfs_seconds(problems: list[Problem]) -> float:
    start = time.perf_counter()
    for problem in problems:
        allocate(problem)
    return (time.perf_counter() - start) / len(problems)


def _run(name: str, problems: list[Problem], backends: list[str]) -> None:
    baseline = _fcfs_seconds(problems)
    split = [allocate(p).metrics()["groups_split"] for p in problems]
    print(f"\n{name}: {len(problems)} problems, {len(problems[0].requests)} requests in the first")
    print(f"  FCFS: {baseline * 1000:.2f} ms per problem, groups split median "
          f"{statistics.median(split)}")  # fmt: skip
    for backend in backends:
        optimize_sessions(problems[0], backend=backend)  # warm up imports
        rows = [_timed(p, backend) for p in problems]
        walls = [r[0] for r in rows]
        cpus = [r[1] for r in rows]
        proven = sum(r[2] for r in rows)
        print(
            f"  {backend:7s} proven optimal {proven}/{len(rows)}; "
            f"median {statistics.median(walls) * 1000:.1f} ms "
            f"[{statistics.median(cpus) * 1000:.1f}], "
            f"slowest {max(walls) * 1000:.1f} ms [{max(cpus) * 1000:.1f}], "
            f"x{statistics.median(walls) / baseline:.0f} FCFS; "
            f"groups split median {statistics.median(r[3] for r in rows)}"
        )


def _limited(name: str, problem: Problem, limit: float, **options: object) -> None:
    """One call against its wall limit: time, what stopped it, each level's status and gap."""
    fcfs = allocate(problem).metrics()["groups_split"]
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    result = optimize_sessions(problem, time_limit=limit, **options)  # type: ignore[arg-type]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    report = result.report
    assert report is not None
    within = wall <= limit * 1.1 + 1
    levels = ", ".join(
        f"{lv['objective']} {lv['status']} {lv['value']}"
        + ("" if lv["gap"] in (None, 0) else f" (gap {lv['gap']:.1%})")
        + ("" if lv["bound"] is not None or lv["status"] == "optimal" else " (no bound)")
        for lv in report["levels"]
    )
    print(
        f"  {name}: {len(problem.requests)} requests, {report['backend']}; wall {wall:.2f} s "
        f"[CPU {cpu:.2f} s, load {load:.1f} on {os.cpu_count()} cores] "
        f"of limit {limit:g} s ({'within' if within else 'OVER'} limit + 10 % + 1 s); "
        f"stopped by {report['stopped_by'] or 'nothing: all proven'}; {levels}; "
        f"groups split {result.metrics()['groups_split']} (FCFS {fcfs})"
    )


def _scale(limit: float) -> None:
    print("\n(c) budget and scale")
    _limited("guarantee none, time_limit 0.01", scaled(3000), 0.01, guarantee="none")
    _limited("cohesive 10,000", scaled(10_000, cohesion=1.0), limit)
    _limited("cohesive 10,000, fcfs-people", scaled(10_000, cohesion=1.0), limit,
             guarantee="fcfs-people")  # fmt: skip
    _limited("50 % any, 3,000", scaled(3000, any_share=0.5), limit)
    _limited("cohesive 30,000", scaled(30_000, cohesion=1.0), limit)


def _per_level(limit: float) -> None:
    """The hard cases once with a long limit: the wall time at which each level ended."""
    for name, problem in (
        ("cohesive 10,000", scaled(10_000, cohesion=1.0)),
        ("50 % any, 3,000", scaled(3000, any_share=0.5)),
    ):
        print(f"\n{name}, time limit {limit:g} s")

        def show(p: Progress) -> None:
            bound = "" if p.bound is None else f", bound {p.bound:g}"
            print(f"  {p.elapsed:7.1f} s  {p.phase}: {p.best}{bound} ({p.detail})", flush=True)

        optimize_sessions(problem, time_limit=limit, progress=show)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--large-seeds", type=int, default=3)
    parser.add_argument("--backends", default="auto,cp-sat,highs,scip")
    parser.add_argument("--scale-only", action="store_true", help="run (c) only")
    parser.add_argument("--limit", type=float, default=20.0, help="time limit in (c)")
    parser.add_argument(
        "--per-level", type=float, metavar="LIMIT", help="only: each level's end on the hard cases"
    )
    args = parser.parse_args()
    backends = args.backends.split(",")
    optimize_sessions(workshop(0))  # warm up imports
    if args.per_level is not None:
        _per_level(args.per_level)
        return
    if args.scale_only:
        _scale(args.limit)
        return
    _run("(a) workshop size", [workshop(s) for s in range(args.seeds)], backends)
    _run("(b) large", [large(s) for s in range(args.large_seeds)], backends)
    _scale(args.limit)


if __name__ == "__main__":
    main()
