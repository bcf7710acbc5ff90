"""The waitlist filed by what blocks each unit, so a pass examines only who could use new room.

Every waitlisted unit is filed, for each session it accepts, under the
counters (a session's seats, quotas: see engine.py) that lack room for it
there, each with the room it needs of it: its *key*. The unit can come to
fit in that session only once every counter of the key has that room, and a
counter gains room only when a seat is freed, a session grows or a quota is
released. So a promotion pass looks only at the keys holding a counter that
gained room since the last pass, and walks those whose counters all have the
room they name (*open* keys: one free seat opens no key of a party of three) in queue order,
leaving the rest of a key's units where they are once it closes again; the
*ready* units (filed with a session where nothing blocked them: a displaced
unit, a party that lost a member) are always walked. Whoever is examined and
still waits is filed again, by the state, after the pass. A state built in
bulk (a replay, a restore) defers its filings to its first pass.

This gives the events of a pass over the whole waitlist: seating only spends
room, so a unit not examined lacks room in every session when its turn would
come, and the units examined are met in the same order.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from seatalloc.engine import Engine, Shortfall
from seatalloc.model import Quota

__all__ = ["WaitlistIndex"]

_Key = tuple[tuple[int, int], ...]
"""(counter, room needed) pairs, sorted (of ints: the garbage collector stops tracking them)."""
_READY: _Key = ()
"""The key of the units that may fit without any counter gaining room."""
_SLACK = 1024
"""Stale entries tolerated beyond twice the live ones before the lists are rebuilt."""


class _Filing(NamedTuple):
    generation: int
    """Unique per filing: entries of an older filing of the unit are stale."""
    order: int
    size: int
    keys: tuple[_Key, ...]
    """One per blocked session (alike ones once), ``(_READY,)``, or none (no session)."""


class WaitlistIndex:
    """Per key, the waitlisted units it blocks, as heaps of (order, generation, unit)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._counter = {
            (limit.session, limit.quota): c
            for c, limit in enumerate(engine.limit(c) for c in range(len(engine.left)))
        }
        """What a counter caps (as a shortfall names it) to the counter."""
        self._filed: dict[str, _Filing] = {}
        self._deferred: dict[str, None] = {}
        """Waitlisted units not filed yet (the state was built in bulk)."""
        self._lists: dict[_Key, list[tuple[int, int, str]]] = {}
        self._keys_with: dict[int, set[_Key]] = {}
        """Counter to the keys (with a list) that hold it."""
        self._gained: set[int] = set()
        self._released: set[int] = set()
        self._known: dict[int, tuple[Sequence[Shortfall], tuple[_Key, ...]]] = {}
        """Keys by the id of the blocks they were made from (kept alive here, so ids stay)."""
        self._generation = 0
        self._stored = 0
        """Entries in all lists, stale ones included (compacted when mostly stale)."""
        self._live = 0

    def stale(self, unit: str, size: int) -> bool:
        """Whether ``unit``, waiting with ``size`` members, is neither filed so nor deferred."""
        filing = self._filed.get(unit)
        return (filing is None or filing.size != size) and unit not in self._deferred

    def defer(self, unit: str) -> None:
        """Leave ``unit`` to be filed by the next pass (a state built in bulk files nothing)."""
        self.drop(unit)
        self._deferred[unit] = None

    def take_deferred(self) -> list[str]:
        """The deferred units, in the order deferred; none are deferred afterwards."""
        units = list(self._deferred)
        self._deferred.clear()
        return units

    def file(
        self, unit: str, order: int, size: int, sessions: Sequence[str], blocks: Sequence[Shortfall]
    ) -> None:
        """File ``unit`` by ``blocks``, what lacks room for it in each of its ``sessions`` now."""
        self.drop(unit)
        filed = self._keys(sessions, blocks)
        self._generation += 1
        self._filed[unit] = _Filing(self._generation, order, size, filed)
        entry = (order, self._generation, unit)
        for key in filed:
            heap = self._lists.get(key)
            if heap is None:
                heap = self._lists[key] = []
                for c, _ in key:
                    self._keys_with.setdefault(c, set()).add(key)
            heapq.heappush(heap, entry)
        self._stored += len(filed)
        self._live += len(filed)
        if self._stored > 2 * self._live + _SLACK:
            self._compact()

    def _keys(self, sessions: Sequence[str], blocks: Sequence[Shortfall]) -> tuple[_Key, ...]:
        """The keys ``blocks`` file a unit under; remembered for the same ``blocks`` object
        (the state's blocks cache hands the same one to alike units while seats stay)."""
        if not blocks:
            return (_READY,) if sessions else ()
        known = self._known.get(id(blocks))
        if known is not None and known[0] is blocks:
            return known[1]
        by_session: dict[str, set[tuple[int, int]]] = {s: set() for s in sessions}
        counter = self._counter
        for block in blocks:
            c = counter[block.limit.session, block.limit.quota]
            by_session[block.session].add((c, block.needed))
        keys = {tuple(sorted(counters)) for counters in by_session.values()}
        filed = (_READY,) if _READY in keys else tuple(keys)
        if len(self._known) >= 4096:
            self._known.clear()
        self._known[id(blocks)] = (blocks, filed)
        return filed

    def drop(self, unit: str) -> None:
        """Unfile ``unit`` (seated, gone, or about to be filed again)."""
        filing = self._filed.pop(unit, None)
        if filing is not None:
            self._live -= len(filing.keys)
        self._deferred.pop(unit, None)

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
        lists = self._lists
        gained, self._gained = self._gained, set()
        keys = [_READY, *{key for c in gained for key in self._keys_with.get(c, ())}]
        heads: list[tuple[int, int]] = []
        for i, key in enumerate(keys):
            if self._open(key):
                self._push_head(heads, keys, i)
        examined: set[str] = set()
        while heads:
            _, i = heapq.heappop(heads)
            key = keys[i]
            if not self._open(key):
                continue  # closed again: the rest of its units stay filed under it
            _, generation, unit = heapq.heappop(lists[key])
            self._stored -= 1
            self._push_head(heads, keys, i)
            filing = self._filed.get(unit)
            if unit not in examined and filing is not None and filing.generation == generation:
                examined.add(unit)
                examine(unit)
        return examined

    def _open(self, key: _Key) -> bool:
        """Whether every counter of ``key`` has the room it names (or binds nobody any more)."""
        left, released = self._engine.left, self._released
        return all(left[c] >= needed or c in released for c, needed in key)

    def _push_head(self, heads: list[tuple[int, int]], keys: list[_Key], i: int) -> None:
        """Put the first live entry of list ``keys[i]`` among the ``heads`` to merge, as
        (its order, ``i``); stale entries before it are dropped."""
        key = keys[i]
        heap = self._lists.get(key)
        if heap is None:
            return
        filed = self._filed
        while heap:
            order, generation, unit = heap[0]
            filing = filed.get(unit)
            if filing is not None and filing.generation == generation:
                heapq.heappush(heads, (order, i))
                return
            heapq.heappop(heap)
            self._stored -= 1
        del self._lists[key]
        for c, _ in key:
            self._keys_with[c].discard(key)

    def _compact(self) -> None:
        """Rebuild the lists from the filings alone (amortised over the stale entries)."""
        lists: dict[_Key, list[tuple[int, int, str]]] = {}
        for unit, filing in self._filed.items():
            for key in filing.keys:
                lists.setdefault(key, []).append((filing.order, filing.generation, unit))
        keys_with: dict[int, set[_Key]] = {}
        for key, heap in lists.items():
            heapq.heapify(heap)
            for c, _ in key:
                keys_with.setdefault(c, set()).add(key)
        self._lists, self._keys_with = lists, keys_with
        self._stored = self._live
