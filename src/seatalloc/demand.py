"""A seeded, immutable demand model: who asks for which sessions, and when.

The defaults follow the workshop announcement (three occasions of 28 seats,
21 county boards, four earmarked places each, five professional roles,
first come first served, colleagues encouraged to pick the same occasion)
with demand at 1.5 times the seats. Everything else is an assumption an
analyst can change; docs/simulate.md explains each field.

Arrivals are integer seconds after registration opens, or date-times when
``opens`` is given. Sampling uses one ``random.Random(seed)``: the same
problem, model and seed always give the same requests.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs

from seatalloc.errors import FieldError, InputError, ProblemError, Where
from seatalloc.io._files import read_text
from seatalloc.model import Arrival, Problem, Request
from seatalloc.scenarios import WORKSHOP_ROLES

__all__ = [
    "ROLES",
    "Demand",
    "DemandModel",
    "Sampler",
    "demand_sampler",
    "load_demand",
    "sample_demand",
    "sample_requests",
]

ROLES: tuple[str, ...] = tuple(WORKSHOP_ROLES)
"""The roles the workshop announcement invites: the default role mix, equally weighted."""

Weights = tuple[tuple[str, float], ...]


def _to_weights(value: Mapping[str, float] | Iterable[tuple[str, float]]) -> Weights:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple((str(k), v) for k, v in items)


def _to_floats(value: Iterable[float]) -> tuple[float, ...]:
    return tuple(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_number(field: str, value: object, low: float, high: float | None = None) -> None:
    if not _is_number(value) or value < low or (high is not None and value > high):  # type: ignore[operator]
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise FieldError("demand", None, field, value, f"must be a number {bound}")


def _check_weights(field: str, pairs: Sequence[tuple[str, float]], allow_empty: bool) -> None:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise FieldError("demand", None, field, keys, "must not repeat a name")
    for key, weight in pairs:
        _check_number(f"{field}.{key}", weight, 0.0)
    if not allow_empty and sum(w for _, w in pairs) <= 0:
        raise FieldError("demand", None, field, dict(pairs), "must have a positive weight")


@attrs.frozen
class DemandModel:
    """How demand for the sessions of a problem is sampled (see docs/simulate.md).

    Groups: ``groups`` of the problem's groups take part (all when ``None``);
    each sends a negative-binomial number of requests whose mean makes the
    expected total ``scale`` times the seats, with board-to-board
    coefficient of variation ``spread`` (0: Poisson). Each request draws a
    role by ``roles`` weights and accepts ``k`` sessions with ``k``
    weighted by ``accepts`` (``accepts[0]`` for one session). Its first
    choice is its board's favourite with probability ``cohesion``, else by
    ``popularity`` (sessions not named weigh 1), as are the lower choices.

    Arrivals: each board's first registrant arrives within the first
    ``burst_hours`` with probability ``burst``, else after them with an
    exponential delay of mean ``decay_hours``. A colleague follows the first
    registrant with probability ``follow`` after an exponential lag of mean
    ``follow_minutes`` (and, with probability ``party``, registers with them
    as a party: same arrival and sessions); otherwise arrives on their own
    by the same burst-and-decay process. ``withdrawal`` is the share of
    requests later withdrawn, an exponential ``withdraw_hours`` after arriving.
    """

    scale: float = 1.5
    groups: int | None = None
    spread: float = 0.5
    roles: Weights = attrs.field(default=tuple((r, 1.0) for r in ROLES), converter=_to_weights)
    popularity: Weights = attrs.field(default=(), converter=_to_weights)
    accepts: tuple[float, ...] = attrs.field(default=(0.45, 0.35, 0.2), converter=_to_floats)
    cohesion: float = 0.6
    burst: float = 0.5
    burst_hours: float = 2.0
    decay_hours: float = 72.0
    follow: float = 0.7
    follow_minutes: float = 30.0
    party: float = 0.0
    withdrawal: float = 0.1
    withdraw_hours: float = 168.0
    opens: datetime | None = None

    def __attrs_post_init__(self) -> None:
        _check_number("scale", self.scale, 0.0)
        if self.groups is not None and (
            isinstance(self.groups, bool) or not isinstance(self.groups, int) or self.groups < 1
        ):
            raise FieldError("demand", None, "groups", self.groups, "must be an integer >= 1")
        _check_number("spread", self.spread, 0.0)
        for name in ("cohesion", "burst", "follow", "party", "withdrawal"):
            _check_number(name, getattr(self, name), 0.0, 1.0)
        for name in ("burst_hours", "decay_hours", "follow_minutes", "withdraw_hours"):
            _check_number(name, getattr(self, name), 0.0)
        _check_weights("roles", self.roles, allow_empty=False)
        _check_weights("popularity", self.popularity, allow_empty=True)
        _check_weights("accepts", [(str(i), w) for i, w in enumerate(self.accepts, 1)], False)
        if self.opens is not None and not isinstance(self.opens, datetime):
            raise FieldError("demand", None, "opens", self.opens, "must be a date-time")

    def evolve(self, **changes: Any) -> DemandModel:
        """A copy with some fields changed, validated again (what a sweep varies)."""
        return attrs.evolve(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, TOML- and JSON-ready: weights as tables, absent fields left out."""
        data: dict[str, Any] = {}
        for field in attrs.fields(DemandModel):
            value = getattr(self, field.name)
            if value is None or value == ():
                continue
            if field.name in ("roles", "popularity"):
                value = dict(value)
            elif field.name == "accepts":
                value = list(value)
            data[field.name] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: Where | None = None) -> DemandModel:
        """The model from plain data (a TOML table); unknown or bad fields raise, naming them."""
        known = {f.name for f in attrs.fields(cls)}
        errors = [
            FieldError(
                "demand", None, key, data[key], f"is not a field ({', '.join(sorted(known))})"
            )
            for key in sorted(set(data) - known)
        ]
        if errors:
            raise ProblemError([e.located(where) if where else e for e in errors])
        try:
            return cls(**data)
        except FieldError as error:
            raise error.located(where) if where else error from None
        except (TypeError, AttributeError, ValueError) as error:
            field = next((k for k in sorted(data) if k in str(error)), "demand")
            located = FieldError("demand", None, field, data.get(field), f"is malformed: {error}")
            raise located.located(where) if where else located from None

    def to_toml(self, table: str | None = "demand") -> str:
        """TOML text (a ``[demand]`` table by default) that :func:`load_demand` reads back."""
        lines = [f"[{table}]"] if table else []
        nested: list[str] = []
        for key, value in self.to_dict().items():
            if isinstance(value, dict) and value:
                prefix = f"{table}.{key}" if table else key
                nested += ["", f"[{prefix}]"]
                nested += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()]
            else:
                lines.append(f"{key} = {_toml_value(value)}")
        return "\n".join(lines + nested) + "\n"


