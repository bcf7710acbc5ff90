"""The state each store materialises beside its log: what a new process reads, verify, migration.

A new ledger on a store reads the materialised state, not the history; the
full replay (``verify``) must equal it, and catches a tampered one; a ledger
written by schema version 2 is migrated when opened, or refused read-only.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from _postgres import fresh_database, postgres_server  # noqa: F401 (a fixture)
from test_booking import fingerprint

from seatalloc import Group, Policy, Problem, Quota, Request, Session, Status
from seatalloc.booking import Event, Ledger, LedgerState, NotALedgerError, ReadOnlyError
from seatalloc.booking.events import StoreError
from seatalloc.booking.store import Store
from seatalloc.stores import MemoryStore, SQLiteStore, open_store
from seatalloc.stores.postgres import PostgresStore
from seatalloc.stores.sqlite import SCHEMA_VERSION

DATA = Path(__file__).parent / "data"


def scenario() -> Problem:
    return Problem(
        [Session("a", 2), Session("b", 1)],
        [Group("g"), Group("h")],
        [],
        [Quota(1, "h", release=30)],
        Policy(parties="together"),
    )


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A function giving a fresh store and a second connection to the same place."""
    if request.param == "memory":
        store = MemoryStore()
        yield lambda: (store, lambda: store)
        return
    if request.param == "sqlite":
        target = str(tmp_path / "ledger.db")
    else:
        target = fresh_database(request.getfixturevalue("postgres_server"))
    yield lambda: (open_store(target, create=True), lambda: open_store(target))


def busy_ledger(store: Store) -> Ledger:
    """A ledger with offers, a party, a capacity change, a release, corrections and leavers."""
    ledger = Ledger.create(store, scenario(), clock=lambda: 0, mode="offer", offer_window=5)
    ledger.submit(Request("r1", "g", sessions=["a"], attributes={"email": "one@example.org"}), at=1)
    ledger.submit(Request("r2", "h", sessions=["a", "b"]), at=2)
    ledger.submit(Request("r3", "h"), at=3)
    ledger.submit_party([Request(f"p{i}", "g", party="p") for i in (1, 2)], at=4)
    ledger.submit(Request("r4", "g", attributes={"email": "four@example.org"}), at=5)
    ledger.withdraw("r1", at=6)
    ledger.set_capacity("b", 2, at=7)
    ledger.correct("r4", {"email": "four@example.net"}, at=8)
    ledger.withdraw("p1", at=9)
    ledger.tick(at=31)  # offers expire, the quota is released, the queue moves
    ledger.submit(Request("r5", "g"), at=32)
    return ledger


IDS = ("r1", "r2", "r3", "p1", "p2", "r4", "r5")


