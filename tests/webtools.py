"""A real registration server on 127.0.0.1 for the web tests, and a small HTTP client.

The server is uvicorn in a thread of the test process, on a free port, stopped
by the test; the client is ``http.client`` with a cookie jar, so CSRF cookies
and the organiser login work as in a browser.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from seatalloc.model import Problem
from seatalloc.scenarios import workshop
from seatalloc.web import LedgerService, create_app, open_ledger
from seatalloc.web.server import config

TOKEN = "organiser-test-token"


@contextmanager
def running(
    db: Path, scenario: Problem | None = None, *, lock_timeout: float = 5.0, **options: Any
) -> Iterator[tuple[str, LedgerService]]:
    """Serve a ledger in ``db`` on a free port; yield the base URL and the service."""
    problem = workshop() if scenario is None else scenario
    service = LedgerService(lambda: open_ledger(str(db), problem, lock_timeout=lock_timeout))
    app = create_app(service, organiser_token=TOKEN, **options)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(config(app, timeout=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", service
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        service.close()
        sock.close()
        assert not thread.is_alive(), "the server did not stop"


class Answer:
    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """One keep-alive connection with cookies; never follows redirects."""

    def __init__(self, base: str, timeout: float = 10) -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self, method: str, path: str, body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:  # fmt: skip
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self._conn.request(method, path, body=body, headers=sent)
        response = self._conn.getresponse()
        data = response.read()
        for value in response.headers.get_all("set-cookie") or []:
            name, _, rest = value.partition("=")
            cookie = rest.partition(";")[0]
            if "expires=Thu, 01 Jan 1970" in value or "Max-Age=0" in value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = cookie.strip('"')
        if response.headers.get("connection", "").lower() == "close":
            self.close()
        return Answer(response.status, dict(response.headers.items()), data)

    def get(self, path: str, **headers: str) -> Answer:
        return self.request("GET", path, headers=headers)

    def json(self, method: str, path: str, body: Any, **headers: str) -> Answer:
        data = json.dumps(body).encode()
        return self.request(method, path, data, {"Content-Type": "application/json", **headers})

    def post_form(self, path: str, fields: Mapping[str, str], csrf: bool = True) -> Answer:
        """Post a form, with the CSRF token the cookie holds (fetch a page first)."""
        values = dict(fields)
        if csrf:
            values.setdefault("csrf", self.cookies.get("csrftoken", ""))
        data = urllib.parse.urlencode(values).encode()
        return self.request(
            "POST", path, data, {"Content-Type": "application/x-www-form-urlencoded"}
        )


def person(k: int, group: str = "uppsala", sessions: Any = ("nov04",)) -> dict[str, Any]:
    """A registration body for person ``k``."""
    return {
        "name": f"Person {k} Åström", "email": f"person{k}@example.org", "group": group,
        "role": "planner", "sessions": list(sessions) if sessions != "any" else "any",
    }  # fmt: skip


def status_token(html: str) -> str:
    """The secret token in a decision page's status link."""
    match = re.search(r'id="status-link" href="[^"]*/me/([^"]+)"', html)
    assert match is not None, "the decision page shows no status link"
    return match[1]
