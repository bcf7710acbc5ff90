"""The durable store: one SQLite file shared safely by many processes (standard library only).

Each operation is one ``BEGIN IMMEDIATE`` transaction: it takes SQLite's
write lock before it reads, so two processes never decide on the same
state, and a killed process leaves the file as it was before the operation
or after it. WAL journaling lets readers work while a writer writes.

Schema (version 1, kept in ``PRAGMA user_version``):

- ``meta(key, value)``: ``setup`` holds the ledger's settings as JSON.
- ``events(seq, kind, at, request, body)``: the log; ``seq`` is the primary key.
- ``requests(id, status, session, reason, last_event)``: the current status of
  every submitted request, one row each (a projection of the log, for SQL readers).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from seatalloc.booking.events import Event, LedgerError, LedgerSetup
from seatalloc.booking.state import Entry
from seatalloc.stores._codec import dump_event, dump_setup, load_event, load_setup

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    request TEXT,
    body TEXT NOT NULL
);
CREATE INDEX events_request ON events (request);
CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    session TEXT,
    reason TEXT NOT NULL,
    last_event INTEGER NOT NULL REFERENCES events (seq)
);
"""


class SQLiteStore:
    """A ledger's log in an SQLite file; open one per process (or per thread).

    ``durable`` (the default) syncs every commit to disk (``synchronous=FULL``),
    so a committed decision survives a power cut, not only a killed process.

    ``locking=False`` exists only so the test suite can show that its stress
    test detects overselling: operations then read without the lock and write
    later, after ``unsafe_window`` seconds. Never use it.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        durable: bool = True,
        timeout: float = 60.0,
        locking: bool = True,
        unsafe_window: float = 0.0,
    ) -> None:
        self.path = os.fspath(path)
        self.locking = locking
        self._window = unsafe_window
        # isolation_level=None: no implicit transactions; each operation says BEGIN itself.
        self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._setup: LedgerSetup | None = None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _version(self) -> int:
        version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise LedgerError(
                f"{self.path}: ledger schema version {version}; "
                f"this seatalloc reads version {SCHEMA_VERSION}"
            )
        return version

    def setup(self) -> LedgerSetup:
        if self._setup is None:
            row = None
            if self._version() == SCHEMA_VERSION:
                row = self._db.execute("SELECT value FROM meta WHERE key = 'setup'").fetchone()
            if row is None:
                raise LedgerError(f"{self.path} holds no ledger: run 'seatalloc ledger init' first")
            self._setup = load_setup(row[0])
        return self._setup

    def initialise(self, setup: LedgerSetup) -> None:
        with self._transaction():
            if self._version() != 0:
                raise LedgerError(f"{self.path} already holds a ledger")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute("INSERT INTO meta VALUES ('setup', ?)", (dump_setup(setup),))
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._setup = setup

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # BEGIN IMMEDIATE takes the write lock now, before anything is read.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def operation(self) -> Iterator[None]:
        if not self.locking:
            yield
            return
        with self._transaction():
            yield

    def events(self, after: int) -> list[Event]:
        rows = self._db.execute(
            "SELECT seq, kind, at, request, body FROM events WHERE seq > ? ORDER BY seq", (after,)
        )
        return [load_event(*row) for row in rows]

    def append(self, events: Sequence[Event], entries: Mapping[str, Entry]) -> None:
        if not events:
            return
        if not self.locking:
            # The overselling window: decided on what was read, written later without a check.
            time.sleep(self._window)
            with self._transaction():
                self._write(events, entries, keep_seq=False)
            return
        self._write(events, entries, keep_seq=True)

    def _write(
        self, events: Sequence[Event], entries: Mapping[str, Entry], *, keep_seq: bool
    ) -> None:
        db = self._db
        rows = [(e.kind.value, json_time(e), e.request, dump_event(e)) for e in events]
        if keep_seq:
            # The explicit seq is the primary key: a write decided on a stale log fails loudly.
            db.executemany(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?)",
                [(e.seq, *row) for e, row in zip(events, rows, strict=True)],
            )
            last = events[-1].seq
        else:
            for row in rows:
                cursor = db.execute(
                    "INSERT INTO events (kind, at, request, body) VALUES (?, ?, ?, ?)", row
                )
                last = cursor.lastrowid or 0
        db.executemany(
            "INSERT INTO requests VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "status = excluded.status, session = excluded.session, reason = excluded.reason, "
            "last_event = excluded.last_event",
            [(rid, e.status.value, e.session, e.reason.value, last) for rid, e in entries.items()],
        )

    def statuses(self) -> dict[str, tuple[str, str | None]]:
        """Request id to its current (status, session), as the ``requests`` table holds them."""
        rows = self._db.execute("SELECT id, status, session FROM requests")
        return {rid: (status, session) for rid, status, session in rows}

    def integrity(self) -> str:
        """SQLite's own ``PRAGMA integrity_check`` answer: ``"ok"`` when the file is sound."""
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])


def json_time(event: Event) -> str:
    """The event's time as JSON text (an integer or a quoted ISO date-time)."""
    at = event.at
    return f'"{at.isoformat()}"' if not isinstance(at, int) else str(at)
