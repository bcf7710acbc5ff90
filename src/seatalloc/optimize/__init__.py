"""Optimisers over the FCFS allocation (OR-Tools, the ``solver`` extra, imported lazily)."""

from seatalloc.optimize.sessions import Guarantee, Objective, optimize_sessions

__all__ = ["Guarantee", "Objective", "optimize_sessions"]
