"""The text of one CSV cell as the exports write it: ``format_cell``, ``escape_formula`` (internal).

Shared by the facts export (``io.export``) and the result tables (``io._result_writers``); the
public names are re-exported by ``partner_of_record.io.export``, whose docstring describes the
formats and the formula escape.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import os
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO

__all__ = ["escape_formula", "format_cell", "opened"]

_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?", re.ASCII)


def escape_formula(text: str) -> str:
    """Return ``text`` safe to open in a spreadsheet: ``'`` before a cell a spreadsheet would run.

    Args:
        text: a CSV cell's text.

    Returns:
        ``text`` with one ``'`` prefixed when it begins (after any quotes) with ``=``, ``+``,
        ``-``, ``@``, a tab or a carriage return and is not a plain number; else ``text``.
        The CSV importer reverses it.
    """
    if _FORMULA.match(text) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def format_cell(value: object) -> str:
    """Return the CSV text of one field value, as the importer reads it back.

    Args:
        value: a field value of a model record.

    Returns:
        ``""`` for ``None``, ISO text for dates, plain decimal text for amounts, the value of
        enumerations, ``str()`` of anything else.

    Raises:
        TypeError: ``value`` is a ``datetime`` or a float, which no record field holds.
    """
    if value is None:
        return ""
    if isinstance(value, dt.datetime | float):
        msg = f"{value!r} is not a value a record field holds"
        raise TypeError(msg)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


@contextlib.contextmanager
def opened(file: str | os.PathLike[str] | IO[str]) -> Iterator[IO[str]]:
    """A path opened for writing as UTF-8 with ``newline=""`` (closed after), or ``file`` itself
    (left open) when it is already a text file."""
    if isinstance(file, str | os.PathLike):
        with Path(file).open("w", encoding="utf-8", newline="") as out:
            yield out
    else:
        yield file
