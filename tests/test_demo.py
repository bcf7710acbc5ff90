"""The demo's story: FCFS, the earmark release at the deadline, the optimiser, breakouts."""

from __future__ import annotations

import subprocess
import sys
from importlib.util import find_spec

from seatalloc.cli.demo import demo_problem, run_release
from seatalloc.fairness import violations
from seatalloc.fcfs import allocate


def test_the_ledger_matches_fcfs_then_the_release_fills_every_seat_it_can() -> None:
    problem = demo_problem(2020)
    release = run_release(problem)
    fcfs = allocate(problem)
    assert dict(release.before.assignments) == dict(fcfs.assignments)
    before, after = release.before.metrics(), release.after.metrics()
    assert before["empty_seats"] > 0 and before["waitlisted"] > 0
    filled = before["empty_seats"] - after["empty_seats"]
    assert len(release.promoted) == filled == before["waitlisted"] - after["waitlisted"]
    assert after["empty_seats"] == 0 or after["waitlisted"] == 0
    # Everyone seated before is seated still, in the same session: a release takes no seat.
    for request_id, session in release.before.assignments.items():
        if session is not None:
            assert release.after.assignments[request_id] == session
    # Without the earmarks, nobody waiting could take a free seat (non-wasteful).
    free = problem.replace(quotas=[q for q in problem.quotas if q.group is None])
    assert violations(free, release.after.assignments, checks=("capacity", "waste")) == []


def test_sections_are_printed_as_they_finish_with_progress_on_stderr() -> None:
    """Read the demo's output as it comes: FCFS appears before the later steps end."""
    process = subprocess.Popen(
        [sys.executable, "-m", "seatalloc", "demo"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    try:
        seen: list[str] = []
        while "== First come, first served ==\n" not in seen:
            line = process.stdout.readline()
            assert line, "the demo ended before printing its FCFS section"
            seen.append(line)
        # The FCFS section is out while the process still works on later steps.
        still_running = process.poll() is None
        rest, err = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    out = "".join(seen) + rest
    assert process.returncode == 0, err
    if find_spec("ortools") is not None:  # then the optimiser's seconds follow FCFS
        assert still_running
    order = [
        out.index(h)
        for h in (
            "== First come, first served ==",
            "== Earmarks released at the registration deadline ==",
            "== Optimised",
            "== Breakout tables",
        )
    ]
    assert order == sorted(order)
    assert [line.split("]")[0] for line in err.splitlines()] == [
        f"seatalloc demo [{n}/4" for n in range(1, 5)
    ]
