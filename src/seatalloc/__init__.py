"""seatalloc: capacity-constrained seat allocation.

First come, first served with an explained decision per request, quotas,
parties and ranked preferences; batch or online; optional OR-Tools
optimisers; demand simulation and fairness checks.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from seatalloc.allocation import Allocation, Block, Decision, Reason, Status
from seatalloc.booking import Ledger, PromotionMode
from seatalloc.breakouts import BreakoutPlan, plan_breakouts, plan_sessions
from seatalloc.demand import Demand, DemandModel, load_demand, sample_demand, sample_requests
from seatalloc.engine import Engine, Limit, Shortfall
from seatalloc.errors import (
    FieldError,
    InputError,
    MissingExtraError,
    ProblemError,
    SeatallocError,
    Where,
)
from seatalloc.fcfs import allocate
from seatalloc.io import (
    load_allocation,
    load_requests,
    load_scenario,
    parse_requests_csv,
    write_allocation,
)
from seatalloc.model import (
    Arrival,
    Group,
    PartyRule,
    Policy,
    Problem,
    Quota,
    Request,
    Requests,
    Session,
    TieBreak,
)
from seatalloc.optimize import Guarantee, Objective, optimize_sessions
from seatalloc.simulate import SimulationResult, simulate, sweep

try:
    __version__ = _version("seatalloc")
    """The installed distribution's version (from its metadata, so it has one source)."""
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "Allocation",
    "Arrival",
    "Block",
    "BreakoutPlan",
    "Decision",
    "Demand",
    "DemandModel",
    "Engine",
    "FieldError",
    "Group",
    "Guarantee",
    "InputError",
    "Ledger",
    "Limit",
    "MissingExtraError",
    "Objective",
    "PartyRule",
    "Policy",
    "Problem",
    "ProblemError",
    "PromotionMode",
    "Quota",
    "Reason",
    "Request",
    "Requests",
    "SeatallocError",
    "Session",
    "Shortfall",
    "SimulationResult",
    "Status",
    "TieBreak",
    "Where",
    "allocate",
    "load_allocation",
    "load_demand",
    "load_requests",
    "load_scenario",
    "optimize_sessions",
    "parse_requests_csv",
    "plan_breakouts",
    "plan_sessions",
    "sample_demand",
    "sample_requests",
    "simulate",
    "sweep",
    "write_allocation",
]
