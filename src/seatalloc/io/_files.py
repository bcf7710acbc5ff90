"""Reading text the way spreadsheets and editors write it; writing files atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from seatalloc.errors import InputError

__all__ = ["SPREADSHEET_SUFFIXES", "atomic_writer", "decode", "read_text", "write_text_atomic"]

SPREADSHEET_SUFFIXES = (".xlsx", ".ods")
"""The file name endings read as spreadsheets rather than as CSV text."""


_RESAVE = (
    "re-save it as UTF-8 (Excel: Save As 'CSV UTF-8 (Comma delimited)'; "
    "LibreOffice: Character set 'Unicode (UTF-8)')"
)


def decode(data: bytes, source: str) -> str:
    """UTF-8 text with or without a byte-order mark, or UTF-16 with one (Excel's "Unicode
    text"); anything else is an :class:`InputError` saying what it looks like and what to do."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(f"{source}: starts like UTF-16 but is not; {_RESAVE}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        bad = data[error.start : error.end]
        found = f"byte {error.start}: {bad!r}, line {line}"
        if data.count(b"\x00") > len(data) // 4:
            kind = "it looks like UTF-16 without a byte-order mark"
        else:
            kind = f"it looks like Windows-1252 or Latin-1 ({bad.decode('cp1252', 'replace')!r})"
        raise InputError(f"{source}: not UTF-8 text ({found}); {kind}: {_RESAVE}") from None


def read_text(path: str | os.PathLike[str]) -> str:
    """The file's text; a missing file raises ``OSError`` naming it."""
    return decode(Path(path).read_bytes(), str(path))


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) so that readers see the old file or the whole new one."""
    with atomic_writer(path) as handle:
        handle.write(text)


@contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[TextIO]:
    """A UTF-8 text handle whose content replaces ``path`` whole when the block ends.

    The text goes to a temporary file in the same folder, which then replaces
    the target in one ``os.replace``: a crash or an error never leaves half a
    file, so a writer may stream a large file without holding it in memory.
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
            yield handle
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
