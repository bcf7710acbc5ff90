"""File formats <-> model: scenario TOML, requests CSV, allocation JSON and CSV.

Every format is documented exactly in docs/formats.md. Readers report every
error at once, naming file, line, column or table, field and value; the
in-memory parsers take text and a ``source`` name so other front ends (a
booking system's upload form) reuse the same checks.
"""

from seatalloc.io.allocation import (
    Format,
    allocation_csv,
    allocation_text,
    load_allocation,
    parse_allocation,
    write_allocation,
)
from seatalloc.io.requests import load_requests, parse_requests, parse_requests_csv
from seatalloc.io.scenario import load_scenario, parse_scenario

__all__ = [
    "Format",
    "allocation_csv",
    "allocation_text",
    "load_allocation",
    "load_requests",
    "load_scenario",
    "parse_allocation",
    "parse_requests",
    "parse_requests_csv",
    "parse_scenario",
    "write_allocation",
]
