"""The column and value tables of the CSV importer, and its cell parsers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_of_record.io.columns import (
    ACTOR_ALIASES,
    ASSOCIATION_KIND_ALIASES,
    LAYOUTS,
    OFFER_ALIASES,
    WORKLOAD_ALIASES,
    CellError,
    layout_for,
    normalize,
    parse_actor,
    parse_amount,
    parse_association_kind,
    parse_count,
    parse_date,
    parse_month,
    parse_offer,
    parse_workload,
)
from partner_of_record.model import (
    Actor,
    AssociationKind,
    OfferCategory,
    SeatUsage,
    Usage,
    Workload,
)


def test_normalize_ignores_case_spaces_underscores_and_hyphens() -> None:
    """Header spellings that differ only in case, spacing and punctuation normalise alike."""
    spellings = [
        "Customer Tenant ID",
        "customer_tenant_id",
        "CustomerTenantId",
        "customer-tenant id",
    ]
    assert {normalize(s) for s in spellings} == {"customertenantid"}


def test_every_layout_has_unambiguous_headers() -> None:
    """Within one file, no header name (after normalising) is accepted for two fields."""
    for layout in LAYOUTS:
        index = layout.header_index()
        for column in layout.columns:
            for alias in column.accepted_headers():
                assert index[normalize(alias)] == column.field, (layout.name, alias)


def test_every_model_field_has_a_column() -> None:
    """Each layout's columns are exactly its record type's fields, so nothing is lost."""
    import attrs

    for layout in LAYOUTS:
        fields = [f.name for f in attrs.fields(layout.record_type)]
        assert sorted(c.field for c in layout.columns) == sorted(fields), layout.name


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("DPOR", AssociationKind.DPOR),
        ("Digital partner of record", AssociationKind.DPOR),
        ("PAL", AssociationKind.PAL),
        ("Partner admin link", AssociationKind.PAL),
        ("partner_admin_link", AssociationKind.PAL),
        ("CSP T1", AssociationKind.CSP_TIER1),
        ("CSP Tier 1", AssociationKind.CSP_TIER1),
        ("Direct bill", AssociationKind.CSP_TIER1),
        ("csp_tier1", AssociationKind.CSP_TIER1),
        ("CSP T2", AssociationKind.CSP_TIER2),
        ("Indirect reseller", AssociationKind.CSP_TIER2),
        ("Transacting partner of record", AssociationKind.TRANSACTING),
        ("DAP", AssociationKind.DAP),
        ("GDAP", AssociationKind.GDAP),
        ("CPOR", AssociationKind.CPOR),
        ("Claiming partner of record", AssociationKind.CPOR),
        ("Lighthouse", AssociationKind.LIGHTHOUSE),
        ("  lighthouse ", AssociationKind.LIGHTHOUSE),
    ],
)
def test_association_type_spellings(text: str, kind: AssociationKind) -> None:
    """Partner Center's association type names map to the model's kinds, in any case and spacing."""
    assert parse_association_kind(text) is kind


@pytest.mark.parametrize(
    ("text", "workload"),
    [
        ("Azure", Workload.AZURE),
        ("Office 365", Workload.OFFICE_365),
        ("office_365", Workload.OFFICE_365),
        ("Microsoft 365", Workload.MICROSOFT_365),
        ("Dynamics 365", Workload.DYNAMICS_365),
        ("Dynamics CRM Online", Workload.DYNAMICS_CRM_ONLINE),
        ("Enterprise Mobility + Security", Workload.EMS),
        ("Power BI", Workload.POWER_BI),
    ],
)
def test_workload_spellings(text: str, workload: Workload) -> None:
    """Common product names map to the model's workloads."""
    assert parse_workload(text) is workload


def test_every_alias_and_enum_value_reads_back_to_its_member() -> None:
    """Each value table entry, and each member's own value and name, reads as that member."""
    tables: list[tuple[Mapping[Any, tuple[str, ...]], Callable[[str], object]]] = [
        (ASSOCIATION_KIND_ALIASES, parse_association_kind),
        (WORKLOAD_ALIASES, parse_workload),
        (ACTOR_ALIASES, parse_actor),
        (OFFER_ALIASES, parse_offer),
    ]
    for table, parse in tables:
        for member, aliases in table.items():
            for text in (*aliases, member.value, member.name):
                assert parse(text) is member, text


def test_every_enum_member_is_in_its_table() -> None:
    """No member of a value table's enum is missing from the table."""
    assert set(ASSOCIATION_KIND_ALIASES) == set(AssociationKind)
    assert set(WORKLOAD_ALIASES) == set(Workload)
    assert set(ACTOR_ALIASES) == set(Actor)
    assert set(OFFER_ALIASES) == set(OfferCategory)


