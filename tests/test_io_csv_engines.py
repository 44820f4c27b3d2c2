"""``load_folder``'s two ways of splitting ``usage.csv``: pyarrow and the standard library.

The pyarrow path (issue 11) must give exactly what the standard path gives: the same rejects
(file, line, column, value, reason, code), the same tallies and warnings, the same ledger.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partner_of_record.io import LoadResult, load_folder
from partner_of_record.io import _arrow_csv as arrow_csv
from strategies import records

pytest.importorskip("pyarrow")

_COUNTER = itertools.count()
HEAD = {
    "partners.csv": "id,name\nP1,Contoso\nP2,Fabrikam\n",
    "customers.csv": "id,name\nC1,Northwind\n",
    "subscriptions.csv": "id,customer_id,workload\nS1,C1,Azure\nS2,C1,Azure\nS3,C1,Azure\n",
    "associations.csv": (
        "partner_id,subscription_id,kind,start,end\n"
        "P1,S1,PAL,2024-01-01,\nP2,S2,DPOR,2024-01-15,2024-06-01\n"
    ),
}
# cells without quotes, carriage returns or line breaks: files the pyarrow path reads itself
CELLS = {
    "subscription_id": ["S1", "S2", "S3", "S9", " S1", "S1 ", "", "'S1", "s1", "S\t2"],
    "month": [
        "2024-01",
        "2024-02-01",
        "2024-03",
        "01/02/2024",
        "25/01/2024",
        "2024-13",
        "Jan 2024",
        "",
        "٢٠٢٤-٠١",
        "9999-12",
        "2024-01-15",
    ],
    "amount": [
        "1.25",
        "-3",
        "0.005",
        "7",
        "x",
        "",
        "1e5",
        "NaN",
        "99999999999999999",
        "123456789012345.5",
        "12,50",
        "1" * 61,
        "-0",
        " 4.5",
        "1.123456789",
    ],
    "currency": ["USD", "usd", "JPY", "KWD", "XXY", "", "EUR ", "CLF"],
    "service": ["", "VM", " VM", "=1+1", "Storage", "é", "SQL DB", "-x", "VM "],
    "offer": ["", "trial", "nope", "Internal", "TRIAL"],
}


def _load(folder: Path, engine: str) -> LoadResult:
    return load_folder(folder, progress=False, csv_engine=engine)  # type: ignore[arg-type]


def _same(folder: Path) -> LoadResult:
    """Load ``folder`` both ways and check the results are equal; return the pyarrow one."""
    python = _load(folder, "python")
    arrow = _load(folder, "pyarrow")
    assert arrow.report.rejects == python.report.rejects
    assert arrow.report.files == python.report.files
    assert arrow.report.warnings == python.report.warnings
    assert list(arrow.ledger.usage) == list(python.ledger.usage)
    assert arrow.ledger == python.ledger
    return arrow


def _write(where: Path, files: dict[str, str | bytes]) -> Path:
    where.mkdir(parents=True)
    for name, text in files.items():
        path = where / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", newline="")
    return where


@st.composite
def usage_files(draw: st.DrawFn) -> tuple[str, bool]:
    """A usage.csv with random messy cells (and, sometimes, a row of the wrong width), and
    whether every row has the header's width."""
    columns = ["subscription_id", "month", "amount"]
    columns += [c for c in ("currency", "service", "offer") if draw(st.booleans())]
    delimiter = draw(st.sampled_from([",", ";"]))
    rows = draw(
        st.lists(
            st.fixed_dictionaries({c: st.sampled_from(CELLS[c]) for c in columns}),
            max_size=30,
        )
    )
    lines = [delimiter.join(columns)]
    lines += [delimiter.join(row[c] for c in columns) for row in rows]
    even = True
    if rows and draw(st.integers(0, 4)) == 0:
        lines[draw(st.integers(1, len(rows)))] += delimiter + "extra"
        even = False
    lines = [line for line in lines if line.strip(" \t")] or lines[:1]
    even = even and all(len(line.split(delimiter)) == len(columns) for line in lines)
    return "\n".join(lines) + draw(st.sampled_from(["\n", ""])), even


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file=usage_files())
def test_messy_usage_files_load_the_same_both_ways(
    tmp_path_factory: pytest.TempPathFactory, file: tuple[str, bool]
) -> None:
    """Random bad cells: pyarrow gives the standard path's rejects, tallies and ledger."""
    text, even = file
    folder = _write(
        tmp_path_factory.mktemp("engines") / str(next(_COUNTER)), {**HEAD, "usage.csv": text}
    )
    used: list[bool] = []
    read = arrow_csv.read_usage

    def spy(*args: Any) -> bool:
        used.append(read(*args))
        return used[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(arrow_csv, "read_usage", spy)
        _same(folder)
    blank_row = any(
        not "".join(line.split(";" if ";" in line else ",")).strip()
        for line in text.splitlines()[1:]
    )
    if even and not blank_row and "\n" in text:
        assert used == [True]  # the file is in the simple form: pyarrow read it


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=st.data())
def test_damaged_folders_load_the_same_both_ways(
    tmp_path_factory: pytest.TempPathFactory, files: st.DataObject
) -> None:
    """The fuzz campaign's damaged folders (quotes, encodings, line ends): the same results."""
    from fuzz.damage import damaged_folders

    drawn = files.draw(damaged_folders())
    folder = _write(tmp_path_factory.mktemp("damaged") / str(next(_COUNTER)), drawn)
    try:
        python = _load(folder, "python")
    except Exception as exc:
        with pytest.raises(type(exc)):
            _load(folder, "pyarrow")
        return
    arrow = _load(folder, "pyarrow")
    assert arrow.report == python.report
    assert arrow.ledger == python.ledger


