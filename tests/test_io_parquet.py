"""Usage as Parquet (the arrow extra): write_parquet, and load_folder reading usage.parquet."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partner_of_record import (
    Customer,
    Ledger,
    OfferCategory,
    Partner,
    Subscription,
    Usage,
    Workload,
)
from partner_of_record.io import export_folder, load_folder, write_parquet

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _ledger() -> Ledger:
    return Ledger(
        partners=[Partner("P1")],
        customers=[Customer("C1")],
        subscriptions=[Subscription("S1", "C1", Workload.AZURE)],
        usage=[
            Usage("S1", dt.date(2024, 1, 1), Decimal("12.50")),
            Usage("S1", dt.date(2024, 2, 1), Decimal("-3.125"), "EUR", service="SQL"),
            Usage("S1", dt.date(2024, 3, 1), Decimal("700"), "JPY", offer=OfferCategory.TRIAL),
        ],
    )


def test_usage_parquet_round_trips(tmp_path: Path) -> None:
    """export_folder + write_parquet(usage.parquet) without usage.csv loads the same ledger."""
    ledger = _ledger()
    export_folder(ledger, tmp_path)
    (tmp_path / "usage.csv").unlink()
    assert write_parquet(ledger, tmp_path / "usage.parquet") == 3
    result = load_folder(tmp_path, progress=False)
    assert result.report.ok, result.report
    assert result.ledger == ledger
    (summary,) = [f for f in result.report.files if f.record_type == "usage"]
    assert (summary.read, summary.accepted, summary.lines) == (3, 3, None)


def test_bad_parquet_rows_are_located_by_row_number(tmp_path: Path) -> None:
    """A Parquet row the model refuses, or that names no subscription, is a reject at its row."""
    export_folder(_ledger(), tmp_path)
    (tmp_path / "usage.csv").unlink()
    table = pa.table(
        {
            "Subscription ID": ["S1", "S9", "S1"],
            "month": [dt.date(2024, 1, 1), dt.date(2024, 1, 1), dt.date(2024, 1, 15)],
            "amount": ["1.00", "2.00", "3.00"],
        }
    )
    pq.write_table(table, tmp_path / "usage.parquet")
    report = load_folder(tmp_path, progress=False).report
    assert sorted((r.line, r.code) for r in report.rejects) == [
        (2, "UNKNOWN_SUBSCRIPTION"),
        (3, "INVALID_VALUE"),
    ]
    (summary,) = [f for f in report.files if f.record_type == "usage"]
    assert (summary.read, summary.accepted, summary.rejected) == (3, 1, 2)


def test_write_parquet_refuses_other_values(tmp_path: Path) -> None:
    """write_parquet of something that is neither a ledger nor has to_arrow() is a TypeError."""
    with pytest.raises(TypeError, match="to_arrow"):
        write_parquet(object(), tmp_path / "x.parquet")


_PLAIN_AMOUNT = re.compile(r"-?[0-9]{1,14}(\.[0-9]{1,17})?")


@settings(deadline=None)
@given(
    amounts=st.lists(
        st.one_of(
            st.from_regex(r"\A-?[0-9]{1,16}(\.[0-9]{0,6})?\Z"),
            st.sampled_from(["", "-", ".5", "1.", "1e3", " 1", "1,5", "--1", "0.000"]),
        ),
        min_size=1,
        max_size=12,
    ),
    digits=st.lists(st.sampled_from([0, 2, 3, 4]), min_size=12, max_size=12),
)
def test_plain_text_amounts_become_exact_minor_units(amounts: list[str], digits: list[int]) -> None:
    """Text amounts in minor units: the exact value scaled by the currency's digits when every
    amount is plain with no more decimals than its currency, else ``None`` (the ledger reads
    them one by one)."""
    import numpy as np
    import pyarrow.compute as pc

    from partner_of_record.io._usage_columns import _chunk_minor_units

    exps = np.array(digits[: len(amounts)], dtype=np.int64)
    found = _chunk_minor_units(pa.array(amounts, pa.string()), exps, pc)
    plain = all(
        _PLAIN_AMOUNT.fullmatch(a) and len(a.partition(".")[2]) <= e
        for a, e in zip(amounts, exps.tolist(), strict=True)
    )
    if not plain:
        assert found is None
        return
    expected = [int(Decimal(a).scaleb(e)) for a, e in zip(amounts, exps.tolist(), strict=True)]
    assert found is not None
    assert found.tolist() == expected
