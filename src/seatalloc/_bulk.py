"""Building a million objects at once: the cyclic garbage collector paused meanwhile."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """The block runs with the cyclic collector off (as it was before, after).

    Bulk readers create millions of container objects that hold no cycles;
    the collector would walk all of them again and again while they are made
    (most of a plain ``list(csv.reader(...))``'s time at a million rows).
    Reference counting still frees everything at once; only the search for
    cycles waits until the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
