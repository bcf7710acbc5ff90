"""``seatalloc ledger``: operate an online booking ledger (an SQLite file or a PostgreSQL URL).

Each action is one ledger operation; every changed decision is printed as a
tab-separated line: id, status, session (or waitlist position), reason, note.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from seatalloc.allocation import Decision
from seatalloc.booking import Ledger, LedgerSetup, PromotionMode, Time
from seatalloc.booking.ledger import DEFAULT_HORIZON, wall_clock
from seatalloc.cli._output import FORMATS, render
from seatalloc.io import load_scenario, parse_requests_csv
from seatalloc.io._files import read_text
from seatalloc.io.requests import parse_arrival
from seatalloc.model import PartyRule, Request
from seatalloc.stores import open_store

__all__ = ["register"]

_DURATION = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _time(text: str) -> Time:
    value = parse_arrival(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"not an integer or ISO date-time: {text!r}")
    return value


def _window(text: str) -> int | timedelta:
    if text.isdigit():
        return int(text)
    match = _DURATION.fullmatch(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"not ticks (an integer) or a duration like 48h: {text!r}")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def _open(args: argparse.Namespace) -> Ledger:
    store = open_store(args.db, lock_timeout=args.lock_timeout)
    setup = store.setup()
    ledger = Ledger(store, clock=wall_clock(setup))
    ints = isinstance(setup.offer_window, int) or any(
        isinstance(q.release, int) for q in setup.scenario.quotas
    )
    if not ints and not getattr(args, "far_future", False):
        ledger.horizon = DEFAULT_HORIZON
    return ledger


def _header() -> None:
    """The header line above the tab-separated decision lines."""
    print("\t".join(("request", "status", "session_or_position", "reason", "note")))


def _print(decisions: Iterable[Decision]) -> None:
    """One tab-separated line per decision."""
    for d in decisions:
        where = d.session if d.session is not None else d.position
        cells = (d.request, d.status.value, where, d.reason.value, d.note)
        print("\t".join("-" if c is None else str(c) for c in cells))


def _init(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    if scenario.requests:
        print(
            f"note: the scenario's {len(scenario.requests)} requests are not submitted; "
            "use 'seatalloc ledger submit'",
            file=sys.stderr,
        )
    store = open_store(args.db, create=True, lock_timeout=args.lock_timeout)
    mode = PromotionMode(args.mode)
    store.initialise(LedgerSetup(scenario.replace(requests=()), mode, args.offer_window))
    print(f"{args.db}: ledger created ({len(scenario.sessions)} sessions, mode {mode.value})")
    return 0


def _units(requests: Iterable[Request], together: bool) -> list[list[Request]]:
    """Rows in file order; a party's members go together at its first row."""
    units: list[list[Request]] = []
    party_unit: dict[str, list[Request]] = {}
    for request in requests:
        if together and request.party is not None:
            if request.party in party_unit:
                party_unit[request.party].append(request)
                continue
            party_unit[request.party] = [request]
            units.append(party_unit[request.party])
        else:
            units.append([request])
    return units


def _submit(args: argparse.Namespace) -> int:
    ledger = _open(args)
    requests = parse_requests_csv(read_text(args.requests), args.requests)
    together = ledger.setup.scenario.policy.parties is PartyRule.TOGETHER
    _header()
    for unit in _units(requests, together):
        _print(ledger.submit_party(unit, at=args.at))
    return 0


def _show(args: argparse.Namespace) -> int:
    sys.stdout.write(render(_open(args).allocation(), args.format))
    if args.format == "table":
        print()
    return 0


def _erase(args: argparse.Namespace) -> int:
    _open(args).erase(args.id)
    print(f"{args.id}: free attributes erased")
    return 0


def _verify(args: argparse.Namespace) -> int:
    problems = _open(args).verify()
    for problem in problems:
        print(problem)
    agrees = "the replay of the log agrees with the materialised state and the ledger"
    print(agrees if not problems else f"{len(problems)} differences")
    return 1 if problems else 0


