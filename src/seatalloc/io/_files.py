"""Reading text the way spreadsheets and editors write it; writing files atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from seatalloc.errors import InputError

__all__ = ["decode", "read_text", "write_text_atomic"]


def decode(data: bytes, source: str) -> str:
    """UTF-8 text with or without a byte-order mark; anything else is an :class:`InputError`."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{source}: not UTF-8 text (byte {error.start}: {data[error.start : error.end]!r})"
        ) from None


def read_text(path: str | os.PathLike[str]) -> str:
    """The file's text; a missing file raises ``OSError`` naming it."""
    return decode(Path(path).read_bytes(), str(path))


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) so that readers see the old file or the whole new one.

    The text goes to a temporary file in the same folder, which then replaces
    the target in one ``os.replace``: a crash never leaves half a file.
    """
    target = Path(path)
    try:
        fd, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
    except OSError as error:
        # The message names the path the user gave, never the temporary file's.
        raise OSError(error.errno, error.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        if temporary in (error.filename, error.filename2):
            raise OSError(error.errno, error.strerror, str(path)) from None
        raise
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
