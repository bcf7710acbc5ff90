"""The web app's one door to the booking ledger: every Ledger call the app makes is here.

The ledger is opened once per process. A ledger and its store are not
thread-safe (an SQLite connection belongs to the thread that opened it), so
every call runs on one dedicated worker thread, in arrival order: writes are
serialised in the process, and the store's own lock serialises them across
processes. A store that cannot get its lock in time raises
:class:`Unavailable`, which the app answers with 503 and ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import attrs

from seatalloc.allocation import Decision
from seatalloc.booking import (
    ConflictError,
    EventKind,
    Ledger,
    LedgerError,
    LedgerSetup,
    LockTimeoutError,
    Time,
    UnknownRequestError,
)
from seatalloc.model import Problem, Request
from seatalloc.stores import open_store

__all__ = [
    "ConflictError",
    "LedgerError",
    "LedgerService",
    "Overview",
    "Registered",
    "Unavailable",
    "UnknownRequestError",
    "open_ledger",
]

T = TypeVar("T")

# The secret half of a status link is kept only as its hash, in the request's attributes.
_LINK_KEY = "link_sha256"


class Unavailable(Exception):
    """The store could not be locked in time: try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int = 2) -> None:
        super().__init__("the booking ledger is busy; try again shortly")
        self.retry_after = retry_after


def open_ledger(db: str, scenario: Problem, *, lock_timeout: float = 5.0) -> Ledger:
    """Open the ledger in ``db``, creating it from ``scenario`` when the file holds none.

    A file that already holds a ledger keeps its own settings; if its
    scenario differs from ``scenario`` this is an error rather than a silent choice.
    """
    store = open_store(db, create=True, lock_timeout=lock_timeout)
    scenario = scenario.replace(requests=())
    try:
        setup = store.setup()
    except LedgerError:
        store.initialise(LedgerSetup(scenario))
        setup = store.setup()
    if setup.scenario != scenario:
        store.close()
        raise LedgerError(f"{db} holds a ledger for another scenario; use a new --db")
    ledger = Ledger(store, clock=_clock(setup))
    ledger.refresh()  # replay the log now, at start-up, not in the first request
    return ledger


def _clock(setup: LedgerSetup) -> Callable[[], Time]:
    """Now, as the ledger keeps time: aware UTC, or local wall time for naive release times."""
    times = [q.release for q in setup.scenario.quotas if q.release is not None]
    if isinstance(setup.offer_window, int) or any(isinstance(t, int) for t in times):
        raise LedgerError("this ledger counts time in integer ticks; the web app needs date-times")
    if any(isinstance(t, datetime) and t.tzinfo is None for t in times):
        return datetime.now
    return lambda: datetime.now(UTC)


@attrs.frozen
class Registered:
    """A submitted person: the ledger's decision and the secret link token to their page."""

    decision: Decision
    token: str


@attrs.frozen
class QuotaUse:
    """One earmark (quota): key, group, limit, seats taken under it, release time, released."""

    key: str
    group: str | None
    limit: int
    used: int
    release_at: Time | None
    released: bool


@attrs.frozen
class Overview:
    """Seats left per session and the use of every quota, as the ledger stands."""

    capacity: Mapping[str, int]
    seated: Mapping[str, int]
    quotas: tuple[QuotaUse, ...]

    def left(self, session: str) -> int:
        return max(0, self.capacity[session] - self.seated[session])

    def earmark_left(self, group: str) -> int | None:
        """Places still earmarked for ``group`` (unreleased group quotas), or ``None``."""
        lefts = [q.limit - q.used for q in self.quotas if q.group == group and not q.released]
        return max(0, min(lefts)) if lefts else None


def _locked(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)


