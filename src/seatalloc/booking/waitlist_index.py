"""The waitlist filed by what blocks each unit, so a pass examines only who could use new room.

Every waitlisted unit is filed, for each session it accepts, under one
counter (a session's seats or a quota, see engine.py) that lacks room for it
there; a counter that blocks it in several sessions (a quota in total) is
preferred, so one entry covers them all. A filed unit can come to fit only
after one of its counters gains room: a seat freed, a session grown, a quota
released. So a pass examines, in queue order, the units filed under the
counters that gained room since the last pass, leaving the rest of a
counter's units where they are once it has no room left, and the *ready*
units (filed with a session where nothing blocked them: a displaced unit, a
party that lost a member). Whoever is examined and still waits is filed
again, by the state, after the pass.

This gives the events of a pass over the whole waitlist: seating only spends
room, so a unit skipped is still blocked by its counter when its turn would
come, and the units examined are met in the same order.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from seatalloc.engine import Engine, Shortfall
from seatalloc.model import Quota

__all__ = ["WaitlistIndex"]

_READY = -1
"""The list of the units that may fit without any counter gaining room."""


class _Filing(NamedTuple):
    generation: int
    """Unique per filing: entries of an older filing of the unit are stale."""
    order: int
    size: int
    lists: tuple[int, ...]
    """Counters it is filed under, ``(_READY,)``, or none (it accepts no session)."""


class WaitlistIndex:
    """Per counter, the waitlisted units it blocks, as heaps of (order, generation, unit)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._counter = {
            (limit.session, limit.quota): c
            for c, limit in enumerate(engine.limit(c) for c in range(len(engine.left)))
        }
        """What a counter caps (as a shortfall names it) to the counter."""
        self._filed: dict[str, _Filing] = {}
        self._lists: dict[int, list[tuple[int, int, str]]] = {}
        self._gained: set[int] = set()
        self._released: set[int] = set()
        self._generation = 0
        self._stored = 0
        """Entries in all lists, stale ones included (compacted when mostly stale)."""
        self._live = 0

    def size(self, unit: str) -> int | None:
        """The member count ``unit`` was filed with, or ``None`` when not filed."""
        filing = self._filed.get(unit)
        return None if filing is None else filing.size

    def file(
        self, unit: str, order: int, size: int, sessions: Sequence[str], blocks: Sequence[Shortfall]
    ) -> None:
        """File ``unit`` by ``blocks``, what lacks room for it in each of its ``sessions`` now."""
        self.drop(unit)
        by_session: dict[str, list[int]] = {s: [] for s in sessions}
        counter = self._counter
        for block in blocks:
            by_session[block.session].append(counter[block.limit.session, block.limit.quota])
        blocked = by_session.values()
        lists: tuple[int, ...]
        if not all(blocked):
            lists = (_READY,)
        else:
            spread = Counter(c for counters in blocked for c in counters)
            lists = tuple(sorted({max(cs, key=lambda c: (spread[c], -c)) for cs in blocked}))
        self._generation += 1
        self._filed[unit] = _Filing(self._generation, order, size, lists)
        entry = (order, self._generation, unit)
        for c in lists:
            heapq.heappush(self._lists.setdefault(c, []), entry)
        self._stored += len(lists)
        self._live += len(lists)
        if self._stored > 2 * self._live + 1024:
            self._compact()

    def drop(self, unit: str) -> None:
        """Unfile ``unit`` (seated, gone, or about to be filed again)."""
        filing = self._filed.pop(unit, None)
        if filing is not None:
            self._live -= len(filing.lists)

    def gain(self, counters: Iterable[int]) -> None:
        """Note that ``counters`` gained room: their units are examined in the next pass."""
        self._gained.update(counters)

    def gain_session(self, session: str) -> None:
        """Note that ``session``'s seats grew."""
        self._gained.add(self._counter[session, None])

    def release(self, quota: Quota) -> None:
        """``quota`` binds nobody from now on: its units are examined whatever its count."""
        counters = [c for (_, q), c in self._counter.items() if q == quota]
        self._released.update(counters)
        self._gained.update(counters)

    def save(self) -> tuple[frozenset[int], frozenset[int]]:
        """What :meth:`restore` needs to undo the gains of a failed operation."""
        return frozenset(self._gained), frozenset(self._released)

    def restore(self, saved: tuple[frozenset[int], frozenset[int]]) -> None:
        self._gained, self._released = set(saved[0]), set(saved[1])

    def walk(self, examine: Callable[[str], object]) -> set[str]:
        """Give ``examine`` each unit that may fit now, in queue order; return those given.

        ``examine`` seats the unit or not, and files nothing: the caller files
        the ones still waiting again afterwards.
        """
        left, released, lists = self._engine.left, self._released, self._lists
        gained, self._gained = self._gained, set()
        heads: list[tuple[int, int]] = []
        for c in (*gained, _READY):
            self._push_head(heads, c)
        examined: set[str] = set()
        while heads:
            _, c = heapq.heappop(heads)
            if c != _READY and c not in released and left[c] <= 0:
                continue  # full again: the rest of its units stay filed under it
            _, generation, unit = heapq.heappop(lists[c])
            self._stored -= 1
            self._push_head(heads, c)
            filing = self._filed.get(unit)
            if unit not in examined and filing is not None and filing.generation == generation:
                examined.add(unit)
                examine(unit)
        return examined

    def _push_head(self, heads: list[tuple[int, int]], c: int) -> None:
        """Put list ``c``'s first live entry among the ``heads`` to merge (stale ones dropped)."""
        heap = self._lists.get(c)
        if heap is None:
            return
        filed = self._filed
        while heap:
            _, generation, unit = heap[0]
            filing = filed.get(unit)
            if filing is not None and filing.generation == generation:
                heapq.heappush(heads, (heap[0][0], c))
                return
            heapq.heappop(heap)
            self._stored -= 1
        del self._lists[c]

    def _compact(self) -> None:
        """Rebuild the lists from the filings alone (amortised over the stale entries)."""
        lists: dict[int, list[tuple[int, int, str]]] = {}
        for unit, filing in self._filed.items():
            for c in filing.lists:
                lists.setdefault(c, []).append((filing.order, filing.generation, unit))
        for heap in lists.values():
            heapq.heapify(heap)
        self._lists = lists
        self._stored = self._live
