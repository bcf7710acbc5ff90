"""Batch FCFS at 10^4, 10^5 and 10^6 requests against best plain code.

Seeded demand: sessions about N/30 of capacity about 30, groups about N/8
each with a quota of 4 in total (binding: a group has 8 requests on
average), 1 to 3 ranked sessions, ISO date-time arrivals with ties. Written
to a scenario TOML and a requests CSV in a temporary folder. One fresh
process per size; repetitions interleave library and baseline; medians.

Per size it prints:

- ``allocate``: ``allocate(problem)`` against a tuned loop on integer arrays
  (arrival order from one sort, first fit with counters; timed with its sort).
- ``csv read``: ``read_request_rows`` on the file against ``csv.reader``.
- ``build``: the problem from the rows (validation, arrival sort, columns).
- ``memory``: bytes per request the problem loaded by ``load_requests`` keeps
  beyond the same problem without requests, and the peak of loading it
  (tracemalloc).
- ``cli job``: ``seatalloc allocate scenario.toml --requests requests.csv
  --format json --out a.json`` against ``plain_allocate.py`` doing the same job
  (CPU seconds and each child's own peak RSS, VmHWM read by the child before it exits).
- ``to_json``: a fresh process's first call (median of ``--repeat`` runs), for the
  growth from one size to the next.

Runs that exceed ``--timeout`` seconds are reported as such, not waited for.

    python benchmarks/bench_fcfs.py [--sizes 10000,100000,1000000] [--repeat 3]
        [--parts allocate,csv,memory,cli,to_json] [--timeout 600]
"""

from __future__ import annotations

import argparse
import csv
import gc
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from seatalloc import allocate
from seatalloc.io import load_requests, load_scenario
from seatalloc.io.requests import read_request_rows

HERE = Path(__file__).resolve().parent
PARTS = ("allocate", "csv", "memory", "cli", "to_json")


