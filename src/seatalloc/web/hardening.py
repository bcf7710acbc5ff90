"""Protection at the edge: body limit, slow clients, request ids and logs without personal data.

- :class:`Guard` (ASGI middleware): a request id for every request
  (``X-Request-Id``), 413 for a body over the limit (by ``Content-Length``
  or as it streams), 408 for a body that does not arrive in time, and one
  log line per request naming the route *template* (``/me/{token}``), never
  the path, a name or an e-mail.
- :class:`SlowClientProtocol`: uvicorn's HTTP/1.1 protocol that also closes a
  connection whose request head has not arrived in time (uvicorn times out
  only idle keep-alive connections).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["Guard", "SlowClientProtocol", "problem_body"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("seatalloc.web")


def problem_body(status: int, title: str, detail: str, **extra: Any) -> bytes:
    """An RFC 9457 problem details document."""
    return json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra},
        ensure_ascii=False,
    ).encode()


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


class Guard:
    """Request ids, a body size limit, a body read timeout and privacy-safe access logs."""

    def __init__(self, app: ASGIApp, *, max_body: int, body_timeout: float) -> None:
        self.app = app
        self.max_body = max_body
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = secrets.token_hex(6)
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status = 0
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        length = dict(scope["headers"]).get(b"content-length")
        try:
            if length is not None and (not length.isdigit() or int(length) > self.max_body):
                raise _TooLarge
            await self.app(scope, self._limited(receive), send_with_id)
        except _TooLarge:
            if not response_started:
                status = 413
                limit = f"the request body is limited to {self.max_body} bytes"
                await self._problem(send, rid, 413, "Content Too Large", limit)
        except _TooSlow:
            if not response_started:
                status = 408
                await self._problem(send, rid, 408, "Request Timeout",
                                    "the request body did not arrive in time")  # fmt: skip
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "-")
            log.info(
                "%s %s %s %.1fms id=%s", scope["method"], path, status,
                1000 * (time.perf_counter() - started), rid,
            )  # fmt: skip

    def _limited(self, receive: Receive) -> Receive:
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except TimeoutError:
                raise _TooSlow from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge
            return message

        return limited

    @staticmethod
    async def _problem(send: Send, rid: str, status: int, title: str, detail: str) -> None:
        body = problem_body(status, title, detail, request_id=rid)
        await send({
            "type": "http.response.start", "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                (b"x-request-id", rid.encode()),
            ],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": body})


class SlowClientProtocol(H11Protocol):
    """Closes a connection whose next request head does not arrive within the keep-alive timeout.

    It also turns Nagle's algorithm off on every connection (responses are small).
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # asyncio sets TCP_NODELAY only on sockets made with proto IPPROTO_TCP; a socket
        # handed in (``sockets=[...]``) often has proto 0, and Nagle's delay meets the
        # client's delayed ACK: 40 ms added to every response.
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._arm_head_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_head_deadline()

    def _arm_head_deadline(self) -> None:
        cycle = self.cycle
        self.loop.call_later(self.timeout_keep_alive, self._head_deadline, cycle)

    def _head_deadline(self, cycle: object) -> None:
        # The same cycle as when armed: no new request head was parsed since.
        if self.cycle is cycle and not self.transport.is_closing():
            self.transport.close()