def _action(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        ledger = _open(args)
        calls: dict[str, Callable[[], tuple[Decision, ...]]] = {
            "withdraw": lambda: ledger.withdraw(args.id, at=args.at),
            "accept": lambda: ledger.accept(args.id, at=args.at),
            "decline": lambda: ledger.decline(args.id, at=args.at),
            "release": lambda: ledger.release(at=args.at, quota=args.quota),
            "capacity": lambda: ledger.set_capacity(args.session, args.capacity, at=args.at),
            "tick": lambda: ledger.tick(at=args.at),
        }
        decisions = calls[name]()
        _header()
        _print(decisions)
        return 0

    return run


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ledger",
        help="operate an online booking ledger (SQLite file)",
        description="Submit, withdraw, release and inspect an online booking ledger.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help: str, func: Callable[[argparse.Namespace], int]) -> Any:
        sub = actions.add_parser(name, help=help, description=help)
        sub.add_argument(
            "db", metavar="DB", help="the ledger: an SQLite file or a postgresql:// URL"
        )
        sub.add_argument(
            "--lock-timeout", type=float, default=10.0, metavar="SECONDS",
            help="how long to wait for another process's lock (default: 10)",
        )  # fmt: skip
        sub.set_defaults(func=func)
        return sub

    def timed(sub: Any) -> None:
        sub.add_argument(
            "--at", type=_time, metavar="TIME",
            help="the time of the operation, with a time zone (default: now)",
        )  # fmt: skip
        sub.add_argument(
            "--far-future", action="store_true",
            help="allow --at more than a day ahead of the clock",
        )  # fmt: skip

    init = action("init", "create a ledger from a scenario", _init)
    init.add_argument(
        "--scenario",
        required=True,
        metavar="SCENARIO.toml",
        help="sessions, groups, quotas and policy of the ledger (its requests are not submitted)",
    )
    init.add_argument(
        "--mode", choices=[m.value for m in PromotionMode], default=PromotionMode.DIRECT.value,
        help="direct: promote into seats; offer: hold seats until accepted (default: direct)",
    )  # fmt: skip
    init.add_argument(
        "--offer-window", type=_window, metavar="W", help="offer mode: ticks, or e.g. 48h"
    )
    submit = action("submit", "submit every row of a requests CSV, in order", _submit)
    submit.add_argument(
        "--requests",
        required=True,
        metavar="REQUESTS.csv",
        help="requests to submit, one decision per row, in the file's arrival order",
    )
    timed(submit)
    for name, help in (
        ("withdraw", "withdraw a request; prints the promotions"),
        ("accept", "accept a held offer"),
        ("decline", "decline a held offer; prints the promotions"),
    ):
        sub = action(name, help, _action(name))
        sub.add_argument("id", metavar="ID", help="the request's id")
        timed(sub)
    release = action("release", "apply quota releases due now (or --at)", _action("release"))
    release.add_argument("--quota", metavar="KEY", help="also release this quota at once")
    timed(release)
    capacity = action("capacity", "change a session's capacity (0 cancels)", _action("capacity"))
    capacity.add_argument("session", metavar="SESSION", help="the session's id")
    capacity.add_argument("capacity", type=int, metavar="N", help="its new number of seats")
    timed(capacity)
    tick = action("tick", "apply offer expiries and releases due now (or --at)", _action("tick"))
    timed(tick)
    erase = action("erase", "erase a request's free attributes (personal data) for good", _erase)
    erase.add_argument("id", metavar="ID", help="the request whose free attributes to erase")
    verify = action("verify", "replay the whole log and compare it with the stored state", _verify)
    del verify
    show = action("show", "print rosters and waitlist", _show)
    show.add_argument(
        "--format", choices=FORMATS, default="table",
        help="table (text), json or csv, as 'seatalloc allocate' writes them (default: table)",
    )  # fmt: skip
