"""Reading text the way spreadsheets and editors write it; writing files atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from seatalloc.errors import InputError

__all__ = ["atomic_writer", "decode", "read_text", "write_text_atomic"]


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
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
