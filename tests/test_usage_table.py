"""The ledger's usage columns: ``Ledger.from_columns``, the lazy ``ledger.usage``, exact amounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_of_record import LedgerError
from partner_of_record._usage_table import UsageRecords, UsageRow, UsageTable
from partner_of_record.attribution import EqualSplit, RecognizeAll, attribute
from partner_of_record.ledger import Ledger
from partner_of_record.model import (
    Association,
    AssociationKind,
    Customer,
    OfferCategory,
    Partner,
    Subscription,
    Usage,
    Workload,
)
from strategies import LedgerFacts, ledger_facts

JAN, FEB = dt.date(2024, 1, 1), dt.date(2024, 2, 1)
FACTS = {
    "partners": [Partner("P1")],
    "customers": [Customer("C1")],
    "subscriptions": [Subscription("S1", "C1", Workload.AZURE)],
    "associations": [Association("P1", "S1", AssociationKind.PAL, dt.date(2023, 12, 10))],
}


def columns_of(usage: list[Usage] | tuple[Usage, ...]) -> dict[str, list[Any]]:
    """The usage records as plain columns."""
    return {
        "subscription_id": [u.subscription_id for u in usage],
        "month": [u.month for u in usage],
        "amount": [u.amount for u in usage],
        "currency": [u.currency for u in usage],
        "service": [u.service for u in usage],
        "offer": [u.offer for u in usage],
    }


@given(data=ledger_facts(max_subscriptions=5, currencies=("USD", "JPY", "KWD")))
def test_from_columns_equals_the_record_ledger(data: LedgerFacts) -> None:
    """The same rows given as columns make an equal ledger with the same credits."""
    records = data.to_ledger()
    columnar = Ledger.from_columns(**{**data.kwargs(), "usage": columns_of(data.usage)})
    assert columnar == records
    assert isinstance(columnar.usage, UsageRecords)
    assert columnar.usage == records.usage
    assert list(columnar.usage) == list(records.usage)
    assert columnar.months == records.months
    for sub in data.subscriptions:
        assert columnar.usage_of(sub.id) == records.usage_of(sub.id)
    for policy in (RecognizeAll(), EqualSplit()):
        a, b = attribute(columnar, policy), attribute(records, policy)
        assert list(a) == list(b)
        assert a.unattributed == b.unattributed


def test_amounts_keep_their_value_and_extra_decimals() -> None:
    """Amounts are held in minor units; an amount with more decimals keeps its original."""
    ledger = Ledger.from_columns(
        **FACTS,
        usage={
            "subscription_id": ["S1", "S1", "S1"],
            "month": ["2024-01-01", np.datetime64("2024-02-01"), dt.date(2024, 3, 1)],
            "amount": ["12.3", Decimal("1.005"), 7],
            "offer": [None, "trial", OfferCategory.INTERNAL],
        },
    )
    amounts = [u.amount for u in ledger.usage]
    assert amounts == [Decimal("12.30"), Decimal("1.005"), Decimal("7")]
    assert str(amounts[1]) == "1.005"
    assert [u.offer for u in ledger.usage] == [None, OfferCategory.TRIAL, OfferCategory.INTERNAL]
    table = ledger.usage_table()
    assert table.minor.tolist() == [1230, 100, 700]  # 1.005 -> 1.00, half to even
    assert attribute(ledger).total() == Decimal("20.30")


def test_minor_units_beyond_int64_are_kept_exactly() -> None:
    """An amount whose cents do not fit in an int64 is kept as a Python integer."""
    huge = Decimal("123456789012345678901234.56")
    ledger = Ledger.from_columns(
        **FACTS, usage={"subscription_id": ["S1"], "month": [JAN], "amount": [huge]}
    )
    table = ledger.usage_table()
    assert table.big == {0: 12345678901234567890123456}
    assert ledger.usage[0].amount == huge
    assert attribute(ledger).total() == huge


def test_amount_minor_columns_and_arrow_and_pandas_inputs() -> None:
    """amount_minor (cents) works, from a dict of numpy arrays, a pandas frame or Arrow."""
    columns = {
        "subscription_id": np.array(["S1", "S1"], dtype=object),
        "month": np.array(["2024-01-01", "2024-02-01"], dtype="datetime64[D]"),
        "amount_minor": np.array([1050, -25], dtype=np.int64),
        "currency": np.array(["USD", "USD"], dtype=object),
    }
    expected = (
        Usage("S1", JAN, Decimal("10.50")),
        Usage("S1", FEB, Decimal("-0.25")),
    )
    assert Ledger.from_columns(**FACTS, usage=columns).usage == expected
    pd = pytest.importorskip("pandas")
    assert Ledger.from_columns(**FACTS, usage=pd.DataFrame(columns)).usage == expected
    pa = pytest.importorskip("pyarrow")
    assert Ledger.from_columns(**FACTS, usage=pa.table(columns)).usage == expected


def test_bad_rows_are_findings_located_by_row_number() -> None:
    """Unknown subscriptions, duplicate keys and bad values are findings naming the row."""
    usage = {
        "subscription_id": ["S1", "S9", "S1", "S1", "S1", " S1"],
        "month": ["2024-01-01", "2024-01-01", "2024-01-01", "2024-01-15", "2024-02-01", JAN],
        "amount": ["1", "2", "3", "4", "x", "6"],
    }
    with pytest.raises(LedgerError) as raised:
        Ledger.from_columns(**FACTS, usage=usage)
    codes = [(f.code, f.subject[0].row) for f in raised.value.findings]
    assert codes == [
        ("UNKNOWN_SUBSCRIPTION", 1),
        ("DUPLICATE_USAGE", 2),
        ("INVALID_VALUE", 3),
        ("INVALID_VALUE", 4),
        ("INVALID_VALUE", 5),
    ]
    messages = [f.message for f in raised.value.findings]
    assert messages[1].startswith("usage row 2 (S1 2024-01 3.00 USD): has the same")
    assert "usage row 0" in messages[1]
    assert "2024-01-15 is not the first day of a month" in messages[2]
    assert "'x' is not a number" in messages[3]
    result = Ledger.from_columns(**FACTS, usage=usage, lenient=True)
    assert len(result.ledger.usage) == 1
    rejected = [r.record for r in result.rejected]
    assert [r.row for r in rejected if isinstance(r, UsageRow)] == [1, 2, 3, 4, 5]


def test_misshapen_columns_are_type_errors() -> None:
    """A missing, unknown or short column is a programming error, raised at once."""
    with pytest.raises(TypeError, match="'month' is required"):
        Ledger.from_columns(**FACTS, usage={"subscription_id": ["S1"], "amount": ["1"]})
    with pytest.raises(TypeError, match="unknown column"):
        Ledger.from_columns(
            **FACTS,
            usage={"subscription_id": ["S1"], "month": [JAN], "amount": ["1"], "cost": [1]},
        )
    with pytest.raises(TypeError, match="has 2 values"):
        Ledger.from_columns(
            **FACTS, usage={"subscription_id": ["S1"], "month": [JAN, FEB], "amount": ["1"]}
        )


def test_a_record_ledger_builds_its_table_once_and_keeps_its_records() -> None:
    """Ledger(usage=records) keeps the records; the table is made on first use, then kept."""
    records = (Usage("S1", JAN, "1"), Usage("S1", FEB, "2.5", service="SQL"))
    ledger = Ledger(**FACTS, usage=records)
    assert ledger.usage is not None
    assert tuple(ledger.usage) == records
    table = ledger.usage_table()
    assert isinstance(table, UsageTable)
    assert ledger.usage_table() is table
    assert table.usage(1) is records[1]
    assert table.minor.tolist() == [100, 250]


# --------------------------------------------------------------------------------------------
# lenient loads: values seen only in rejected rows must not reach the engine (issue 11)

FACTS_TWO = {
    **FACTS,
    "subscriptions": [*FACTS["subscriptions"], Subscription("S2", "C1", Workload.AZURE)],
}


def test_a_rejected_currency_does_not_reach_the_credits() -> None:
    """A lenient load dropping a row with an unknown currency attributes and exports the rest."""
    load = Ledger.from_columns(
        **FACTS,
        usage={
            "subscription_id": ["S1", "S1"],
            "month": [JAN, JAN],
            "amount": ["1", "2"],
            "currency": ["USD", "XXY"],
        },
        lenient=True,
    )
    assert [r.record.row for r in load.rejected] == [1]
    assert load.ledger.usage_table().currencies == ("USD",)
    credits = attribute(load.ledger)
    assert [(c.partner_id, c.amount, c.currency) for c in credits] == [
        ("P1", Decimal("1.00"), "USD")
    ]
    assert credits.reconcile().ok
    pytest.importorskip("pyarrow")
    assert credits.to_arrow().column("currency").to_pylist() == ["USD"]


def test_a_rejected_subscription_id_does_not_reach_the_credits() -> None:
    """Missing and unknown subscription ids of rejected rows leave no code behind."""
    load = Ledger.from_columns(
        **FACTS,
        usage={
            "subscription_id": [None, "S1", "S9", " S1"],
            "month": [JAN, JAN, JAN, JAN],
            "amount": ["1", "2", "3", "4"],
            "service": ["x ", "VM", "Other", None],
        },
        lenient=True,
    )
    assert sorted(r.record.row for r in load.rejected) == [0, 2, 3]
    table = load.ledger.usage_table()
    assert (table.sub_ids, table.services) == (("S1",), ("VM",))
    credits = attribute(load.ledger)
    assert credits.totals() == {"P1": Decimal("2.00")}
    pytest.importorskip("pyarrow")
    assert credits.to_arrow().column("subscription_id").to_pylist() == ["S1"]


def test_a_lenient_load_rejecting_every_row_is_empty() -> None:
    """When every usage row is rejected the ledger has no usage and attributes nothing."""
    load = Ledger.from_columns(
        **FACTS,
        usage={"subscription_id": ["S9"], "month": [JAN], "amount": ["1"], "currency": ["XXY"]},
        lenient=True,
    )
    table = load.ledger.usage_table()
    assert (len(table), table.sub_ids, table.currencies) == (0, (), ())
    assert list(attribute(load.ledger)) == []


_CELLS = {
    "subscription_id": st.sampled_from(["S1", "S2", "S9", None, " S1", ""]),
    "month": st.sampled_from([JAN, FEB, "2024-03-01", "2024-01-15", None, "x", 5]),
    "amount": st.sampled_from(
        ["1.25", "-3", "0.005", "7", "x", None, 1.5, Decimal("NaN"), Decimal("1e99")]
    ),
    "currency": st.sampled_from(["USD", "JPY", "KWD", "XXY", None, "usd"]),
    "service": st.sampled_from([None, "VM", "SQL", " bad", ""]),
    "offer": st.sampled_from([None, "trial", "nope"]),
}


@given(
    data=st.lists(st.fixed_dictionaries(_CELLS), max_size=25),
    policy=st.sampled_from([RecognizeAll(), EqualSplit()]),
)
def test_lenient_columns_with_bad_cells_attribute_and_reconcile(
    data: list[dict[str, Any]], policy: RecognizeAll | EqualSplit
) -> None:
    """Lenient columns with random bad cells: every row is kept or rejected once, and the kept
    rows attribute, export and reconcile (credited + unattributed == kept amount)."""
    usage = {name: [row[name] for row in data] for name in _CELLS}
    facts = {
        **FACTS_TWO,
        "associations": [
            *FACTS["associations"],
            Association("P2", "S2", AssociationKind.PAL, dt.date(2024, 1, 10)),
        ],
        "partners": [Partner("P1"), Partner("P2")],
    }
    load = Ledger.from_columns(**facts, usage=usage, lenient=True)
    rejected = [r.record.row for r in load.rejected if isinstance(r.record, UsageRow)]
    assert len(set(rejected)) == len(rejected)
    assert len(rejected) + len(load.ledger.usage) == len(data)
    table = load.ledger.usage_table()
    used = set(np.unique(table.cur).tolist())
    assert used == set(range(len(table.currencies)))
    assert set(table.currencies) <= {"USD", "JPY", "KWD"}
    assert None not in table.sub_ids
    credits = attribute(load.ledger, policy)
    listed = list(credits)
    assert credits.reconcile().ok
    kept: dict[str, Decimal] = {}
    for u in load.ledger.usage:
        exponent = Decimal(1).scaleb(-{"USD": 2, "JPY": 0, "KWD": 3}[u.currency])
        kept[u.currency] = kept.get(u.currency, Decimal(0)) + u.amount.quantize(exponent)
    for currency, amount in kept.items():
        credited = sum((c.amount for c in listed if c.currency == currency), Decimal(0))
        unattributed = credits.unattributed_total(currency)
        # one partner per subscription here, so recognising policies conserve amounts too
        assert credited + unattributed == amount
    try:
        import pyarrow  # noqa: F401
    except ImportError:  # pragma: no cover - the arrow extra is a test dependency
        return
    assert credits.to_arrow().num_rows == len(listed)


def test_arrow_text_and_dictionary_columns_arrive_as_codes() -> None:
    """Arrow string and dictionary columns (with nulls, in several chunks) give the same
    ledger as plain lists, through codes (``Coded``) rather than a string per row."""
    pa = pytest.importorskip("pyarrow")
    from partner_of_record._usage_input import _column
    from partner_of_record._usage_table import Coded

    subs = pa.chunked_array([["S1", "S1"], ["S1"]])
    services = pa.chunked_array([["VM", None], ["SQL"]]).dictionary_encode()
    table = pa.table(
        {
            "subscription_id": subs,
            "month": pa.chunked_array([[JAN, FEB], [dt.date(2024, 3, 1)]]),
            "amount": pa.chunked_array([["1.5", "2"], ["3"]]),
            "service": services,
        }
    )
    columns = _column(table)
    assert isinstance(columns["subscription_id"], Coded)
    assert columns["service"].tolist() == ["VM", None, "SQL"]
    ledger = Ledger.from_columns(**FACTS, usage=table)
    expected = Ledger.from_columns(
        **FACTS,
        usage={
            "subscription_id": ["S1", "S1", "S1"],
            "month": [JAN, FEB, dt.date(2024, 3, 1)],
            "amount": ["1.5", "2", "3"],
            "service": ["VM", None, "SQL"],
        },
    )
    assert list(ledger.usage) == list(expected.usage)
    assert ledger.usage_table().services == ("VM", None, "SQL")


@given(
    days=st.lists(
        st.one_of(
            st.dates(dt.date(1990, 1, 1), dt.date(2060, 12, 31)),
            st.sampled_from([JAN, FEB, dt.date(2024, 2, 29), None]),
        ),
        max_size=40,
    )
)
def test_first_days_of_months_are_found_column_wise(days: list[dt.date | None]) -> None:
    """A ``datetime64`` month column: each day is checked as the first of its month (``NaT``
    is not), whether the column spans few days (a table over its range) or many."""
    from partner_of_record._usage_input import _first_days

    column = np.array([np.datetime64("NaT") if d is None else d for d in days], "datetime64[D]")
    expected = [d is not None and d.day == 1 for d in days]
    assert _first_days(column).tolist() == expected


def test_a_sorted_usage_column_with_a_repeated_key_is_still_a_duplicate() -> None:
    """Rows in key order skip the sort, not the check: a repeated key is still rejected."""
    usage = {
        "subscription_id": np.array(["S1", "S1", "S1"], dtype=object),
        "month": np.array(["2024-01-01", "2024-02-01", "2024-02-01"], dtype="datetime64[D]"),
        "amount_minor": np.array([100, 200, 300]),
    }
    load = Ledger.from_columns(**FACTS, usage=usage, lenient=True)
    assert [(r.record.row, r.finding.code) for r in load.rejected] == [(2, "DUPLICATE_USAGE")]
    assert len(load.ledger.usage) == 2


@given(
    amounts=st.lists(st.integers(0, 10_000), min_size=0, max_size=6),
    index=st.integers(-8, 8),
    start=st.none() | st.integers(-8, 8),
    stop=st.none() | st.integers(-8, 8),
    step=st.sampled_from([None, 1, 2, -1, -3]),
)
def test_lazy_usage_records_index_slice_and_compare_as_their_tuple(
    amounts: list[int], index: int, start: int | None, stop: int | None, step: int | None
) -> None:
    """``ledger.usage`` made on access indexes, slices, iterates, compares and hashes as the
    tuple of its records; an index out of range names the row and the count."""
    months = [dt.date(2024, 1 + i, 1) for i in range(len(amounts))]
    usage = {"subscription_id": ["S1"] * len(amounts), "month": months, "amount": amounts}
    lazy = Ledger.from_columns(**FACTS, usage=usage).usage
    assert isinstance(lazy, UsageRecords)
    rows = tuple(lazy)
    assert len(lazy) == len(rows)
    assert lazy == rows
    assert lazy != (*rows, None)
    assert lazy != "not a sequence"
    assert hash(lazy) == hash(rows)
    assert lazy[start:stop:step] == rows[start:stop:step]
    if -len(rows) <= index < len(rows):
        assert lazy[index] == rows[index]
    else:
        with pytest.raises(
            IndexError, match=rf"^usage row {index} out of range \({len(rows)} rows\)$"
        ):
            lazy[index]
