"""The model records: immutable, validated per field, with errors naming the field and value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_of_record.errors import PartnerOfRecordError, ValidationError
from partner_of_record.model import (
    Actor,
    Association,
    AssociationKind,
    Customer,
    OfferCategory,
    Partner,
    SeatUsage,
    Subscription,
    Usage,
    Workload,
    month_days,
    month_end,
    month_start,
)

D = dt.date

GOOD: dict[type[Any], dict[str, Any]] = {
    Partner: {"id": "P1", "name": "Contoso", "market": "US"},
    Customer: {"id": "C1", "name": "Fabrikam"},
    Subscription: {
        "id": "S1",
        "customer_id": "C1",
        "workload": Workload.AZURE,
        "name": "prod",
        "offer": OfferCategory.STANDARD,
    },
    Association: {
        "partner_id": "P1",
        "subscription_id": "S1",
        "kind": AssociationKind.DPOR,
        "start": D(2024, 1, 1),
        "end": D(2024, 6, 1),
        "granted_by": Actor.CUSTOMER,
        "role": "Owner",
        "recorded_on": D(2024, 1, 2),
        "auto_extend_days": 0,
    },
    Usage: {
        "subscription_id": "S1",
        "month": D(2024, 1, 1),
        "amount": Decimal("12.50"),
        "currency": "USD",
        "service": "Azure SQL Database",
        "offer": OfferCategory.TRIAL,
    },
    SeatUsage: {
        "subscription_id": "S1",
        "month": D(2024, 1, 1),
        "paid_seats": 10,
        "active_users": 4,
    },
}

# (record type, field, bad value, a fragment the message must contain)
BAD: list[tuple[type[Any], str, object, str]] = [
    (Partner, "id", "", "empty"),
    (Partner, "id", "   ", "empty"),
    (Partner, "id", " P1", "whitespace"),
    (Partner, "id", 42, "not a string"),
    (Partner, "name", None, "not a string"),
    (Customer, "id", "", "empty"),
    (Customer, "id", None, "not a string"),
    (Customer, "name", 3, "not a string"),
    (Subscription, "id", "", "empty"),
    (Subscription, "customer_id", "", "empty"),
    (Subscription, "workload", "azure", "not a Workload"),
    (Subscription, "workload", AssociationKind.DPOR, "not a Workload"),
    (Subscription, "name", None, "not a string"),
    (Subscription, "offer", "trial", "not a OfferCategory"),
    (Usage, "offer", "trial", "not a OfferCategory"),
    (Partner, "market", "usa", "two-letter country or region code"),
    (Association, "auto_extend_days", -1, "negative"),
    (Association, "partner_id", "", "empty"),
    (Association, "subscription_id", "", "empty"),
    (Association, "kind", "DPOR", "not a AssociationKind"),
    (Association, "start", "2024-01-01", "not a datetime.date"),
    (Association, "start", dt.datetime(2024, 1, 1), "not a datetime.date"),
    (Association, "end", D(2024, 1, 1), "not after start"),
    (Association, "end", D(2023, 12, 31), "not after start"),
    (Association, "end", "2024-06-01", "not a datetime.date"),
    (Association, "granted_by", "customer", "not a Actor"),
    (Association, "role", 1, "not a string"),
    (Association, "recorded_on", "2024-01-02", "not a datetime.date"),
    (Usage, "subscription_id", "", "empty"),
    (Usage, "month", D(2024, 1, 15), "not the first day of a month"),
    (Usage, "month", "2024-01-01", "not a datetime.date"),
    (Usage, "amount", 12.5, "float"),
    (Usage, "amount", Decimal("NaN"), "not a finite number"),
    (Usage, "amount", Decimal("Infinity"), "not a finite number"),
    (Usage, "amount", "twelve", "not a Decimal"),
    (Usage, "amount", None, "not a Decimal"),
    (Usage, "currency", "XXY", "ISO 4217"),
    (Usage, "currency", "usd", "ISO 4217"),
    (Usage, "service", "", "empty"),
    (SeatUsage, "subscription_id", "", "empty"),
    (SeatUsage, "month", D(2024, 2, 2), "not the first day of a month"),
    (SeatUsage, "paid_seats", -1, "negative"),
    (SeatUsage, "paid_seats", 1.0, "not an integer"),
    (SeatUsage, "active_users", True, "not an integer"),
]


def _build(record: type[Any], **changes: object) -> Any:
    return record(**{**GOOD[record], **changes})


@pytest.mark.parametrize("record", list(GOOD))
def test_good_records_build(record: type[Any]) -> None:
    """Each record type builds from valid fields and keeps them as given."""
    built = _build(record)
    assert attrs.asdict(built, recurse=False) == GOOD[record]


@pytest.mark.parametrize(
    ("record", "field", "value", "reason"),
    BAD,
    ids=[f"{r.__name__}.{f}={v!r}" for r, f, v, _ in BAD],
)
def test_bad_field_raises_a_value_error_naming_record_field_and_value(
    record: type[Any], field: str, value: object, reason: str
) -> None:
    """A bad field value raises a ValidationError (a ValueError) naming record, field and value."""
    with pytest.raises(ValidationError) as info:
        _build(record, **{field: value})
    err = info.value
    assert isinstance(err, ValueError)
    assert isinstance(err, PartnerOfRecordError)
    assert (err.record, err.field) == (record.__name__, field)
    assert err.value == value or (isinstance(value, Decimal) and value.is_nan())
    text = str(err)
    assert f"{record.__name__}.{field}" in text
    assert repr(value) in text
    assert reason in text


def test_every_validated_field_has_a_bad_value_case() -> None:
    """The table of bad values covers every field of every record type."""
    covered = {(r, f) for r, f, _, _ in BAD}
    fields = {(r, a.name) for r in GOOD for a in attrs.fields(r)}
    assert fields == covered


@pytest.mark.parametrize(
    ("record", "field", "value", "hint"),
    [
        (Partner, "id", " P1 ", "did you mean 'P1'?"),
        (Usage, "month", D(2024, 3, 17), "did you mean 2024-03-01?"),
        (Usage, "currency", "eur", "did you mean 'EUR'?"),
        (Usage, "amount", 0.1, "Decimal('0.1')"),
        (Subscription, "workload", "Azure", "did you mean Workload.AZURE?"),
        (Association, "kind", "pal", "did you mean AssociationKind.PAL?"),
    ],
)
def test_errors_suggest_a_fix(record: type[Any], field: str, value: object, hint: str) -> None:
    """Where the intent is clear, the error suggests the corrected value."""
    with pytest.raises(ValidationError) as info:
        _build(record, **{field: value})
    assert info.value.suggestion is not None
    assert hint in info.value.suggestion


@pytest.mark.parametrize("record", list(GOOD))
def test_records_are_frozen(record: type[Any]) -> None:
    """Records cannot be changed after construction."""
    built = _build(record)
    first = attrs.fields(record)[0].name
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(built, first, "X")


@pytest.mark.parametrize("value", [12, "12.50", " 7 ", "-3.25", Decimal("1E+2")])
def test_usage_amount_accepts_exact_numbers(value: object) -> None:
    """Ints and numeric strings become exact Decimals equal to the number written."""
    usage = _build(Usage, amount=value)
    assert isinstance(usage.amount, Decimal)
    assert usage.amount == Decimal(str(value).strip())


@pytest.mark.parametrize("record", list(GOOD))
def test_repr_is_replayable(record: type[Any]) -> None:
    """A record's repr is valid Python that rebuilds an equal record."""
    built = _build(record)
    types: tuple[type[Any], ...] = (*GOOD, Workload, AssociationKind, Actor, OfferCategory)
    namespace = {
        "datetime": dt,
        "Decimal": Decimal,
        **{t.__name__: t for t in types},
    }
    assert eval(repr(built), namespace) == built


