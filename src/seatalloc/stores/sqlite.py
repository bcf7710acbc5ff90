"""The durable store: one SQLite file shared safely by many processes (standard library only).

Each operation is one ``BEGIN IMMEDIATE`` transaction: it takes SQLite's
write lock before it reads, so two processes never decide on the same
state, and a killed process leaves the file as it was before the operation
or after it. WAL journaling lets readers work while a writer writes.

Schema (version 3, kept in ``PRAGMA user_version``; a version 2 file is
migrated when opened, docs/booking.md "Schema"):

- ``meta(key, value)``: ``setup`` holds the ledger's settings as JSON.
- ``events(seq, kind, at, request, body)``: the log; ``seq`` is the primary key.
- The materialised state, written in the transaction of the events it follows
  from, and all a new process reads to decide (never the log):
  ``requests(id, unit, ord, status, reason, session, note, expires, cause,
  request, last_event)``, each request's entry; ``capacities(session,
  capacity)``; ``released(quota)``.
- ``attributes(request, body)``: free attributes (personal data), apart from the
  log so that erasing them leaves the log whole. ``secure_delete`` overwrites
  deleted bytes, and an erasure truncates the WAL file after its commit.

SQLite's failures are raised as the ledger's :class:`StoreError` subclasses.
"""

from __future__ import annotations

import os
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from seatalloc.booking.events import (
    Event,
    EventKind,
    LedgerError,
    LedgerSetup,
    LockTimeoutError,
    NotALedgerError,
    ReadOnlyError,
    StoreError,
    StoreFullError,
)
from seatalloc.booking.state import Entry, LedgerState, Materialised
from seatalloc.stores._codec import (
    dump_entry,
    dump_event,
    dump_setup,
    dump_time,
    load_entries,
    load_event,
    load_setup,
    load_time,
    side_writes,
)

__all__ = ["MIGRATES_FROM", "SCHEMA_VERSION", "SQLiteStore"]