def test_a_clean_file_is_read_by_pyarrow_with_the_same_rejects(tmp_path: Path) -> None:
    """Bad rows in a clean file: located rejects as the standard path gives them."""
    usage = (
        "subscription_id,month,amount,currency,service\n"
        "S1,2024-01,1.25,USD,VM\n"
        "S9,2024-01,2,USD,VM\n"
        "S1,2024-13,3,USD,VM\n"
        "S1,2024-01,1.25,USD,VM\n"
        "S1,2024-02,1.005,USD,VM\n"
        "S2,2024-02,99999999999999999,USD,VM\n"
        " S3,2024-02,7,jpy,\n"
    )
    folder = _write(tmp_path / "data", {**HEAD, "usage.csv": usage})
    result = _same(folder)
    assert [(r.line, r.column, r.code) for r in result.report.rejects] == [
        (3, "subscription_id", "UNKNOWN_SUBSCRIPTION"),
        (4, "month", "INVALID_VALUE"),
        (5, None, "DUPLICATE_ROW"),
    ]
    amounts = [str(u.amount) for u in result.ledger.usage]
    assert amounts == ["1.25", "1.005", "99999999999999999.00", "7"]


def test_an_amount_too_big_for_int64_cents_loads_exactly(tmp_path: Path) -> None:
    """17 digits of dollars: no overflow in the standard path's fast lane (it used to crash)."""
    usage = "subscription_id,month,amount\nS1,2024-01,99999999999999999.99\n"
    folder = _write(tmp_path / "data", {**HEAD, "usage.csv": usage})
    result = _load(folder, "python")
    assert [str(u.amount) for u in result.ledger.usage] == ["99999999999999999.99"]


def test_engine_names_are_checked(tmp_path: Path) -> None:
    """An unknown csv_engine is a ValueError naming the three choices."""
    folder = _write(tmp_path / "data", HEAD)
    with pytest.raises(ValueError, match="'auto', 'pyarrow' or 'python'"):
        load_folder(folder, progress=False, csv_engine="polars")  # type: ignore[arg-type]


def test_too_many_distinct_values_read_row_by_row_the_same(tmp_path: Path) -> None:
    """Past the per-value cache limit every row takes the ordinary path: same results."""
    usage = "subscription_id,month,amount,service\n" + "".join(
        f"S{1 + i % 3},2024-{1 + i % 12:02d},{i}.5,svc{i}\n" for i in range(40)
    )
    folder = _write(tmp_path / "data", {**HEAD, "usage.csv": usage})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(arrow_csv, "_MAX_DISTINCT", 5)
        result = _same(folder)
    assert len(result.ledger.usage) == 40