def _toml_key(key: str) -> str:
    bare = key.replace("-", "").replace("_", "").isalnum() and key.isascii()
    return key if bare else '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def load_demand(path: str | Path) -> DemandModel:
    """Read a demand model from TOML: the ``[demand]`` table if present, else the whole file."""
    try:
        data = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: not valid TOML: {error}") from None
    table = data.get("demand", data)
    if not isinstance(table, dict):
        raise InputError(f"{path}: 'demand' must be a table")
    return DemandModel.from_dict(table, Where(file=str(path)))


@attrs.frozen
class Demand:
    """One sample: the requests, and when some of them withdraw (same unit as arrivals)."""

    requests: tuple[Request, ...]
    withdrawals: tuple[tuple[str, Arrival], ...] = ()
    """(request id, time) in time order, ties by id."""


def sample_requests(problem: Problem, model: DemandModel, seed: int) -> tuple[Request, ...]:
    """Requests for the sessions and groups of ``problem``; the caller puts them in it."""
    return sample_demand(problem, model, seed).requests


def sample_demand(problem: Problem, model: DemandModel, seed: int) -> Demand:
    """Requests and withdrawals for ``problem`` drawn from ``model`` with ``seed``.

    Withdrawals are drawn after all requests, so the withdrawal fields never
    change which requests are drawn. For many samples build
    :func:`demand_sampler` once and call it with each seed.
    """
    return demand_sampler(problem, model)(seed)


