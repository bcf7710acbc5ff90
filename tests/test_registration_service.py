"""The example registration service, end to end over HTTP on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import pytest

from seatalloc.booking import Ledger
from seatalloc.fairness import violations
from seatalloc.stores import SQLiteStore

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "registration_service.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("registration_service", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[ModuleType, str, Path]]:
    module = load_example()
    db = tmp_path / "service.db"
    module.create_database(db)
    server = module.RegistrationService(db)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield module, f"http://127.0.0.1:{server.server_address[1]}", db
    server.shutdown()
    server.server_close()


def test_register_status_withdraw_over_http(service: tuple[ModuleType, str, Path]) -> None:
    module, base, _ = service
    body = {"id": "u1", "group": "uppsala", "role": "planner", "sessions": ["nov25"]}
    status, answer = module.call(base, "POST", "/registrations", body)
    assert (status, answer["status"], answer["session"]) == (200, "seated", "nov25")
    assert module.call(base, "POST", "/registrations", body)[1] == answer, "idempotent retry"
    conflict = module.call(base, "POST", "/registrations", {**body, "sessions": ["dec02"]})
    assert conflict[0] == 409
    status, answer = module.call(base, "GET", "/registrations/u1")
    assert answer["explanation"].startswith("seated in 25\u201326 November")
    assert module.call(base, "DELETE", "/registrations/u1") == (200, {"promoted": []})
    assert module.call(base, "GET", "/registrations/u1")[1]["status"] == "withdrawn"
    assert module.call(base, "GET", "/registrations/nobody")[0] == 404
    assert module.call(base, "POST", "/registrations", {"group": "uppsala"})[0] == 400
    rejected = module.call(base, "POST", "/registrations", {"id": "z", "group": "atlantis"})
    assert rejected[1]["status"] == "rejected" and "'group'" in rejected[1]["note"]


def test_concurrent_clicks_never_oversell(service: tuple[ModuleType, str, Path]) -> None:
    module, base, db = service
    bodies = [
        {"id": f"g{k}", "group": "gotland", "role": "planner", "sessions": ["dec02"]}
        for k in range(12)
    ]
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda b: module.call(base, "POST", "/registrations", b), bodies))
    assert Counter(a["status"] for _, a in answers) == {"seated": 4, "waitlisted": 8}
    positions = sorted(a["position"] for _, a in answers if a["status"] == "waitlisted")
    assert positions == list(range(1, 9)), "each click got its own place in the queue"
    seated = next(a["request"] for _, a in answers if a["status"] == "seated")
    _, withdrawn = module.call(base, "DELETE", f"/registrations/{seated}")
    assert len(withdrawn["promoted"]) == 1
    allocation = Ledger(SQLiteStore(db), clock=module.wall_clock).allocation()
    assert violations(allocation.problem, allocation, checks=("capacity", "quota")) == []
    assert len(allocation.rosters["dec02"]) == 4
