"""The registration web app (extra ``web``): participant and organiser pages, a JSON API.

``seatalloc serve SCENARIO.toml --db DB`` runs it; :func:`create_app` embeds it.
See docs/web.md.
"""

from seatalloc._extras import require

require("starlette", "web", "the registration web app")
require("jinja2", "web", "the registration web app")

from seatalloc.web._ledger import LedgerService, open_ledger  # noqa: E402
from seatalloc.web.app import create_app  # noqa: E402
from seatalloc.web.server import serve  # noqa: E402

__all__ = ["LedgerService", "create_app", "open_ledger", "serve"]