def write_files(n: int, seed: int, folder: Path) -> tuple[Path, Path]:
    """The scenario TOML and requests CSV of ``n`` seeded requests."""
    rng = random.Random(seed)
    sessions = [(f"s{i}", rng.randint(25, 35)) for i in range(max(1, n // 30))]
    groups = [f"g{i}" for i in range(max(1, n // 8))]
    scenario = folder / "scenario.toml"
    with scenario.open("w", encoding="utf-8") as out:
        for sid, capacity in sessions:
            out.write(f'[[sessions]]\nid = "{sid}"\ncapacity = {capacity}\n')
        for gid in groups:
            out.write(f'[[groups]]\nid = "{gid}"\nquota = 4\n')
    start = datetime(2026, 3, 1, 9, 0)
    ids = [s for s, _ in sessions]
    requests = folder / "requests.csv"
    with requests.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "group", "role", "arrival", "sessions"])
        for i in range(n):
            arrival = start + timedelta(seconds=rng.randrange(n))  # ties happen
            prefs = "|".join(rng.sample(ids, rng.randint(1, 3)))
            writer.writerow([f"r{i}", rng.choice(groups), "", arrival.isoformat(), prefs])
    return scenario, requests


def plain_columns(
    scenario: Path, requests: Path
) -> tuple[list[int], list[int], list[int], list[tuple[int, ...]], list[datetime], list[str]]:
    """The tuned loop's input, untimed: integer arrays read with tomllib and csv.reader."""
    import tomllib

    document = tomllib.loads(scenario.read_text(encoding="utf-8"))
    names = sorted(s["id"] for s in document["sessions"])
    index = {s: i for i, s in enumerate(names)}
    capacity = {s["id"]: s["capacity"] for s in document["sessions"]}
    caps = [capacity[s] for s in names]
    group_index = {g["id"]: i for i, g in enumerate(document["groups"])}
    quotas = [g["quota"] for g in document["groups"]]
    with requests.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    ids = [r[0] for r in rows]
    group = [group_index[r[1]] for r in rows]
    arrival = [datetime.fromisoformat(r[3]) for r in rows]
    prefs = [tuple(index[s] for s in r[4].split("|")) for r in rows]
    return caps, quotas, group, prefs, arrival, ids


def tuned(
    caps: list[int],
    quotas: list[int],
    group: list[int],
    prefs: list[tuple[int, ...]],
    arrival: list[datetime],
    ids: list[str],
) -> list[int]:
    """First fit on integer arrays: the session index of every row, -1 when unseated."""
    order = sorted(range(len(ids)), key=lambda i: (arrival[i], ids[i]))
    left = caps[:]
    quota = quotas[:]
    seat = [-1] * len(ids)
    for i in order:
        g = group[i]
        if quota[g] <= 0:
            continue
        for s in prefs[i]:
            if left[s] > 0:
                left[s] -= 1
                quota[g] -= 1
                seat[i] = s
                break
    return seat


def cpu(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.process_time()
    fn()
    return time.process_time() - start


def interleaved(
    a: Callable[[], object], b: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Median CPU seconds of ``a`` and of ``b``, run alternately ``repeat`` times each."""
    ta, tb = [], []
    for _ in range(repeat):
        ta.append(cpu(a))
        tb.append(cpu(b))
    return statistics.median(ta), statistics.median(tb)


# Runs a script or module as __main__ and then writes this process's own peak RSS (VmHWM)
# to a file. A child's ru_maxrss would not do: Linux carries the parent's peak over the
# fork and exec into it, so at 10^5 the bench process's heap would be what was measured.
_OWN_PEAK = """\
import runpy, sys
peak_file, kind, target = sys.argv[1:4]
sys.argv = [target, *sys.argv[4:]]
try:
    if kind == "module":
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        runpy.run_path(target, run_name="__main__")
finally:
    with open("/proc/self/status") as status, open(peak_file, "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


def child(argv: list[str], timeout: float) -> tuple[float, float] | None:
    """CPU seconds and own peak RSS (MiB) of ``python`` running ``argv``, or ``None`` after
    ``timeout`` s. ``argv`` is ``["-m", module, ...]`` or ``[script, ...]``."""
    kind, target, rest = (
        ("module", argv[1], argv[2:]) if argv[0] == "-m" else ("path", argv[0], argv[1:])
    )
    with tempfile.NamedTemporaryFile(suffix=".peak") as peak:
        command = [sys.executable, "-c", _OWN_PEAK, peak.name, kind, target, *rest]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                process.returncode = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                process.kill()
                os.wait4(process.pid, 0)
                return None
            time.sleep(0.05)
        if process.returncode != 0:
            error = process.stderr.read().decode() if process.stderr else ""
            raise SystemExit(f"{argv} failed: {error}")
        return usage.ru_utime + usage.ru_stime, int(Path(peak.name).read_text()) / 1024


def measure(n: int, seed: int, repeat: int, parts: set[str], timeout: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scenario, requests = write_files(n, seed, folder)
        print(f"--- {n} requests", flush=True)
        problem = load_scenario(scenario)
        problem = problem.replace(requests=())
        text = requests.read_text(encoding="utf-8")
        if "csv" in parts:
            lib_s, ref_s = interleaved(
                lambda: read_request_rows(requests.read_text(encoding="utf-8"), str(requests)),
                lambda: list(csv.reader(requests.open(encoding="utf-8", newline=""))),
                repeat,
            )
            print(f"csv read     library {lib_s:7.3f} s  csv.reader {ref_s:7.3f} s"
                  f"  ratio {lib_s / ref_s:5.2f}", flush=True)  # fmt: skip
        rows = read_request_rows(text, str(requests))
        start = time.process_time()
        loaded = problem.replace(requests=rows.requests)
        loaded.columns  # noqa: B018 - compiled here, as part of building
        print(f"build        {time.process_time() - start:7.3f} s (Problem of the rows, columns)",
              flush=True)  # fmt: skip
        del rows
        if "memory" in parts:
            gc.collect()
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            kept = load_requests(requests, problem)  # what the CLI keeps of the CSV
            gc.collect()
            retained, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"memory       {(retained - base) / n:7.0f} B/request kept by the problem,"
                  f" peak {(peak - base) / n:.0f} B/request while loading", flush=True)  # fmt: skip
            del kept
        if "allocate" in parts:
            columns = plain_columns(scenario, requests)
            seat = tuned(*columns)
            names = loaded.session_ids
            labels = (*names, None)
            expected = dict(zip(columns[5], map(labels.__getitem__, seat), strict=True))
            assert dict(allocate(loaded).assignments) == expected, "library and tuned loop disagree"
            lib_s, ref_s = interleaved(lambda: allocate(loaded), lambda: tuned(*columns), repeat)
            print(f"allocate     library {lib_s:7.3f} s  tuned loop {ref_s:7.3f} s"
                  f"  ratio {lib_s / ref_s:5.2f}", flush=True)  # fmt: skip
        if "cli" in parts:
            # python -m seatalloc is the seatalloc command (the same main()).
            cli = ["-m", "seatalloc", "allocate", str(scenario), "--requests", str(requests),
                   "--format", "json", "--out", str(folder / "a.json")]  # fmt: skip
            plain = [str(HERE / "plain_allocate.py"), str(scenario), str(requests),
                     str(folder / "b.json")]  # fmt: skip
            lib_runs, ref_runs = [], []
            for _ in range(repeat):
                lib_runs.append(child(cli, timeout))
                ref_runs.append(child(plain, timeout))
                if lib_runs[-1] is None:
                    break
            if any(r is None for r in lib_runs):
                print(f"cli job      library over the {timeout:.0f} s timeout", flush=True)
            else:
                lib_t = statistics.median(r[0] for r in lib_runs if r)
                lib_m = statistics.median(r[1] for r in lib_runs if r)
                ref_t = statistics.median(r[0] for r in ref_runs if r)
                ref_m = statistics.median(r[1] for r in ref_runs if r)
                print(f"cli job      library {lib_t:7.2f} s {lib_m:6.0f} MiB  plain script"
                      f" {ref_t:7.2f} s {ref_m:6.0f} MiB  ratio time {lib_t / ref_t:5.2f}"
                      f" memory {lib_m / ref_m:5.2f}", flush=True)  # fmt: skip
        if "to_json" in parts:
            code = (
                "import sys, time\n"
                "from seatalloc import allocate\n"
                "from seatalloc.io import load_requests, load_scenario\n"
                "problem = load_requests(sys.argv[2], load_scenario(sys.argv[1]))\n"
                "allocation = allocate(problem)\n"
                "start = time.process_time()\n"
                "allocation.to_json()\n"
                "print(time.process_time() - start)\n"
            )
            argv = [sys.executable, "-c", code, str(scenario), str(requests)]
            try:
                # A fresh process each time: the first call, replay of turns included.
                runs = [
                    float(subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                         check=True).stdout)
                    for _ in range(repeat)
                ]  # fmt: skip
                each = ", ".join(f"{t:.2f}" for t in runs)
                print(f"to_json      {statistics.median(runs):7.2f} s (median of {each})",
                      flush=True)  # fmt: skip
            except subprocess.TimeoutExpired:
                print(f"to_json      over the {timeout:.0f} s timeout", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--parts", default=",".join(PARTS))
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    sizes = args.sizes.split(",")
    parts = set(args.parts.split(","))
    if len(sizes) > 1:
        # One fresh process per size: a size's heap never shapes the next one's timing.
        to_json: dict[int, float] = {}
        for size in sizes:
            argv = [sys.executable, __file__, "--sizes", size, "--repeat", str(args.repeat),
                    "--seed", str(args.seed), "--parts", args.parts,
                    "--timeout", str(args.timeout)]  # fmt: skip
            out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
            print(out, end="", flush=True)
            for line in out.splitlines():
                if line.startswith("to_json") and "timeout" not in line:
                    to_json[int(size)] = float(line.split()[1])
        for small, large in itertools.pairwise(sizes):
            if int(small) in to_json and int(large) in to_json:
                growth = to_json[int(large)] / to_json[int(small)]
                print(f"to_json growth {small} -> {large}: {growth:.1f}x")
        return
    measure(int(sizes[0]), args.seed, args.repeat, parts, args.timeout)


if __name__ == "__main__":
    main()
