"""Bad input and hostile clients get the right status and a clear message; logs stay clean."""

from __future__ import annotations

import gc
import json
import socket
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the 'web' extra is not installed")

from webtools import TOKEN, Answer, Client, person, running

from seatalloc.stores import SQLiteStore


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Client]:
    with running(tmp_path / "h.db", body_timeout=0.5, max_body=4096) as (base, _):
        client = Client(base)
        yield client
        client.close()


def _problem(answer: Answer, status: int) -> dict[str, object]:
    assert answer.status == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["request_id"] == answer.headers["x-request-id"]
    assert "Error(" not in answer.text and "Traceback" not in answer.text
    return body


def _raw(client: Client, data: bytes, wait: float = 5.0) -> bytes:
    """Send raw bytes on a new connection; everything the server answers until it closes."""
    with socket.create_connection((client.host, client.port), timeout=wait) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_malformed_json_is_400_not_a_python_repr(server: Client) -> None:
    answer = server.request("POST", "/api/registrations", b"{not json",
                            {"Content-Type": "application/json"})  # fmt: skip
    assert "not valid JSON" in str(_problem(answer, 400)["detail"])
    _problem(server.json("POST", "/api/registrations", [1, 2]), 400)
    bad_utf8 = server.request("POST", "/api/registrations", b'{"name": "\xff"}',
                              {"Content-Type": "application/json"})  # fmt: skip
    _problem(bad_utf8, 400)


def test_a_body_that_is_not_json_is_415(server: Client) -> None:
    answer = server.request("POST", "/api/registrations", b"name=x",
                            {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    _problem(answer, 415)


def test_missing_and_wrong_fields_are_422_each_named(server: Client) -> None:
    body = _problem(server.json("POST", "/api/registrations", {}), 422)
    fields = {e["field"] for e in body["errors"]}  # type: ignore[attr-defined]
    assert fields == {"name", "email", "group", "role"}
    wrong = {**person(1), "name": None, "group": "atlantis", "sessions": ["nov04", "nov04"],
             "colleagues": [{"name": 5, "email": "x@y.se", "role": "planner"}]}  # fmt: skip
    body = _problem(server.json("POST", "/api/registrations", wrong), 422)
    errors = {e["field"]: e["detail"] for e in body["errors"]}  # type: ignore[attr-defined]
    assert set(errors) == {"name", "group", "sessions", "colleagues.0.name"}
    assert "organisation" in errors["group"]
    assert "atlantis" not in json.dumps(body), "values are not echoed (they may be personal)"
    assert server.get("/api/organiser/waitlist", Authorization=f"Bearer {TOKEN}").json() == []


def test_unknown_or_guessed_tokens_are_404(server: Client) -> None:
    token = server.json("POST", "/api/registrations", person(1)).json()["registrations"][0]["token"]
    request_id, _, secret = token.partition(".")
    wrong = "y" if secret.endswith("x") else "x"  # the last character changed, never kept
    for guess in (request_id, f"{request_id}.{secret[:-1]}{wrong}", "nobody.secret", ".", "x."):
        _problem(server.get(f"/api/registrations/{urllib.parse.quote(guess)}"), 404)
        assert server.get(f"/me/{urllib.parse.quote(guess)}").status == 404
    _problem(server.request("DELETE", f"/api/registrations/{request_id}.nope"), 404)
    _problem(server.get("/api/no-such-thing"), 404)
    _problem(server.get("/api/sessions?group=atlantis"), 404)
    _problem(server.request("PATCH", "/api/registrations"), 405)
    assert server.get(f"/api/registrations/{token}").json()["status"] == "seated"


def test_paths_are_percent_decoded(server: Client) -> None:
    token = server.json("POST", "/api/registrations", person(1)).json()["registrations"][0]["token"]
    encoded = "".join(f"%{b:02X}" for b in token.encode())
    assert server.get(f"/api/registrations/{encoded}").json()["status"] == "seated"
    assert 'data-status="seated"' in server.get(f"/me/{encoded}").text


def test_a_huge_declared_body_is_413_and_the_server_goes_on(server: Client) -> None:
    answer = server.request(
        "POST", "/api/registrations", b"{}",
        {"Content-Type": "application/json", "Content-Length": str(10**12)},
    )  # fmt: skip
    assert "4096 bytes" in str(_problem(answer, 413)["detail"])
    big = {**person(1), "name": "x" * 10_000}
    _problem(server.json("POST", "/api/registrations", big), 413)
    assert server.json("POST", "/api/registrations", person(2)).status == 201


def test_a_streamed_body_over_the_limit_is_413(server: Client) -> None:
    head = (b"POST /api/registrations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")  # fmt: skip
    chunk = b"a" * 3000
    data = head + b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3)) + b"0\r\n\r\n"
    answer = _raw(server, data)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]


def test_a_slow_body_is_408_and_a_slow_head_is_cut_off(server: Client) -> None:
    started = time.monotonic()
    head = (b"POST /api/registrations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{\"name\":")  # fmt: skip
    answer = _raw(server, head)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
    assert time.monotonic() - started < 4
    started = time.monotonic()
    assert _raw(server, b"GET / HTTP/1.1\r\nHost: x\r\n", wait=10) == b""
    assert time.monotonic() - started < 6, "a request head that never ends is cut off"
    assert server.get("/").status == 200


def test_a_lock_timeout_is_503_with_retry_after(tmp_path: Path) -> None:
    db = tmp_path / "locked.db"
    with running(db, lock_timeout=0.2) as (base, _):
        client = Client(base)
        blocker = sqlite3.connect(db, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            answer = client.json("POST", "/api/registrations", person(1))
            assert int(answer.headers["retry-after"]) > 0
            assert "busy" in str(_problem(answer, 503)["detail"])
            client.get("/register")
            page = client.post_form("/register", {**person(1), "sessions": "", "choice1": "any"})
            assert page.status == 503 and "retry-after" in page.headers
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert client.json("POST", "/api/registrations", person(1)).status == 201
        client.close()


def test_no_personal_data_or_secret_link_in_the_logs(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    with running(tmp_path / "logs.db") as (base, _):
        client = Client(base)
        body = {**person(1), "name": "Åsa Hemlig", "email": "asa.hemlig@example.org"}
        token = client.json("POST", "/api/registrations", body).json()["registrations"][0]["token"]
        client.get(f"/me/{token}")
        client.request("DELETE", f"/api/registrations/{token}")
        client.json("POST", "/api/registrations", {**body, "group": "atlantis"})
        client.get(f"/me/{token[:-2]}xx")
        client.close()
    out, err = capfd.readouterr()
    logged = out + err + "\n".join(r.getMessage() for r in caplog.records)
    assert "/api/registrations/{token}" in logged, "requests are logged, by route template"
    for secret in ("Åsa", "Hemlig", "asa.hemlig", token.partition(".")[2], token[:-2]):
        assert secret not in logged


def test_the_ledger_is_opened_once_per_process(tmp_path: Path) -> None:
    db = tmp_path / "once.db"
    with running(db) as (base, _):
        client = Client(base)
        for k in range(30):
            client.json("POST", "/api/registrations", person(k, sessions="any"))
            client.get("/")
        gc.collect()
        stores = [o for o in gc.get_objects() if isinstance(o, SQLiteStore)]
        assert [s.path for s in stores].count(str(db)) == 1
        client.close()