class Watched:
    """A store that records which events it was asked for (everything else passes through)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.asked: list[tuple[str, object]] = []

    def events(self, after: int) -> list[Event]:
        self.asked.append(("events", after))
        return self.store.events(after)

    def history(self, request_id: str) -> list[Event]:
        self.asked.append(("history", request_id))
        return self.store.history(request_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_a_new_ledger_decides_from_the_materialised_state_without_reading_the_log(
    new_store: Any,
) -> None:
    store, reconnect = new_store()
    ledger = busy_ledger(store)
    last = ledger.events()[-1].seq
    watched = Watched(reconnect())
    fresh = Ledger(watched, clock=lambda: 0)  # type: ignore[arg-type]
    decided = fresh.submit(Request("r6", "h"), at=40)
    # Only the events after the last one the materialised state follows from (none), asked
    # when restoring (before the lock) and again under it.
    assert watched.asked and set(watched.asked) == {("events", last)}
    twin = ledger.submit(Request("r6", "h"), at=40)
    assert decided == twin
    assert fingerprint(fresh._state) == fingerprint(ledger._state)
    replayed = LedgerState.replay(ledger.setup, ledger.events())
    assert fingerprint(replayed) == fingerprint(fresh._state)
    assert {r: fresh.decision(r) for r in IDS} == {r: ledger.decision(r) for r in IDS}
    assert fresh.history("r4")[0].payload == Request(
        "r4", "g", attributes={"email": "four@example.net"}
    )
    assert ("history", "r4") in watched.asked
    assert fresh.verify() == []


def tamper(store: Store, sql: str) -> None:
    """Change the store's materialised tables behind the ledger's back."""
    if isinstance(store, SQLiteStore):
        db = sqlite3.connect(store.path)
        db.execute(sql.format(prefix=""))
        db.commit()
        db.close()
    elif isinstance(store, MemoryStore):
        raise AssertionError("use the entries of a memory store directly")
    else:
        import psycopg

        with psycopg.connect(store.url, autocommit=True) as db:  # type: ignore[attr-defined]
            db.execute(sql.format(prefix="seatalloc_"))


def test_verify_replays_the_log_and_catches_a_tampered_materialised_state(
    new_store: Any,
) -> None:
    store, reconnect = new_store()
    ledger = busy_ledger(store)
    assert ledger.verify() == []
    gone = "r1"  # withdrawn; the tampered state seats it again
    assert ledger.decision(gone).status is Status.WITHDRAWN
    if isinstance(store, MemoryStore):
        store.entries[gone] = attrs.evolve(store.entries[gone], status=Status.SEATED, session="a")
    else:
        tamper(
            store,
            f"UPDATE {{prefix}}requests SET status = 'seated', session = 'a' WHERE id = '{gone}'",
        )
        tamper(store, "UPDATE {prefix}capacities SET capacity = 9 WHERE session = 'b'")
    problems = Ledger(reconnect(), clock=lambda: 0).verify()
    assert f"request {gone!r}: replay and the store's materialised state differ" in problems
    assert "seats left per session and quota: replay and the store's materialised state differ" in (
        problems
    )
    if not isinstance(store, MemoryStore):
        assert "capacities: replay and the store's materialised state differ" in problems


def test_cli_verify_reports_a_tampered_file_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    ledger = busy_ledger(SQLiteStore(path))
    command = [sys.executable, "-m", "seatalloc", "ledger", "verify", str(path)]
    good = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60)
    assert good.returncode == 0 and "agrees" in good.stdout
    tamper(ledger.store, "DELETE FROM {prefix}released")
    bad = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1, bad.stderr
    assert "released: replay and the store's materialised state differ" in bad.stdout


def test_a_malformed_materialised_row_is_a_clear_error_in_the_api_and_the_cli(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.db"
    ledger = busy_ledger(SQLiteStore(path))
    tamper(ledger.store, "UPDATE {prefix}requests SET status = 'lost' WHERE id = 'r2'")
    with pytest.raises(
        NotALedgerError, match=r"request 'r2' is malformed.*restore it from a backup"
    ):
        Ledger(SQLiteStore(path), clock=lambda: 0).decision("r2")
    command = [sys.executable, "-m", "seatalloc", "ledger", "show", str(path)]
    shown = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 2 and "Traceback" not in shown.stderr
    assert "request 'r2' is malformed" in shown.stderr


# -- schema versions -------------------------------------------------------------------

# data/ledger_schema2.db was written by seatalloc at schema 2 (commit c9f1a82), by
# data/ledger_schema2.py (offers, a party, a capacity change, a correction, expiries),
# which printed these decisions.
SCHEMA_2_DECISIONS = {
    "r1": ("withdrawn", None),
    "r2": ("seated", "a"),
    "r3": ("waitlisted", None),
    "p1": ("waitlisted", None),
    "p2": ("waitlisted", None),
    "r4": ("seated", "b"),
    "r5": ("seated", "a"),
}


def schema_2_copy(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    shutil.copy(DATA / "ledger_schema2.db", path)
    return path


def user_version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    finally:
        db.close()


def test_a_schema_2_file_is_migrated_when_opened(tmp_path: Path) -> None:
    path = schema_2_copy(tmp_path)
    assert user_version(path) == 2
    ledger = Ledger(SQLiteStore(path), clock=lambda: 0)
    assert user_version(path) == SCHEMA_VERSION
    decisions = {r: ledger.decision(r) for r in SCHEMA_2_DECISIONS}
    assert {r: (d.status.value, d.session) for r, d in decisions.items()} == SCHEMA_2_DECISIONS
    assert [decisions[r].position for r in ("r3", "p1", "p2")] == [1, 2, 3]
    assert ledger.history("r4")[-1].payload.attributes == {"email": "four@example.net"}  # type: ignore[union-attr]
    assert ledger.verify() == []
    # It works on: the next operation appends to the migrated log.
    assert ledger.submit(Request("late", "g"), at=50).status is Status.WAITLISTED
    assert Ledger(SQLiteStore(path), clock=lambda: 0).verify() == []


def test_a_schema_2_file_opened_read_only_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = schema_2_copy(tmp_path)
    before = path.read_bytes()
    with pytest.raises(ReadOnlyError, match="open it once writable"):
        SQLiteStore(path, read_only=True).setup()
    assert path.read_bytes() == before


def test_a_newer_schema_is_refused_saying_which_versions_are_read(tmp_path: Path) -> None:
    path = schema_2_copy(tmp_path)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(NotALedgerError, match=f"schema version {SCHEMA_VERSION + 1}.*migrates 2"):
        SQLiteStore(path).setup()


_SCHEMA_2_REQUESTS = """
CREATE TABLE seatalloc_requests (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    session TEXT,
    reason TEXT NOT NULL,
    last_event BIGINT NOT NULL REFERENCES seatalloc_events (seq)
)
"""


def test_a_schema_2_postgres_ledger_is_migrated_when_opened(request: pytest.FixtureRequest) -> None:
    import psycopg

    url = fresh_database(request.getfixturevalue("postgres_server"))
    ledger = busy_ledger(open_store(url))
    expected = {r: ledger.decision(r) for r in IDS}
    # Back to the tables schema 2 had: a status-only requests table, no capacities or releases.
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("DROP TABLE seatalloc_requests, seatalloc_capacities, seatalloc_released")
        db.execute(_SCHEMA_2_REQUESTS)
        for rid, decision in expected.items():
            db.execute(
                "INSERT INTO seatalloc_requests VALUES (%s, %s, %s, %s, 1)",
                (rid, decision.status.value, decision.session, decision.reason.value),
            )
        db.execute("UPDATE seatalloc_meta SET value = '2' WHERE key = 'schema'")
    migrated = Ledger(open_store(url), clock=lambda: 0)
    assert {r: migrated.decision(r) for r in IDS} == expected
    assert migrated.verify() == []
    with psycopg.connect(url, autocommit=True) as db:
        schema = db.execute("SELECT value FROM seatalloc_meta WHERE key = 'schema'").fetchone()
    assert schema == (str(SCHEMA_VERSION),)


# -- erasure on PostgreSQL --------------------------------------------------------------


def database_files(url: str) -> Path:
    """The folder of the database's files on the server (the test skips if it cannot read it)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        data = db.execute("SHOW data_directory").fetchone()[0]
        oid = db.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
        directory = Path(data) / "base" / str(oid.fetchone()[0])
    if not os.access(directory, os.R_OK):
        pytest.skip(f"the server's files ({directory}) cannot be read from here")
    return directory


