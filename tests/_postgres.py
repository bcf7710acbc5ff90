"""A real PostgreSQL server for the store tests: from the environment, or started here.

``SEATALLOC_TEST_POSTGRES_URL`` (set by ``.ci/postgres.sh``) names a server
and database. Without it, under CI the PostgreSQL tests fail; elsewhere a
throwaway cluster is started from the installed binaries (as user postgres
when run as root), and the tests skip, saying why, only if none can start.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_counter = itertools.count()


def _binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return next((d for d in candidates if (d / "initdb").exists()), None)


def _start() -> tuple[str, Path, Path, list[str]]:
    """Start a cluster; return (URL of its postgres db, bin dir, data dir, runas prefix)."""
    bin_dir = _binaries()
    if bin_dir is None:
        raise RuntimeError("no PostgreSQL binaries (initdb, pg_ctl) are installed")
    root = Path(tempfile.mkdtemp(prefix="seatalloc-pg-"))
    runas: list[str] = []
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root and there is no user 'postgres'") from None
        shutil.chown(root, "postgres")
        runas = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = root / "data"
    initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
    subprocess.run([*runas, *initdb, "--no-sync"], check=True, capture_output=True, timeout=120)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root}"
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w"]
    subprocess.run(
        [*runas, *pg_ctl, "-o", options, "start"], check=True, capture_output=True, timeout=120
    )
    return f"postgresql://postgres@127.0.0.1:{port}/postgres", bin_dir, data, runas


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A URL of a database on a running server in which the tests may create databases."""
    url = os.environ.get("SEATALLOC_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    if os.environ.get("CI") == "true":
        pytest.fail("CI must provide SEATALLOC_TEST_POSTGRES_URL: source .ci/postgres.sh")
    try:
        pytest.importorskip("psycopg", reason="psycopg is not installed (extra 'postgres')")
        url, bin_dir, data, runas = _start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as error:
        pytest.skip(f"no PostgreSQL server could be started: {error}")
    try:
        yield url
    finally:
        subprocess.run(
            [*runas, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            check=False, capture_output=True, timeout=120,
        )  # fmt: skip
        shutil.rmtree(data.parent, ignore_errors=True)


def fresh_database(server: str) -> str:
    """Create an empty database on the server; return its URL."""
    import psycopg

    name = f"seatalloc_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(server, autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name}")
        db.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name
