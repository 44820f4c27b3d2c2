"""Cell parsers: one cell's text to a value (dates, months, amounts, counts, currencies, enums).

The formats they accept are the decisions documented in
[`partner_of_record.io.columns`][partner_of_record.io.columns], which holds the column tables and
re-exports these parsers under their documented names; ``enum_parser`` turns one of its alias
tables into the reader of that column.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Literal, TypeVar

from partner_of_record.currency import CURRENCIES
from partner_of_record.model import (
    AMOUNT_MAX_DECIMALS,
    AMOUNT_MAX_INTEGER_DIGITS,
)

_E = TypeVar("_E", bound=enum.Enum)


def normalize(text: str) -> str:
    """Return ``text`` lower-cased with everything but letters and digits removed.

    Args:
        text: a header cell or an enumerated value as written in a file.

    Returns:
        The key used to look the text up in the alias tables (``"CSP Tier 1"`` -> ``"csptier1"``).
    """
    return "".join(ch for ch in text.casefold() if ch.isalnum())


class CellError(ValueError):
    """A cell's text cannot be read as its column's type.

    Attributes:
        reason: what is wrong, phrased to follow the value (``"is not a date ..."``).
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def alias_index(table: Mapping[_E, tuple[str, ...]]) -> Mapping[str, _E]:
    index: dict[str, _E] = {}
    for member, aliases in table.items():
        for alias in (member.name, str(member.value), *aliases):
            other = index.setdefault(normalize(alias), member)
            if other is not member:  # pragma: no cover - guarded by a test of the tables
                msg = f"value {alias!r} is an alias of both {other!r} and {member!r}"
                raise ValueError(msg)
    return MappingProxyType(index)


def enum_parser(
    index: Mapping[str, _E], table: Mapping[_E, tuple[str, ...]], what: str
) -> Callable[[str], _E]:
    seen: dict[str, _E] = {}  # text -> member, for the texts read before (few distinct)

    def parse(text: str) -> _E:
        member = seen.get(text)
        if member is not None:
            return member
        member = index.get(normalize(text))
        if member is not None:
            if len(seen) < 10_000:
                seen[text] = member
            return member
        spellings = [alias for aliases in table.values() for alias in aliases]
        close = difflib.get_close_matches(text.strip(), spellings, n=1, cutoff=0.6)
        if not close:
            lowered = {alias.casefold(): alias for alias in spellings}
            close = [
                lowered[m] for m in difflib.get_close_matches(text.strip().casefold(), lowered, n=1)
            ]
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        accepted = ", ".join(aliases[0] for aliases in table.values())
        raise CellError(f"is not a known {what}; accepted: {accepted}{hint}")

    return parse


# --------------------------------------------------------------------------------------------
# dates

# re.ASCII everywhere: ``\d`` would otherwise match any Unicode digit (Arabic-Indic ones, say).
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00:?00)?)?", re.ASCII
)
_ISO_WITH_TIME = re.compile(r"\d{4}-\d{1,2}-\d{1,2}[T ]\d", re.ASCII)
_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})", re.ASCII)

DateOrder = Literal["mdy", "dmy"]
"""The order of a slash date's parts: ``"mdy"`` (US, ``M/D/YYYY``) or ``"dmy"`` (``D/M/YYYY``)."""

DATE_ORDERS: tuple[DateOrder, ...] = ("mdy", "dmy")
"""The accepted values of a declared date order."""

_ORDER_FORM = {"mdy": "M/D/YYYY", "dmy": "D/M/YYYY"}


class AmbiguousDateError(CellError):
    """A slash date reads as two different days (``01/02/2024``) and no order says which.

    Attributes:
        readings: the day each order gives, by order (``{"mdy": ..., "dmy": ...}``).
    """

    def __init__(self, reason: str, readings: Mapping[str, dt.date]) -> None:
        super().__init__(reason)
        self.readings = readings


def _make_date(year: str, month: str, day: str) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError as exc:
        raise CellError(f"is not a valid date ({exc})") from None


