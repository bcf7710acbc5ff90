"""Every page and API endpoint of the registration app, over HTTP on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the 'web' extra is not installed")

from webtools import TOKEN, Client, person, running, status_token

from seatalloc import Group, Problem, Quota, Session

SMALL = Problem(
    sessions=[Session("a", 1, label="1 March"), Session("b", 1, label="2 March")],
    groups=[Group("uppsala", label="Uppsala board"), Group("skane")],
    quotas=[Quota(1, group="uppsala")],
    requests=[],
)
BEARER = {"Authorization": f"Bearer {TOKEN}"}
NOV04 = "4\u20135 November"


@pytest.fixture
def workshop_server(tmp_path: Path) -> Iterator[Client]:
    with running(tmp_path / "w.db") as (base, _):
        client = Client(base)
        yield client
        client.close()


@pytest.fixture
def small_server(tmp_path: Path) -> Iterator[Client]:
    with running(tmp_path / "s.db", SMALL) as (base, _):
        client = Client(base)
        yield client
        client.close()


def _form(k: int, **fields: str) -> dict[str, str]:
    body = person(k)
    return {
        "name": body["name"], "email": body["email"], "group": body["group"],
        "role": body["role"], "choice1": "nov04", **fields,
    }  # fmt: skip


# -- participant pages ---------------------------------------------------------------------


def test_sessions_page_lists_dates_seats_and_the_organisations_earmark(
    workshop_server: Client,
) -> None:
    client = workshop_server
    page = client.get("/?group=uppsala")
    assert page.status == 200
    assert NOV04 in page.text and 'lang="sv"' in page.text
    assert re.search(r'data-session="nov04">28<', page.text)
    client.json("POST", "/api/registrations", person(1))
    page = client.get("/?group=uppsala")
    assert re.search(r'data-session="nov04">27<', page.text)
    assert re.search(r"data-session=\"nov04\">27</td><td>3</td>", page.text)
    english = client.get("/?lang=en")
    assert "Seats left" in english.text and 'lang="en"' in english.text
    assert "Seats left" in client.get("/").text, "the chosen language is kept in a cookie"


def test_register_form_has_a_label_for_every_field_and_works_without_javascript(
    workshop_server: Client,
) -> None:
    page = workshop_server.get("/register").text
    ids = set(re.findall(r'<(?:input|select) id="([^"]+)"', page))
    labelled = set(re.findall(r'<label for="([^"]+)"', page))
    assert ids and ids <= labelled
    assert "<script" not in page
    assert 'name="csrf"' in page


def test_registering_through_the_form_shows_the_decision_and_a_secret_link(
    workshop_server: Client,
) -> None:
    client = workshop_server
    client.get("/register")
    answer = client.post_form("/register", _form(1))
    assert answer.status == 200
    assert 'data-status="seated"' in answer.text and NOV04 in answer.text
    token = status_token(answer.text)
    request_id, _, secret = token.partition(".")
    assert len(secret) >= 20
    status = client.get(f"/me/{token}")
    assert status.status == 200 and 'data-status="seated"' in status.text
    assert "Person 1 Åström" in status.text
    assert client.get(f"/me/{request_id}").status == 404, "the bare id opens nothing"
    assert client.get(f"/me/{request_id}.{'x' * len(secret)}").status == 404


def test_form_errors_stand_beside_their_fields_and_keep_the_values(
    workshop_server: Client,
) -> None:
    client = workshop_server
    client.get("/register?lang=en")
    answer = client.post_form(
        "/register", {**_form(1), "email": "not-an-address", "group": "atlantis", "role": ""}
    )
    assert answer.status == 422
    for field in ("email", "group", "role"):
        assert f'id="{field}-error"' in answer.text
        assert f'aria-describedby="{field}-error"' in answer.text
    assert 'value="Person 1 Åström"' in answer.text
    assert "valid e-mail address" in answer.text
    assert workshop_server.json("GET", "/api/organiser/waitlist", None, **BEARER).json() == []


def test_a_party_registers_together_and_each_member_gets_a_link(workshop_server: Client) -> None:
    client = workshop_server
    client.get("/register")
    colleague = {
        "colleagues.0.name": "Kollega Ett", "colleagues.0.email": "k1@example.org",
        "colleagues.0.role": "transport",
    }  # fmt: skip
    answer = client.post_form("/register", {**_form(1), **colleague})
    assert answer.status == 200
    links = re.findall(r'href="(/me/[^"]+)"', answer.text)
    assert len(set(links)) == 2
    rosters = client.get("/api/organiser/rosters", **BEARER).json()
    assert sorted(p["name"] for p in rosters["nov04"]) == ["Kollega Ett", "Person 1 Åström"]


def test_withdrawing_on_the_status_page_promotes_the_waitlist(small_server: Client) -> None:
    client = small_server
    client.get("/register")
    first = status_token(client.post_form("/register", _sessions_form(1)).text)
    second_page = client.post_form("/register", _sessions_form(2))
    assert 'data-status="waitlisted"' in second_page.text
    assert "nummer 1 på väntelistan" in second_page.text
    second = status_token(second_page.text)
    answer = client.post_form(f"/me/{first}/withdraw", {})
    assert answer.status == 303 and answer.headers["location"] == f"/me/{first}"
    assert 'data-status="withdrawn"' in client.get(f"/me/{first}").text
    assert 'data-status="seated"' in client.get(f"/me/{second}").text
    assert 'id="withdraw"' not in client.get(f"/me/{first}").text


def _sessions_form(k: int) -> dict[str, str]:
    return {**_form(k, group="skane"), "choice1": "a"}


def test_forms_without_the_csrf_token_are_refused(small_server: Client) -> None:
    client = small_server
    client.get("/register")
    assert client.post_form("/register", _sessions_form(1), csrf=False).status == 403
    assert client.post_form("/register", {**_sessions_form(1), "csrf": "forged"}).status == 403
    stranger = Client(f"http://{client.host}:{client.port}")
    assert stranger.post_form("/register", {**_sessions_form(1), "csrf": "x"}).status == 403
    stranger.close()
    assert client.get("/api/organiser/waitlist", **BEARER).json() == []
    assert all(not v for v in client.get("/api/organiser/rosters", **BEARER).json().values())


def test_an_open_offer_shows_its_expiry_and_can_be_accepted(tmp_path: Path) -> None:
    from datetime import timedelta

    from seatalloc.booking import LedgerSetup, PromotionMode
    from seatalloc.stores import SQLiteStore

    store = SQLiteStore(tmp_path / "o.db")
    store.initialise(LedgerSetup(SMALL, PromotionMode.OFFER, timedelta(hours=48)))
    store.close()
    with running(tmp_path / "o.db", SMALL) as (base, _):
        client = Client(base)
        client.get("/register?lang=en")
        first = status_token(client.post_form("/register", _sessions_form(1)).text)
        second = status_token(client.post_form("/register", _sessions_form(2)).text)
        client.post_form(f"/me/{first}/withdraw", {})
        page = client.get(f"/me/{second}").text
        assert 'data-status="offered"' in page and "held for you until" in page
        assert re.search(r"until \d{4}-\d\d-\d\d \d\d:\d\d", page)
        api = client.get(f"/api/registrations/{second}").json()
        assert api["status"] == "offered" and api["offer_expires"]
        assert client.post_form(f"/me/{second}/accept", {}).status == 303
        assert 'data-status="seated"' in client.get(f"/me/{second}").text
        again = client.request("POST", f"/api/registrations/{second}/accept")
        assert again.status == 409 and again.json()["status"] == 409
        client.close()


# -- organiser pages -------------------------------------------------------------------


def test_organiser_pages_need_the_token(small_server: Client) -> None:
    client = small_server
    page = client.get("/organiser")
    assert page.status == 401 and 'type="password"' in page.text
    assert client.get("/organiser/roster.csv").status == 401
    wrong = client.post_form("/organiser/login", {"token": "guess"})
    assert wrong.status == 401 and "token-error" in wrong.text
    assert client.post_form("/organiser/login", {"token": TOKEN}).status == 303
    assert client.get("/organiser").status == 200
    assert client.post_form("/organiser/logout", {}).status == 303
    assert client.get("/organiser").status == 401


def test_organiser_page_shows_rosters_waitlist_and_earmarks_with_personal_data(
    small_server: Client,
) -> None:
    client = small_server
    client.get("/register?lang=en")
    client.post_form("/register", _sessions_form(1))
    client.post_form("/register", _sessions_form(2))
    client.post_form("/organiser/login", {"token": TOKEN})
    page = client.get("/organiser").text
    assert "person1@example.org" in page and "person2@example.org" in page
    roster, _, waitlist = page.partition("<h2>Waitlist</h2>")
    assert "person1@example.org" in roster and "person2@example.org" in waitlist
    assert "Every date you can attend was full" in waitlist
    assert "Uppsala board" in waitlist.partition("Earmarked places")[2]


def test_organiser_changes_capacity_and_releases_an_earmark(small_server: Client) -> None:
    client = small_server
    for k in (1, 2):
        client.json("POST", "/api/registrations", {**person(k), "sessions": ["a", "b"]})
    # The earmark of 1 holds the second Uppsala person back although session b is free.
    assert client.get("/api/organiser/waitlist", **BEARER).json()[0]["position"] == 1
    client.get("/register")
    client.post_form("/organiser/login", {"token": TOKEN})
    answer = client.post_form("/organiser/release", {"quota": "group=uppsala"})
    assert answer.status == 303 and answer.headers["location"] == "/organiser?done=1"
    rosters = client.get("/api/organiser/rosters", **BEARER).json()
    assert [len(rosters[s]) for s in ("a", "b")] == [1, 1]
    assert client.post_form("/organiser/capacity", {"session": "a", "capacity": "0"}).status == 303
    rosters = client.get("/api/organiser/rosters", **BEARER).json()
    assert rosters["a"] == []
    bad = client.post_form("/organiser/capacity", {"session": "a", "capacity": "-1"})
    assert bad.status == 422
    assert client.post_form("/organiser/release", {"quota": "nope"}).status == 422


def test_roster_csv_download(small_server: Client) -> None:
    client = small_server
    client.json("POST", "/api/registrations", {**person(1), "name": "=HYPERLINK(1)",
                                               "sessions": ["a"]})  # fmt: skip
    client.json("POST", "/api/registrations", {**person(2), "group": "skane", "sessions": ["a"]})
    answer = client.get("/organiser/roster.csv", **BEARER)
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["status"], r["session"], r["position"]) for r in rows] == [
        ("seated", "a", ""), ("waitlisted", "", "1"),
    ]  # fmt: skip
    assert rows[0]["name"] == "'=HYPERLINK(1)", "a formula is not run by a spreadsheet"
    assert rows[1]["email"] == "person2@example.org"


# -- the JSON API ----------------------------------------------------------------------


def test_api_registration_lifecycle(small_server: Client) -> None:
    client = small_server
    first = client.json("POST", "/api/registrations", {**person(1), "sessions": ["a"]})
    assert first.status == 201
    one = first.json()["registrations"][0]
    assert (one["status"], one["session"], one["rank"]) == ("seated", "a", 1)
    second = client.json("POST", "/api/registrations", {**person(2, "skane"), "sessions": ["a"]})
    two = second.json()["registrations"][0]
    assert second.status == 201, "a waitlisted registration is accepted, not an error"
    assert (two["status"], two["position"], two["reason"]) == ("waitlisted", 1, "no-room")
    assert client.get(f"/api/registrations/{two['token']}").json()["position"] == 1
    withdrawn = client.request("DELETE", f"/api/registrations/{one['token']}")
    assert withdrawn.status == 200
    assert withdrawn.json()["status"] == "withdrawn" and withdrawn.json()["promoted"] == 1
    assert client.get(f"/api/registrations/{two['token']}").json()["status"] == "seated"
    sessions = client.get("/api/sessions?group=uppsala").json()
    assert sessions["earmark_left"] == 1
    assert [s["seats_left"] for s in sessions["sessions"]] == [0, 1]


def test_api_organiser_endpoints(small_server: Client) -> None:
    client = small_server
    assert client.get("/api/organiser/rosters").status == 401
    assert client.get("/api/organiser/rosters", Authorization="Bearer nope").status == 401
    client.json("POST", "/api/registrations", {**person(1), "sessions": ["a"]})
    client.json("POST", "/api/registrations", {**person(2, "skane"), "sessions": ["a"]})
    waitlist = client.get("/api/organiser/waitlist", **BEARER).json()
    assert [(w["email"], w["position"], w["reason"]) for w in waitlist] == [
        ("person2@example.org", 1, "no-room")
    ]
    grown = client.json("PUT", "/api/organiser/sessions/a/capacity", {"capacity": 2}, **BEARER)
    assert grown.status == 200 and grown.json()["changed"] == 1
    assert len(client.get("/api/organiser/rosters", **BEARER).json()["a"]) == 2
    bad = client.json("PUT", "/api/organiser/sessions/a/capacity", {"capacity": "2"}, **BEARER)
    assert bad.status == 422
    missing = client.json("PUT", "/api/organiser/sessions/zz/capacity", {"capacity": 1}, **BEARER)
    assert missing.status == 404
    released = client.request("POST", "/api/organiser/quotas/group=uppsala/release",
                              headers=BEARER)  # fmt: skip
    assert released.status == 200 and released.json() == {"quota": "group=uppsala", "promoted": 0}
    assert client.request("POST", "/api/organiser/quotas/x/release", headers=BEARER).status == 404


def test_openapi_document_names_every_api_route(small_server: Client) -> None:
    from seatalloc.web import api

    document = small_server.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    documented = set(document["paths"])
    routes = {
        r.path.replace(":str", "") for r in api.routes()
        if r.path not in ("/api/openapi.json", "/api/{rest:path}")
    }  # fmt: skip
    assert routes == documented
    group = document["paths"]["/api/registrations"]["post"]["requestBody"]
    enum = group["content"]["application/json"]["schema"]["properties"]["group"]["enum"]
    assert enum == ["skane", "uppsala"]


def test_seatalloc_serve_serves_the_embedded_workshop(tmp_path: Path) -> None:
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "SEATALLOC_ORGANISER_TOKEN": TOKEN}
    db = tmp_path / "serve.db"
    command = [sys.executable, "-m", "seatalloc", "serve", "--db", str(db), "--port", str(port)]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    assert NOV04 in page.read().decode()
                    break
            except OSError:
                assert time.monotonic() < deadline, "seatalloc serve did not answer"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=20)
    other = tmp_path / "other.toml"
    other.write_text('[[sessions]]\nid = "x"\ncapacity = 1\n[[groups]]\nid = "g"\n')
    done = subprocess.run([*command[:4], str(other), *command[4:]], capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 2 and "another scenario" in done.stderr