Sampler = Callable[[int], Demand]
"""A function of the seed drawing one :class:`Demand`."""


def demand_sampler(problem: Problem, model: DemandModel) -> Sampler:
    """``seed -> sample_demand(problem, model, seed)``, with the set-up done once.

    Everything that depends only on the problem and the model (weight tables,
    the table of rankings, request ids) is built here, so a simulation pays
    for it once per chunk of replications, not once per sample. Raises
    :class:`FieldError` when ``popularity`` does not fit the problem.
    """
    sessions = problem.session_ids
    popular = dict(model.popularity)
    unknown = sorted(set(popular) - set(sessions))
    if unknown:
        raise FieldError("demand", None, "popularity", unknown[0], "must name a session")
    weights = [float(popular.get(s, 1.0)) for s in sessions]
    if sessions and sum(weights) <= 0:
        raise FieldError("demand", None, "popularity", popular, "must leave a session weight > 0")
    pick = bisect.bisect_right
    roles = [r for r, _ in model.roles]
    role_cum = _cumulative([w for _, w in model.roles])
    # Accepting more sessions than there are means accepting all of them.
    n = len(sessions)
    accepts = [*model.accepts[: n - 1], sum(model.accepts[n - 1 :])] if n else [1.0]
    accepts_cum = _cumulative(accepts)
    session_cum = _cumulative(weights) if n else []
    rank = _ranker(sessions, weights, model.cohesion)
    every_group = [g.id for g in problem.groups]
    taking_part = len(every_group) if model.groups is None else min(model.groups, len(every_group))
    capacity = sum(s.capacity for s in problem.sessions)
    mean = model.scale * capacity / taking_part if taking_part else 0.0
    shape = 1.0 / model.spread**2 if model.spread > 0 else 0.0
    follow, party, withdrawal = model.follow, model.party, model.withdrawal
    burst_chance, burst = model.burst, model.burst_hours * 3600
    decay_rate = _rate(model.decay_hours * 3600)
    follow_rate = _rate(model.follow_minutes * 60)
    withdraw_rate = _rate(model.withdraw_hours * 3600)
    opens = model.opens

    def at(seconds: int) -> Arrival:
        return seconds if opens is None else opens + timedelta(seconds=seconds)

    ids: dict[str, list[str]] = {g: [] for g in every_group}
    party_ids = {g: f"{g}-party" for g in every_group}
    make = Request.unchecked  # every field comes from the checked problem and model

    def draw(seed: int) -> Demand:
        rng = random.Random(seed)
        random_ = rng.random

        def exponential(rate: float) -> float:
            # Inversion, exactly what random.expovariate(rate) computes; rate 0: no delay.
            return -math.log(1.0 - random_()) / rate if rate else 0.0

        def arrival() -> int:
            """Seconds after opening: uniform in the burst, else exponential decay after it."""
            if random_() < burst_chance:
                return round(random_() * burst)
            return round(burst + exponential(decay_rate))

        if taking_part < len(every_group):
            groups = sorted(rng.sample(every_group, taking_part))
        else:
            groups = every_group
        requests: list[Request] = []
        seconds: list[int] = []  # arrivals in seconds, for the withdrawals
        for group in groups:
            interest = rng.gammavariate(shape, 1.0 / shape) if shape else 1.0
            size = _poisson(random_, mean * interest)
            if size == 0:
                continue
            favourite = sessions[pick(session_cum, random_())] if n else None
            first = arrival()
            first_at = at(first)
            names = ids[group]
            names += (f"{group}-{i:02d}" for i in range(len(names) + 1, size + 1))
            lead = len(requests)
            for i in range(size):
                role = roles[pick(role_cum, random_())]
                if i and random_() < follow:
                    if random_() < party:
                        # The first registrant becomes a party once a colleague joins.
                        leader = requests[lead]
                        if leader.party is None:
                            leader = requests[lead] = make(
                                leader.id, group, leader.role, first_at, leader.sessions,
                                party_ids[group],
                            )  # fmt: skip
                        requests.append(
                            make(names[i], group, role, first_at, leader.sessions, leader.party)
                        )
                        seconds.append(first)
                        continue
                    own = first + round(exponential(follow_rate))
                else:
                    own = first if i == 0 else arrival()
                ranked = rank(rng, favourite)[: pick(accepts_cum, random_()) + 1]
                requests.append(make(names[i], group, role, at(own), ranked, None))
                seconds.append(own)

        withdrawals: list[tuple[int, str]] = []
        if withdrawal > 0:  # drawn last: skipping the draws changes no request
            for request, own in zip(requests, seconds, strict=True):
                if random_() < withdrawal:
                    delay = round(exponential(withdraw_rate))
                    withdrawals.append((own + 1 + delay, request.id))
            withdrawals.sort()
        return Demand(tuple(requests), tuple((rid, at(t)) for t, rid in withdrawals))

    return draw


