"""``python -m seatalloc``: the same as the ``seatalloc`` command."""

from seatalloc.cli import main

raise SystemExit(main())
