"""``seatalloc init``: write a commented scenario template to start from."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from seatalloc.errors import InputError
from seatalloc.io._files import write_text_atomic
from seatalloc.io.template import scenario_template, template_from_file

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "init",
        help="write a commented scenario template",
        description=(
            "Write a scenario TOML with every key explained. With --from, its sessions, "
            "groups and roles are those a requests file names; capacities are left for you."
        ),
    )
    parser.add_argument("out", metavar="SCENARIO.toml", help="the file to write")
    parser.add_argument(
        "--from",
        dest="source",
        metavar="REQUESTS",
        help="a requests file (.csv, or .xlsx/.ods with the 'excel' extra) to take names from",
    )
    parser.add_argument("--force", action="store_true", help="replace SCENARIO.toml if it exists")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not args.force:
        raise InputError(f"{out}: exists; use --force to replace it")
    text = scenario_template() if args.source is None else template_from_file(args.source, out)
    write_text_atomic(out, text)
    print(f"wrote {out}: set each capacity, then run: seatalloc allocate {out}")
    return 0
