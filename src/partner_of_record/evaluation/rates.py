"""Currency conversion for thresholds published in US dollars.

Program thresholds are in US dollars. Credited amounts in other currencies are converted with
a [`RateTable`][partner_of_record.evaluation.RateTable] that the user supplies: one rate
per currency and month (US dollars per unit of the currency). A missing rate is an error naming
the currency and the month, never a silent skip.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType

from partner_of_record.currency import CURRENCIES
from partner_of_record.errors import PartnerOfRecordError, ValidationError
from partner_of_record.model import month_start

__all__ = ["USD", "MissingRateError", "RateTable", "as_rate_table"]

_EMPTY: Mapping[tuple[str, dt.date | None], Decimal] = MappingProxyType({})

USD = "USD"
"""The currency thresholds are published in."""


class MissingRateError(PartnerOfRecordError, LookupError):
    """No conversion rate to US dollars is known for a currency in a month.

    Attributes:
        currency: the ISO 4217 code.
        month: the first day of the month.
    """

    def __init__(self, currency: str, month: dt.date) -> None:
        self.currency = currency
        self.month = month
        super().__init__(
            f"no USD rate for {currency} in {month:%Y-%m}: pass rates={{{currency!r}: "
            f"'1.08'}} (US dollars per {currency}, every month; the same as "
            f"RateTable.constant({{{currency!r}: '1.08'}})), or a RateTable with a rate for "
            f"that month (RateTable({{({currency!r}, date({month.year}, {month.month}, 1)): "
            f"Decimal(...)}}))"
        )


def _check_rate(
    currency: object, month: object, rate: object
) -> tuple[str, dt.date | None, Decimal]:
    if not isinstance(currency, str) or currency not in CURRENCIES:
        raise ValidationError("RateTable", "currency", currency, "is not an ISO 4217 currency code")
    if month is not None and (isinstance(month, dt.datetime) or not isinstance(month, dt.date)):
        raise ValidationError("RateTable", "month", month, "is not a datetime.date (or None)")
    if isinstance(rate, int) and not isinstance(rate, bool):
        rate = Decimal(rate)
    if isinstance(rate, str):
        rate = Decimal(rate)
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
        raise ValidationError(
            "RateTable", "rate", rate, f"for {currency} is not a positive Decimal (floats refused)"
        )
    return currency, (month_start(month) if month is not None else None), rate


class RateTable:
    """US dollars per unit of a currency, per month (immutable).

    A rate keyed by ``(currency, None)`` applies to every month that has no rate of its own.
    US dollars always convert at 1.

    Args:
        rates: a mapping ``(currency, month or None) -> rate`` (``Decimal``, int or numeric string).

    Raises:
        ValidationError: a key or rate is malformed (names the currency and the field).
    """

    __slots__ = ("_rates",)

    def __init__(
        self, rates: Mapping[tuple[str, dt.date | None], Decimal | int | str] = MappingProxyType({})
    ) -> None:
        table: dict[tuple[str, dt.date | None], Decimal] = {}
        for key, rate in rates.items():
            if not isinstance(key, tuple) or len(key) != 2:
                raise ValidationError("RateTable", "key", key, "is not a (currency, month) pair")
            currency, month, value = _check_rate(key[0], key[1], rate)
            table[(currency, month)] = value
        self._rates: Mapping[tuple[str, dt.date | None], Decimal] = MappingProxyType(table)

    @classmethod
    def constant(cls, rates: Mapping[str, Decimal | int | str]) -> RateTable:
        """Return a table with one rate per currency for every month.

        Args:
            rates: a mapping currency -> US dollars per unit.

        Returns:
            The rate table.
        """
        return cls({(currency, None): rate for currency, rate in rates.items()})

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple[str, dt.date | None, Decimal | int | str]]
    ) -> RateTable:
        """Return a table from ``(currency, month, rate)`` rows (a month of ``None``: every month).

        Args:
            rows: the rows; a later row for the same currency and month wins.

        Returns:
            The rate table.
        """
        return cls({(currency, month): rate for currency, month, rate in rows})

    @property
    def rates(self) -> Mapping[tuple[str, dt.date | None], Decimal]:
        """The rates, read-only, keyed by ``(currency, first day of month or None)``."""
        return self._rates

    def rate(self, currency: str, month: dt.date) -> Decimal:
        """Return US dollars per unit of ``currency`` in ``month``.

        Args:
            currency: an ISO 4217 code.
            month: any day of the month.

        Returns:
            The rate (1 for US dollars).

        Raises:
            MissingRateError: no rate for that currency and month, and no all-months rate.
        """
        if currency == USD:
            return Decimal(1)
        month = month_start(month)
        found = self._rates.get((currency, month))
        if found is None:
            found = self._rates.get((currency, None))
        if found is None:
            raise MissingRateError(currency, month)
        return found

    def to_usd(self, amount: Decimal, currency: str, month: dt.date) -> Decimal:
        """Return ``amount`` of ``currency`` in US dollars at ``month``'s rate (exact, unrounded).

        Args:
            amount: the amount in ``currency``.
            currency: an ISO 4217 code.
            month: any day of the month whose rate applies.

        Returns:
            The amount in US dollars.

        Raises:
            MissingRateError: no rate for that currency and month.
        """
        if currency == USD:
            return amount
        return amount * self.rate(currency, month)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RateTable) and dict(self._rates) == dict(other._rates)

    def __hash__(self) -> int:
        return hash(frozenset(self._rates.items()))

    def __repr__(self) -> str:
        return f"RateTable({dict(self._rates)!r})"


def as_rate_table(rates: RateTable | Mapping[str, Decimal | int | str] | None) -> RateTable:
    """Return ``rates`` as a ``RateTable``: the evaluation functions' ``rates=`` argument.

    Args:
        rates: a ``RateTable``; a mapping currency -> US dollars per unit
            (``{"EUR": "1.08"}``, the shape of the command line's rates file), which becomes
            ``RateTable.constant(rates)``; or ``None`` (no rates: only US dollars convert).

    Returns:
        The rate table.

    Raises:
        TypeError: ``rates`` is something else (the message names ``RateTable.constant``).
        ValidationError: a currency or rate is malformed.
    """
    if rates is None:
        return RateTable()
    if isinstance(rates, RateTable):
        return rates
    if isinstance(rates, Mapping):
        if all(isinstance(key, tuple) for key in rates):
            return RateTable(rates)  # type: ignore[arg-type]  # (currency, month) keys
        return RateTable.constant(rates)
    msg = (
        f"rates: {rates!r} is not a RateTable or a mapping currency -> US dollars per unit; "
        "pass {'EUR': '1.08'} or RateTable.constant({'EUR': '1.08'})"
    )
    raise TypeError(msg)
