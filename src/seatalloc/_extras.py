"""Guarded imports of optional dependencies."""

from __future__ import annotations

import importlib
from types import ModuleType

from seatalloc.errors import MissingExtraError

__all__ = ["require"]


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module``, or raise one error naming ``pip install 'seatalloc[extra]'``."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingExtraError(module.partition(".")[0], extra, feature) from error
