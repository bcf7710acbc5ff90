"""Registration input, from an HTML form or JSON, checked field by field.

One validator for both doors: each error names its field (``email``,
``colleagues.0.role``) and a text key from :mod:`seatalloc.web.i18n`, so the
form shows it beside the field and the API lists it in the problem details.
Values are never echoed into errors: they may be personal data.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from seatalloc.model import Problem, Request

__all__ = ["MAX_COLLEAGUES", "Person", "Registration", "from_form", "validate"]

MAX_COLLEAGUES = 3
MAX_CHOICES = 3
_MAX_TEXT = 200
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@attrs.frozen
class Person:
    name: str
    email: str
    role: str


@attrs.frozen
class Registration:
    """A checked registration: the registrant, colleagues, organisation and ranked sessions."""

    people: tuple[Person, ...]
    group: str
    sessions: tuple[str, ...]

    def requests(self) -> tuple[Request, ...]:
        """One request per person under new random ids; colleagues share a party id.

        Arrival is stamped by the ledger adapter when the unit is submitted.
        """
        ids = [f"p{secrets.token_hex(6)}" for _ in self.people]
        party = f"party-{ids[0]}" if len(ids) > 1 else None
        return tuple(
            Request(
                rid, self.group, p.role, sessions=self.sessions, party=party,
                attributes={"name": p.name, "email": p.email},
            )
            for rid, p in zip(ids, self.people, strict=True)
        )  # fmt: skip


def _text(raw: Mapping[str, Any], key: str, field: str, errors: dict[str, str]) -> str:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        errors[field] = "err_required"
        return ""
    if not isinstance(value, str):
        errors[field] = "err_invalid"
        return ""
    value = value.strip()
    if len(value) > _MAX_TEXT:
        errors[field] = "err_too_long"
    return value


def _person(
    raw: Mapping[str, Any], prefix: str, roles: Mapping[str, str], errors: dict[str, str]
) -> Person:
    name = _text(raw, "name", f"{prefix}name", errors)
    email = _text(raw, "email", f"{prefix}email", errors)
    if email and f"{prefix}email" not in errors and not _EMAIL.fullmatch(email):
        errors[f"{prefix}email"] = "err_email"
    role = _text(raw, "role", f"{prefix}role", errors)
    if role and f"{prefix}role" not in errors and role not in roles:
        errors[f"{prefix}role"] = "err_role"
    return Person(name, email, role)


def validate(
    raw: Mapping[str, Any], problem: Problem, roles: Mapping[str, str]
) -> Registration | dict[str, str]:
    """The registration in ``raw`` (JSON-shaped), or field name to error text key.

    ``sessions`` is a list of session ids, best first, or ``"any"`` (or empty).
    """
    errors: dict[str, str] = {}
    registrant = _person(raw, "", roles, errors)
    group = _text(raw, "group", "group", errors)
    if group and "group" not in errors and group not in problem.group_by_id:
        errors["group"] = "err_group"
    sessions: Sequence[Any] = ()
    chosen = raw.get("sessions", "any")
    if chosen is None or chosen == "any":
        sessions = ()
    elif isinstance(chosen, list) and all(isinstance(s, str) for s in chosen):
        sessions = chosen
        if any(s not in problem.session_by_id for s in sessions):
            errors["sessions"] = "err_session"
        elif len(set(sessions)) != len(sessions):
            errors["sessions"] = "err_repeat"
    else:
        errors["sessions"] = "err_session"
    colleagues_raw = raw.get("colleagues", [])
    people = [registrant]
    if not isinstance(colleagues_raw, list) or len(colleagues_raw) > MAX_COLLEAGUES:
        errors["colleagues"] = "err_invalid"
        colleagues_raw = []
    for k, colleague in enumerate(colleagues_raw):
        if not isinstance(colleague, Mapping):
            errors[f"colleagues.{k}"] = "err_invalid"
            continue
        people.append(_person(colleague, f"colleagues.{k}.", roles, errors))
    if errors:
        return errors
    return Registration(tuple(people), group, tuple(sessions))


def from_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The JSON shape of the registration form's fields.

    Choices ``choice1..3`` rank dates; ``any`` in the first (or no choice) means
    any date. A colleague row counts when any of its fields is filled.
    """
    choices = [form.get(f"choice{k}", "").strip() for k in range(1, MAX_CHOICES + 1)]
    picked = [c for c in choices if c and c != "any"]
    colleagues = []
    for k in range(MAX_COLLEAGUES):
        row = {f: form.get(f"colleagues.{k}.{f}", "") for f in ("name", "email", "role")}
        if any(v.strip() for v in row.values()):
            colleagues.append(row)
    return {
        "name": form.get("name", ""),
        "email": form.get("email", ""),
        "group": form.get("group", ""),
        "role": form.get("role", ""),
        "sessions": "any" if choices[0] in ("", "any") and not picked else picked,
        "colleagues": colleagues,
    }
