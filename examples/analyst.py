"""An analyst's questions about the workshop, answered by simulation.

With 1.5 times as many registrations as the 84 seats: how many end on the
waitlist, how often are a board's colleagues split across dates, and how
much do "prefer colleagues" and releasing the earmarked places two weeks
before the first date help? And what happens as demand grows?

Run: python examples/analyst.py OUTDIR   (writes policies.csv, policies.png
and demand-sweep.png into OUTDIR; needs the 'plot' extra for the plots).
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

from seatalloc import DemandModel, simulate, sweep
from seatalloc.plots import plot_policies, plot_sweep
from seatalloc.scenarios import workshop
from seatalloc.simulate import sweep_values


def main(outdir: Path) -> None:
    problem = workshop()
    first_date = problem.sessions[0].start
    assert first_date is not None
    # Registration opens a month before the first date; arrivals become date-times.
    demand = DemandModel(opens=first_date - timedelta(days=34))
    release: datetime = first_date - timedelta(days=14)

    result = simulate(
        problem, demand, runs=60, seed=2020,
        policies=("fcfs", "colleagues", "booking"), release=release,
    )  # fmt: skip
    (outdir / "policies.csv").write_text(result.to_csv(), encoding="utf-8")
    plot_policies(result, outdir / "policies.png")

    print(f"{result.runs} replications of the workshop, demand {demand.scale}x the seats")
    print(f"{'policy':<12}{'seated':>9}{'waitlisted':>12}{'boards split':>14}{'1st choice':>12}")
    summary = {(r["policy"], r["metric"]): r["mean"] for r in result.summary()}
    for policy in result.policies:
        print(
            f"{policy:<12}{summary[policy, 'seats_filled']:>9.1f}"
            f"{summary[policy, 'waitlisted']:>12.1f}{summary[policy, 'groups_split']:>14.1f}"
            f"{summary[policy, 'first_choice_rate']:>12.0%}"
        )
    print("booking: withdrawals applied, earmarks released", release.date(), "(two weeks before)")

    grown = sweep(
        problem, DemandModel(), "scale", sweep_values(0.5, 3.0, 6), runs=40, seed=2020,
        policies=("fcfs", "colleagues"),
    )  # fmt: skip
    plot_sweep(grown, outdir / "demand-sweep.png", metric="waitlisted")
    for row in grown.summary():
        if row["metric"] == "waitlisted" and row["policy"] == "fcfs":
            print(
                f"demand {row['scale']:.1f}x: {row['mean']:.1f} waitlisted "
                f"(95% interval {row['low']:.1f} to {row['high']:.1f})"
            )
    print(f"wrote policies.csv, policies.png and demand-sweep.png in {outdir}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd())
