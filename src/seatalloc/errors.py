"""One exception hierarchy; every message names the culprit.

Errors subclass the builtin they semantically are (bad values are
``ValueError``), so callers can catch either. Messages name the object, the
field and the value, never personal free attributes of a request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

__all__ = [
    "FieldError",
    "InputError",
    "MissingExtraError",
    "ProblemError",
    "SeatallocError",
    "Where",
]


class SeatallocError(Exception):
    """Base of every error seatalloc raises on purpose."""


@attrs.frozen
class Where:
    """Where a bad value was found: file, line, column (all optional)."""

    file: str | None = None
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.file is not None:
            parts.append(self.file)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)


class FieldError(SeatallocError, ValueError):
    """One bad value: which object (kind and key), which field, what value, what was expected."""

    def __init__(
        self,
        kind: str,
        key: object,
        field: str,
        value: object,
        expected: str,
        where: Where | None = None,
    ) -> None:
        self.kind = kind
        self.key = key
        self.field = field
        self.value = value
        self.expected = expected
        self.where = where
        super().__init__(str(self))

    def located(self, where: Where) -> FieldError:
        """The same error, placed in a file."""
        return FieldError(self.kind, self.key, self.field, self.value, self.expected, where)

    @property
    def obj(self) -> str:
        """The culprit as a reader names it: ``request 'r3'``, ``policy``."""
        return self.kind if self.key is None else f"{self.kind} {self.key!r}"

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where and str(self.where) else ""
        return f"{prefix}{self.obj}: field {self.field!r} {self.expected}, got {self.value!r}"


class ProblemError(SeatallocError, ValueError):
    """Every error found in a problem or file, reported at once."""

    def __init__(self, errors: Iterable[FieldError], source: str | None = None) -> None:
        self.errors: Sequence[FieldError] = tuple(errors)
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        head = f"{self.source}: " if self.source else ""
        n = len(self.errors)
        lines = [f"{head}{n} error{'s' if n != 1 else ''}:"]
        lines += [f"  {e}" for e in self.errors]
        return "\n".join(lines)


class InputError(SeatallocError, ValueError):
    """A file that cannot be read at all (missing, not UTF-8, not TOML...)."""


class MissingExtraError(SeatallocError, ModuleNotFoundError):
    """An optional dependency is missing; the message names the pip install."""

    def __init__(self, module: str, extra: str, feature: str) -> None:
        super().__init__(
            f"{feature} needs the optional dependency {module!r}: pip install 'seatalloc[{extra}]'",
            name=module,
        )
