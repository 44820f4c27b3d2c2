"""What the ledger hands back besides itself: rejections, lenient loads, its errors."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from partner_of_record.errors import Finding, PartnerOfRecordError, ValidationError
from partner_of_record.model import Record

if TYPE_CHECKING:
    from partner_of_record.ledger._ledger import Ledger

_K = TypeVar("_K")
_T = TypeVar("_T")


def _as_day(value: object, method: str, parameter: str) -> dt.date:
    """An event's day: a ``datetime.date`` or an ISO ``YYYY-MM-DD`` string, as the loaders read.

    Raises:
        ValidationError: anything else (a ``ValueError`` naming the method and parameter).
    """
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            with contextlib.suppress(ValueError):
                return dt.date.fromisoformat(text)
    raise ValidationError(
        f"Ledger.{method}",
        parameter,
        value,
        "is not a date (a datetime.date or an ISO date string)",
        "pass datetime.date(2024, 6, 1) or '2024-06-01'",
    )


def _as_optional_day(value: object, method: str, parameter: str) -> dt.date | None:
    return None if value is None else _as_day(value, method, parameter)


class UnknownRecordError(PartnerOfRecordError, KeyError):
    """A lookup named a record the ledger does not hold.

    It is a ``KeyError``, so ``except KeyError`` keeps working.

    Attributes:
        record: the record type looked up, e.g. ``"Subscription"``.
        id: the id that was not found.
    """

    def __init__(self, record: str, record_id: object) -> None:
        self.record = record
        self.id = record_id
        super().__init__(f"no {record} with id {record_id!r} in the ledger")

    def __str__(self) -> str:
        return str(self.args[0])


def _found(records: Mapping[_K, _T], record: str, key: _K) -> _T:
    """``records[key]``; an `UnknownRecordError` naming ``record`` and ``key`` when absent."""
    try:
        return records[key]
    except KeyError:
        raise UnknownRecordError(record, key) from None


class EventError(PartnerOfRecordError, ValueError):
    """An event cannot be recorded in the ledger's history (the message says why)."""


@attrs.frozen
class Rejection:
    """A record that a lenient load did not keep, and why.

    Attributes:
        record: the rejected record.
        finding: the (first) finding that rejected it.
    """

    record: Record
    finding: Finding


@attrs.frozen
class LenientLoad:
    """The result of [`Ledger.lenient`][partner_of_record.Ledger.lenient].

    Attributes:
        ledger: a valid ledger of every record that passed.
        findings: every finding, in the order found (structural checks, then rule by rule).
        rejected: the records not kept, each with its finding, in the order found.
    """

    ledger: Ledger
    findings: tuple[Finding, ...]
    rejected: tuple[Rejection, ...]

    @property
    def ok(self) -> bool:
        """Whether nothing was rejected and no error was found."""
        return not self.rejected and not any(f.severity == "error" for f in self.findings)

    def rejected_of(self, record_type: type[Any]) -> tuple[Rejection, ...]:
        """Return the rejections of one record type (e.g. ``Association``).

        Args:
            record_type: a model record class.

        Returns:
            The matching rejections, in the order found.
        """
        return tuple(r for r in self.rejected if type(r.record) is record_type)