def test_unknown_value_lists_accepted_values_and_suggests_the_closest() -> None:
    """A misspelt association type is refused with the accepted list and a 'did you mean'."""
    with pytest.raises(CellError, match=r"did you mean 'Partner admin link'") as info:
        parse_association_kind("Partner admn link")
    assert "DPOR" in info.value.reason


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("1234.5", Decimal("1234.5"), None),
        ("$1,234.50", Decimal("1234.50"), None),
        ("1,234,567.00", Decimal("1234567.00"), None),
        ("1,234", Decimal("1234"), None),
        ("-12.30", Decimal("-12.30"), None),
        ("-$12.30", Decimal("-12.30"), None),
        ("$-12.30", Decimal("-12.30"), None),
        ("(12.30)", Decimal("-12.30"), None),
        ("€ 9.99", Decimal("9.99"), "EUR"),
        ("£3", Decimal("3"), "GBP"),
        ("1,234.50 EUR", Decimal("1234.50"), "EUR"),
        ("usd 10", Decimal("10"), "USD"),
        (" 0.001 ", Decimal("0.001"), None),
        (".5", Decimal("0.5"), None),
    ],
)
def test_amount_forms(text: str, amount: Decimal, currency: str | None) -> None:
    """Amounts with symbols, codes, thousands separators, signs and parentheses read exactly."""
    value, named = parse_amount(text)
    assert value == amount
    assert value.as_tuple().exponent == amount.as_tuple().exponent
    assert named == currency


@pytest.mark.parametrize("text", ["1.234,50", "12,5", "0,99", "1.234.567"])
def test_european_decimal_comma_is_refused_by_name(text: str) -> None:
    """The decimal comma is not supported, and the message says so rather than misreading."""
    with pytest.raises(CellError, match="decimal comma"):
        parse_amount(text)


@pytest.mark.parametrize(
    "text", ["", "abc", "1,23,456", "--1", "(-1)", "$1 EUR", "12 XYZ", "1.2.", "1,,000"]
)
def test_malformed_amounts_are_refused(text: str) -> None:
    """Text that is not an amount raises CellError, never a wrong number."""
    with pytest.raises(CellError):
        parse_amount(text)


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, max_value=10**12, min_value=-(10**12)
    )
)
def test_amount_round_trip_with_separators_and_symbol(value: Decimal) -> None:
    """Law: an amount written with thousands separators and a $ sign reads back unchanged."""
    sign = "-" if value < 0 else ""
    text = f"{sign}${abs(value):,f}"
    assert parse_amount(text) == (value, None)
    assert parse_amount(format(value, "f"))[0] == value


@given(st.dates(min_value=dt.date(1000, 1, 1)))
def test_date_round_trip_iso_and_us(day: dt.date) -> None:
    """Law: a day written as ISO, or as M/D/YYYY or D/M/YYYY in its declared order, reads back."""
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.month}/{day.day}/{day.year:04d}", date_order="mdy") == day
    assert parse_date(f"{day.day}/{day.month}/{day.year:04d}", date_order="dmy") == day


@pytest.mark.parametrize(
    "text", ["2024-01-05T00:00:00", "2024-01-05T00:00:00Z", "2024-01-05 00:00"]
)
def test_midnight_time_after_iso_date_is_accepted(text: str) -> None:
    """An ISO date followed by a midnight time (as exports write it) reads as the date."""
    assert parse_date(text) == dt.date(2024, 1, 5)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("01/02/2024", "ambiguous"),
        ("2024-01-05T13:00:00", "time of day"),
        ("2024-02-30", "not a valid date"),
        ("13/13/2024", "not a valid date"),
        ("Jan 5 2024", "not a date"),
        ("", "not a date"),
    ],
)
def test_bad_dates_are_refused_with_a_reason(text: str, fragment: str) -> None:
    """Dates in unsupported forms or naming impossible days raise CellError with the reason."""
    with pytest.raises(CellError, match=fragment):
        parse_date(text)


def test_month_accepts_year_month() -> None:
    """A month may be written YYYY-MM, and reads as its first day."""
    assert parse_month("2024-03") == dt.date(2024, 3, 1)
    assert parse_month("3/1/2024") == dt.date(2024, 3, 1)


def test_month_does_not_move_a_mid_month_date() -> None:
    """A mid-month date is kept as is, so the model refuses it rather than the reader guessing."""
    assert parse_month("2024-03-15") == dt.date(2024, 3, 15)


@pytest.mark.parametrize(("text", "count"), [("0", 0), ("1,200", 1200), (" 12.0 ", 12), ("7", 7)])
def test_count_forms(text: str, count: int) -> None:
    """Counts accept thousands separators and a zero fraction."""
    assert parse_count(text) == count


@pytest.mark.parametrize(
    ("text", "fragment"), [("-1", "negative"), ("1.5", "whole"), ("x", "whole")]
)
def test_bad_counts_are_refused(text: str, fragment: str) -> None:
    """Negative, fractional and non-numeric counts raise CellError."""
    with pytest.raises(CellError, match=fragment):
        parse_count(text)


def test_layout_for_accepts_class_name_and_file_name() -> None:
    """A layout is found by model class, layout name, file name or class name."""
    assert layout_for(Usage).name == "usage"
    assert layout_for("usage.csv").record_type is Usage
    assert layout_for("SeatUsage").record_type is SeatUsage
    assert layout_for("Seats").record_type is SeatUsage
    with pytest.raises(ValueError, match="is not one of"):
        layout_for("invoices")


def test_markdown_reference_lists_every_header_and_value() -> None:
    """The generated documentation names every file, column, header alias and value spelling."""
    from partner_of_record.io.columns import markdown_reference

    text = markdown_reference()
    for layout in LAYOUTS:
        assert f"`{layout.file_name}`" in text
        for column in layout.columns:
            assert f"`{column.field}`" in text
            for alias in column.aliases:
                assert alias in text
    for aliases in ASSOCIATION_KIND_ALIASES.values():
        for alias in aliases:
            assert alias in text
