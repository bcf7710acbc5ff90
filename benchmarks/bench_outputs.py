"""Writing an allocation: JSON and CSV with every decision explained, at growing sizes.

Seeded demand with binding quotas of every kind: about N/8 groups with 4
places each in total (most waitlisted requests name a full quota and its
holders), a per-session role quota, sessions that fill up, and parties of
two. Per size, in one process:

- ``to_json()`` (every decision with its sentence) against a plain baseline:
  ``json.dumps`` of the same number of ready-made records of the same shape,
  interleaved repetitions, CPU-time medians;
- the growth of ``to_json()`` from the first size to each larger one (the
  promise: at most 12x for 10x the requests);
- the peak memory (VmHWM) of streaming ``write_allocation(..., "json")`` to a
  file, beyond what the built problem and its allocation already hold, and
  of the whole job against a plain script doing the same job on tuples
  (tuned first-fit loop, JSON written line by line).

    python benchmarks/bench_outputs.py [--sizes 100000,1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from seatalloc import Group, Policy, Problem, Quota, Request, Session, allocate, write_allocation

Row = tuple[str, str, str, int, tuple[str, ...], str | None]
Raw = tuple[list[tuple[str, int]], list[str], list[Row]]


def generate(n: int, seed: int = 1) -> Raw:
    """Sessions (id, capacity), group ids, requests (id, group, role, arrival, prefs, party)."""
    rng = random.Random(seed)
    sessions = [(f"s{i}", 40) for i in range(max(3, n // 60))]
    groups = [f"g{i}" for i in range(max(1, n // 8))]
    ids = [s for s, _ in sessions]
    rows: list[Row] = []
    i = 0
    while i < n:
        group, arrival = rng.choice(groups), rng.randrange(4 * n)
        prefs = tuple(rng.sample(ids, rng.randint(1, 3)))
        size = 2 if rng.random() < 0.05 and i + 1 < n else 1
        party = f"p{i}" if size == 2 else None
        for _ in range(size):
            role = "lead" if rng.random() < 0.1 else "member"
            rows.append((f"r{i}", group, role, arrival, prefs, party))
            i += 1
    return sessions, groups, rows


def build(raw: Raw) -> Problem:
    sessions, groups, rows = raw
    quotas = [Quota(4, group=g) for g in groups] + [Quota(3, role="lead", per_session=True)]
    return Problem(
        sessions=[Session(s, c) for s, c in sessions],
        groups=[Group(g) for g in groups],
        quotas=quotas,
        requests=[Request.unchecked(i, g, r, a, p, party) for i, g, r, a, p, party in rows],
        policy=Policy(),
    )


def plain_records(n: int) -> dict[str, object]:
    """``n`` ready-made records shaped like the library's decisions (the encoder's floor)."""
    block = {"session": "s1", "limit": "group=g1", "cap": 4, "needed": 1, "left": 0}
    record = {
        "request": "r0", "status": "waitlisted", "reason": "no-room", "session": None,
        "rank": None, "position": 1, "blocks": [{**block, "holders": ["r1", "r2", "r3", "r4"]}],
        "note": None,
        "explanation": "waitlisted (position 1): at its turn, g1's 4 places were held by "
        "r1, r2, r3 and r4",
    }  # fmt: skip
    return {
        "assignments": {f"r{i}": None for i in range(n)},
        "decisions": {f"r{i}": dict(record, request=f"r{i}") for i in range(n)},
    }


def cpu(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.process_time()
    fn()
    return time.process_time() - start


def peak_reset() -> bool:
    """Reset the process's peak RSS (Linux: write 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def memory(field: str) -> int:
    """VmRSS or VmHWM of this process, in bytes (0 when unknown)."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def plain_job(n: int, path: str) -> None:
    """A plain script's whole job: tuples in, tuned first-fit loop, JSON out line by line."""
    sessions, groups, rows = generate(n)
    free = dict(sessions)
    quota = dict.fromkeys(groups, 4)
    leads: dict[str, int] = {s: 3 for s, _ in sessions}
    seat: dict[str, str | None] = {}
    parties: dict[str, list[Row]] = {}
    for row in rows:
        if row[5] is not None:
            parties.setdefault(row[5], []).append(row)
    for row in sorted(rows, key=lambda r: (r[3], r[0])):
        rid, group, _, _, prefs, party = row
        if rid in seat:
            continue
        unit = parties[party] if party is not None else [row]
        leads_needed = sum(r[2] == "lead" for r in unit)
        chosen = None
        if quota[group] >= len(unit):
            for s in prefs:
                if free[s] >= len(unit) and leads[s] >= leads_needed:
                    chosen = s
                    break
        for r in unit:
            seat[r[0]] = chosen
        if chosen is not None:
            free[chosen] -= len(unit)
            quota[group] -= len(unit)
            leads[chosen] -= leads_needed
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"assignments": {\n')
        out.write(",\n".join(f"  {json.dumps(r)}: {json.dumps(s)}" for r, s in seat.items()))
        out.write('\n}, "decisions": {\n')
        for i, (rid, s) in enumerate(seat.items()):
            text = f"seated in {s}" if s else "waitlisted: at its turn, the quota was full"
            record = {
                "request": rid,
                "status": "seated" if s else "waitlisted",
                "explanation": text,
            }
            out.write(("," if i else "") + f"\n  {json.dumps(rid)}: {json.dumps(record)}")
        out.write("\n}}\n")


def library_job(n: int, path: str) -> dict[str, float]:
    """The library's whole job, and the peak it adds while streaming the JSON file."""
    problem = build(generate(n))
    allocation = allocate(problem)
    gc.collect()
    held = memory("VmRSS")
    reset = peak_reset()
    start = time.process_time()
    write_allocation(allocation, path, "json")
    seconds = time.process_time() - start
    peak = memory("VmHWM")
    return {
        "write_s": seconds,
        "held_mb": held / 1e6,
        "write_extra_mb": (peak - held) / 1e6 if reset else float("nan"),
        "bytes": os.path.getsize(path),
    }


def child(kind: str, n: int) -> None:
    """Run one job in this (fresh) process and print its figures as JSON."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "a.json")
        figures = library_job(n, path) if kind == "library" else {}
        if kind == "plain":
            plain_job(n, path)
        figures["peak_mb"] = memory("VmHWM") / 1e6
        print(json.dumps(figures))


def timing(n: int, repeat: int) -> dict[str, float]:
    """to_json() against json.dumps of plain records: interleaved CPU-time medians."""
    allocation = allocate(build(generate(n)))
    plain = plain_records(n)
    library, baseline = [], []
    for _ in range(repeat):
        library.append(cpu(allocation.to_json))
        baseline.append(cpu(lambda: json.dumps(plain, indent=2, ensure_ascii=False)))
    waitlisted = len(allocation.waitlist)
    return {
        "to_json_s": statistics.median(library),
        "plain_s": statistics.median(baseline),
        "waitlisted": waitlisted,
    }


def run_child(kind: str, n: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--sizes", str(n)],
        capture_output=True, text=True, check=True, timeout=1800,
    )  # fmt: skip
    return dict(json.loads(out.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=("library", "plain", "timing"))
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.child == "timing":
        print(json.dumps(timing(sizes[0], args.repeat)))
        return
    if args.child is not None:
        child(args.child, sizes[0])
        return
    first = None
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", "timing", "--sizes", str(n),
             "--repeat", str(args.repeat)],
            capture_output=True, text=True, check=True, timeout=3600,
        )  # fmt: skip
        t = json.loads(out.stdout)
        first = first or (n, t["to_json_s"])
        growth = t["to_json_s"] / first[1]
        print(
            f"n={n:>9,}  waitlisted {t['waitlisted']:>8,}  to_json {t['to_json_s']:7.2f} s  "
            f"json.dumps of plain records {t['plain_s']:6.2f} s  "
            f"ratio {t['to_json_s'] / t['plain_s']:4.2f}  "
            f"growth from n={first[0]:,}: {growth:5.2f}x for {n / first[0]:g}x the requests",
            flush=True,
        )
        if args.no_memory:
            continue
        library, plain = run_child("library", n), run_child("plain", n)
        print(
            f"           streaming write {library['write_s']:6.2f} s, "
            f"{library['bytes'] / 1e6:6.1f} MB file, "
            f"extra peak while writing {library['write_extra_mb']:7.1f} MB "
            f"(problem + allocation hold {library['held_mb']:.0f} MB); "
            f"whole job peak {library['peak_mb']:.0f} MB vs plain script {plain['peak_mb']:.0f} MB "
            f"(ratio {library['peak_mb'] / plain['peak_mb']:.2f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
