"""Regression tests of issue 18 (nothing lost, nothing invented) and the loaders' items of issue 17.

Each test is built from the reproducer a user hit: the CSV or JSON as written, the call as made.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partner_of_record.cli import main
from partner_of_record.errors import ValidationError
from partner_of_record.io import DataFileError, load_folder, load_json
from partner_of_record.io.columns import parse_amount, parse_date, parse_month
from partner_of_record.io.csv_import import CellError
from partner_of_record.io.export import escape_formula, export_folder, write_rejects_csv
from partner_of_record.ledger import Ledger
from partner_of_record.model import (
    Customer,
    OfferCategory,
    Partner,
    Subscription,
    Usage,
    Workload,
)

HEAD = {
    "partners.csv": "id,name\nP1,Contoso\nP2,Fabrikam\n",
    "customers.csv": "id,name\nC1,Northwind\n",
    "subscriptions.csv": "id,customer_id,workload\nS1,C1,Azure\n",
}


def folder(tmp_path: Path, **files: str | bytes) -> Path:
    """A folder with partners, customers and one subscription S1, plus ``files``."""
    out = tmp_path / "data"
    out.mkdir()
    for name, text in {**HEAD, **{k.replace("_", ".", 1): v for k, v in files.items()}}.items():
        path = out / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", newline="")
    return out


def summary(report: object, name: str) -> tuple[int | None, int, int, int]:
    """``(lines, read, accepted, rejected)`` of the file called ``name``."""
    (found,) = [f for f in report.files if f.file.endswith(name)]  # type: ignore[attr-defined]
    return found.lines, found.read, found.accepted, found.rejected


# --------------------------------------------------------------------------------------------
# 1. rows swallowed into a quoted cell

SWALLOWED = (
    "subscription_id,month,amount,service\n"
    'S1,2024-01,100.00,"Virtual Machines\n'
    "S1,2024-02,200.00,Storage\n"
    'S1,2024-03,300.00,SQL"\n'
    "S1,2024-04,1.00,Backup\n"
)


def test_rows_swallowed_by_a_stray_quote_are_rejected_with_their_lines(tmp_path: Path) -> None:
    """A quoted cell spanning lines that hold rows is a MULTILINE_CELL reject naming lines 2-4."""
    report = load_folder(folder(tmp_path, usage_csv=SWALLOWED), progress=False).report
    assert not report.ok
    (reject,) = report.rejects
    assert (reject.line, reject.column, reject.code) == (2, "service", "MULTILINE_CELL")
    assert "lines 2-4" in reject.reason
    assert summary(report, "usage.csv") == (5, 2, 1, 1)  # 5 physical lines, 2 records


def test_multiline_option_accepts_the_cell(tmp_path: Path) -> None:
    """With multiline=True the same file loads: one cell holding line breaks, nothing rejected."""
    result = load_folder(folder(tmp_path, usage_csv=SWALLOWED), progress=False, multiline=True)
    assert result.report.ok
    assert [u.amount for u in result.ledger.usage] == [Decimal("100.00"), Decimal("1.00")]


def test_a_real_multiline_name_is_still_read(tmp_path: Path) -> None:
    """A quoted cell with a line break but no row-shaped text (an address) is read as before."""
    data = folder(tmp_path, customers_csv='id,name\nC1,"Northwind\nTraders"\n')
    result = load_folder(data, progress=False)
    assert result.report.ok
    assert result.ledger.customers[0].name == "Northwind\nTraders"
    assert summary(result.report, "customers.csv") == (3, 1, 1, 0)


def test_quote_never_closed_names_the_lines_it_covers(tmp_path: Path) -> None:
    """A quote opened and never closed is one MALFORMED_ROW whose reason names lines 2-4."""
    text = 'subscription_id,month,amount\nS1,2024-01,"100.00\nS1,2024-02,1\nS1,2024-03,2\n'
    report = load_folder(folder(tmp_path, usage_csv=text), progress=False).report
    (reject,) = report.rejects
    assert (reject.line, reject.code) == (2, "MALFORMED_ROW")
    assert "lines 2-4" in reject.reason


# --------------------------------------------------------------------------------------------
# 2. whole files that were counted as nothing

USAGE = "subscription_id,month,amount\r\nS1,2024-01,100.00\r\nS1,2024-02,200.00\r\n"


@pytest.mark.parametrize(
    ("encoded", "what"),
    [
        (USAGE.encode("utf-16"), "UTF-16 with BOM (Excel Unicode Text)"),
        (USAGE.encode("utf-16-le"), "UTF-16 LE without BOM"),
        (USAGE.encode("utf-16-be"), "UTF-16 BE without BOM"),
        (b"\xef\xbb\xbf" + USAGE.encode(), "UTF-8 with BOM"),
        (USAGE.replace("\r\n", "\r").encode(), "CR-only line ends (Excel for Mac)"),
        (b"\xef\xbb\xbf\r\n" + USAGE.encode(), "BOM then a blank line"),
        (b"\r\n\r\n" + USAGE.encode(), "blank lines before the header"),
    ],
)
def test_files_excel_writes_are_read(tmp_path: Path, encoded: bytes, what: str) -> None:
    """UTF-16, UTF-8 with BOM, CR-only ends and blank lines before the header all read fully."""
    result = load_folder(folder(tmp_path, usage_csv=encoded), progress=False)
    assert result.report.ok, (what, str(result.report))
    assert [u.amount for u in result.ledger.usage] == [Decimal("100.00"), Decimal("200.00")]


def test_cr_only_file_keeps_its_line_numbers(tmp_path: Path) -> None:
    """In a CR-only file a bad row is reported at its physical line."""
    text = "subscription_id,month,amount\rS1,2024-01,1\rS1,2024-02,lots\r"
    report = load_folder(folder(tmp_path, usage_csv=text), progress=False).report
    assert [(r.line, r.column) for r in report.rejects] == [(3, "amount")]
    assert summary(report, "usage.csv") == (3, 2, 1, 1)


def test_blank_file_is_a_located_reject(tmp_path: Path) -> None:
    """A file of blank lines (or a lone BOM) is an EMPTY_FILE reject at line 1: report.ok False."""
    report = load_folder(folder(tmp_path, usage_csv=b"\xef\xbb\xbf\r\n\r\n"), progress=False).report
    assert [(r.line, r.code) for r in report.rejects] == [(1, "EMPTY_FILE")]
    assert not report.ok


def test_json_list_instead_of_object_is_a_located_error() -> None:
    """A JSON list where the facts object is expected raises DataFileError at its line."""
    with pytest.raises(DataFileError, match="is a JSON list") as info:
        load_json('\n\n[{"id": "P1"}]')
    assert info.value.line == 3


def test_json_list_key_holding_an_object_is_counted_and_rejected() -> None:
    """``"usage": {...}`` is one rejected entry at its line, not ``read=0 rejected=0``."""
    report = load_json('{"partners": [{"id": "P1"}],\n "usage": {"x": 1}}').report
    assert [(r.file, r.line, r.code) for r in report.rejects] == [
        ("<json>#usage", 2, "MALFORMED_ROW")
    ]
    assert [(f.read, f.rejected) for f in report.files if f.record_type == "usage"] == [(1, 1)]


# --------------------------------------------------------------------------------------------
# CLI: every command that loads data stops on rejects unless --allow-rejects


COMMANDS = {
    "attribute": [],
    "evaluate": ["--partner", "P1", "--competency", "CLOUD_PLATFORM_GOLD", "--as-of", "2024-06-30"],
    "report": ["--partner", "P1", "--competency", "CLOUD_PLATFORM_GOLD", "--as-of", "2024-06-30"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_commands_exit_2_with_the_report_when_rows_are_rejected(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """attribute/evaluate/report print the load report on stderr and exit 2 on any reject."""
    data = folder(tmp_path, usage_csv="subscription_id,month,amount\nS1,2024-01,lots\n")
    assert main([command, str(data), *COMMANDS[command]]) == 2
    err = capsys.readouterr().err
    assert "usage.csv:2: column 'amount' value 'lots'" in err
    assert "--allow-rejects" in err


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_file_level_reject_also_stops_the_command(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file rejected as a whole (no row counted) still exits 2: report.ok is what counts."""
    data = folder(tmp_path, usage_csv=b"")
    assert main([command, str(data), *COMMANDS[command]]) == 2
    assert "EMPTY_FILE" in capsys.readouterr().err


