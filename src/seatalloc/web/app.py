"""The registration web app: participant pages, organiser pages and the JSON API.

Built on Starlette (a small ASGI toolkit) with Jinja2 templates, served by
uvicorn. No rule lives here: every decision is the ledger's, reached through
:mod:`seatalloc.web._ledger`; input checks are :mod:`seatalloc.web.forms`.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import hmac
import io
import secrets
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from importlib import resources
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from seatalloc.allocation import Status
from seatalloc.scenarios import WORKSHOP_ROLES
from seatalloc.web import api, forms
from seatalloc.web._ledger import (
    ConflictError,
    LedgerError,
    LedgerService,
    Unavailable,
)
from seatalloc.web.hardening import Guard
from seatalloc.web.i18n import LANGUAGES, TEXTS

__all__ = ["create_app"]

MAX_BODY = 64 * 1024
BODY_TIMEOUT = 10.0
TICK_SECONDS = 30.0
_CSRF = "csrftoken"
_ORGANISER = "organiser"


class Web:
    """What every handler needs: the ledger service, texts, templates and secrets."""

    def __init__(
        self, service: LedgerService, organiser_token: str, lang: str,
        roles: Mapping[str, str], secure_cookies: bool,
    ) -> None:  # fmt: skip
        if lang not in LANGUAGES:
            raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
        if len(organiser_token) < 12:
            raise ValueError("the organiser token must have at least 12 characters")
        self.service = service
        self.scenario = service.scenario
        self.lang = lang
        self.roles = roles
        self.secure = secure_cookies
        self._token = organiser_token
        self._session_key = hmac.new(
            organiser_token.encode(), b"seatalloc organiser session", hashlib.sha256
        ).hexdigest()
        loader = jinja2.PackageLoader("seatalloc.web", "templates")
        self.templates = jinja2.Environment(
            loader=loader, autoescape=True, undefined=jinja2.StrictUndefined
        )

    # -- language, CSRF, organiser ---------------------------------------------------

    def language(self, request: Request) -> str:
        chosen = request.query_params.get("lang") or request.cookies.get("lang")
        return chosen if chosen in LANGUAGES else self.lang

    def check_token(self, token: str) -> bool:
        return hmac.compare_digest(token.encode(), self._token.encode())

    def is_organiser(self, request: Request) -> bool:
        bearer = request.headers.get("authorization", "")
        if bearer.startswith("Bearer "):
            return self.check_token(bearer[len("Bearer ") :])
        cookie = request.cookies.get(_ORGANISER, "")
        return hmac.compare_digest(cookie.encode(), self._session_key.encode())

    def organiser_cookie(self, response: Response, root: str) -> None:
        response.set_cookie(
            _ORGANISER, self._session_key, httponly=True, samesite="strict", secure=self.secure,
            path=f"{root}/organiser",
        )  # fmt: skip

    async def form(self, request: Request) -> dict[str, str]:
        """The posted form, after its CSRF token matched the cookie (else 403)."""
        data = await request.form()
        form = {k: v for k, v in data.items() if isinstance(v, str)}
        cookie = request.cookies.get(_CSRF, "")
        if not cookie or not hmac.compare_digest(form.get("csrf", "").encode(), cookie.encode()):
            raise HTTPException(403, "the form's CSRF token is missing or wrong")
        return form

    # -- rendering -------------------------------------------------------------------

    def page(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        lang = self.language(request)
        texts = TEXTS[lang]
        csrf = request.cookies.get(_CSRF) or secrets.token_urlsafe(24)

        def t(key: str, **values: Any) -> str:
            return texts[key].format(**values) if values else texts[key]

        html = self.templates.get_template(template).render(
            t=t, lang=lang, languages=LANGUAGES, texts=TEXTS, csrf=csrf, path=request.url.path,
            root=_root(request), base_url=str(request.base_url).rstrip("/"),
            scenario=self.scenario, roles=self.roles, session_name=self.session_name,
            when=_when, **context,
        )  # fmt: skip
        response = HTMLResponse(html, status_code=status)
        response.headers["content-security-policy"] = (
            "default-src 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["x-content-type-options"] = "nosniff"
        response.headers["referrer-policy"] = "no-referrer"
        response.headers["cache-control"] = "no-store"
        if _CSRF not in request.cookies:
            response.set_cookie(_CSRF, csrf, httponly=True, samesite="strict", secure=self.secure)
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie("lang", lang, samesite="lax", secure=self.secure)
        return response

    def session_name(self, session: str | None) -> str:
        if session is None:
            return "-"
        return self.scenario.session_by_id[session].name


def _when(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    return "-" if value is None else str(value)


def _root(request: Request) -> str:
    """The prefix the app is mounted under ('' at the top)."""
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def _web(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


# -- participant pages ---------------------------------------------------------------


async def sessions_page(request: Request) -> Response:
    web = _web(request)
    group = request.query_params.get("group", "")
    overview = await web.service.overview()
    earmark = overview.earmark_left(group) if group in web.scenario.group_by_id else None
    return web.page(request, "sessions.html", overview=overview, group=group, earmark=earmark)


async def register_page(request: Request) -> Response:
    web = _web(request)
    if request.method == "GET":
        return web.page(request, "register.html", values={}, errors={})
    form = await web.form(request)
    raw = forms.from_form(form)
    checked = forms.validate(raw, web.scenario, web.roles)
    if isinstance(checked, dict):
        return web.page(request, "register.html", 422, values=form, errors=checked)
    try:
        registered = await web.service.register(checked.requests())
    except ConflictError:
        # Fresh random ids make this practically impossible; say so rather than guess.
        raise HTTPException(409, "registration conflict") from None
    if registered[0].decision.status is Status.REJECTED:
        return web.page(request, "register.html", 422, values=form, errors={"": "err_invalid"})
    return web.page(request, "decision.html", registered=registered, new=True,
                    names=[p.name for p in checked.people])  # fmt: skip


async def _found(request: Request) -> tuple[Web, Any]:
    web = _web(request)
    found = await web.service.find(request.path_params["token"])
    if found is None:
        raise HTTPException(404, "no registration has this link")
    return web, found


async def status_page(request: Request) -> Response:
    web, (person, decision, expires) = await _found(request)
    return web.page(
        request, "status.html", person=person, decision=decision, expires=expires,
        token=request.path_params["token"],
    )  # fmt: skip


async def status_action(request: Request) -> Response:
    web, (person, _, _) = await _found(request)
    await web.form(request)
    action = request.path_params["action"]
    try:
        if action == "withdraw":
            await web.service.withdraw(person.id)
        elif action == "accept":
            await web.service.accept(person.id)
        elif action == "decline":
            await web.service.decline(person.id)
        else:
            raise HTTPException(404, "no such action")
    except LedgerError:
        pass  # e.g. the offer expired meanwhile: the status page shows where things stand.
    return RedirectResponse(f"{_root(request)}/me/{request.path_params['token']}", status_code=303)


# -- organiser pages -----------------------------------------------------------------


async def organiser_page(request: Request) -> Response:
    web = _web(request)
    if not web.is_organiser(request):
        return web.page(request, "login.html", 401, wrong=False)
    rosters = await web.service.rosters()
    waitlist = await web.service.waitlist()
    overview = await web.service.overview()
    return web.page(
        request, "organiser.html", rosters=rosters, waitlist=waitlist, overview=overview,
        done=request.query_params.get("done"),
    )  # fmt: skip


async def organiser_login(request: Request) -> Response:
    web = _web(request)
    form = await web.form(request)
    if not web.check_token(form.get("token", "")):
        return web.page(request, "login.html", 401, wrong=True)
    response = RedirectResponse(f"{_root(request)}/organiser", status_code=303)
    web.organiser_cookie(response, _root(request))
    return response


async def organiser_logout(request: Request) -> Response:
    web = _web(request)
    await web.form(request)
    response = RedirectResponse(f"{_root(request)}/organiser", status_code=303)
    response.delete_cookie(_ORGANISER, path=f"{_root(request)}/organiser")
    return response


def _require_organiser(request: Request) -> Web:
    web = _web(request)
    if not web.is_organiser(request):
        raise HTTPException(401, "organiser login needed")
    return web


async def organiser_action(request: Request) -> Response:
    web = _require_organiser(request)
    form = await web.form(request)
    action = request.path_params["action"]
    if action == "capacity":
        session = form.get("session", "")
        text = form.get("capacity", "")
        if session not in web.scenario.session_by_id or not text.isdigit():
            raise HTTPException(422, "capacity needs a session and a whole number >= 0")
        count = await web.service.set_capacity(session, int(text))
    elif action == "release":
        quota = form.get("quota", "")
        if quota not in {q.key for q in web.scenario.quotas}:
            raise HTTPException(422, "release needs a quota of the scenario")
        count = await web.service.release(quota)
    else:
        raise HTTPException(404, "no such action")
    return RedirectResponse(f"{_root(request)}/organiser?done={count}", status_code=303)


async def roster_csv(request: Request) -> Response:
    web = _require_organiser(request)
    rosters = await web.service.rosters()
    waitlist = await web.service.waitlist()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", "status", "session", "position", "name", "email", "group", "role"])
    rows = [(p, d) for people in rosters.values() for p, d in people] + waitlist
    for person, d in rows:
        writer.writerow([
            person.id, d.status.value, d.session or "", d.position or "",
            *(_cell(person.attributes.get(k, "")) for k in ("name", "email")),
            person.group, person.role,
        ])  # fmt: skip
    return Response(
        out.getvalue(), media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="roster.csv"',
                 "cache-control": "no-store"},
    )  # fmt: skip


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# -- errors ----------------------------------------------------------------------------


def _is_api(request: Request) -> bool:
    path: str = request.scope["path"]
    return path.startswith(f"{_root(request)}/api/")


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if _is_api(request):
        return api.problem(request, error.status_code, str(error.detail))
    web = _web(request)
    key = {403: "forbidden", 401: "forbidden"}.get(error.status_code, "not_found")
    if error.status_code == 422:
        key = "err_invalid"
    return web.page(request, "error.html", error.status_code, key=key)


async def unavailable(request: Request, error: Exception) -> Response:
    assert isinstance(error, Unavailable)
    headers = {"retry-after": str(error.retry_after)}
    if _is_api(request):
        response = api.problem(request, 503, str(error))
    else:
        response = _web(request).page(request, "error.html", 503, key="busy")
    response.headers.update(headers)
    return response


# -- the app ---------------------------------------------------------------------------


def create_app(
    service: LedgerService,
    *,
    organiser_token: str,
    lang: str = "sv",
    roles: Mapping[str, str] | None = None,
    secure_cookies: bool = False,
    max_body: int = MAX_BODY,
    body_timeout: float = BODY_TIMEOUT,
    tick_seconds: float | None = TICK_SECONDS,
) -> Starlette:
    """The registration app over one ledger service.

    ``organiser_token`` opens the organiser pages (login form, or
    ``Authorization: Bearer`` on the API). ``roles`` maps role ids to labels
    (default: the roles the scenario's quotas name, else the workshop's).
    Every ``tick_seconds`` the ledger lets time pass, so offers expire and
    earmarks release without waiting for the next registration.
    """
    if roles is None:
        named = sorted({q.role for q in service.scenario.quotas if q.role is not None})
        roles = {r: r for r in named} if named else dict(WORKSHOP_ROLES)
    web = Web(service, organiser_token, lang, roles, secure_cookies)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = None if tick_seconds is None else asyncio.create_task(_ticker(web, tick_seconds))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    static = resources.files("seatalloc.web").joinpath("static")
    routes = [
        Route("/", sessions_page, name="sessions"),
        Route("/register", register_page, methods=["GET", "POST"]),
        Route("/me/{token}", status_page),
        Route("/me/{token}/{action}", status_action, methods=["POST"]),
        Route("/organiser", organiser_page),
        Route("/organiser/login", organiser_login, methods=["POST"]),
        Route("/organiser/logout", organiser_logout, methods=["POST"]),
        Route("/organiser/roster.csv", roster_csv),
        Route("/organiser/{action}", organiser_action, methods=["POST"]),
        *api.routes(),
        Mount("/static", StaticFiles(directory=str(static)), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard, max_body=max_body, body_timeout=body_timeout)],
        exception_handlers={HTTPException: http_error, Unavailable: unavailable},
        lifespan=lifespan,
    )
    app.state.web = web
    return app


async def _ticker(web: Web, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        with contextlib.suppress(Unavailable):
            await web.service.tick()
