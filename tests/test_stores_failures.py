"""Store failures and unsafe input become the ledger's errors, and the ledger works afterwards."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from seatalloc import Group, Problem, Quota, Request, Session, Status
from seatalloc.booking import (
    Ledger,
    LedgerError,
    LockTimeoutError,
    NotALedgerError,
    ReadOnlyError,
    StoreFullError,
    UnknownRequestError,
)
from seatalloc.booking.events import EventKind
from seatalloc.errors import FieldError
from seatalloc.stores import SQLiteStore

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def scenario() -> Problem:
    return Problem([Session("a", 1)], [Group("g")], [], [Quota(5, "g")])


def make(path: Path, **options: object) -> Ledger:
    return Ledger.create(SQLiteStore(path), scenario(), clock=lambda: T0, **options)  # type: ignore[arg-type]


def test_naive_time_is_an_error_naming_the_field_and_the_ledger_keeps_working(
    tmp_path: Path,
) -> None:
    ledger = make(tmp_path / "t.db")
    with pytest.raises(FieldError, match=r"'at'.*time zone"):
        ledger.submit(Request("r1", "g", arrival=T0), at=datetime(2026, 3, 1, 10, 0))
    naive_clock = Ledger(SQLiteStore(tmp_path / "t.db"), clock=lambda: datetime(2026, 3, 1))
    with pytest.raises(FieldError, match="'clock'"):
        naive_clock.tick()
    assert ledger.submit(Request("r1", "g", arrival=T0)).status is Status.SEATED


def test_an_explicit_time_before_the_last_event_is_rejected_a_clock_reading_is_clamped(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.db"
    ledger = make(path)
    ledger.submit(Request("r1", "g", arrival=T0), at=T0 + timedelta(minutes=5))
    with pytest.raises(LedgerError, match="before the ledger's last event"):
        ledger.submit(Request("r2", "g", arrival=T0), at=T0)
    late_clock = Ledger(SQLiteStore(path), clock=lambda: T0)  # 5 minutes behind the log
    late_clock.submit(Request("r2", "g", arrival=T0))
    assert late_clock.last_events[-1].at == T0 + timedelta(minutes=5)
    assert [e.at for e in late_clock.events()] == sorted(e.at for e in late_clock.events())


def test_far_future_needs_the_horizon_lifted(tmp_path: Path) -> None:
    ledger = make(tmp_path / "t.db")
    ledger.horizon = timedelta(days=1)
    with pytest.raises(LedgerError, match="far-future"):
        ledger.tick(at=T0 + timedelta(days=400))
    ledger.horizon = None
    assert ledger.tick(at=T0 + timedelta(days=400)) == ()


def test_a_stuck_lock_times_out_with_a_ledger_error_then_the_ledger_works(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    make(path)
    ledger = Ledger(SQLiteStore(path, timeout=0.2), clock=lambda: T0)
    stuck = sqlite3.connect(path, isolation_level=None)
    stuck.execute("BEGIN IMMEDIATE")
    with pytest.raises(LockTimeoutError, match="lock-timeout"):
        ledger.submit(Request("r1", "g", arrival=T0))
    stuck.execute("ROLLBACK")
    assert ledger.submit(Request("r1", "g", arrival=T0)).status is Status.SEATED


def test_text_and_corrupt_files_are_not_ledgers(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("this is not a database\n" * 200)
    with pytest.raises(NotALedgerError, match="not a seatalloc ledger"):
        SQLiteStore(text).setup()
    path = tmp_path / "t.db"
    make(path).submit(Request("r1", "g", arrival=T0))
    data = bytearray(path.read_bytes())
    data[:100] = b"\x00" * 100  # the header: SQLite no longer recognises the file
    broken = tmp_path / "broken.db"
    broken.write_bytes(bytes(data))
    with pytest.raises(NotALedgerError):
        Ledger(SQLiteStore(broken), clock=lambda: T0)


def test_a_read_only_ledger_refuses_writes_but_reads(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    make(path).submit(Request("r1", "g", arrival=T0))
    reader = Ledger(SQLiteStore(path, read_only=True), clock=lambda: T0)
    assert reader.decision("r1").status is Status.SEATED
    with pytest.raises(ReadOnlyError, match="read-only"):
        reader.submit(Request("r2", "g", arrival=T0))
    assert reader.decision("r1").status is Status.SEATED
    with pytest.raises(UnknownRequestError):
        reader.decision("r2")


def test_disk_full_writes_nothing_and_the_ledger_works_after_space_is_freed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.db"
    store = SQLiteStore(path)
    ledger = Ledger.create(store, scenario(), clock=lambda: T0)
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")
    big = Request("r1", "g", arrival=T0, attributes={"note": "x" * 200_000})
    with pytest.raises(StoreFullError, match="full"):
        ledger.submit(big)
    with pytest.raises(UnknownRequestError):
        ledger.decision("r1")
    store._db.execute("PRAGMA max_page_count = 1073741823")
    assert ledger.submit(big).status is Status.SEATED
    assert ledger.verify() == []


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seatalloc", "ledger", *args],
        check=False, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_cli_typo_path_exits_2_without_traceback_and_creates_nothing(tmp_path: Path) -> None:
    typo = tmp_path / "typo.db"
    for action in ("show", "tick", "verify"):
        result = run_cli(action, str(typo))
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and "no such ledger file" in result.stderr
    assert not typo.exists()
    naive = run_cli("tick", str(typo), "--at", "2026-03-01T10:00:00")
    assert naive.returncode == 2 and "Traceback" not in naive.stderr


def test_erase_removes_the_bytes_from_the_file_and_the_log_replays_the_same(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.db"
    ledger = make(path)
    secret = "ada.lovelace.4711@example.org"
    ledger.submit(Request("r1", "g", arrival=T0, attributes={"email": secret}))
    ledger.submit(Request("r2", "g", arrival=T0, attributes={"email": "b@example.org"}))
    ledger.withdraw("r1")
    before = {r: ledger.decision(r).status for r in ("r1", "r2")}
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("t.db"))
    assert secret.encode() in raw, "the attribute is stored before erasure"
    ledger.erase("r1")
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("t.db"))
    assert secret.encode() not in raw
    reopened = Ledger(SQLiteStore(path), clock=lambda: T0)
    assert {r: reopened.decision(r).status for r in ("r1", "r2")} == before
    assert reopened.history("r1")[0].payload.attributes == {}  # type: ignore[union-attr]
    assert reopened.history("r2")[0].payload.attributes == {"email": "b@example.org"}  # type: ignore[union-attr]
    assert reopened.verify() == []


def test_a_rejected_id_stays_free_and_a_live_request_can_be_corrected(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    ledger = make(path)
    assert ledger.submit(Request("r1", "nobody", arrival=T0)).status is Status.REJECTED
    seated = ledger.submit(Request("r1", "g", arrival=T0, attributes={"email": "typo@"}))
    assert seated.status is Status.SEATED
    ledger.correct("r1", {"email": "right@example.org"})
    reopened = Ledger(SQLiteStore(path), clock=lambda: T0)
    assert reopened.decision("r1") == seated
    assert reopened.history("r1")[0].payload.attributes == {"email": "right@example.org"}  # type: ignore[union-attr]
    again = Request("r1", "g", arrival=T0, attributes={"email": "right@example.org"})
    assert reopened.submit(again) == seated, "the corrected content is the idempotent one"


def test_tick_reports_expiries_and_new_offers_and_the_outbox_has_each_event_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "o.db"
    window = timedelta(hours=1)
    ledger = Ledger.create(
        SQLiteStore(path), scenario(), clock=lambda: T0, mode="offer", offer_window=window
    )
    for k in range(3):
        ledger.submit(Request(f"r{k}", "g", arrival=T0))
    cursor = ledger.events()[-1].seq
    ledger.withdraw("r0")
    assert [(e.kind, e.request) for e in ledger.last_events] == [
        (EventKind.WITHDRAWN, "r0"),
        (EventKind.OFFERED, "r1"),
    ]
    promoted = ledger.tick(at=T0 + 2 * window)
    assert [d.request for d in promoted] == ["r2"]
    assert [(e.kind, e.request) for e in ledger.last_events] == [
        (EventKind.EXPIRED, "r1"),
        (EventKind.OFFERED, "r2"),
    ]
    feed = ledger.outbox(after=cursor)
    assert [e.kind for e in feed] == [
        EventKind.WITHDRAWN, EventKind.OFFERED, EventKind.EXPIRED, EventKind.OFFERED,
    ]  # fmt: skip
    assert ledger.outbox(after=feed[-1].seq) == ()
    result = run_cli("tick", str(path), "--at", (T0 + 5 * window).isoformat())
    assert result.returncode == 0 and "r2\twithdrawn" not in result.stdout
    assert Ledger(SQLiteStore(path), clock=lambda: T0).decision("r2").reason.value == "expired"


def test_ledger_open_gives_one_ledger_per_process_shared_by_threads(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "t.db"
    Ledger.create(
        SQLiteStore(path), Problem([Session("a", 4)], [Group("g")], [], []), clock=lambda: T0
    )
    ledger = Ledger.open(path, clock=lambda: T0)
    assert Ledger.open(path) is ledger
    with ThreadPoolExecutor(8) as pool:
        decisions = list(
            pool.map(lambda k: ledger.submit(Request(f"t{k}", "g", arrival=T0)), range(40))
        )
    assert sum(d.status is Status.SEATED for d in decisions) == 4
    assert sorted(d.position for d in decisions if d.position) == list(range(1, 37))
    with pytest.raises(NotALedgerError):
        Ledger.open(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()