def test_allow_rejects_goes_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--allow-rejects goes on with the accepted rows and one warning line."""
    data = folder(
        tmp_path, usage_csv="subscription_id,month,amount\nS1,2024-01,lots\nS1,2024-02,5\n"
    )
    assert main(["attribute", str(data), "--allow-rejects"]) == 0
    assert "1 row(s)" in capsys.readouterr().err


def test_cli_reading_options_reach_the_loader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--date-order, --decimal, --inclusive-end and --multiline are the loader's options."""
    data = folder(
        tmp_path,
        associations_csv="partner_id,subscription_id,kind,start,end\nP1,S1,PAL,01/02/2024,\n",
        usage_csv='subscription_id,month,amount\nS1,2024-01,"12,50"\n',
    )
    assert main(["validate", str(data)]) == 2
    capsys.readouterr()
    assert main(["validate", str(data), "--date-order", "dmy", "--decimal", ","]) == 0


# --------------------------------------------------------------------------------------------
# 3 and 5. amounts and months out of range, non-ASCII digits


@pytest.mark.parametrize(
    ("amount", "fragment"),
    [
        ("1e10000000", "too large"),
        ("1" * 61, "too large"),
        ("1" * 31, "too large"),
        ("0." + "1" * 31, "too many decimals"),
        ("1e-31", "too many decimals"),
        ("1e١٢", "not an amount"),
        ("١٢", "not an amount"),
    ],
)
def test_amounts_out_of_range_are_located_rejects(
    tmp_path: Path, amount: str, fragment: str
) -> None:
    """Huge exponents, 61-digit amounts and non-ASCII digits are rejected at their cell."""
    data = folder(tmp_path, usage_csv=f"subscription_id,month,amount\nS1,2024-01,{amount}\n")
    (reject,) = load_folder(data, progress=False).report.rejects
    assert (reject.line, reject.column) == (2, "amount")
    assert fragment in reject.reason


