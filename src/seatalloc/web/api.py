"""The JSON API: the participant and organiser operations, OpenAPI-described.

Errors are RFC 9457 problem details (``application/problem+json``) with the
request id; a validation failure lists each field with its message. A
registration that the ledger rejects is 422, never 200.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from seatalloc.allocation import Decision, Status
from seatalloc.web import forms
from seatalloc.web._ledger import ConflictError, LedgerError, Registered
from seatalloc.web.i18n import TEXTS
from seatalloc.web.openapi import spec

if TYPE_CHECKING:
    from seatalloc.web.app import Web

__all__ = ["decision_json", "problem", "routes"]

_TITLES = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict",
    413: "Content Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Content",
    503: "Service Unavailable",
}  # fmt: skip


class _Json(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=str).encode()


def problem(request: Request, status: int, detail: str, **extra: Any) -> Response:
    """A problem details response naming the request id."""
    body = {
        "type": "about:blank", "title": _TITLES.get(status, "Error"), "status": status,
        "detail": detail, "request_id": request.scope.get("state", {}).get("request_id"),
        **extra,
    }  # fmt: skip
    return _Json(body, status_code=status, media_type="application/problem+json")


def decision_json(decision: Decision, expires: object = None) -> dict[str, Any]:
    return {
        "status": decision.status.value, "reason": decision.reason.value,
        "session": decision.session, "rank": decision.rank, "position": decision.position,
        "offer_expires": None if expires is None else str(expires),
    }  # fmt: skip


def _registered(request: Request, registered: Registered) -> dict[str, Any]:
    root = request.scope.get("root_path", "").rstrip("/")
    return {
        **decision_json(registered.decision), "token": registered.token,
        "status_url": f"{root}/me/{registered.token}",
    }  # fmt: skip


def _web(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


async def _json_body(request: Request) -> Any:
    """The JSON body, or a 415/400 problem raised as a response."""
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if kind != "application/json":
        raise _Problem(415, "send the body as application/json")
    try:
        return json.loads(await request.body())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _Problem(400, "the body is not valid JSON") from None


class _Problem(Exception):
    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra


def _handled(endpoint: Any) -> Any:
    async def run(request: Request) -> Response:
        try:
            response: Response = await endpoint(request)
        except _Problem as error:
            return problem(request, error.status, error.detail, **error.extra)
        return response

    run.__doc__ = endpoint.__doc__
    return run


# -- endpoints -------------------------------------------------------------------------


async def sessions(request: Request) -> Response:
    web = _web(request)
    overview = await web.service.overview()
    group = request.query_params.get("group")
    if group is not None and group not in web.scenario.group_by_id:
        raise _Problem(404, "no such organisation", field="group")
    return _Json({
        "sessions": [
            {"id": s.id, "label": s.name, "start": s.start and s.start.isoformat(),
             "capacity": overview.capacity[s.id], "seats_left": overview.left(s.id)}
            for s in web.scenario.sessions
        ],
        "earmark_left": None if group is None else overview.earmark_left(group),
    })  # fmt: skip


async def register(request: Request) -> Response:
    web = _web(request)
    raw = await _json_body(request)
    if not isinstance(raw, dict):
        raise _Problem(400, "the body must be a JSON object")
    checked = forms.validate(raw, web.scenario, web.roles)
    if isinstance(checked, dict):
        errors = [{"field": f, "detail": TEXTS["en"][k]} for f, k in checked.items()]
        raise _Problem(422, "the registration has invalid fields", errors=errors)
    try:
        registered = await web.service.register(checked.requests())
    except ConflictError:
        raise _Problem(409, "the registration conflicts with an earlier one") from None
    if registered[0].decision.status is Status.REJECTED:
        raise _Problem(422, "the ledger rejected the registration")
    return _Json({"registrations": [_registered(request, r) for r in registered]}, status_code=201)


async def _person(request: Request) -> tuple[Any, Decision, Any]:
    found = await _web(request).service.find(request.path_params["token"])
    if found is None:
        raise _Problem(404, "no registration has this token")
    return found


async def registration(request: Request) -> Response:
    web = _web(request)
    person, decision, expires = await _person(request)
    if request.method == "DELETE":
        promoted = await web.service.withdraw(person.id)
        found = await web.service.find(request.path_params["token"])
        assert found is not None
        return _Json({**decision_json(found[1]), "promoted": promoted})
    return _Json(decision_json(decision, expires))


async def offer(request: Request) -> Response:
    web = _web(request)
    action = request.path_params["action"]
    if action not in ("accept", "decline"):
        raise _Problem(404, "no such endpoint")
    person, _, _ = await _person(request)
    try:
        if action == "accept":
            await web.service.accept(person.id)
        else:
            await web.service.decline(person.id)
    except LedgerError:
        raise _Problem(409, "this registration holds no open offer") from None
    found = await web.service.find(request.path_params["token"])
    assert found is not None
    return _Json(decision_json(found[1], found[2]))


def _organiser(request: Request) -> Web:
    web = _web(request)
    if not web.is_organiser(request):
        raise _Problem(401, "send the organiser token as 'Authorization: Bearer TOKEN'")
    return web


def _row(person: Any, decision: Decision) -> dict[str, Any]:
    return {
        "id": person.id, "name": person.attributes.get("name"),
        "email": person.attributes.get("email"), "group": person.group, "role": person.role,
        **decision_json(decision),
    }  # fmt: skip


async def rosters(request: Request) -> Response:
    web = _organiser(request)
    return _Json({
        s: [_row(p, d) for p, d in people] for s, people in (await web.service.rosters()).items()
    })  # fmt: skip


async def waitlist(request: Request) -> Response:
    web = _organiser(request)
    return _Json([_row(p, d) for p, d in await web.service.waitlist()])


async def capacity(request: Request) -> Response:
    web = _organiser(request)
    session = request.path_params["session"]
    if session not in web.scenario.session_by_id:
        raise _Problem(404, "no such session")
    body = await _json_body(request)
    value = body.get("capacity") if isinstance(body, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Problem(422, "capacity must be a whole number >= 0", field="capacity")
    changed = await web.service.set_capacity(session, value)
    return _Json({"session": session, "capacity": value, "changed": changed})


async def release(request: Request) -> Response:
    web = _organiser(request)
    quota = request.path_params["quota"]
    if quota not in {q.key for q in web.scenario.quotas}:
        raise _Problem(404, "no such quota")
    return _Json({"quota": quota, "promoted": await web.service.release(quota)})


async def openapi(request: Request) -> Response:
    return _Json(spec(_web(request).scenario))


async def not_found(request: Request) -> Response:
    return problem(request, 404, "no such endpoint")


def routes() -> list[Route]:
    """The API routes, under ``/api``."""
    return [
        Route("/api/openapi.json", openapi),
        Route("/api/sessions", _handled(sessions)),
        Route("/api/registrations", _handled(register), methods=["POST"]),
        Route("/api/registrations/{token}", _handled(registration), methods=["GET", "DELETE"]),
        Route("/api/registrations/{token}/{action:str}", _handled(offer), methods=["POST"]),
        Route("/api/organiser/rosters", _handled(rosters)),
        Route("/api/organiser/waitlist", _handled(waitlist)),
        Route("/api/organiser/sessions/{session}/capacity", _handled(capacity), methods=["PUT"]),
        Route("/api/organiser/quotas/{quota}/release", _handled(release), methods=["POST"]),
        Route("/api/{rest:path}", not_found, methods=["GET", "POST", "PUT", "DELETE"]),
    ]