def slash_readings(text: str) -> dict[str, dt.date] | None:
    """Return the days a slash date can be, by order, or ``None`` when it is not a slash date.

    Args:
        text: the cell's text; surrounding spaces are ignored.

    Returns:
        ``{"mdy": day, "dmy": day}`` with only the orders that give a real day (an empty dict
        when neither does), or ``None`` for text that is not ``N/N/YYYY``.
    """
    m = _SLASH_DATE.fullmatch(text.strip())
    if m is None:
        return None
    out: dict[str, dt.date] = {}
    for order, (month, day) in (("mdy", (m[1], m[2])), ("dmy", (m[2], m[1]))):
        try:
            out[order] = dt.date(int(m[3]), int(month), int(day))
        except ValueError:
            continue
    return out


def _day_text(day: dt.date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def parse_date(text: str, *, date_order: DateOrder | None = None) -> dt.date:
    """Read a day written as ISO ``YYYY-MM-DD`` or as a slash date ``N/N/YYYY``.

    ISO dates are always accepted. A slash date is read in the declared ``date_order``; without
    one, it is read only when a single order gives a real day (``1/25/2024`` is 25 January,
    ``25/1/2024`` too) or both give the same day (``3/3/2024``). ``01/02/2024`` is ambiguous
    (1 February or 2 January) and raises ``AmbiguousDateError``: the loaders then look at the
    other rows of the column for a date that proves the order.

    Args:
        text: the cell's text; surrounding spaces are ignored.
        date_order: ``"mdy"`` or ``"dmy"``, when the file's order is known.

    Returns:
        The date.

    Raises:
        AmbiguousDateError: a slash date that two orders read as different days, no order given.
        CellError: the text is not a date in one of those forms, or names a day that does not
            exist, or carries a time other than midnight.
    """
    s = text.strip()
    if m := _ISO_DATE.fullmatch(s):
        return _make_date(m[1], m[2], m[3])
    readings = slash_readings(s)
    if readings is not None:
        if date_order is not None:
            if date_order not in _ORDER_FORM:
                msg = f"date_order must be one of {', '.join(DATE_ORDERS)}, not {date_order!r}"
                raise ValueError(msg)
            if date_order not in readings:
                raise CellError(
                    f"is not a valid {_ORDER_FORM[date_order]} date (the declared date order)"
                )
            return readings[date_order]
        days = set(readings.values())
        if len(days) == 1:
            return days.pop()
        if not days:
            raise CellError("is not a valid date in M/D/YYYY nor in D/M/YYYY order")
        raise AmbiguousDateError(
            f"is ambiguous: {_day_text(readings['mdy'])} in M/D/YYYY order or"
            f" {_day_text(readings['dmy'])} in D/M/YYYY order; declare the date order"
            " (date_order='mdy' or 'dmy', --date-order on the command line) or write YYYY-MM-DD",
            readings,
        )
    if _ISO_WITH_TIME.match(s):
        raise CellError("has a time of day other than midnight; write the date alone (YYYY-MM-DD)")
    raise CellError("is not a date (expected YYYY-MM-DD, M/D/YYYY or D/M/YYYY)")


def _check_next_month(day: dt.date) -> dt.date:
    if (day.year, day.month) == (dt.MAXYEAR, 12):
        raise CellError(
            "is the last month of the calendar, whose end cannot be represented;"
            " the last supported month is 9999-11"
        )
    return day


def parse_month(text: str, *, date_order: DateOrder | None = None) -> dt.date:
    """Read a month: a date (as ``parse_date`` reads it) or ``YYYY-MM``.

    The result is not moved to the first of the month: a date on another day is kept, so the
    model refuses it with a suggestion rather than the importer guessing. An ambiguous slash
    date of which exactly one reading is the first of a month is read that way (``3/1/2024``
    is 1 March: 3 January is not a month).

    Args:
        text: the cell's text; surrounding spaces are ignored.
        date_order: ``"mdy"`` or ``"dmy"``, when the file's order is known.

    Returns:
        The date (the first of the month for ``YYYY-MM``).

    Raises:
        AmbiguousDateError: as ``parse_date``, when neither or both readings are firsts of
            months.
        CellError: the text is not a date nor ``YYYY-MM``, or is December 9999 (a month must
            have a next month).
    """
    s = text.strip()
    if m := _ISO_MONTH.fullmatch(s):
        return _check_next_month(_make_date(m[1], m[2], "1"))
    try:
        return _check_next_month(parse_date(s, date_order=date_order))
    except AmbiguousDateError as exc:
        firsts = [day for day in exc.readings.values() if day.day == 1]
        if len(firsts) == 1:
            return _check_next_month(firsts[0])
        raise


# --------------------------------------------------------------------------------------------
# amounts and counts

_SYMBOLS: Mapping[str, str | None] = MappingProxyType(
    {"$": None, "US$": "USD", "€": "EUR", "£": "GBP", "¥": None}
)
_AMOUNT = re.compile(
    r"(?P<sign1>[-+]?)\s*(?P<pre>US\$|[$€£¥]|[A-Za-z]{3}(?=[\s\d.,+-]))?\s*(?P<sign2>[-+]?)\s*"
    r"(?P<num>[0-9][0-9.,]*(?:[eE][-+]?\d+)?|[.,]\d+)\s*(?P<post>US\$|[$€£¥]|[A-Za-z]{3})?",
    re.ASCII,
)
# with '.' as the decimal point
_PLAIN = re.compile(r"\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+", re.ASCII)
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d*)?", re.ASCII)
# with ',' as the decimal point
_PLAIN_COMMA = re.compile(r"\d+(?:,\d*)?(?:[eE][-+]?\d+)?|,\d+", re.ASCII)
_GROUPED_COMMA = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d*)?", re.ASCII)
_DECIMAL_COMMA = re.compile(
    r"\d{1,3}(?:\.\d{3})+(?:,\d*)?|\d+,\d{1,2}|\d+,\d{4,}|\d*,\d+", re.ASCII
)

