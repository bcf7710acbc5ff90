"""``seatalloc serve``: the registration web app over a ledger (extra ``web``)."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from typing import Any

from seatalloc.io import load_scenario
from seatalloc.scenarios import workshop

__all__ = ["register"]

_TOKEN_ENV = "SEATALLOC_ORGANISER_TOKEN"


def _serve(args: argparse.Namespace) -> int:
    from seatalloc.web import LedgerService, create_app, open_ledger, serve

    scenario = workshop() if args.scenario is None else load_scenario(args.scenario)
    token = os.environ.get(_TOKEN_ENV) or secrets.token_urlsafe(16)
    service = LedgerService(lambda: open_ledger(args.db, scenario))
    app = create_app(service, organiser_token=token, lang=args.lang)
    print(f"serving {args.db} on http://{args.host}:{args.port}/", file=sys.stderr)
    if _TOKEN_ENV not in os.environ:
        print(f"organiser password (set {_TOKEN_ENV} to choose it): {token}", file=sys.stderr)
    try:
        serve(app, host=args.host, port=args.port)
    finally:
        service.close()
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the registration web app (extra 'web')",
        description=(
            "Serve participant pages, organiser pages and a JSON API over a booking ledger. "
            f"The organiser password comes from ${_TOKEN_ENV}, or is made up and printed."
        ),
    )
    parser.add_argument(
        "scenario", metavar="SCENARIO.toml", nargs="?", help="default: the embedded workshop"
    )
    parser.add_argument("--db", required=True, metavar="DB",
                        help="the ledger's SQLite file (created if new)")  # fmt: skip
    parser.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="default: 8000")
    parser.add_argument("--lang", choices=("sv", "en"), default="sv",
                        help="default language of the pages (default: sv)")  # fmt: skip
    parser.set_defaults(func=_serve)
