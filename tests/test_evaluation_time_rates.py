"""The evaluation time model (measurement month, windows) and the currency rate table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from partner_of_record import ValidationError
from partner_of_record.evaluation import (
    MissingRateError,
    RateTable,
    Trailing,
    Window,
    measurement_month,
)


@pytest.mark.parametrize(
    ("as_of", "month"),
    [
        (dt.date(2024, 7, 15), dt.date(2024, 6, 1)),
        (dt.date(2024, 7, 1), dt.date(2024, 6, 1)),
        (dt.date(2024, 7, 31), dt.date(2024, 6, 1)),
        (dt.date(2024, 1, 1), dt.date(2023, 12, 1)),
    ],
)
def test_measurement_month_is_last_full_month(as_of: dt.date, month: dt.date) -> None:
    """The measurement month is the last full calendar month before as_of."""
    assert measurement_month(as_of) == month


def test_measurement_month_refuses_datetimes() -> None:
    """A datetime is not a day: the error names the field."""
    with pytest.raises(ValidationError, match="as_of"):
        measurement_month(dt.datetime(2024, 7, 1, 12))  # type: ignore[arg-type]


def test_named_windows() -> None:
    """Trailing 12, same month last year and last 2 months, as the issue defines them."""
    m = dt.date(2024, 6, 1)
    assert Trailing(12).at(m) == Window(dt.date(2023, 7, 1), dt.date(2024, 7, 1))
    assert Trailing(1, lag=12).at(m).months == (dt.date(2023, 6, 1),)
    assert Trailing(2).at(m).months == (dt.date(2024, 5, 1), dt.date(2024, 6, 1))
    assert Trailing(12).at(m).describe() == "2023-07..2024-06"
    assert dt.date(2023, 6, 1) not in Trailing(12).at(m)


def test_trailing_refuses_empty_windows() -> None:
    """A window of 0 months or a negative lag is refused, naming the field."""
    with pytest.raises(ValidationError, match="months"):
        Trailing(0)
    with pytest.raises(ValidationError, match="lag"):
        Trailing(3, lag=-1)


def test_rates_per_month_then_all_months() -> None:
    """A month's own rate wins over the all-months rate; USD converts at 1."""
    table = RateTable.from_rows(
        [("EUR", dt.date(2024, 6, 15), "1.2"), ("EUR", None, 1), ("JPY", None, "0.0067")]
    )
    assert table.rate("EUR", dt.date(2024, 6, 1)) == Decimal("1.2")
    assert table.rate("EUR", dt.date(2024, 5, 1)) == 1
    assert table.to_usd(Decimal(1000), "JPY", dt.date(2020, 1, 1)) == Decimal("6.7000")
    assert table.to_usd(Decimal("12.34"), "USD", dt.date(2020, 1, 1)) == Decimal("12.34")


def test_missing_rate_names_currency_and_month() -> None:
    """A currency without a rate raises MissingRateError naming the currency and month."""
    table = RateTable.constant({"EUR": "1.1"})
    with pytest.raises(MissingRateError, match="GBP in 2024-03"):
        table.to_usd(Decimal(1), "GBP", dt.date(2024, 3, 9))


@pytest.mark.parametrize(
    ("key", "rate", "field"),
    [
        (("EUR", None), 1.1, "rate"),
        (("EUR", None), "0", "rate"),
        (("EURO", None), "1", "currency"),
        (("EUR", "2024-01-01"), "1", "month"),
    ],
)
def test_bad_rates_are_refused(key: tuple[object, object], rate: object, field: str) -> None:
    """Floats, non-positive rates, unknown currencies and non-date months are refused."""
    with pytest.raises(ValidationError) as info:
        RateTable({key: rate})  # type: ignore[dict-item]
    assert info.value.field == field