DecimalMark = Literal[".", ","]
"""The decimal separator of a file's amounts."""


def _amount_range(value: Decimal) -> None:
    """Refuse amounts outside the model's range before any arithmetic touches them."""
    if value and value.adjusted() >= AMOUNT_MAX_INTEGER_DIGITS:
        raise CellError(
            f"is too large: an amount has at most {AMOUNT_MAX_INTEGER_DIGITS} digits before the"
            " decimal point"
        )
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -AMOUNT_MAX_DECIMALS:
        raise CellError(
            f"has too many decimals: an amount has at most {AMOUNT_MAX_DECIMALS} digits after"
            " the decimal point"
        )


def _digits(num: str, decimal: str) -> str | None:
    """The plain decimal text of ``num`` read with ``decimal`` as the decimal mark, or None."""
    if decimal == ".":
        if _PLAIN.fullmatch(num):
            return num
        if _GROUPED.fullmatch(num):
            return num.replace(",", "")
        return None
    if _PLAIN_COMMA.fullmatch(num):
        return num.replace(",", ".")
    if _GROUPED_COMMA.fullmatch(num):
        return num.replace(".", "").replace(",", ".")
    return None


def _currency_of(token: str | None) -> str | None:
    if token is None:
        return None
    if token in _SYMBOLS:
        return _SYMBOLS[token]
    code = token.upper()
    if code not in CURRENCIES:
        raise CellError(f"names {token!r}, which is not an ISO 4217 currency code")
    return code


