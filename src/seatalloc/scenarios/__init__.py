"""Scenarios shipped with seatalloc, as TOML files inside the package.

``workshop``: the county administrative boards' joint workshop on
climate-smart county transport plans, autumn 2020 (see docs/formats.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

from seatalloc.io.scenario import parse_scenario
from seatalloc.model import Problem

__all__ = ["WORKSHOP_ROLES", "workshop"]

WORKSHOP_ROLES: Mapping[str, str] = MappingProxyType(
    {
        "planner": "community planner (samhällsplanerare)",
        "infrastructure": "infrastructure strategist (infrastrukturstrateg)",
        "energy-climate": "energy and climate strategist (energi- och klimatstrateg)",
        "env-objectives": "environmental objectives coordinator (miljömålssamordnare)",
        "transport": "transport planner/strategist (transportplanerare/-strateg)",
    }
)
"""Role id to label: the roles the workshop announcement invites."""


def workshop() -> Problem:
    """The workshop: 3 sessions of 28, the 21 county boards with 4 places each; no requests."""
    text = resources.files(__name__).joinpath("workshop.toml").read_text(encoding="utf-8")
    return parse_scenario(text, "seatalloc/scenarios/workshop.toml")
