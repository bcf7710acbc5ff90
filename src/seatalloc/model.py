"""Immutable, validated value objects: sessions, groups, quotas, requests, policy, problem.

Each object checks its own fields when built and raises :class:`FieldError`.
A :class:`Problem` checks the objects against each other and reports every
error it finds at once in one :class:`ProblemError`.
"""

from __future__ import annotations

import collections
import enum
import hashlib
import itertools
import operator
import re
from array import array
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime
from functools import cached_property
from types import MappingProxyType
from typing import Any, TypeAlias, TypeVar, overload

import attrs

from seatalloc.errors import FieldError, ProblemError

__all__ = [
    "Arrival",
    "Columns",
    "Group",
    "PartyRule",
    "Policy",
    "Problem",
    "Quota",
    "Request",
    "Requests",
    "Session",
    "TieBreak",
    "duplicate_errors",
    "has_control",
    "request_errors",
]

Arrival: TypeAlias = int | datetime
"""When a request arrived: a timestamp or an integer sequence number."""


# Control characters (C0, DEL, C1), zero-width marks and bidirectional overrides: they
# would break a line of a file or a message, or show an id other than the one stored.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def has_control(text: str) -> bool:
    """Whether ``text`` holds a control, zero-width or bidirectional-override character."""
    return _CONTROL.search(text) is not None


def _check_id(kind: str, key: object, value: object, field: str = "id") -> None:
    if not isinstance(value, str) or not value.strip():
        raise FieldError(kind, key, field, value, "must be a non-empty string")
    if (found := _CONTROL.search(value)) is not None:
        raise FieldError(
            kind, key, field, value,
            f"must not contain control characters (U+{ord(found.group()):04X})",
        )  # fmt: skip