def _cumulative(weights: Sequence[float]) -> list[float]:
    """Cumulative weights scaled to end at exactly 1.0, for :func:`bisect.bisect_right`.

    ``bisect_right(cumulative, rng.random())`` then draws index ``i`` with
    probability proportional to ``weights[i]`` and never a zero weight:
    ``random()`` is below 1.0, so the index is always in range.
    """
    total = sum(weights)
    out = list(itertools.accumulate(w / total for w in weights))
    out[-1] = 1.0
    return out


def _rate(mean: float) -> float:
    """The rate of an exponential delay of ``mean``; 0 for no delay."""
    return 1.0 / mean if mean > 0 else 0.0


def _poisson(random_: Callable[[], float], mean: float) -> int:
    """Poisson count: unit-rate exponential gaps that fit in ``mean`` (exact, O(mean))."""
    count = 0
    total = -math.log(1.0 - random_())
    while total < mean:
        count += 1
        total -= math.log(1.0 - random_())
    return count


def _ranker(
    sessions: Sequence[str], weights: Sequence[float], cohesion: float
) -> Callable[[random.Random, str | None], tuple[str, ...]]:
    """A function drawing a full ranking of ``sessions``, best first.

    Sessions are ordered by weight without replacement (Plackett-Luce); then,
    with probability ``cohesion``, the board's favourite moves to the front.
    Zero-weight sessions come last in session order. Up to six weighted
    sessions every ordering's probability is tabulated once, so a draw is one
    random number and a bisection; beyond, a draw uses Efraimidis-Spirakis
    keys ``u ** (1 / w)``, largest first.
    """
    live = [i for i, w in enumerate(weights) if w > 0]
    tail = tuple(sessions[i] for i, w in enumerate(weights) if w <= 0)
    orders: list[tuple[str, ...]] = []
    cumulative: list[float] = []
    if len(live) <= 6:
        chances = []
        for order in itertools.permutations(live):
            p, left = 1.0, sum(weights[i] for i in order)
            for i in order:
                p *= weights[i] / left
                left -= weights[i]
            chances.append(p)
            orders.append(tuple(sessions[i] for i in order) + tail)
        cumulative = _cumulative(chances)
    moved: dict[tuple[tuple[str, ...], str], tuple[str, ...]] = {}

    def draw(rng: random.Random, favourite: str | None) -> tuple[str, ...]:
        if orders:
            ranked = orders[bisect.bisect_right(cumulative, rng.random())]
        else:
            keys = {i: rng.random() ** (1.0 / weights[i]) for i in live}
            ranked = tuple(sessions[i] for i in sorted(live, key=keys.__getitem__, reverse=True))
            ranked += tail
        if favourite is None or rng.random() >= cohesion:
            return ranked
        key = (ranked, favourite)
        if key not in moved:
            moved[key] = (favourite, *(s for s in ranked if s != favourite))
        return moved[key]

    return draw
