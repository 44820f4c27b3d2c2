"""JSON text for model values and ledgers: ``to_json`` and ``from_json``.

The JSON shape is the plain data of [`to_dict`][partner_of_record.io.to_dict] (see
[`partner_of_record.io`][partner_of_record.io] for the choices: ISO dates, amounts as strings,
enums by value). ``from_json`` parses numbers with a fraction exactly (as ``Decimal``), so an
amount written as a JSON number is read without a float round trip; ``NaN`` and ``Infinity``
are refused.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, TypeVar

from partner_of_record.io._converter import (
    Problem,
    SerializationError,
    from_dict,
    to_dict,
    type_name,
)

__all__ = ["from_json", "to_json"]

T = TypeVar("T")


def to_json(obj: object, *, indent: int | None = None) -> str:
    """Return ``obj`` as JSON text.

    Args:
        obj: a model record, a ``Ledger``, an ``attrs`` result, or a tuple/list/frozenset of
            them.
        indent: pretty-print with this indent (default: compact, one line).

    Returns:
        JSON text (non-ASCII characters are kept as they are) that
        [`from_json`][partner_of_record.io.from_json] reads back into an equal value.
    """
    return json.dumps(to_dict(obj), indent=indent, ensure_ascii=False)


def _refuse_constant(name: str) -> Any:
    msg = f"{name} is not a number JSON allows"
    raise ValueError(msg)


def _loads(text: str | bytes) -> Any:
    """Parse JSON text exactly: a number with a fraction becomes a ``Decimal``; ``NaN`` and
    ``Infinity`` raise ``ValueError`` (an invalid document raises ``JSONDecodeError``)."""
    return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)


def from_json(text: str | bytes, cls: type[T]) -> T:
    """Read JSON text into ``cls``.

    Args:
        text: the JSON text (``bytes`` are decoded as UTF-8).
        cls: the type to build: a model record type, ``Ledger``, an ``attrs`` class, or
            ``tuple[Usage, ...]`` and the like.

    Returns:
        The value.

    Raises:
        SerializationError: the text is not JSON (the problem names the line and column), or
            the data does not fit ``cls`` (every problem is listed with its JSON path, e.g.
            ``$.associations[3].kind``).
        LedgerError: ``cls`` is ``Ledger`` and the well-formed facts break its checks.
    """
    try:
        data = _loads(text)
    except json.JSONDecodeError as exc:
        problem = Problem("$", f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
        raise SerializationError(type_name(cls), (problem,)) from exc
    except ValueError as exc:  # NaN or Infinity, or bytes that are not UTF-8
        raise SerializationError(type_name(cls), (Problem("$", f"invalid JSON: {exc}"),)) from exc
    return from_dict(data, cls)