RECORD_CELLS = {
    "id": ["S1", "S2", "S3", " S4", "S5 ", "", "'S6", "S1", "s2", "=S7", "'=S8"],
    "customer_id": ["C1", "C1", "C2", " C1", "", "C1 ", "'C1"],
    "workload": ["Azure", "azure", "Microsoft Azure", "Dynamics 365", "", "Nope", " Azure"],
    "name": ["", "Main", " Main", "é", "=1+1"],
    "offer": ["", "trial", "nope", "Internal"],
}


@st.composite
def subscription_files(draw: st.DrawFn) -> str:
    """A subscriptions.csv with random messy cells (ids repeated, unknown customers, bad
    workloads, empty required cells, escaped formulas)."""
    columns = ["id", "customer_id", "workload"]
    columns += [c for c in ("name", "offer") if draw(st.booleans())]
    delimiter = draw(st.sampled_from([",", ";"]))
    rows = draw(
        st.lists(
            st.fixed_dictionaries({c: st.sampled_from(RECORD_CELLS[c]) for c in columns}),
            max_size=20,
        )
    )
    lines = [delimiter.join(columns)]
    lines += [delimiter.join(row[c] for c in columns) for row in rows]
    return "\n".join(lines) + draw(st.sampled_from(["\n", ""]))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=subscription_files(), partners=st.sampled_from(["", " P1", "P1\nP1", "P1\n'P2"]))
def test_messy_record_files_load_the_same_both_ways(
    tmp_path_factory: pytest.TempPathFactory, text: str, partners: str
) -> None:
    """Random bad cells in the record files: pyarrow's column reading of partners, customers
    and subscriptions gives the standard path's rejects, tallies and records."""
    files = {
        **HEAD,
        "partners.csv": "id,name\nP1,Contoso\n" + "".join(f"{p},X\n" for p in partners.split("\n")),
        "subscriptions.csv": text,
        "usage.csv": "subscription_id,month,amount\nS1,2024-01,10.00\nS2,2024-01,5.00\n",
    }
    folder = _write(tmp_path_factory.mktemp("records") / str(next(_COUNTER)), files)
    python = _load(folder, "python")
    arrow = _same(folder)
    assert arrow.ledger.subscriptions == python.ledger.subscriptions
    assert arrow.ledger.partners == python.ledger.partners


def test_a_clean_subscriptions_file_is_read_by_columns(tmp_path: Path) -> None:
    """A clean subscriptions file takes the column path (every row built, no per-row check)
    and gives the standard path's ledger; one repeated id sends it row by row, same rejects."""
    from partner_of_record.io import _arrow_records

    rows = "".join(f"S{i},C1,Azure\n" for i in range(50))
    clean = _write(
        tmp_path / "clean", {**HEAD, "subscriptions.csv": "id,customer_id,workload\n" + rows}
    )
    used: list[tuple[str, bool]] = []
    read = _arrow_records.read_records

    def spy(*args: Any) -> bool:
        used.append((args[1].name, read(*args)))
        return used[-1][1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_arrow_records, "read_records", spy)
        assert len(_same(clean).ledger.subscriptions) == 50
        repeated = _write(
            tmp_path / "repeated",
            {**HEAD, "subscriptions.csv": "id,customer_id,workload\n" + rows + "S7,C1,Azure\n"},
        )
        report = _same(repeated).report
    assert [done for name, done in used if name == "subscriptions"] == [True, True]
    assert [(r.line, r.code) for r in report.rejects] == [(52, "DUPLICATE_ROW")]


ASSOCIATION_CELLS = {
    "partner_id": ["P1", "P2", "P9", " P1", ""],
    "subscription_id": ["S1", "S2", "S3", "S9", "S1 "],
    "kind": ["PAL", "DPOR", "dpor", "CSP Tier 1", "Nope", ""],
    "start": ["2024-01-01", "2024-03-15", "01/02/2024", "25/01/2024", "2024-13-01", ""],
    "end": ["", "2024-06-01", "2023-01-01", "06/30/2024", "x"],
}
SEAT_CELLS = {
    "subscription_id": ["S1", "S2", "S9", ""],
    "month": ["2024-01", "2024-02-01", "02/01/2024", "2024-02-15", ""],
    "paid_seats": ["", "10", "1,000", "-1", "x"],
}


