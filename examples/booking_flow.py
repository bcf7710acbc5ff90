"""Embedding batch first-come-first-served in a booking flow.

A booking site collects registrations while registration is open, then runs
``seatalloc.allocate`` once and sends every person a confirmation that says
where they sit, or where they stand on the waitlist and why.

Run: ``python examples/booking_flow.py OUTDIR`` (writes OUTDIR/confirmations.json).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from seatalloc import Group, Policy, Problem, Quota, Request, Session, Status, allocate

STOCKHOLM = timezone(timedelta(hours=1))
OPENS = datetime(2020, 10, 1, 9, 0, tzinfo=STOCKHOLM)


def registrations() -> list[Request]:
    """What the booking form stored: who, from which board, when, and which dates suit them.

    The e-mail address is a free attribute: seatalloc carries it but never
    prints it in an error or an explanation.
    """
    rows = [
        # id, board, role, minutes after opening, ranked dates, party, e-mail
        ("anna", "uppsala", "planner", 2, ("nov04", "nov25"), None, "anna@example.se"),
        ("bertil", "uppsala", "transport", 5, ("nov04",), None, "bertil@example.se"),
        (
            "cecilia",
            "skane",
            "energy-climate",
            7,
            ("nov25", "nov04"),
            "skane-1",
            "cecilia@example.se",
        ),
        ("david", "skane", "planner", 7, ("nov25", "nov04"), "skane-1", "david@example.se"),
        ("eva", "uppsala", "env-objectives", 9, (), None, "eva@example.se"),
        ("fredrik", "uppsala", "infrastructure", 12, ("nov04",), None, "fredrik@example.se"),
        ("gunilla", "skane", "transport", 15, ("nov04",), None, "gunilla@example.se"),
        ("hassan", "gotland", "planner", 20, ("nov04",), None, "hassan@example.se"),
    ]
    return [
        Request(
            rid, board, role, OPENS + timedelta(minutes=minutes), dates, party,
            attributes={"email": email},
        )
        for rid, board, role, minutes, dates, party, email in rows
    ]  # fmt: skip


def problem() -> Problem:
    """Two dates of three seats; each board may send at most three people in all."""
    sessions = [
        Session("nov04", 3, "4-5 November", OPENS.replace(month=11, day=4, hour=12)),
        Session("nov25", 3, "25-26 November", OPENS.replace(month=11, day=25, hour=12)),
    ]
    boards = [
        Group("uppsala", "Länsstyrelsen i Uppsala län"),
        Group("skane", "Länsstyrelsen Skåne"),
        Group("gotland", "Länsstyrelsen i Gotlands län"),
    ]
    quotas = [Quota(3, group=board.id) for board in boards]
    return Problem(sessions, boards, registrations(), quotas, Policy(parties="together"))


def confirmation(request: Request, sentence: str, seated: bool) -> dict[str, str]:
    """The message the booking site would send (the site, not seatalloc, uses the e-mail)."""
    subject = "Your place is confirmed" if seated else "You are on the waitlist"
    return {"to": request.attributes["email"], "subject": subject, "body": f"You are {sentence}."}


def main(outdir: Path) -> None:
    registered = problem()
    allocation = allocate(registered)
    messages = []
    for request in registered.order:  # arrival order, ties broken by the policy
        decision = allocation.decisions[request.id]
        seated = decision.status is Status.SEATED
        sentence = allocation.explain(request.id)
        print(f"{request.id:8} {decision.reason.value:15} {sentence}")
        messages.append({"request": request.id, **confirmation(request, sentence, seated)})
    path = outdir / "confirmations.json"
    path.write_text(json.dumps(messages, indent=2, ensure_ascii=False), encoding="utf-8")
    metrics = allocation.metrics()
    print(f"\n{metrics['seated']} seated, {metrics['waitlisted']} waitlisted; wrote {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
