"""Where a booking ledger keeps its event log: in memory, an SQLite file, or PostgreSQL.

Every store implements the contract in :mod:`seatalloc.booking.store`;
:func:`open_store` picks one from a path or a ``postgresql://`` URL.
"""

from __future__ import annotations

import os

from seatalloc.booking.store import Store
from seatalloc.stores.memory import MemoryStore
from seatalloc.stores.sqlite import SQLiteStore

__all__ = ["MemoryStore", "SQLiteStore", "Store", "open_store"]


def open_store(
    target: str | os.PathLike[str],
    *,
    create: bool = False,
    lock_timeout: float = 10.0,
    durable: bool = True,
    threads: bool = False,
) -> Store:
    """The store at ``target``: a ``postgresql://`` (or ``postgres://``) URL, else an SQLite path.

    Only ``create`` makes a new SQLite file; otherwise a missing one is a
    :class:`NotALedgerError` and nothing is created.
    """
    text = os.fspath(target)
    if text.startswith(("postgresql://", "postgres://")):
        from seatalloc.stores.postgres import PostgresStore

        return PostgresStore(text, lock_timeout=lock_timeout)
    return SQLiteStore(text, create=create, timeout=lock_timeout, durable=durable, threads=threads)
