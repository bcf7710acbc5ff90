"""Breakout tables: discussion tables per round inside one session.

Rules: balanced roles, colleagues together or apart, new encounters across
rounds, pinned seats, pairs that must or must not share a table. A
construction plus tabu-search heuristic always gives a plan (no OR-Tools
needed); the CP-SAT model (extra ``solver``) proves optimality where it can.
See docs/breakouts.md.
"""

from seatalloc.breakouts.model import (
    Colleagues,
    InfeasibleError,
    Mixing,
    Participant,
    Roster,
    Rules,
    Tables,
)
from seatalloc.breakouts.plan import BreakoutPlan, Method, plan_breakouts, plan_sessions
from seatalloc.breakouts.quality import NotMet, Quality, RoundQuality
from seatalloc.breakouts.reader import read_roster

__all__ = [
    "BreakoutPlan",
    "Colleagues",
    "InfeasibleError",
    "Method",
    "Mixing",
    "NotMet",
    "Participant",
    "Quality",
    "Roster",
    "RoundQuality",
    "Rules",
    "Tables",
    "plan_breakouts",
    "plan_sessions",
    "read_roster",
]
