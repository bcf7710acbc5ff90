"""A minimal registration web service over the SQLite booking ledger (standard library only).

Endpoints (JSON in, JSON out):

- ``POST /registrations`` with ``{"id", "group", "role", "sessions": [...]}``:
  the immediate decision (seated, waitlisted with position, or rejected).
- ``DELETE /registrations/ID``: withdraw; answers with the promotions it caused.
- ``GET /registrations/ID``: the current decision, in a plain sentence too.

Every handler thread opens its own ledger on the same file: the ledger's
SQLite store makes each operation atomic across threads and processes, so
several copies of this service may run on one database.

Run ``python examples/registration_service.py OUTDIR`` for a scripted
round against itself on a free localhost port, or ``... serve DB PORT``
to keep it running.
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs

from seatalloc import Decision, FieldError, Request
from seatalloc.booking import ConflictError, Ledger, UnknownRequestError
from seatalloc.scenarios import workshop
from seatalloc.stores import SQLiteStore


def wall_clock() -> datetime:
    """The service's clock: the edge of the system is where wall time enters."""
    return datetime.now(UTC)


def decision_json(decision: Decision) -> dict[str, Any]:
    return {k: v for k, v in decision.to_dict().items() if k != "blocks"}


def submit(ledger: Ledger, request: Request) -> Decision:
    """Submit; a retry differing only in the arrival this service stamped is the same request."""
    try:
        return ledger.submit(request)
    except ConflictError:
        stored = ledger.history(request.id)[0].payload
        if stored is None or attrs.evolve(request, arrival=stored.arrival) != stored:
            raise
        return ledger.decision(request.id)


class RegistrationService(ThreadingHTTPServer):
    """An HTTP server with one ledger per handler thread."""

    def __init__(self, db: Path, address: tuple[str, int] = ("127.0.0.1", 0)) -> None:
        super().__init__(address, Handler)
        self.db = db
        self._local = threading.local()

    def ledger(self) -> Ledger:
        ledger: Ledger | None = getattr(self._local, "ledger", None)
        if ledger is None:
            ledger = Ledger(SQLiteStore(self.db), clock=wall_clock)
            self._local.ledger = ledger
        return ledger


class Handler(BaseHTTPRequestHandler):
    server: RegistrationService

    def _reply(self, status: HTTPStatus, body: object) -> None:
        data = json.dumps(body, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _id(self) -> str | None:
        prefix = "/registrations/"
        return self.path[len(prefix) :] if self.path.startswith(prefix) else None

    def do_POST(self) -> None:
        if self.path != "/registrations":
            return self._reply(HTTPStatus.NOT_FOUND, {"error": "no such endpoint"})
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            request = Request(
                str(body["id"]), str(body["group"]), str(body.get("role", "")),
                arrival=wall_clock(), sessions=body.get("sessions", []),
            )  # fmt: skip
            decision = submit(self.server.ledger(), request)
        except (ValueError, KeyError, TypeError) as error:
            # FieldError and ConflictError are ValueErrors; messages never hold personal data.
            code = (
                HTTPStatus.CONFLICT if isinstance(error, ConflictError) else HTTPStatus.BAD_REQUEST
            )
            message = str(error) if isinstance(error, FieldError | ConflictError) else repr(error)
            return self._reply(code, {"error": message})
        return self._reply(HTTPStatus.OK, decision_json(decision))

    def do_DELETE(self) -> None:
        request_id = self._id()
        try:
            promoted = self.server.ledger().withdraw(request_id or "")
        except UnknownRequestError as error:
            return self._reply(HTTPStatus.NOT_FOUND, {"error": str(error)})
        self._reply(HTTPStatus.OK, {"promoted": [decision_json(d) for d in promoted]})

    def do_GET(self) -> None:
        request_id = self._id() or ""
        ledger = self.server.ledger()
        try:
            decision = ledger.decision(request_id)
        except UnknownRequestError as error:
            return self._reply(HTTPStatus.NOT_FOUND, {"error": str(error)})
        allocation = ledger.allocation()
        sentence = allocation.explain(request_id) if request_id in allocation.assignments else None
        self._reply(HTTPStatus.OK, {**decision_json(decision), "explanation": sentence})

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: request lines could carry ids people consider personal."""


def create_database(db: Path) -> None:
    """A ledger for the workshop scenario (its 84 seats), unless the file has one."""
    store = SQLiteStore(db)
    try:
        store.setup()
    except ValueError:
        Ledger.create(store, workshop().replace(requests=()), clock=wall_clock)
    store.close()


def call(base: str, method: str, path: str, body: object | None = None) -> tuple[int, Any]:
    """One JSON request to the service."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def demo(outdir: Path) -> None:
    """Start on a free port, fill one board's earmarked places, withdraw, show the promotion."""
    db = outdir / "registrations.db"
    create_database(db)
    server = RegistrationService(db)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for k in range(1, 6):
            body = {
                "id": f"uppsala-{k}",
                "group": "uppsala",
                "role": "planner",
                "sessions": ["nov04"],
            }
            status, answer = call(base, "POST", "/registrations", body)
            print(f"register uppsala-{k}: {status} {answer['status']} {answer['session'] or ''}")
        status, answer = call(base, "POST", "/registrations", {"id": "x", "group": "atlantis"})
        print(f"register x (unknown board): {status} {answer['status']}: {answer['note']}")
        status, answer = call(base, "GET", "/registrations/uppsala-5")
        print(f"status uppsala-5: {answer['explanation']}")
        status, answer = call(base, "DELETE", "/registrations/uppsala-2")
        print(f"withdraw uppsala-2: promoted {[d['request'] for d in answer['promoted']]}")
        status, answer = call(base, "GET", "/registrations/uppsala-5")
        print(f"status uppsala-5: {answer['explanation']}")
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[1] == "serve":
        db = Path(argv[2])
        create_database(db)
        server = RegistrationService(db, ("127.0.0.1", int(argv[3])))
        print(f"serving {db} on http://127.0.0.1:{server.server_address[1]}")
        server.serve_forever()
        return 0
    if len(argv) == 2:
        demo(Path(argv[1]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