days = st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31))


@given(days)
def test_month_helpers_bracket_the_day(day: dt.date) -> None:
    """month_start(day) <= day < month_end(month_start(day)), and the month has month_days days."""
    first = month_start(day)
    nxt = month_end(first)
    assert first.day == 1
    assert first <= day < nxt
    assert nxt.day == 1
    assert (nxt - first).days == month_days(first)


@given(days, days, days, st.one_of(st.none(), days))
def test_association_day_queries_agree(
    day: dt.date, lo: dt.date, start: dt.date, end: dt.date | None
) -> None:
    """in_effect_on, overlaps and days_in agree with counting the days one by one."""
    if end is not None and end <= start:
        end = start + dt.timedelta(days=1)
    a = Association("P1", "S1", AssociationKind.PAL, start, end)
    assert a.in_effect_on(day) == (start <= day and (end is None or day < end))
    hi = lo + dt.timedelta(days=40)
    counted = sum(a.in_effect_on(lo + dt.timedelta(days=i)) for i in range(40))
    assert a.days_in(lo, hi) == counted
    assert a.overlaps(lo, hi) == (counted > 0)


def test_describe_labels_name_the_record() -> None:
    """describe() names kind, partner, subscription and interval, or the usage row's key."""
    a = _build(Association)
    assert a.describe() == "DPOR P1 on S1 [2024-01-01, 2024-06-01)"
    assert attrs.evolve(a, end=None).describe() == "DPOR P1 on S1 [2024-01-01, open)"
    assert _build(Usage).describe() == "S1 2024-01 Azure SQL Database 12.50 USD"
    assert _build(Usage).key == ("S1", D(2024, 1, 1), "Azure SQL Database", "USD")
    assert _build(SeatUsage).key == ("S1", D(2024, 1, 1))


@pytest.mark.parametrize("record", list(GOOD))
def test_every_record_describes_itself_by_its_identity(record: type[Any]) -> None:
    """Every record type has describe(): a one-line label that contains the record's id or key."""
    built = _build(record)
    text = built.describe()
    assert isinstance(text, str)
    assert text
    assert "\n" not in text
    ident = getattr(built, "id", None) or built.subscription_id
    assert ident in text
    if record in (Partner, Customer, Subscription):
        assert text == f"{record.__name__} {built.id}"