def parse_amount(text: str, *, decimal: DecimalMark | None = ".") -> tuple[Decimal, str | None]:  # noqa: PLR0912 - one branch per amount notation the loaders accept
    """Read an amount of money, as accounting exports write it.

    Only ASCII digits are read. The amount must be within the model's range
    (``model.AMOUNT_MAX_INTEGER_DIGITS`` digits before the decimal point,
    ``model.AMOUNT_MAX_DECIMALS`` after).

    Args:
        text: the cell's text, such as ``"1234.5"``, ``"$1,234.50"``, ``"(12.00)"`` or
            ``"1,234.50 EUR"`` (or ``"1.234,50"`` with ``decimal=","``).
        decimal: the decimal mark: ``"."`` (the default; ``,`` only between groups of three
            digits), ``","`` (European: ``.`` only between groups of three digits), or
            ``None`` to accept either where the text is unambiguous (``12,50`` and ``12.50``
            both read; ``1,234`` and ``1.234`` are refused as ambiguous). The CSV loader uses
            ``None`` for ``;``-delimited files and ``"."`` otherwise, unless told.

    Returns:
        The exact amount, and the currency the text names (``None`` when it names none or an
        ambiguous symbol such as ``$``).

    Raises:
        CellError: the text is not an amount in a supported form (a decimal comma where the
            decimal mark is ``.`` gets its own message), is ambiguous, or is out of range.
    """
    s = text.strip()
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative = True
        s = s[1:-1].strip()
    m = _AMOUNT.fullmatch(s)
    if m is None:
        raise CellError("is not an amount (expected digits with '.' as the decimal point)")
    if m["pre"] and m["post"]:
        raise CellError("names a currency twice")
    if m["sign1"] and m["sign2"]:
        raise CellError("has two signs")
    sign = m["sign1"] or m["sign2"]
    if negative and sign:
        raise CellError("has both a sign and accounting parentheses")
    num = m["num"]
    if decimal is None:
        dot, comma = _digits(num, "."), _digits(num, ",")
        if dot is not None and comma is not None and Decimal(dot) != Decimal(comma):
            raise CellError(
                f"is ambiguous: {dot} with '.' as the decimal point or {comma} with ',';"
                " declare the decimal mark (decimal='.' or ',', --decimal on the command line)"
            )
        digits = dot if dot is not None else comma
        if digits is None:
            raise CellError("is not an amount (misplaced ',' or '.')")
    elif decimal == ".":
        digits = _digits(num, ".")
        if digits is None:
            if _DECIMAL_COMMA.fullmatch(num):
                raise CellError(
                    "uses a decimal comma, but the file's decimal mark is '.'; write '.' as the"
                    " decimal point and ',' only between groups of three digits (1,234.50), or"
                    " declare the decimal mark ',' (decimal=',', --decimal , on the command line)"
                )
            raise CellError("is not an amount (misplaced ',' or '.')")
    elif decimal == ",":
        digits = _digits(num, ",")
        if digits is None:
            raise CellError(
                "is not an amount with ',' as the decimal point (the declared decimal mark);"
                " '.' may only separate groups of three digits (1.234,50)"
            )
    else:
        msg = f"decimal must be '.', ',' or None, not {decimal!r}"
        raise ValueError(msg)
    try:
        value = Decimal(digits)
    except InvalidOperation:  # pragma: no cover - the patterns above only let decimals through
        raise CellError("is not an amount") from None
    if not value.is_finite():  # pragma: no cover - idem
        raise CellError("is not a finite amount")
    _amount_range(value)
    if negative or sign == "-":
        value = value.copy_negate()
    return value, _currency_of(m["pre"] or m["post"])


_COUNT = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.0*)?", re.ASCII)


def parse_count(text: str) -> int:
    """Read a whole, non-negative number such as ``"1,200"`` or ``"12.0"``.

    Args:
        text: the cell's text; surrounding spaces are ignored.

    Returns:
        The number.

    Raises:
        CellError: the text is not a whole non-negative number.
    """
    s = text.strip()
    m = _COUNT.fullmatch(s)
    if m is None:
        if s.startswith("-"):
            raise CellError("is negative; a count cannot be")
        raise CellError("is not a whole number")
    return int(m[1].replace(",", ""))


def parse_currency(text: str) -> str:
    """Read an ISO 4217 currency code in any case.

    Raises:
        CellError: the code is not a known ISO 4217 code.
    """
    code = text.strip().upper()
    if code not in CURRENCIES:
        raise CellError("is not an ISO 4217 currency code")
    return code
