"""The API's OpenAPI 3.1 document (served at ``/api/openapi.json``)."""

from __future__ import annotations

from typing import Any

from seatalloc.model import Problem

__all__ = ["spec"]

_PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(c): {"description": "problem details (RFC 9457)",
                 "content": {"application/problem+json": {"schema": _PROBLEM}}}
        for c in codes
    }  # fmt: skip


def _ok(code: int, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {str(code): {"description": description,
                        "content": {"application/json": {"schema": schema}}}}  # fmt: skip


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"},
          "description": "the secret token of the registration's status link"}  # fmt: skip
_ORGANISER: list[dict[str, list[str]]] = [{"organiser": []}]
_DECISION = {"$ref": "#/components/schemas/Decision"}


def spec(problem: Problem) -> dict[str, Any]:
    """The document, with the scenario's session and organisation ids as enums."""
    fields: dict[str, Any] = {
        "name": {"type": "string", "maxLength": 200},
        "email": {"type": "string", "format": "email"},
        "role": {"type": "string", "description": "a role id"},
    }
    person = {"type": "object", "required": ["name", "email", "role"], "properties": fields}
    registration = {
        "type": "object", "required": ["name", "email", "group", "role"],
        "properties": {
            **fields,
            "group": {"type": "string", "enum": [g.id for g in problem.groups]},
            "sessions": {"oneOf": [
                {"const": "any"},
                {"type": "array", "uniqueItems": True,
                 "items": {"type": "string", "enum": list(problem.session_ids)}},
            ], "description": "ranked session ids, best first, or 'any'"},
            "colleagues": {"type": "array", "maxItems": 3, "items": person,
                           "description": "registered together as one party"},
        },
    }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {"title": "seatalloc registration API", "version": "1"},
        "paths": {
            "/api/sessions": {"get": {
                "summary": "Sessions with seats left, and an organisation's earmarked places left",
                "parameters": [{"name": "group", "in": "query", "schema": {"type": "string"}}],
                "responses": {**_ok(200, {"type": "object"}, "the sessions"), **_errors(404, 503)},
            }},
            "/api/registrations": {"post": {
                "summary": "Register one person, or a party of colleagues; decided at once",
                "requestBody": _json_body(registration),
                "responses": {
                    **_ok(201, {"type": "object", "properties": {
                        "registrations": {"type": "array", "items": _DECISION}}},
                        "seated or waitlisted; each with its secret token"),
                    **_errors(400, 409, 413, 415, 422, 503),
                },
            }},
            "/api/registrations/{token}": {
                "parameters": [_TOKEN],
                "get": {"summary": "The registration's current decision",
                        "responses": {**_ok(200, _DECISION, "the decision"),
                                      **_errors(404, 503)}},
                "delete": {"summary": "Withdraw; the waitlist moves up",
                           "responses": {**_ok(200, _DECISION, "withdrawn"),
                                         **_errors(404, 503)}},
            },
            "/api/registrations/{token}/{action}": {"post": {
                "summary": "Accept or decline an open offer",
                "parameters": [_TOKEN, {"name": "action", "in": "path", "required": True,
                                        "schema": {"enum": ["accept", "decline"]}}],
                "responses": {**_ok(200, _DECISION, "the new decision"),
                              **_errors(404, 409, 503)},
            }},
            "/api/organiser/rosters": {"get": {
                "summary": "Per session, who holds a seat (names and e-mails)",
                "security": _ORGANISER,
                "responses": {**_ok(200, {"type": "object"}, "rosters"), **_errors(401, 503)},
            }},
            "/api/organiser/waitlist": {"get": {
                "summary": "The waitlist in order, with reasons", "security": _ORGANISER,
                "responses": {**_ok(200, {"type": "array"}, "waitlist"), **_errors(401, 503)},
            }},
            "/api/organiser/sessions/{session}/capacity": {"put": {
                "summary": "Change a session's capacity (0 cancels it)", "security": _ORGANISER,
                "parameters": [{"name": "session", "in": "path", "required": True,
                                "schema": {"enum": list(problem.session_ids)}}],
                "requestBody": _json_body({"type": "object", "required": ["capacity"],
                    "properties": {"capacity": {"type": "integer", "minimum": 0}}}),
                "responses": {**_ok(200, {"type": "object"}, "changed"),
                              **_errors(400, 401, 404, 415, 422, 503)},
            }},
            "/api/organiser/quotas/{quota}/release": {"post": {
                "summary": "Release an earmark now: its unused places open to everyone",
                "security": _ORGANISER,
                "parameters": [{"name": "quota", "in": "path", "required": True,
                                "schema": {"enum": [q.key for q in problem.quotas]}}],
                "responses": {**_ok(200, {"type": "object"}, "released"),
                              **_errors(401, 404, 503)},
            }},
        },
        "components": {
            "securitySchemes": {"organiser": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Decision": {"type": "object", "properties": {
                    "status": {"enum": ["seated", "waitlisted", "offered", "withdrawn",
                                        "rejected"]},
                    "reason": {"type": "string"}, "session": {"type": ["string", "null"]},
                    "rank": {"type": ["integer", "null"]},
                    "position": {"type": ["integer", "null"]},
                    "offer_expires": {"type": ["string", "null"]},
                    "token": {"type": "string"}, "status_url": {"type": "string"},
                }},
                "Problem": {"type": "object", "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"},
                    "status": {"type": "integer"}, "detail": {"type": "string"},
                    "request_id": {"type": "string"},
                    "errors": {"type": "array", "items": {"type": "object", "properties": {
                        "field": {"type": "string"}, "detail": {"type": "string"}}}},
                }},
            },
        },
    }  # fmt: skip
