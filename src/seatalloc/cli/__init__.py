"""The ``seatalloc`` command: parses, calls the library, prints. No rule lives here.

Each sub-command is a module in this package with ``register(subparsers)``;
it sets ``func`` on its parser, a callable taking the parsed namespace and
returning the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

import seatalloc
from seatalloc.errors import SeatallocError

__all__ = ["main"]

# Sub-command modules, in the order ``--help`` lists them.
COMMANDS = ("init", "demo", "allocate", "check", "breakouts", "ledger", "simulate", "serve")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="seatalloc", description="Capacity-constrained seat allocation."
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {seatalloc.__version__}",
        help="print the installed version and exit",
    )  # fmt: skip
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"seatalloc.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; bad input prints one clear message on stderr and exits non-zero."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except SeatallocError as error:
        print(f"seatalloc: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"seatalloc: error: {error.strerror or error}: {error.filename}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code
