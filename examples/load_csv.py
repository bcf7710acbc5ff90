"""Loading a CSV: a scenario TOML that names a requests CSV, allocated and written out.

``examples/data/requests.csv`` is what a spreadsheet exports: semicolons,
CRLF line ends, non-ASCII names in free columns (personal data that
seatalloc never puts in a message). The scenario names the CSV; any other
requests file can be given with ``load_requests`` instead.

Run: ``python examples/load_csv.py OUTDIR`` (writes OUTDIR/allocation.json and .csv).
"""

from __future__ import annotations

import sys
from pathlib import Path

from seatalloc import ProblemError, allocate, load_allocation, load_scenario, write_allocation
from seatalloc.io import parse_requests

DATA = Path(__file__).resolve().parent / "data"


def main(outdir: Path) -> None:
    problem = load_scenario(DATA / "course.toml")  # reads data/requests.csv as well
    print(f"{len(problem.requests)} requests for {len(problem.sessions)} sessions")
    allocation = allocate(problem)
    for session, seated in allocation.rosters.items():
        print(f"  {problem.session_by_id[session].name}: {', '.join(seated)}")
    for request_id in allocation.waitlist:
        print(f"  {request_id}: {allocation.explain(request_id)}")

    write_allocation(allocation, outdir / "allocation.json")
    write_allocation(allocation, outdir / "allocation.csv", "csv")
    # The JSON reads back as the same allocation, checked against the problem.
    assert load_allocation(outdir / "allocation.json", problem) == allocation
    print(f"wrote {outdir / 'allocation.json'} and {outdir / 'allocation.csv'}")

    # A bad upload: every bad row is reported at once, by line and column.
    upload = "id,group,role,arrival,sessions,name\nz1,west,driver,soon,sat||sun,Örjan Secret\n"
    try:
        parse_requests(upload, problem.replace(requests=()), "upload.csv")
    except ProblemError as error:
        print(f"rejected upload:\n{error}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