def _check_count(kind: str, key: object, field: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FieldError(kind, key, field, value, "must be an integer >= 0")


_NO_ATTRIBUTES: Mapping[str, Any] = MappingProxyType({})


def _freeze_attributes(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    # Most requests carry no attributes: they share one empty mapping, not two objects each.
    return MappingProxyType(dict(value)) if value else _NO_ATTRIBUTES


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """``value`` as a read-only mapping, without a copy when it already is one."""
    return value if isinstance(value, MappingProxyType) else _freeze_attributes(value)


def _trimmed(value: str) -> str:
    return value.strip() if isinstance(value, str) else value


@attrs.frozen
class Session:
    """An occasion with a capacity; ``start`` and ``end`` are optional.

    The id is trimmed of surrounding spaces, as the TOML and CSV readers trim it.
    """

    id: str = attrs.field(converter=_trimmed)
    capacity: int
    label: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def __attrs_post_init__(self) -> None:
        _check_id("session", self.id, self.id)
        _check_count("session", self.id, "capacity", self.capacity)
        if self.label is not None and not isinstance(self.label, str):
            raise FieldError("session", self.id, "label", self.label, "must be a string")
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, datetime):
                raise FieldError("session", self.id, name, value, "must be a date-time")
        if self.start is not None and self.end is not None:
            try:
                backwards = self.end < self.start
            except TypeError:
                raise FieldError(
                    "session", self.id, "end", self.end, "must match start in having a time zone"
                ) from None
            if backwards:
                raise FieldError("session", self.id, "end", self.end, "must not be before start")

    @property
    def name(self) -> str:
        """The label when there is one, else the id."""
        return self.label or self.id


@attrs.frozen
class Group:
    """An organisation requesters belong to (a county board); quotas refer to it."""

    id: str
    label: str | None = None

    def __attrs_post_init__(self) -> None:
        _check_id("group", self.id, self.id)
        if self.label is not None and not isinstance(self.label, str):
            raise FieldError("group", self.id, "label", self.label, "must be a string")

    @property
    def name(self) -> str:
        """The label when there is one, else the id."""
        return self.label or self.id


@attrs.frozen
class Quota:
    """A cap on seated requests matching a group and/or a role.

    ``None`` in ``group`` or ``role`` matches every value. With ``per_session``
    the limit holds in each session separately; otherwise across all sessions.
    """

    limit: int
    group: str | None = None
    role: str | None = None
    per_session: bool = False
    release: Arrival | None = None
    """When its unused places open to everyone (earmark release); the booking ledger applies it.

    Batch allocation has no clock and ignores it.
    """

    def __attrs_post_init__(self) -> None:
        _check_count("quota", self.key, "limit", self.limit)
        if self.release is not None and (
            isinstance(self.release, bool) or not isinstance(self.release, int | datetime)
        ):
            raise FieldError(
                "quota", self.key, "release", self.release, "must be an integer or a date-time"
            )
        for name in ("group", "role"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise FieldError("quota", self.key, name, value, "must be a string or absent")
        if not isinstance(self.per_session, bool):
            raise FieldError("quota", self.key, "per_session", self.per_session, "must be a bool")

    @property
    def key(self) -> str:
        """A stable name: ``group=uppsala,role=planner,per-session``."""
        parts = [f"group={self.group}"] if self.group is not None else []
        parts += [f"role={self.role}"] if self.role is not None else []
        parts += ["per-session"] if self.per_session else []
        return ",".join(parts) or "all"

    def applies_to(self, request: Request) -> bool:
        """Whether seating ``request`` counts against this quota (in any session)."""
        return (self.group is None or self.group == request.group) and (
            self.role is None or self.role == request.role
        )


def _to_preferences(value: Iterable[str] | str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),)
    if isinstance(value, AbstractSet | Mapping):
        # Unordered: its order would change with PYTHONHASHSEED. Checked in __attrs_post_init__.
        return value  # type: ignore[return-value]
    # Session ids are trimmed as the TOML and CSV readers trim them.
    return tuple(s.strip() if isinstance(s, str) else s for s in value)


@attrs.frozen(weakref_slot=False)
class Request:
    """One person asking for a seat.

    ``sessions`` ranks the acceptable sessions, best first; empty means any
    session. Free ``attributes`` may hold personal data: they are left out of
    ``repr`` and never named in errors. No weak references: a problem holds a
    million of these, and the slot would cost each of them 8 bytes.
    """

    id: str
    group: str
    role: str = ""
    arrival: Arrival = 0
    sessions: tuple[str, ...] = attrs.field(default=(), converter=_to_preferences)
    party: str | None = None
    attributes: Mapping[str, Any] = attrs.field(
        factory=dict, converter=_freeze_attributes, repr=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        _check_id("request", self.id, self.id)
        _check_id("request", self.id, self.group, "group")
        if not isinstance(self.role, str):
            raise FieldError("request", self.id, "role", self.role, "must be a string")
        if isinstance(self.arrival, bool) or not isinstance(self.arrival, int | datetime):
            raise FieldError(
                "request", self.id, "arrival", self.arrival, "must be an integer or a date-time"
            )
        if not isinstance(self.sessions, tuple):
            raise FieldError(
                "request", self.id, "sessions", type(self.sessions).__name__,
                "must be ranked (a list or tuple, best first), not an unordered set",
            )  # fmt: skip
        for session in self.sessions:
            _check_id("request", self.id, session, "sessions")
        # The set test first: simulations build many requests, Counter is the slow part.
        if len(set(self.sessions)) != len(self.sessions):
            repeated = sorted(s for s, n in Counter(self.sessions).items() if n > 1)
            raise FieldError(
                "request", self.id, "sessions", "|".join(self.sessions),
                f"must not repeat a session ({', '.join(repeated)})",
            )  # fmt: skip
        if self.party is not None:
            _check_id("request", self.id, self.party, "party")

    @classmethod
    def unchecked(
        cls,
        id: str,
        group: str,
        role: str,
        arrival: Arrival,
        sessions: tuple[str, ...],
        party: str | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> Request:
        """A request built without the field checks, from fields valid by construction.

        Only for code that derives every field from an already checked
        problem: the demand sampler builds a million requests per simulation
        and the checks were a third of its time; a ledger store reads back the
        requests it wrote after checking them. Input from outside always goes
        through ``Request(...)``; a :class:`Problem` still checks its requests
        against each other.
        """
        request = object.__new__(cls)
        set_id, set_group, set_role, set_arrival, set_sessions, set_party, set_attributes = (
            _REQUEST_SLOTS
        )
        set_id(request, id)
        set_group(request, group)
        set_role(request, role)
        set_arrival(request, arrival)
        set_sessions(request, sessions)
        set_party(request, party)
        set_attributes(request, _NO_ATTRIBUTES if attributes is None else _frozen(attributes))
        return request


# The slots' own setters, in field order: they bypass the frozen __setattr__ as
# attrs's generated __init__ does. Unpacking fails loudly if a field is added.
_REQUEST_SLOTS = tuple(Request.__dict__[f.name].__set__ for f in attrs.fields(Request))


class Requests(Sequence[Request]):
    """Requests as columns, one per field: what a problem keeps of a million rows.

    Reading row ``i`` builds its :class:`Request` (equal to the one given, not
    the same object), so a problem costs per request only its own values (its
    id, and its arrival and ranking where no other row shares them) and one
    reference per column, not a request object of 88 bytes besides. Parties
    and attributes are kept only when some row has one.
    """

    __slots__ = ("arrivals", "attributes", "groups", "ids", "parties", "rankings", "roles")

    ids: tuple[str, ...]
    groups: tuple[str, ...]
    roles: tuple[str, ...]
    arrivals: tuple[Arrival, ...]
    rankings: tuple[tuple[str, ...], ...]
    """Each row's ``sessions``."""
    parties: tuple[str | None, ...] | None
    """Each row's party; ``None`` when no row has one."""
    attributes: tuple[Mapping[str, Any], ...] | None
    """Each row's attributes; ``None`` when no row has any."""

    def __init__(
        self,
        ids: Iterable[str],
        groups: Iterable[str],
        roles: Iterable[str],
        arrivals: Iterable[Arrival],
        rankings: Iterable[tuple[str, ...]],
        parties: Iterable[str | None] | None = None,
        attributes: Iterable[Mapping[str, Any]] | None = None,
    ) -> None:
        """Columns of fields valid by construction (as :meth:`Request.unchecked` takes them).

        Only for code that derives every value from checked input: the bulk
        readers, and :meth:`of`. A :class:`Problem` still checks the rows
        against each other.
        """
        self.ids = tuple(ids)
        self.groups = tuple(groups)
        self.roles = tuple(roles)
        self.arrivals = tuple(arrivals)
        self.rankings = tuple(rankings)
        party = None if parties is None else tuple(parties)
        self.parties = party if party is not None and any(party) else None
        frozen = None if attributes is None else tuple(map(_frozen, attributes))
        self.attributes = frozen if frozen is not None and any(frozen) else None
        n = len(self.ids)
        lengths = {len(c) for c in (self.groups, self.roles, self.arrivals, self.rankings)}
        if lengths - {n} or any(c is not None and len(c) != n for c in (party, frozen)):
            raise ValueError("Requests needs columns of one length")

    @classmethod
    def of(cls, requests: Iterable[Request]) -> Requests:
        """The columns of ``requests``, in their order."""
        if isinstance(requests, Requests):
            return requests
        items = requests if isinstance(requests, Sequence) else tuple(requests)
        return cls(
            map(operator.attrgetter("id"), items),
            map(operator.attrgetter("group"), items),
            map(operator.attrgetter("role"), items),
            map(operator.attrgetter("arrival"), items),
            map(operator.attrgetter("sessions"), items),
            map(operator.attrgetter("party"), items),
            map(operator.attrgetter("attributes"), items),
        )

    def _columns(self) -> tuple[Iterable[Any], ...]:
        """Every field's column in ``Request`` field order (constant ones repeated)."""
        n = len(self.ids)
        return (
            self.ids,
            self.groups,
            self.roles,
            self.arrivals,
            self.rankings,
            itertools.repeat(None, n) if self.parties is None else self.parties,
            itertools.repeat(_NO_ATTRIBUTES, n) if self.attributes is None else self.attributes,
        )

    def take(self, rows: Sequence[int]) -> Requests:
        """The rows at ``rows``, in that order."""
        return self._map(lambda column: map(column.__getitem__, rows))

    def _map(self, pick: Callable[[Sequence[Any]], Iterable[Any]]) -> Requests:
        """The requests whose every column is ``pick`` of this one's."""
        parties, attributes = (
            None if c is None else pick(c) for c in (self.parties, self.attributes)
        )
        return Requests(
            pick(self.ids), pick(self.groups), pick(self.roles), pick(self.arrivals),
            pick(self.rankings), parties, attributes,
        )  # fmt: skip

    def _key(self) -> tuple[tuple[Any, ...] | None, ...]:
        return (self.ids, self.groups, self.roles, self.arrivals, self.rankings, self.parties,
                self.attributes)  # fmt: skip

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> Request: ...

    @overload
    def __getitem__(self, index: slice) -> Requests: ...

    def __getitem__(self, index: int | slice) -> Request | Requests:
        if isinstance(index, slice):
            return self._map(operator.itemgetter(index))
        return Request.unchecked(
            self.ids[index],
            self.groups[index],
            self.roles[index],
            self.arrivals[index],
            self.rankings[index],
            None if self.parties is None else self.parties[index],
            None if self.attributes is None else self.attributes[index],
        )

    def __iter__(self) -> Iterator[Request]:
        # In chunks: empty objects first, then each slot's setter mapped over its
        # column (no Python code per request), a chunk at a time to keep few alive.
        columns = self._columns()
        iterators = [iter(c) for c in columns]
        for start in range(0, len(self.ids), _CHUNK):
            size = min(_CHUNK, len(self.ids) - start)
            chunk = list(map(object.__new__, itertools.repeat(Request, size)))
            for setter, values in zip(_REQUEST_SLOTS, iterators, strict=True):
                collections.deque(map(setter, chunk, itertools.islice(values, size)), maxlen=0)
            yield from chunk

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Requests):
            return self._key() == other._key()
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(map(operator.eq, self, other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key()[:-1])  # not the attributes, as Request does not hash them

    def __repr__(self) -> str:
        return f"Requests({len(self)} rows)"

    def __reduce__(self) -> tuple[Any, ...]:
        # Attributes are read-only views, which pickle cannot copy: plain dicts instead.
        attributes = None if self.attributes is None else tuple(map(dict, self.attributes))
        return (Requests, (*self._key()[:-1], attributes))


_CHUNK = 4096


class TieBreak(enum.Enum):
    """How requests with equal arrival are ordered: never by input-list position."""

    ID = "id"
    """By request id, as text."""
    SEEDED = "seeded"
    """By a hash of the policy's seed and the request id: a lottery, but repeatable."""


class PartyRule(enum.Enum):
    """Whether the members of a party are seated as one unit."""

    TOGETHER = "together"
    """All members in one session, or none of them."""
    INDEPENDENT = "independent"
    """Each member on their own, as if there were no party."""


_Choice = TypeVar("_Choice", bound=enum.Enum)
T = TypeVar("T")


def _policy_choice(kind: type[_Choice], field: str, value: object) -> _Choice:
    """The enum member for ``value``, or a FieldError naming the field and the choices."""
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in kind)
        raise FieldError("policy", None, field, value, f"must be one of {choices}") from None


def _tie_break(value: TieBreak | str) -> TieBreak:
    return _policy_choice(TieBreak, "tie_break", value)


def _party_rule(value: PartyRule | str) -> PartyRule:
    return _policy_choice(PartyRule, "parties", value)


@attrs.frozen
class Policy:
    """The choices the first-come-first-served rules leave open."""

    tie_break: TieBreak = attrs.field(default=TieBreak.ID, converter=_tie_break)
    seed: int = 0
    parties: PartyRule = attrs.field(default=PartyRule.TOGETHER, converter=_party_rule)
    prefer_colleagues: bool = False

    def __attrs_post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise FieldError("policy", None, "seed", self.seed, "must be an integer")
        if not isinstance(self.prefer_colleagues, bool):
            raise FieldError(
                "policy", None, "prefer_colleagues", self.prefer_colleagues, "must be a bool"
            )

    def order_key(self, request: Request) -> tuple[Arrival, str]:
        """Sort key for arrival order: arrival, then the stated tie-break."""
        return (request.arrival, self._tie_key(request.id))

    def _tie_key(self, request_id: str) -> str:
        if self.tie_break is TieBreak.ID:
            return request_id
        digest = hashlib.blake2b(f"{self.seed}:{request_id}".encode(), digest_size=8).hexdigest()
        return digest + request_id

    def arrival_order(self, requests: Requests) -> list[int]:
        """The rows of ``requests`` sorted by :meth:`order_key`, from the columns.

        By tie-break key, then stably by arrival: the same order, with no
        request built.
        """
        ties = requests.ids
        if self.tie_break is not TieBreak.ID:
            ties = tuple(map(self._tie_key, ties))
        rows = sorted(range(len(ties)), key=ties.__getitem__)
        rows.sort(key=requests.arrivals.__getitem__)
        return rows


# Typed converters: a bare ``tuple`` converter leaves the constructor's argument
# types unsolvable for mypy, so typed callers could not build a Problem at all.
def _items(field: str, kind: str, cls: type[T], value: Iterable[T]) -> tuple[T, ...]:
    """``value`` as a tuple of ``cls`` items; the first item of another type is an error.

    Requests must be exactly :class:`Request`: a problem keeps their fields
    as columns, so a subclass's own state would be lost.
    """
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise FieldError("problem", None, field, type(value).__name__, "must be a list or tuple")
    items = tuple(value)
    if set(map(type, items)) <= {cls}:  # the common case, at C speed
        return items
    for i, item in enumerate(items):
        if not isinstance(item, cls) or (cls is Request and type(item) is not cls):
            error = FieldError(kind, i, "type", type(item).__name__, f"must be a {cls.__name__}")
            raise ProblemError([error])
    return items


def _sessions(value: Iterable[Session]) -> tuple[Session, ...]:
    return _items("sessions", "session", Session, value)


def _groups(value: Iterable[Group]) -> tuple[Group, ...]:
    return _items("groups", "group", Group, value)


def _requests(value: Iterable[Request]) -> Requests:
    if isinstance(value, Requests):
        return value
    return Requests.of(_items("requests", "request", Request, value))


def _quotas(value: Iterable[Quota]) -> tuple[Quota, ...]:
    return _items("quotas", "quota", Quota, value)


@attrs.frozen
class Columns:
    """A problem's requests compiled to integer columns, in arrival order.

    What the engine's first-fit loop reads: row ``i`` is ``problem.requests[i]``.
    Equal rankings share one tuple, so the columns cost a few bytes per request.
    """

    ids: tuple[str, ...]
    kinds: tuple[tuple[str, str], ...]
    """The distinct (group, role) pairs, sorted; quotas apply by kind."""
    kind: Sequence[int]
    """Row to its index in ``kinds``."""
    prefs: Sequence[tuple[int, ...]]
    """Row to its acceptable sessions as indices in ``session_ids``, best first (all for "any")."""

    @classmethod
    def of(cls, requests: Requests, session_ids: Sequence[str]) -> Columns:
        """Compile ``requests`` (already in arrival order) against the problem's sessions.

        Column by column at C speed: each distinct ranking is compiled once,
        and a kind is coded as ``group code * roles + role code`` (codes in
        sorted order, so the codes sort as the pairs do), with no tuple per row.
        """
        index = {s: i for i, s in enumerate(session_ids)}
        distinct = list(set(requests.rankings))
        codes = map(index.__getitem__, itertools.chain.from_iterable(distinct))
        made = map(tuple, map(itertools.islice, itertools.repeat(codes), map(len, distinct)))
        compiled = dict(zip(distinct, made, strict=True))
        compiled[()] = tuple(range(len(session_ids)))  # "any session"
        groups, roles = sorted(set(requests.groups)), sorted(set(requests.roles))
        group_code = {g: i for i, g in enumerate(groups)}
        role_code = {r: i for i, r in enumerate(roles)}
        coded = map(group_code.__getitem__, requests.groups)
        if len(roles) == 1:
            combined = list(coded)
        else:
            role_codes = map(role_code.__getitem__, requests.roles)
            scaled = map(operator.mul, coded, itertools.repeat(len(roles)))
            combined = list(map(operator.add, scaled, role_codes))
        present = sorted(set(combined))
        kinds = tuple((groups[c // len(roles)], roles[c % len(roles)]) for c in present)
        if len(present) == len(groups) * len(roles):  # every pair occurs: codes are indices
            kind = array("I", combined)
        else:
            position = {c: i for i, c in enumerate(present)}
            kind = array("I", map(position.__getitem__, combined))
        return cls(requests.ids, kinds, kind, list(map(compiled.__getitem__, requests.rankings)))


class _ById(Mapping[str, Request]):
    """Request id to its request: an index of rows, the request built when read."""

    __slots__ = ("_requests", "_rows")

    def __init__(self, requests: Requests) -> None:
        self._requests = requests
        self._rows = {request_id: row for row, request_id in enumerate(requests.ids)}

    def __getitem__(self, request_id: str) -> Request:
        return self._requests[self._rows[request_id]]

    def __contains__(self, request_id: object) -> bool:
        return request_id in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._requests.ids)

    def __len__(self) -> int:
        return len(self._rows)


def _session_key(session: Session) -> tuple[bool, datetime | str, str]:
    return (session.start is None, session.start or "", session.id)


@attrs.frozen
class Problem:
    """Sessions, groups, quotas, requests and policy, checked against each other.

    The stored tuples are canonical (sessions by start then id, groups and
    quotas sorted, requests in arrival order), so the outcome never depends
    on the order of input lists and equal problems compare equal.
    """

    sessions: tuple[Session, ...] = attrs.field(converter=_sessions)
    groups: tuple[Group, ...] = attrs.field(converter=_groups)
    requests: Requests = attrs.field(converter=_requests, repr=False)
    quotas: tuple[Quota, ...] = attrs.field(default=(), converter=_quotas)
    policy: Policy = Policy()

    def __attrs_post_init__(self) -> None:
        errors = list(_problem_errors(self))
        if errors:
            raise ProblemError(errors)
        # Canonical order; object.__setattr__ because the class is frozen.
        try:
            sessions = tuple(sorted(self.sessions, key=_session_key))
        except TypeError:
            sessions = tuple(sorted(self.sessions, key=lambda s: s.id))
        object.__setattr__(self, "sessions", sessions)
        object.__setattr__(self, "groups", tuple(sorted(self.groups, key=lambda g: g.id)))
        object.__setattr__(self, "quotas", tuple(sorted(self.quotas, key=lambda q: q.key)))
        rows = self.policy.arrival_order(self.requests)
        if any(map(operator.ne, rows, range(len(rows)))):
            object.__setattr__(self, "requests", self.requests.take(rows))

    @cached_property
    def session_ids(self) -> tuple[str, ...]:
        """Session ids in canonical order: what "any session" ranks by."""
        return tuple(s.id for s in self.sessions)

    @cached_property
    def session_by_id(self) -> Mapping[str, Session]:
        return MappingProxyType({s.id: s for s in self.sessions})

    @cached_property
    def group_by_id(self) -> Mapping[str, Group]:
        return MappingProxyType({g.id: g for g in self.groups})

    @cached_property
    def request_by_id(self) -> Mapping[str, Request]:
        """Request id to its request (built when read, from the id's row)."""
        return _ById(self.requests)

    @cached_property
    def columns(self) -> Columns:
        """The requests as integer columns for the engine (compiled once, on first use)."""
        return Columns.of(self.requests, self.session_ids)

    @property
    def order(self) -> Requests:
        """Requests in arrival order, ties broken by the policy (the stored order)."""
        return self.requests

    @cached_property
    def parties(self) -> Mapping[str, tuple[Request, ...]]:
        """Party id to its members in arrival order (empty when parties are independent)."""
        column = self.requests.parties
        if self.policy.parties is PartyRule.INDEPENDENT or column is None:
            return MappingProxyType({})
        rows: dict[str, list[int]] = {}
        for row, party in enumerate(column):
            if party is not None:
                rows.setdefault(party, []).append(row)
        read = self.requests.__getitem__
        return MappingProxyType({p: tuple(map(read, r)) for p, r in rows.items()})

    @cached_property
    def units(self) -> tuple[tuple[Request, ...], ...]:
        """What FCFS seats, in order: single requests, and whole parties at their first member."""
        parties = self.parties
        if not parties:
            return tuple((r,) for r in self.order)
        units: list[tuple[Request, ...]] = []
        for request in self.order:
            if request.party is None or request.party not in parties:
                units.append((request,))
            elif parties[request.party][0].id == request.id:
                units.append(parties[request.party])
        return tuple(units)

    def unit_of(self, request_id: str) -> tuple[Request, ...]:
        """The unit the request is seated with: its party, or itself alone."""
        request = self.request_by_id[request_id]
        if request.party is not None and request.party in self.parties:
            return self.parties[request.party]
        return (request,)

    def acceptable(self, request: Request) -> tuple[str, ...]:
        """The request's acceptable sessions, best first (all sessions for "any")."""
        return request.sessions or self.session_ids

    def unit_acceptable(self, unit: Sequence[Request]) -> tuple[str, ...]:
        """Sessions every member accepts, in the ranking of the unit's first member.

        Members who accept any session rank by the canonical session order.
        """
        first = self.acceptable(unit[0])
        if len(unit) == 1:
            return first
        common = set(first)
        for member in unit[1:]:
            if member.sessions:
                common &= set(member.sessions)
        return tuple(s for s in first if s in common)

    def rank(self, request: Request, session: str) -> int | None:
        """1 for the first choice; ``None`` when the request accepts any session, or does not
        rank ``session`` (an allocation made elsewhere may seat it there)."""
        if session not in request.sessions:
            return None
        return request.sessions.index(session) + 1

    def replace(self, **changes: Any) -> Problem:
        """A copy with some fields changed, validated again."""
        return attrs.evolve(self, **changes)


def duplicate_errors(kind: str, ids: Iterable[str], field: str = "id") -> Iterable[FieldError]:
    """An error for each value of ``field`` that appears more than once among ``ids``."""
    for key, n in sorted(Counter(ids).items()):
        if n > 1:
            yield FieldError(kind, key, field, key, f"must be unique, appears {n} times")


def _problem_errors(problem: Problem) -> Iterable[FieldError]:
    """Every cross-object error, in a stable order.

    Set-based checks first: when they find nothing (the common case) the
    per-object walk that names each error is skipped, so a million requests
    are checked at C speed. Both say the same: the walk runs whenever a
    quick check fails.
    """
    if _quickly_valid(problem):
        return
    yield from _each_problem_error(problem)


def _quickly_valid(problem: Problem) -> bool:
    """Whether ``problem`` surely has no cross-object error (``False``: look closer)."""
    requests = problem.requests
    if (
        not isinstance(problem.policy, Policy)
        or not all(type(s) is Session for s in problem.sessions)
        or not all(type(g) is Group for g in problem.groups)
        or not all(type(q) is Quota for q in problem.quotas)
        or (problem.quotas and len({q.key for q in problem.quotas}) != len(problem.quotas))
    ):
        return False
    sessions = {s.id for s in problem.sessions}
    groups = {g.id for g in problem.groups}
    if len(sessions) != len(problem.sessions) or len(groups) != len(problem.groups):
        return False
    if len({s.start.tzinfo is None for s in problem.sessions if s.start is not None}) > 1:
        return False
    if any(q.group is not None and q.group not in groups for q in problem.quotas):
        return False
    if not requests:
        return True
    arrivals = requests.arrivals
    kinds = set(map(type, arrivals))
    if len(kinds) != 1 or (kinds.pop() is datetime and len(_zones(arrivals)) > 1):
        return False
    return (
        len(set(requests.ids)) == len(requests)
        and set(requests.groups) <= groups
        and all(sessions.issuperset(r) for r in set(requests.rankings))
        and (problem.policy.parties is not PartyRule.TOGETHER or requests.parties is None)
    )


def _zones(arrivals: Sequence[Any]) -> set[bool]:
    return {z is None for z in set(map(operator.attrgetter("tzinfo"), arrivals))}


def _each_problem_error(problem: Problem) -> Iterable[FieldError]:
    """Every cross-object error, object by object (what :func:`_problem_errors` reports)."""
    if not isinstance(problem.policy, Policy):
        yield FieldError("policy", None, "type", type(problem.policy).__name__, "must be a Policy")
        return  # the checks below read the policy
    yield from duplicate_errors("session", (s.id for s in problem.sessions))
    yield from duplicate_errors("group", (g.id for g in problem.groups))
    yield from duplicate_errors("request", problem.requests.ids)
    # A quota has no id: its key (group, role, scope) must be unique.
    yield from duplicate_errors("quota", (q.key for q in problem.quotas), field="key")
    sessions = {s.id for s in problem.sessions}
    groups = {g.id for g in problem.groups}
    starts = [s for s in problem.sessions if s.start is not None]
    if starts:
        aware = starts[0].start.tzinfo is not None  # type: ignore[union-attr]
        for s in starts[1:]:
            if (s.start.tzinfo is not None) != aware:  # type: ignore[union-attr]
                yield FieldError(
                    "session", s.id, "start", s.start, "must match the other sessions' time zones"
                )
    for quota in problem.quotas:
        if quota.group is not None and quota.group not in groups:
            yield FieldError("quota", quota.key, "group", quota.group, "must name a known group")
    yield from request_errors(problem.requests, sessions, groups, problem.policy.parties)


def _arrival_kind(request: Request) -> str:
    kind = "an integer" if isinstance(request.arrival, int) else "a date-time"
    if isinstance(request.arrival, datetime):
        kind += " with a time zone" if request.arrival.tzinfo else " without a time zone"
    return kind


def request_errors(
    requests: Sequence[Request],
    sessions: Collection[str],
    groups: Collection[str],
    parties: PartyRule,
    first: Request | None = None,
) -> Iterable[FieldError]:
    """Every error of ``requests`` against known session and group ids, in a stable order.

    A :class:`Problem` checks its requests with it; the booking ledger checks
    each submission with it, without building a problem. Arrivals must all
    have the type of ``first`` (by default the first of ``requests``).
    """
    arrival_type = None if first is None else _arrival_kind(first)
    for request in requests:
        if request.group not in groups:
            yield FieldError(
                "request", request.id, "group", request.group, "must name a known group"
            )
        for session in request.sessions:
            if session not in sessions:
                yield FieldError(
                    "request", request.id, "sessions", session, "must name a known session"
                )
        kind = _arrival_kind(request)
        if arrival_type is None:
            arrival_type = kind
        elif kind != arrival_type:
            yield FieldError(
                "request", request.id, "arrival", request.arrival,
                f"must be {arrival_type} like the first request's",
            )  # fmt: skip
    if parties is PartyRule.TOGETHER:
        yield from _party_errors(requests)


def _party_errors(requests: Sequence[Request]) -> Iterable[FieldError]:
    first: dict[str, Request] = {}
    for request in requests:
        if request.party is None:
            continue
        leader = first.setdefault(request.party, request)
        for field in ("group", "arrival"):
            if getattr(request, field) != getattr(leader, field):
                yield FieldError(
                    "request", request.id, field, getattr(request, field),
                    f"must equal that of {leader.id!r}, in the same party {request.party!r}",
                )  # fmt: skip
