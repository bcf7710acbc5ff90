"""A bounded load test on 127.0.0.1: 20 clients x 100 requests; no 5xx, none dropped or oversold."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the 'web' extra is not installed")

from webtools import TOKEN, Client, person, running

from seatalloc.scenarios import workshop

CLIENTS, REQUESTS = 20, 100
GROUPS = [g.id for g in workshop().groups]


def _client_run(base: str, c: int) -> Counter[int]:
    """Register, read the status and the sessions; withdraw one of every two registered."""
    client = Client(base, timeout=30)
    statuses: Counter[int] = Counter()
    tokens: list[str] = []
    for k in range(REQUESTS):
        step = k % 8
        if step in (0, 3) or not tokens:
            body = person(c * REQUESTS + k, GROUPS[(c + k) % len(GROUPS)], sessions="any")
            answer = client.json("POST", "/api/registrations", body)
            if answer.status == 201:
                tokens.append(answer.json()["registrations"][0]["token"])
        elif step in (1, 4, 6):
            answer = client.get(f"/api/registrations/{tokens[-1]}")
        elif step in (2, 5):
            answer = client.get("/api/sessions")
        else:
            answer = client.request("DELETE", f"/api/registrations/{tokens.pop(0)}")
        statuses[answer.status] += 1
    client.close()
    return statuses


@pytest.mark.slow
def test_twenty_clients_hundred_requests_each(tmp_path: Path) -> None:
    with running(tmp_path / "load.db") as (base, _):
        with ThreadPoolExecutor(CLIENTS) as pool:
            # A dropped connection or a timeout raises here and fails the test.
            counts = sum(pool.map(_client_run, [base] * CLIENTS, range(CLIENTS)), Counter())
        assert sum(counts.values()) == CLIENTS * REQUESTS
        assert all(status < 500 for status in counts), counts
        assert set(counts) <= {200, 201}, counts
        admin = Client(base)
        rosters = admin.get("/api/organiser/rosters", Authorization=f"Bearer {TOKEN}").json()
        waitlist = admin.get("/api/organiser/waitlist", Authorization=f"Bearer {TOKEN}").json()
        admin.close()
    seated = [p for people in rosters.values() for p in people]
    assert all(len(people) <= 28 for people in rosters.values()), "a session is oversold"
    assert max(Counter(p["group"] for p in seated).values()) <= 4, "an earmark is exceeded"
    assert len(seated) == 84, "with a waitlist left, every seat is taken"
    assert waitlist, "demand exceeded the seats, so people wait"
