"""Embed the booking ledger in your own Starlette app (extra ``web``).

The ledger is opened once per process; ``LedgerService`` runs every call on
one worker thread (the ledger's store belongs to it). Mount seatalloc's pages
and API beside your own routes, or call the service from them.
Run: ``python examples/registration_service.py OUTDIR``.
"""

import json
import socket
import sys
import threading
import urllib.request
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from seatalloc.scenarios import workshop
from seatalloc.web import LedgerService, create_app, open_ledger

service = LedgerService(lambda: open_ledger(str(Path(sys.argv[1]) / "seats.db"), workshop()))


async def seats_left(request: Request) -> JSONResponse:  # your own route, same ledger
    overview = await service.overview()
    return JSONResponse({s: overview.left(s) for s in service.scenario.session_ids})


app = Starlette(routes=[
    Route("/seats-left", seats_left),
    Mount("/booking", create_app(service, organiser_token="change-me-organiser", lang="en")),
])  # fmt: skip

if __name__ == "__main__":
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    while not server.started:
        threading.Event().wait(0.05)
    body = {"name": "Åsa", "email": "asa@example.org", "group": "uppsala", "role": "planner",
            "sessions": ["nov04"]}  # fmt: skip
    post = urllib.request.Request(f"{base}/booking/api/registrations", json.dumps(body).encode(),
                                  {"content-type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(post, timeout=10) as answer:
        print("registered:", json.load(answer)["registrations"][0]["status"])
    with urllib.request.urlopen(f"{base}/seats-left", timeout=10) as answer:
        print("seats left:", json.load(answer))
    server.should_exit = True
    service.close()