def holders(url: str, directory: Path, data: bytes) -> list[str]:
    """The relations (by name, fork and segment file) whose files in ``directory`` hold ``data``."""
    import psycopg

    found = [p for p in sorted(directory.iterdir()) if p.is_file() and data in p.read_bytes()]
    named = []
    with psycopg.connect(url, autocommit=True) as db:
        for path in found:
            node = path.name.split("_")[0].split(".")[0]
            row = (
                db.execute("SELECT pg_filenode_relation(0, %s::oid)::text", (node,)).fetchone()
                if node.isdigit()
                else None
            )
            named.append(f"{path.name} ({row[0] if row and row[0] else 'no relation'})")
    return named


def test_postgres_erase_leaves_the_bytes_in_no_file_of_the_database(
    request: pytest.FixtureRequest,
) -> None:
    import psycopg

    url = fresh_database(request.getfixturevalue("postgres_server"))
    directory = database_files(url)

    def on_disk() -> bytes:
        with psycopg.connect(url, autocommit=True) as db:
            db.execute("CHECKPOINT")  # the pages reach the table files
        return b"".join(p.read_bytes() for p in directory.iterdir() if p.is_file())

    ledger = Ledger.create(open_store(url), scenario(), clock=lambda: 0)
    secret = "grace.hopper.1906@example.org"
    ledger.submit(Request("r1", "g", attributes={"email": secret}), at=1)
    ledger.submit(Request("r2", "g", attributes={"email": "kept@example.org"}), at=2)
    ledger.withdraw("r1", at=3)
    assert secret.encode() in on_disk(), "the attribute is in the files before erasure"
    ledger.erase("r1", at=4)
    raw = on_disk()
    assert holders(url, directory, secret.encode()) == []
    assert b"kept@example.org" in raw
    reopened = Ledger(open_store(url), clock=lambda: 0)
    assert reopened.history("r1")[0].payload.attributes == {}  # type: ignore[union-attr]
    assert reopened.verify() == []


def _erasure_beside(request: pytest.FixtureRequest, hold: float) -> tuple[list[str], Ledger]:
    """Erase while a write transaction of another database on the server runs ``hold`` s.

    VACUUM FULL would copy the erased row for it (it took its id first).
    """
    import psycopg

    server = request.getfixturevalue("postgres_server")
    url, other = fresh_database(server), fresh_database(server)
    directory = database_files(url)
    ledger = Ledger.create(PostgresStore(url, lock_timeout=1.0), scenario(), clock=lambda: 0)
    secret = "ada.lovelace.1815@example.org"
    ledger.submit(Request("r1", "g", attributes={"email": secret}), at=1)
    ledger.withdraw("r1", at=2)
    writer = psycopg.connect(other)
    writer.execute("SELECT pg_current_xact_id()")  # a write transaction: it has an id
    timer = threading.Timer(hold, writer.rollback)
    timer.start()
    try:
        ledger.erase("r1", at=3)
    finally:
        timer.join()
        writer.close()
        with psycopg.connect(url, autocommit=True) as db:
            db.execute("CHECKPOINT")
    return holders(url, directory, secret.encode()), ledger


def test_postgres_erase_waits_for_older_transactions_of_the_server(
    request: pytest.FixtureRequest,
) -> None:
    found, ledger = _erasure_beside(request, hold=0.3)
    assert found == []
    assert ledger.history("r1")[0].payload.attributes == {}  # type: ignore[union-attr]


def test_postgres_erase_says_when_an_older_transaction_outlasts_the_wait(
    request: pytest.FixtureRequest,
) -> None:
    with pytest.raises(StoreError, match="erasure is committed, but transactions older than it"):
        _erasure_beside(request, hold=3.0)