@pytest.mark.parametrize("amount", ["1e10000000", "1" * 61, Decimal("1e-31"), "١٢"])
def test_usage_constructor_refuses_amounts_out_of_range(amount: object) -> None:
    """``Usage(...)`` refuses the same amounts with a ValidationError naming the field."""
    with pytest.raises(ValidationError) as info:
        Usage("S1", dt.date(2024, 1, 1), amount)  # type: ignore[arg-type]
    assert info.value.field == "amount"


def test_largest_allowed_amounts_are_accepted() -> None:
    """30 digits before and 30 after the point are within range (the documented bound)."""
    big = Decimal("9" * 30 + "." + "9" * 30)
    assert Usage("S1", dt.date(2024, 1, 1), big).amount == big
    assert parse_amount("-" + "9" * 30)[0] == Decimal("-" + "9" * 30)


def test_month_without_a_next_month_is_refused(tmp_path: Path) -> None:
    """9999-12 is a located reject and refused by Usage (its end is not a date)."""
    data = folder(tmp_path, usage_csv="subscription_id,month,amount\nS1,9999-12,1\n")
    (reject,) = load_folder(data, progress=False).report.rejects
    assert (reject.line, reject.column) == (2, "month")
    with pytest.raises(ValidationError, match="9999-11"):
        Usage("S1", dt.date(9999, 12, 1), "1")


@pytest.mark.parametrize("text", ["٢٠٢٤-٠١", "٢٠٢٤-٠١-٠١", "1/١/2024"])
def test_dates_with_non_ascii_digits_are_refused(text: str) -> None:
    """Arabic-Indic (or any non-ASCII) digits are not read as a date or month."""
    with pytest.raises(CellError):
        parse_month(text)


# --------------------------------------------------------------------------------------------
# 6 and 7. documented errors only; one reject per bad cell; JSON rejects keep line and key


def test_load_json_deep_nesting_is_a_data_file_error() -> None:
    """Deeply nested JSON raises DataFileError, not RecursionError."""
    with pytest.raises(DataFileError, match="nested too deeply"):
        load_json('{"usage": [' + "[" * 100_000 + "]" * 100_000 + "]}")


def test_json_nan_is_located_at_its_line_and_key() -> None:
    """A NaN amount on line 7 is one reject at line 7, column 'amount'; the others load."""
    text = (
        '{\n"partners": [],\n"customers": [{"id": "C1"}],\n'
        '"subscriptions": [{"id": "S1", "customer_id": "C1", "workload": "azure"}],\n'
        '"usage": [\n{"subscription_id": "S1", "month": "2024-01-01", "amount": "1"},\n'
        '{"subscription_id": "S1", "month": "2024-02-01", "amount": NaN}\n]}'
    )
    result = load_json(text)
    assert [(r.line, r.column, r.value) for r in result.report.rejects] == [(7, "amount", "NaN")]
    assert len(result.ledger.usage) == 1