SCHEMA_VERSION = 3
MIGRATES_FROM = 2
"""The oldest schema version this seatalloc migrates on open (to :data:`SCHEMA_VERSION`)."""
_BUSY, _LOCKED, _READONLY, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 11, 13, 14, 26

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
CREATE TABLE attributes (request TEXT PRIMARY KEY, body TEXT NOT NULL);
"""

_STATE = """
CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    unit TEXT NOT NULL,
    ord INTEGER NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    session TEXT,
    note TEXT,
    expires TEXT,
    cause INTEGER,
    grp TEXT NOT NULL,
    role TEXT NOT NULL,
    arrival TEXT NOT NULL,
    sessions TEXT NOT NULL,
    party TEXT,
    last_event INTEGER NOT NULL REFERENCES events (seq)
);
CREATE TABLE capacities (session TEXT PRIMARY KEY, capacity INTEGER NOT NULL);
CREATE TABLE released (quota TEXT PRIMARY KEY);
"""
_ENTRY = (
    f"INSERT INTO requests VALUES ({', '.join('?' * 15)}) ON CONFLICT (id) DO UPDATE SET "
    "unit = excluded.unit, ord = excluded.ord, status = excluded.status, "
    "reason = excluded.reason, session = excluded.session, note = excluded.note, "
    "expires = excluded.expires, cause = excluded.cause, grp = excluded.grp, "
    "role = excluded.role, arrival = excluded.arrival, sessions = excluded.sessions, "
    "party = excluded.party, last_event = excluded.last_event"
)
_ENTRY_COLUMNS = (
    "id, unit, ord, status, reason, session, note, expires, cause, "
    "grp, role, arrival, sessions, party"
)
_CAPACITY = (
    "INSERT INTO capacities VALUES (?, ?) ON CONFLICT (session) "
    "DO UPDATE SET capacity = excluded.capacity"
)
_SIDE = {
    "forget": "DELETE FROM attributes WHERE request = ?",
    "keep": "INSERT INTO attributes VALUES (?, ?) ON CONFLICT (request) "
    "DO UPDATE SET body = excluded.body",
    "release": "INSERT INTO released VALUES (?) ON CONFLICT DO NOTHING",
    "capacity": _CAPACITY,
}
"""The statement of each side write (:func:`side_writes`)."""


class _Missing:
    """No connection yet: the file does not exist, and only ``initialise`` creates it."""

    def __getattr__(self, name: str) -> object:
        raise NotALedgerError("no such ledger file: create one with 'seatalloc ledger init'")


_MISSING: sqlite3.Connection = _Missing()  # type: ignore[assignment]


class SQLiteStore:
    """A ledger's log in an SQLite file; open one per process (or per thread).

    ``durable`` (the default) syncs every commit to disk (``synchronous=FULL``),
    so a committed decision survives a power cut, not only a killed process.
    ``timeout`` is how long an operation waits for another's lock before a
    :class:`LockTimeoutError`. A path that does not exist is an error
    (:class:`NotALedgerError`, nothing is created) unless ``create``.
    ``read_only`` opens the file for reading only; ``threads`` lets the
    connection be used from several threads (the caller serialises, as a
    :class:`Ledger` does).

    ``locking=False`` exists only so the test suite can show that its stress
    test detects overselling: operations then read without the lock and write
    later, after ``unsafe_window`` seconds. Never use it.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        durable: bool = True,
        timeout: float = 10.0,
        locking: bool = True,
        unsafe_window: float = 0.0,
        create: bool = False,
        read_only: bool = False,
        threads: bool = False,
    ) -> None:
        self.path = os.fspath(path)
        self.locking = locking
        self.timeout = timeout
        self._window = unsafe_window
        self._erased = False
        self._setup: LedgerSetup | None = None
        self._options = (durable, read_only, threads)
        self._db = _MISSING
        if create or os.path.exists(self.path):
            self._connect(create=create)

    def _connect(self, *, create: bool) -> None:
        durable, read_only, threads = self._options
        mode = "ro" if read_only else ("rwc" if create else "rw")
        uri = f"file:{urllib.parse.quote(os.path.abspath(self.path))}?mode={mode}"
        with self._translated():
            # isolation_level=None: no implicit transactions; each operation says BEGIN itself.
            self._db = sqlite3.connect(
                uri, uri=True, timeout=self.timeout, isolation_level=None,
                check_same_thread=not threads,
            )  # fmt: skip
            if not read_only:
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA secure_delete=ON")

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """SQLite's errors as the ledger's, each saying what to do."""
        try:
            yield
        except sqlite3.Error as error:
            raise _translate(error, self.path, self.timeout) from None

    def close(self) -> None:
        """Close the connection."""
        if self._db is not _MISSING:
            self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _version(self) -> int:
        version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, MIGRATES_FROM, SCHEMA_VERSION):
            raise NotALedgerError(
                f"{self.path}: ledger schema version {version}; this seatalloc reads version "
                f"{SCHEMA_VERSION} (and migrates {MIGRATES_FROM}): use the seatalloc version "
                "that wrote it"
            )
        return version

    def setup(self) -> LedgerSetup:
        if self._setup is None:
            if self._db is _MISSING:
                raise NotALedgerError(
                    f"{self.path}: no such ledger file; check the path, or create one with "
                    "'seatalloc ledger init'"
                )
            with self._translated():
                row = None
                version = self._version()
                if version != 0:
                    row = self._db.execute("SELECT value FROM meta WHERE key = 'setup'").fetchone()
            if row is None:
                raise NotALedgerError(
                    f"{self.path} holds no ledger: run 'seatalloc ledger init' first"
                )
            try:
                setup = load_setup(row[0])
            except (ValueError, KeyError, TypeError) as error:
                raise NotALedgerError(
                    f"{self.path}: the ledger's settings row is malformed "
                    f"({type(error).__name__}); restore the file from a backup"
                ) from None
            if version == MIGRATES_FROM:
                self._migrate(setup)
            self._setup = setup
        return self._setup

    def _migrate(self, setup: LedgerSetup) -> None:
        """Bring a version 2 file to version 3: materialise its state by one full replay."""
        if self._options[1]:
            raise ReadOnlyError(
                f"{self.path}: ledger schema version {MIGRATES_FROM} must be migrated to "
                f"{SCHEMA_VERSION} before use; open it once writable (e.g. 'seatalloc ledger "
                "verify' with write permission), which migrates it"
            )
        with self._translated(), self._transaction():
            if self._version() != MIGRATES_FROM:
                return  # another process migrated it meanwhile
            state = LedgerState.replay(setup, self.events(after=0))
            self._db.execute("DROP TABLE requests")
            self._create_state(state.capacities)
            self._db.executemany(
                _ENTRY, [(*dump_entry(e), state.seq) for e in state.entries.values()]
            )
            self._db.executemany("INSERT INTO released VALUES (?)", [(k,) for k in state.released])
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _create_state(self, capacities: Mapping[str, int]) -> None:
        for statement in _STATE.split(";"):
            if statement.strip():
                self._db.execute(statement)
        self._db.executemany(_CAPACITY, capacities.items())

    def initialise(self, setup: LedgerSetup) -> None:
        if self._db is _MISSING:
            self._connect(create=True)
        with self._translated(), self._transaction():
            if self._version() != 0:
                raise LedgerError(f"{self.path} already holds a ledger")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._create_state({s.id: s.capacity for s in setup.scenario.sessions})
            self._db.execute("INSERT INTO meta VALUES ('setup', ?)", (dump_setup(setup),))
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._setup = setup

    @contextmanager
    def _transaction(self, kind: str = "IMMEDIATE") -> Iterator[None]:
        # BEGIN IMMEDIATE takes the write lock now, before anything is read.
        self._db.execute(f"BEGIN {kind}")
        try:
            yield
        except BaseException:
            if self._db.in_transaction:  # SQLite may have rolled back already (disk full)
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def operation(self) -> Iterator[None]:
        with self._translated():
            if not self.locking:
                yield
            else:
                with self._transaction():
                    yield
            if self._erased:
                # Erased bytes may linger in the WAL file's old frames: empty it now.
                self._erased = False
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def events(self, after: int) -> list[Event]:
        return self._events("e.seq > ?", after)

    def history(self, request_id: str) -> list[Event]:
        return self._events("e.request = ?", request_id)

    def _events(self, where: str, value: object) -> list[Event]:
        with self._translated():
            rows = self._db.execute(
                "SELECT e.seq, e.kind, e.at, e.request, e.body, a.body FROM events e "
                "LEFT JOIN attributes a ON a.request = e.request AND e.kind IN (?, ?) "
                f"WHERE {where} ORDER BY e.seq",
                (EventKind.SUBMITTED.value, EventKind.CORRECTED.value, value),
            )
            return [load_event(*row) for row in rows]

    def materialised(self) -> Materialised:
        with self._translated():
            if self._db.in_transaction:
                return self._materialised()
            with self._transaction("DEFERRED"):  # one snapshot for all the reads
                return self._materialised()

    def _materialised(self) -> Materialised:
        db = self._db
        last = db.execute("SELECT seq, at FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        rows = db.execute(f"SELECT {_ENTRY_COLUMNS} FROM requests")
        entries = load_entries(rows, dict(db.execute("SELECT request, body FROM attributes")))
        return Materialised(
            seq=0 if last is None else last[0],
            at=None if last is None else load_time(last[1]),
            entries=entries,
            capacities=dict(db.execute("SELECT session, capacity FROM capacities")),
            released=frozenset(k for (k,) in db.execute("SELECT quota FROM released")),
        )

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
        rows = [(e.kind.value, dump_time(e.at), e.request, dump_event(e)) for e in events]
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
        for write, values in side_writes(events):
            db.execute(_SIDE[write], values)
        self._erased = self._erased or any(e.kind is EventKind.ERASED for e in events)
        db.executemany(_ENTRY, [(*dump_entry(e), last) for e in entries.values()])

    def statuses(self) -> dict[str, tuple[str, str | None]]:
        """Request id to its current (status, session), as the ``requests`` table holds them."""
        with self._translated():
            rows = self._db.execute("SELECT id, status, session FROM requests")
            return {rid: (status, session) for rid, status, session in rows}

    def integrity(self) -> str:
        """SQLite's own ``PRAGMA integrity_check`` answer: ``"ok"`` when the file is sound."""
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])


def _translate(error: sqlite3.Error, path: str, timeout: float) -> StoreError:
    """The ledger error for an SQLite error: what went wrong, and what to do."""
    code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
    if code in (_BUSY, _LOCKED):
        return LockTimeoutError(
            f"{path}: another process held the ledger's lock for more than {timeout:g} s; "
            "nothing was written: try again, or raise --lock-timeout"
        )
    if code == _READONLY:
        return ReadOnlyError(
            f"{path} is read-only: nothing was written; check the permissions of the file "
            "and of its directory (SQLite writes a -wal file beside it)"
        )
    if code == _FULL:
        return StoreFullError(
            f"{path}: the disk (or the database's size limit) is full; nothing was written: "
            "free space and try again"
        )
    if code in (_CORRUPT, _NOTADB, _CANTOPEN):
        return NotALedgerError(
            f"{path} is not a seatalloc ledger, or it is damaged: check the path, or restore "
            "the file from a backup"
        )
    return StoreError(f"{path}: the database failed ({type(error).__name__}); nothing was written")