@st.composite
def record_rows(draw: st.DrawFn, cells: dict[str, list[str]]) -> str:
    """A file of the columns of ``cells`` (some optional ones left out) with random cells."""
    columns = [c for i, c in enumerate(cells) if i < 3 or draw(st.booleans())]
    rows = draw(
        st.lists(
            st.fixed_dictionaries({c: st.sampled_from(cells[c]) for c in columns}), max_size=15
        )
    )
    lines = [",".join(columns)] + [",".join(row[c] for c in columns) for row in rows]
    return "\n".join(lines) + "\n"


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    associations=record_rows(ASSOCIATION_CELLS),
    seats=record_rows(SEAT_CELLS),
    order=st.sampled_from([None, "dmy"]),
)
def test_messy_association_and_seat_files_load_the_same_both_ways(
    tmp_path_factory: pytest.TempPathFactory, associations: str, seats: str, order: str | None
) -> None:
    """Association and seat files (dates read by their column's proof, counts, kinds,
    repeated rows and keys, unknown references): pyarrow's column reading gives the standard
    path's rejects, tallies and ledger."""
    files = {**HEAD, "associations.csv": associations, "seats.csv": seats}
    folder = _write(tmp_path_factory.mktemp("assocs") / str(next(_COUNTER)), files)
    python = load_folder(folder, progress=False, csv_engine="python", date_order=order)  # type: ignore[arg-type]
    arrow = load_folder(folder, progress=False, csv_engine="pyarrow", date_order=order)  # type: ignore[arg-type]
    assert arrow.report == python.report
    assert arrow.ledger == python.ledger
    assert arrow.ledger.associations == python.ledger.associations


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=records(), data=st.data())
def test_the_column_path_s_maker_builds_the_constructor_s_records(
    record: Any, data: st.DataObject
) -> None:
    """``_arrow_records._maker`` (records set field by field, checks run once per distinct
    value) makes records equal to the constructor's, same hash and fields, with the defaults of
    the fields left empty or without a column; it declines a class whose constructor converts
    (``Usage``) and a required field without a column."""
    import attrs

    from partner_of_record.io._arrow_records import _ABSENT, _maker

    record_type = type(record)
    fields = attrs.fields(record_type)
    columns = [a.name for a in fields if data.draw(st.booleans(), label=f"{a.name} has a column")]
    make = _maker(record_type, columns)
    required = {a.name for a in fields if a.default is attrs.NOTHING}
    if any(a.converter is not None for a in fields) or not required <= set(columns):
        assert make is None
        return
    assert make is not None
    values = attrs.asdict(record, recurse=False)
    cells = tuple(
        values[n] if n in required or data.draw(st.booleans(), label=f"{n} filled") else _ABSENT
        for n in columns
    )
    built = make(cells)
    expected = record_type(
        **{n: v for n, v in zip(columns, cells, strict=True) if v is not _ABSENT}
    )
    assert type(built) is record_type
    assert built == expected
    assert hash(built) == hash(expected)
    assert repr(built) == repr(expected)


def test_a_missing_extra_is_named_in_one_message_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without pyarrow, ``csv_engine="pyarrow"`` and Parquet raise an ``ImportError`` naming
    the ``arrow`` extra (``_extras.require``), and ``"auto"`` reads with the standard library."""
    import sys

    from partner_of_record._extras import require
    from partner_of_record.io._usage_columns import pyarrow_parquet

    for name in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.setitem(sys.modules, name, None)
    folder = _write(tmp_path / "data", HEAD)
    with pytest.raises(ImportError) as raised:
        load_folder(folder, progress=False, csv_engine="pyarrow")
    assert str(raised.value) == (
        "csv_engine='pyarrow' needs pyarrow: pip install pyarrow (the [arrow] extra)"
    )
    with pytest.raises(ImportError) as raised:
        pyarrow_parquet()
    assert str(raised.value) == "Parquet needs pyarrow: pip install pyarrow (the [arrow] extra)"
    assert load_folder(folder, progress=False).report.ok
    with pytest.raises(
        ImportError, match=r"^X needs pyarrow: pip install pyarrow \(the \[a\] extra\)$"
    ):
        require("pyarrow.compute", "a", "X")
    assert require("json", "a", "X") is sys.modules["json"]
