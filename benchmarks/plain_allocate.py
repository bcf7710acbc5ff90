"""The baseline for ``seatalloc allocate``: the same job written as a plain script.

tomllib reads the scenario, csv.reader the requests, a tuned first-fit loop
over integer arrays seats them (capacity, per-group quotas, ranked sessions,
arrival order with ties by id), and json writes the allocation in the
library's JSON layout: assignments, waitlist, a decision per request with its
blocks and a short explanation, and the seat counts. No validation beyond
what the data needs: the best a careful script would do, which is what
``bench_fcfs.py`` compares the command against.

    python benchmarks/plain_allocate.py SCENARIO.toml REQUESTS.csv OUT.json
"""

from __future__ import annotations

import csv
import json
import sys
import tomllib
from datetime import datetime


def main(scenario_path: str, requests_path: str, out_path: str) -> None:
    with open(scenario_path, "rb") as handle:
        scenario = tomllib.load(handle)
    sessions = sorted(scenario["sessions"], key=lambda s: s["id"])
    names = [s["id"] for s in sessions]
    index = {s: i for i, s in enumerate(names)}
    left = [s["capacity"] for s in sessions]
    capacity = list(left)
    groups = [g["id"] for g in scenario["groups"]]
    group_index = {g: i for i, g in enumerate(groups)}
    quota = [g.get("quota", -1) for g in scenario["groups"]]
    quota_of = list(quota)
    with open(requests_path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        col = {name: i for i, name in enumerate(header)}
        rows = list(reader)
    i_id, i_group, i_arrival, i_sessions = (col[c] for c in ("id", "group", "arrival", "sessions"))
    ids = [r[i_id] for r in rows]
    group = [group_index[r[i_group]] for r in rows]
    arrival = [datetime.fromisoformat(r[i_arrival]) for r in rows]
    everything = tuple(range(len(names)))
    compiled: dict[str, tuple[int, ...]] = {"": everything}
    prefs = []
    for r in rows:
        cell = r[i_sessions]
        ranking = compiled.get(cell)
        if ranking is None:
            ranking = compiled[cell] = tuple(index[s] for s in cell.split("|"))
        prefs.append(ranking)
    order = sorted(range(len(ids)), key=lambda i: (arrival[i], ids[i]))
    seat = [-1] * len(ids)
    for i in order:
        g = group[i]
        if quota[g] == 0:
            continue
        for s in prefs[i]:
            if left[s] > 0:
                left[s] -= 1
                quota[g] -= 1
                seat[i] = s
                break
    labels = (*names, None)
    waitlist = [ids[i] for i in order if seat[i] < 0]
    position = {r: n for n, r in enumerate(waitlist, start=1)}
    decisions = {}
    for i in order:
        s = seat[i]
        ranking = prefs[i]
        if s >= 0:
            rank = ranking.index(s) + 1
            decisions[ids[i]] = {
                "request": ids[i], "status": "seated",
                "reason": "first-choice" if rank == 1 else "lower-choice",
                "session": names[s], "rank": rank, "position": None, "blocks": [],
                "note": None, "explanation": f"seated in {names[s]} (choice {rank})",
            }  # fmt: skip
            continue
        g = group[i]
        blocks = [
            {"session": names[t], "limit": "capacity", "needed": 1, "left": left[t]}
            for t in ranking
            if left[t] <= 0
        ]
        if quota[g] == 0:
            blocks.append({"session": names[ranking[0]], "limit": f"group={groups[g]}",
                           "needed": 1, "left": 0})  # fmt: skip
        decisions[ids[i]] = {
            "request": ids[i], "status": "waitlisted", "reason": "no-room", "session": None,
            "rank": None, "position": position[ids[i]], "blocks": blocks, "note": None,
            "explanation": f"waitlisted (position {position[ids[i]]}): no room",
        }  # fmt: skip
    filled = [c - x for c, x in zip(capacity, left, strict=True)]
    document = {
        "method": "fcfs",
        "assignments": {ids[i]: labels[seat[i]] for i in order},
        "waitlist": waitlist,
        "decisions": decisions,
        "metrics": {
            "requests": len(ids),
            "seated": sum(filled),
            "waitlisted": len(waitlist),
            "capacity": sum(capacity),
            "seats_filled": dict(zip(names, filled, strict=True)),
            "groups": {
                g: {"requested": 0, "seated": (q - quota[k]) if q >= 0 else None}
                for k, (g, q) in enumerate(zip(groups, quota_of, strict=True))
            },
        },
    }
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main(*sys.argv[1:4])