class LedgerService:
    """The ledger of one process, called from async code through one worker thread.

    ``opener`` makes the ledger; it runs on the worker thread, which then owns
    the store's connection (e.g. ``lambda: open_ledger(db, scenario)``).
    """

    def __init__(self, opener: Callable[[], Ledger]) -> None:
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seatalloc-ledger")
        try:
            self._ledger = self._worker.submit(opener).result()
        except BaseException:
            self._worker.shutdown()
            raise
        self.scenario: Problem = self._ledger.setup.scenario

    def close(self) -> None:
        """Finish queued calls and stop the worker thread."""
        self._worker.shutdown(wait=True)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, partial(self._guarded, fn, *args))

    @staticmethod
    def _guarded(fn: Callable[..., T], *args: Any) -> T:
        try:
            return fn(*args)
        except LockTimeoutError as error:
            raise Unavailable() from error
        except sqlite3.OperationalError as error:
            if _locked(error):
                raise Unavailable() from error
            raise

    # -- participants ----------------------------------------------------------------

    async def register(self, members: Sequence[Request]) -> tuple[Registered, ...]:
        """Submit people as one unit; each gets a new secret link token."""
        return await self._run(self._register, tuple(members))

    def _register(self, members: tuple[Request, ...]) -> tuple[Registered, ...]:
        now = self._ledger.clock()
        secrets_ = [secrets.token_urlsafe(18) for _ in members]
        stamped = tuple(
            attrs.evolve(m, arrival=now, attributes={**m.attributes, _LINK_KEY: _digest(secret)})
            for m, secret in zip(members, secrets_, strict=True)
        )
        decisions = self._ledger.submit_party(stamped, at=now)
        return tuple(
            Registered(d, f"{m.id}.{s}")
            for d, m, s in zip(decisions, stamped, secrets_, strict=True)
        )

    async def find(self, token: str) -> tuple[Request, Decision, Time | None] | None:
        """The request a link token opens, its decision and its open offer's expiry; or ``None``."""
        return await self._run(self._find, token)

    def _find(self, token: str) -> tuple[Request, Decision, Time | None] | None:
        request_id, dot, secret = token.rpartition(".")
        if not dot or not request_id or not secret:
            return None
        try:
            history = self._ledger.history(request_id)
        except LedgerError:
            return None
        request = history[0].payload
        stored = None if request is None else request.attributes.get(_LINK_KEY)
        if request is None or not isinstance(stored, str):
            return None
        if not hmac.compare_digest(stored, _digest(secret)):
            return None
        decision = self._ledger.decision(request_id)
        offers = [e.expires for e in history if e.kind is EventKind.OFFERED]
        expires = offers[-1] if offers and decision.status.value == "offered" else None
        return request, decision, expires

    async def withdraw(self, request_id: str) -> int:
        """Withdraw; the number of people promoted."""
        return len(await self._run(self._ledger.withdraw, request_id))

    async def accept(self, request_id: str) -> None:
        await self._run(self._ledger.accept, request_id)

    async def decline(self, request_id: str) -> int:
        return len(await self._run(self._ledger.decline, request_id))

    async def overview(self) -> Overview:
        return await self._run(self._overview)

    def _overview(self) -> Overview:
        ledger = self._ledger
        rosters = ledger.rosters()
        released = ledger.released()
        seated = [self._request(r) for ids in rosters.values() for r in ids]
        quotas = tuple(
            QuotaUse(
                q.key, q.group, q.limit, sum(1 for r in seated if q.applies_to(r)),
                q.release, q.key in released,
            )
            for q in self.scenario.quotas
        )  # fmt: skip
        return Overview(ledger.capacities(), {s: len(ids) for s, ids in rosters.items()}, quotas)

    def _request(self, request_id: str) -> Request:
        payload = self._ledger.history(request_id)[0].payload
        assert payload is not None
        return payload

    # -- organiser -------------------------------------------------------------------

    async def rosters(self) -> dict[str, list[tuple[Request, Decision]]]:
        """Per session, the people holding a seat there, in arrival order."""
        return await self._run(self._rosters)

    def _rosters(self) -> dict[str, list[tuple[Request, Decision]]]:
        ledger = self._ledger
        return {
            s: [(self._request(r), ledger.decision(r)) for r in ids]
            for s, ids in ledger.rosters().items()
        }

    async def waitlist(self) -> list[tuple[Request, Decision]]:
        """The waitlist in queue order, with each decision (position, reason)."""
        return await self._run(self._waitlist)

    def _waitlist(self) -> list[tuple[Request, Decision]]:
        ledger = self._ledger
        return [(self._request(r), ledger.decision(r)) for r in ledger.waitlist()]

    async def set_capacity(self, session: str, capacity: int) -> int:
        """Change a session's capacity; the number of decisions that changed."""
        return len(await self._run(self._ledger.set_capacity, session, capacity))

    async def release(self, quota: str) -> int:
        """Release one quota now; the number of people promoted."""
        return len(await self._run(partial(self._ledger.release, quota=quota)))

    async def tick(self) -> int:
        """Let time pass (expire offers, apply due releases); the number promoted."""
        return len(await self._run(self._ledger.tick))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