def test_json_unknown_key_is_named() -> None:
    """An unknown key in an item is the reject's column, at the key's line."""
    text = '{"partners": [\n{"id": "P1",\n "colour": "red"}]}'
    (reject,) = load_json(text).report.rejects
    assert (reject.line, reject.column, reject.value) == (3, "colour", "red")


def test_currency_conflict_does_not_hide_other_bad_cells(tmp_path: Path) -> None:
    """A row with a bad month and a currency conflict gives one reject per bad cell."""
    text = "subscription_id,month,amount,currency\nS1,2024-13,£12,EUR\n"
    report = load_folder(folder(tmp_path, usage_csv=text), progress=False).report
    assert [(r.line, r.column) for r in report.rejects] == [(2, "month"), (2, "amount")]
    assert summary(report, "usage.csv")[1:] == (1, 0, 1)


def test_model_refusals_are_reported_next_to_cell_errors(tmp_path: Path) -> None:
    """A month the model refuses (not a first) is reported even when another cell fails too."""
    text = "subscription_id,month,amount\nS1,2024-01-15,lots\n"
    report = load_folder(folder(tmp_path, usage_csv=text), progress=False).report
    assert [r.column for r in report.rejects] == ["month", "amount"]


@pytest.mark.parametrize(
    "content",
    [b'{"intermediate_certifications": 3, "x": "caf\xe9"}', b"[" * 100_000 + b"]" * 100_000],
)
def test_cli_skills_file_errors_exit_2_without_traceback(
    tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    """A skills file in Latin-1 or nested too deeply is exit 2 with one error line."""
    data = folder(tmp_path, usage_csv="subscription_id,month,amount\nS1,2024-01,1\n")
    skills = tmp_path / "skills.json"
    skills.write_bytes(content)
    assert main(["evaluate", str(data), *COMMANDS["evaluate"], "--skills", str(skills)]) == 2
    err = capsys.readouterr().err
    assert "skills file" in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------------------------
# 8. CSV formula injection


def test_export_escapes_formulas_and_round_trips(tmp_path: Path) -> None:
    """A partner named '=HYPERLINK(...)' is written as text and read back unchanged."""
    ledger = Ledger(
        partners=[Partner("P1", '=HYPERLINK("http://x","y")'), Partner("P2", "@SUM(A1)")],
        customers=[Customer("C1", "+1 555")],
        subscriptions=[Subscription("S1", "C1", Workload.AZURE)],
        usage=[Usage("S1", dt.date(2024, 1, 1), "-12.50", service="-legacy")],
    )
    export_folder(ledger, tmp_path / "out")
    text = (tmp_path / "out" / "partners.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text
    assert "'@SUM" in text
    usage = (tmp_path / "out" / "usage.csv").read_text(encoding="utf-8")
    assert ",-12.50," in usage  # a negative amount is a number, not a formula
    assert ",'-legacy," in usage
    assert load_folder(tmp_path / "out", progress=False).ledger == ledger


def test_raw_option_writes_cells_unchanged(tmp_path: Path) -> None:
    """escape_formulas=False writes the cells as they are."""
    ledger = Ledger(partners=[Partner("P1", "=1+1")])
    export_folder(ledger, tmp_path, escape_formulas=False)
    assert "P1,=1+1" in (tmp_path / "partners.csv").read_text(encoding="utf-8")


def test_rejects_file_does_not_repeat_a_formula(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The rejects file (library and ``validate --rejects``) escapes the offending input."""
    data = folder(tmp_path, usage_csv='subscription_id,month,amount\nS1,2024-01,"=1+1"\n')
    report = load_folder(data, progress=False).report
    out = io.StringIO()
    write_rejects_csv(report.rejects, out)
    (row,) = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["value"] == "'=1+1"
    rejects = tmp_path / "rejects.csv"
    assert main(["validate", str(data), "--rejects", str(rejects)]) == 2
    assert "'=1+1" in rejects.read_text(encoding="utf-8")


_TRICKY = st.text(
    alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "1", ".", "a", " ", ",", '"']),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(names=st.lists(_TRICKY, min_size=1, max_size=4))
def test_escape_then_import_round_trips_any_text(
    tmp_path_factory: object, names: list[str]
) -> None:
    """Law: export (escaped) then import gives back every name exactly, formula-like or not."""
    tmp = tmp_path_factory.mktemp("rt")
    ledger = Ledger(partners=[Partner(f"P{i}", name) for i, name in enumerate(names)])
    export_folder(ledger, tmp)
    assert [p.name for p in load_folder(tmp, progress=False).ledger.partners] == names


@given(text=_TRICKY)
def test_escaped_cell_never_starts_a_formula(text: str) -> None:
    """Law: an escaped cell starts with a formula character only when it is a plain number."""
    escaped = escape_formula(text)
    if escaped[:1] in ("=", "+", "-", "@", "\t", "\r"):
        Decimal(escaped)  # a plain number such as -12.5: spreadsheets read it as a number


# --------------------------------------------------------------------------------------------
# issue 17: ambiguous dates, inclusive ends, decimal comma; issue 12: the usage offer column

ASSOCIATIONS = "partner_id,subscription_id,kind,start,end\n"


def test_ambiguous_slash_date_is_refused(tmp_path: Path) -> None:
    """01/02/2024 with nothing to decide the order is a located reject, never 2 January."""
    data = folder(tmp_path, associations_csv=ASSOCIATIONS + "P1,S1,PAL,01/02/2024,\n")
    (reject,) = load_folder(data, progress=False).report.rejects
    assert (reject.line, reject.column) == (2, "start")
    assert "ambiguous" in reject.reason


@pytest.mark.parametrize(
    ("order", "day"), [("mdy", dt.date(2024, 1, 2)), ("dmy", dt.date(2024, 2, 1))]
)
def test_declared_date_order_reads_it(tmp_path: Path, order: str, day: dt.date) -> None:
    """date_order='mdy'/'dmy' reads 01/02/2024 as 2 January / 1 February."""
    data = folder(tmp_path, associations_csv=ASSOCIATIONS + "P1,S1,PAL,01/02/2024,\n")
    result = load_folder(data, progress=False, date_order=order)  # type: ignore[arg-type]
    assert result.ledger.associations[0].start == day


def test_column_proves_the_order(tmp_path: Path) -> None:
    """Another row of the column with 25/01/2024 proves day-first: 01/02/2024 is 1 February."""
    text = ASSOCIATIONS + "P1,S1,PAL,01/02/2024,\nP2,S1,PAL,25/01/2024,\n"
    result = load_folder(folder(tmp_path, associations_csv=text), progress=False)
    assert result.report.ok, result.report
    starts = sorted(a.start for a in result.ledger.associations)
    assert starts == [dt.date(2024, 1, 25), dt.date(2024, 2, 1)]


def test_column_mixing_orders_is_refused(tmp_path: Path) -> None:
    """A column with 25/01/2024 and 01/25/2024 proves nothing: its slash dates are refused."""
    text = ASSOCIATIONS + "P1,S1,PAL,25/01/2024,\nP2,S1,PAL,01/25/2024,\n"
    report = load_folder(folder(tmp_path, associations_csv=text), progress=False).report
    assert [r.line for r in report.rejects] == [2, 3]
    assert all("mixes" in r.reason for r in report.rejects)


def test_iso_dates_are_always_accepted(tmp_path: Path) -> None:
    """ISO dates read whatever the declared order."""
    data = folder(tmp_path, associations_csv=ASSOCIATIONS + "P1,S1,PAL,2024-01-02,\n")
    for order in (None, "mdy", "dmy"):
        result = load_folder(data, progress=False, date_order=order)  # type: ignore[arg-type]
        assert result.ledger.associations[0].start == dt.date(2024, 1, 2)


def test_month_column_reads_the_first_of_month_reading() -> None:
    """In a month column 3/1/2024 is March (3 January is not a month); 1/1/2024 is January."""
    assert parse_month("3/1/2024") == dt.date(2024, 3, 1)
    assert parse_month("1/3/2024") == dt.date(2024, 3, 1)
    assert parse_month("1/1/2024") == dt.date(2024, 1, 1)
    with pytest.raises(CellError, match="ambiguous"):
        parse_date("3/1/2024")


def test_inclusive_end_dates(tmp_path: Path) -> None:
    """With inclusive_end=True an end 2024-06-14 is the last day: the model's end is 06-15."""
    text = ASSOCIATIONS + "P1,S1,DPOR,2024-01-01,2024-06-14\nP2,S1,DPOR,2024-06-15,\n"
    data = folder(tmp_path, associations_csv=text)
    result = load_folder(data, progress=False, inclusive_end=True)
    assert result.report.ok, result.report
    ends = {a.partner_id: a.end for a in result.ledger.associations}
    assert ends == {"P1": dt.date(2024, 6, 15), "P2": None}
    assert load_folder(data, progress=False).ledger.associations[0].end == dt.date(2024, 6, 14)


def test_decimal_comma_in_semicolon_file(tmp_path: Path) -> None:
    """A ;-delimited file reads 1.234,50 and 12,50; an ambiguous 1.234 is refused."""
    text = "subscription_id;month;amount\nS1;2024-01;1.234,50\nS1;2024-02;12,50\nS1;2024-03;1.234\n"
    result = load_folder(folder(tmp_path, usage_csv=text), progress=False)
    assert [u.amount for u in result.ledger.usage] == [Decimal("1234.50"), Decimal("12.50")]
    assert [(r.line, r.column) for r in result.report.rejects] == [(4, "amount")]
    (tmp_path / "x").mkdir()
    declared = load_folder(folder(tmp_path / "x", usage_csv=text), progress=False, decimal=",")
    assert declared.report.ok
    assert declared.ledger.usage[2].amount == Decimal("1234")


def test_decimal_comma_never_guessed_in_comma_file(tmp_path: Path) -> None:
    """In a ,-delimited file "12,50" is refused unless decimal=',' is declared."""
    text = 'subscription_id,month,amount\nS1,2024-01,"12,50"\n'
    data = folder(tmp_path, usage_csv=text)
    (reject,) = load_folder(data, progress=False).report.rejects
    assert "decimal comma" in reject.reason
    assert load_folder(data, progress=False, decimal=",").ledger.usage[0].amount == Decimal("12.50")


def test_usage_offer_column_round_trips(tmp_path: Path) -> None:
    """The usage file's offer column (alias 'Offer Category') fills Usage.offer, and exports."""
    text = (
        "Subscription ID,Usage Month,Amount,Offer Category\n"
        "S1,2024-01,5,Free trial\nS1,2024-02,6,\n"
    )
    result = load_folder(folder(tmp_path, usage_csv=text), progress=False)
    assert [u.offer for u in result.ledger.usage] == [OfferCategory.TRIAL, None]
    export_folder(result.ledger, tmp_path / "out")
    assert load_folder(tmp_path / "out", progress=False).ledger == result.ledger
    document = json.loads(
        json.dumps({"usage": [{"subscription_id": "S1", "month": "2024-01-01", "amount": "1"}]})
    )
    document["usage"][0]["offer"] = "trial"
    document |= {
        "customers": [{"id": "C1"}],
        "subscriptions": [{"id": "S1", "customer_id": "C1", "workload": "azure"}],
    }
    assert load_json(json.dumps(document)).ledger.usage[0].offer is OfferCategory.TRIAL


# --------------------------------------------------------------------------------------------
# issue 11: usage read into columns keeps the per-row path's rejects


def test_columnar_usage_keeps_duplicate_and_reference_rejects(tmp_path: Path) -> None:
    """Duplicates, unknown subscriptions and bad cells of usage.csv are located as before."""
    text = (
        "subscription_id,month,amount,currency,service\n"
        "S1,2024-01,10.00,USD,VM\n"  # 2: kept
        "S1,2024-01,10.0,USD,VM\n"  # 3: the same row (equal amount)
        "S1,2024-01,11.00,USD,VM\n"  # 4: same key, other amount
        "S9,2024-01,1.00,USD,VM\n"  # 5: unknown subscription
        "S1,2024-02,1.005,USD,VM\n"  # 6: more decimals than USD: kept exactly
        " S1,2024-03,2.00,USD,'=VM\n"  # 7: ordinary path (spaces, escaped formula)
    )
    result = load_folder(folder(tmp_path, usage_csv=text), progress=False)
    got = [(r.line, r.code) for r in result.report.rejects]
    assert sorted(got) == [(3, "DUPLICATE_ROW"), (4, "DUPLICATE_KEY"), (5, "UNKNOWN_SUBSCRIPTION")]
    assert [(u.month.month, u.amount, u.service) for u in result.ledger.usage] == [
        (1, Decimal("10.00"), "VM"),
        (2, Decimal("1.005"), "VM"),
        (3, Decimal("2.00"), "=VM"),
    ]
    assert summary(result.report, "usage.csv") == (7, 6, 3, 3)


def test_header_swallowing_rows_is_a_file_level_reject(tmp_path: Path) -> None:
    """A header whose quote is never closed (rows inside a header cell) rejects the file."""
    data = folder(tmp_path, seats_csv='\r\nsubscription_id,month,"S1\nS1,2024-01,1,4"')
    report = load_folder(data, progress=False).report
    assert [(r.line, r.code) for r in report.rejects] == [(2, "MALFORMED_HEADER")]
    assert "lines 2-3" in report.rejects[0].reason
