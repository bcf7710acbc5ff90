"""Run the app under uvicorn with the hardened protocol and privacy-safe logs."""

from __future__ import annotations

import logging
import socket
from typing import Any

from seatalloc._extras import require

__all__ = ["config", "serve"]


def config(app: Any, *, host: str = "127.0.0.1", port: int = 8000,
           sock: socket.socket | None = None, timeout: int = 5) -> Any:  # fmt: skip
    """A uvicorn config: no access log (ours names route templates only), head and idle timeouts.

    ``timeout`` seconds bound both the wait for a request head and keep-alive idling;
    the app's :class:`~seatalloc.web.hardening.Guard` bounds the body.
    """
    uvicorn = require("uvicorn", "web", "the registration web app")
    from seatalloc.web.hardening import SlowClientProtocol

    return uvicorn.Config(
        app, host=host, port=port, http=SlowClientProtocol, access_log=False,
        timeout_keep_alive=timeout, log_level="info", lifespan="on",
        server_header=False, ws="none", backlog=512,
    )  # fmt: skip


def serve(app: Any, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until interrupted (Ctrl-C)."""
    uvicorn = require("uvicorn", "web", "the registration web app")
    logger = logging.getLogger("seatalloc.web")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    uvicorn.Server(config(app, host=host, port=port)).run()
