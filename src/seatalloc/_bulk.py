"""Building a million objects at once: the cyclic garbage collector paused meanwhile."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """The block runs with the cyclic collector off, and what it built counts as old.

    Bulk readers create millions of container objects that hold no cycles;
    the collector would walk all of them again and again while they are made
    (most of a plain ``list(csv.reader(...))``'s time at a million rows), and
    once more right after the block. Reference counting still frees garbage
    at once; only the search for cycles waits. Afterwards the collector runs
    as it was, with the new objects in the oldest generation (where the
    survivors of a bulk load belong); a process that froze objects of its
    own (``gc.freeze``) keeps them frozen, and its new objects stay young.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            # Every tracked object to the oldest generation, without walking them.
            gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()
