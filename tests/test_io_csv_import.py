"""Loading folders of CSV files: tolerant reading, exact rejects, counts, strictness, streaming."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from partner_of_record.io.csv_import import (
    DataFileError,
    LoadReport,
    Reject,
    load_folder,
    read_records,
    validate_folder,
)
from partner_of_record.model import (
    Association,
    AssociationKind,
    Customer,
    Partner,
    SeatUsage,
    Subscription,
    Usage,
    Workload,
)

# A small valid folder, one list of rows per file (the header first). Every test starts from it.
GOOD: dict[str, list[list[str]]] = {
    "partners.csv": [
        ["id", "name"],
        ["P1", "Contoso Partners"],
        ["P2", "Fabrikam, Inc."],
    ],
    "customers.csv": [
        ["id", "name"],
        ["C1", "Northwind"],
        ["C2", "Tailspin"],
    ],
    "subscriptions.csv": [
        ["id", "customer_id", "workload", "name", "offer"],
        ["S1", "C1", "Azure", "Prod", ""],
        ["S2", "C2", "Office 365", "", "standard"],
    ],
    "associations.csv": [
        [
            "partner_id",
            "subscription_id",
            "kind",
            "start",
            "end",
            "granted_by",
            "role",
            "recorded_on",
        ],
        ["P1", "S1", "PAL", "2024-01-01", "", "partner", "Owner", ""],
        ["P2", "S2", "DPOR", "2024-01-15", "2024-06-01", "customer", "", "2024-01-15"],
    ],
    "usage.csv": [
        ["subscription_id", "month", "amount", "currency", "service"],
        ["S1", "2024-01-01", "100.00", "USD", "Virtual Machines"],
        ["S1", "2024-02-01", "200.00", "USD", "Virtual Machines"],
    ],
    "seats.csv": [
        ["subscription_id", "month", "paid_seats", "active_users"],
        ["S2", "2024-01-01", "50", "40"],
        ["S2", "2024-02-01", "55", "41"],
    ],
}


def _csv_line(cells: list[str], delimiter: str = ",") -> str:
    def quoted(cell: str) -> str:
        if any(ch in cell for ch in (delimiter, '"', "\n", "\r")):
            return '"' + cell.replace('"', '""') + '"'
        return cell

    return delimiter.join(quoted(cell) for cell in cells)


def write_folder(
    folder: Path,
    files: dict[str, list[list[str]]] | None = None,
    *,
    delimiter: str = ",",
    bom: bool = False,
) -> Path:
    """Write ``files`` (default GOOD) as CSV into ``folder`` and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (GOOD if files is None else files).items():
        text = "\r\n".join(_csv_line(r, delimiter) for r in rows) + "\r\n"
        (folder / name).write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return folder


def with_cell(file: str, row: int, column: str, value: str) -> dict[str, list[list[str]]]:
    """Return GOOD with one cell replaced (``row`` 1 is the first data row)."""
    files = {name: [list(r) for r in rows] for name, rows in GOOD.items()}
    header = files[file][0]
    files[file][row][header.index(column)] = value
    return files


def assert_counts_add_up(report: LoadReport) -> None:
    """Check the invariant every report keeps: read == accepted + rejected, per file."""
    for summary in report.files:
        assert summary.read == summary.accepted + summary.rejected, summary


def summary_of(report: LoadReport, file_name: str) -> tuple[int, int, int]:
    """Return (read, accepted, rejected) of one file of the report."""
    (summary,) = [f for f in report.files if Path(f.file).name == file_name]
    return summary.read, summary.accepted, summary.rejected


def test_good_folder_loads_every_record(tmp_path: Path) -> None:
    """The valid fixture loads with no reject and the exact records the files describe."""
    result = load_folder(write_folder(tmp_path), progress=False)
    assert result.report.ok, str(result.report)
    ledger = result.ledger
    assert ledger.partners == (Partner("P1", "Contoso Partners"), Partner("P2", "Fabrikam, Inc."))
    assert ledger.customers == (Customer("C1", "Northwind"), Customer("C2", "Tailspin"))
    assert ledger.subscriptions[1] == Subscription("S2", "C2", Workload.OFFICE_365)
    assert ledger.associations[1].end == dt.date(2024, 6, 1)
    assert ledger.associations[0].role == "Owner"
    assert ledger.associations[1].role is None
    assert ledger.usage[1] == Usage(
        "S1", dt.date(2024, 2, 1), Decimal("200.00"), "USD", "Virtual Machines"
    )
    assert ledger.seats[0] == SeatUsage("S2", dt.date(2024, 1, 1), 50, 40)
    assert result.report.read == 12
    assert result.report.accepted == 12
    assert_counts_add_up(result.report)


def test_partner_center_style_export_is_read(tmp_path: Path) -> None:
    """BOM, ';', Partner Center header names and values, '$1,234.50' and M/D/YYYY all load."""
    files = {
        "partners.csv": [["MPN ID", "Partner Name"], ["1234567", "Contoso; Ltd"]],
        "customers.csv": [["Customer Tenant ID", "Customer Name"], ["t-1", 'The "Best" Co']],
        "subscriptions.csv": [
            ["Subscription ID", "Customer Tenant ID", "Product"],
            ["sub-1", "t-1", "Microsoft Azure"],
            ["sub-2", "t-1", "Dynamics CRM Online"],
        ],
        "associations.csv": [
            ["Partner ID", "Subscription ID", "Association Type", "Start Date"],
            ["1234567", "sub-1", "Partner admin link", "3/7/2024"],
            ["1234567", "sub-2", "Digital partner of record", "12/31/2023"],
        ],
        "usage.csv": [
            ["Subscription ID", "Usage Month", "ACR", "Currency Code"],
            ["sub-1", "3/1/2024", "$1,234.50", "usd"],
            ["sub-1", "2024-04", "(10.00)", ""],
        ],
    }
    result = load_folder(write_folder(tmp_path, files, delimiter=";", bom=True), progress=False)
    assert result.report.ok, str(result.report)
    assert result.report.warnings == ()
    ledger = result.ledger
    assert ledger.partners == (Partner("1234567", "Contoso; Ltd"),)
    assert ledger.customers == (Customer("t-1", 'The "Best" Co'),)
    assert [s.workload for s in ledger.subscriptions] == [
        Workload.AZURE,
        Workload.DYNAMICS_CRM_ONLINE,
    ]
    assert ledger.associations == (
        Association("1234567", "sub-1", AssociationKind.PAL, dt.date(2024, 3, 7)),
        Association("1234567", "sub-2", AssociationKind.DPOR, dt.date(2023, 12, 31)),
    )
    assert ledger.usage == (
        Usage("sub-1", dt.date(2024, 3, 1), Decimal("1234.50"), "USD"),
        Usage("sub-1", dt.date(2024, 4, 1), Decimal("-10.00"), "USD"),
    )
    assert ledger.seats == ()


def test_tab_delimited_files_are_read(tmp_path: Path) -> None:
    """A tab-delimited folder loads like the comma-delimited one."""
    comma = load_folder(write_folder(tmp_path / "comma"), progress=False)
    tab = load_folder(write_folder(tmp_path / "tab", delimiter="\t"), progress=False)
    assert tab.report.ok, str(tab.report)
    assert tab.ledger.usage == comma.ledger.usage
    assert tab.ledger.partners == comma.ledger.partners


def test_quoted_line_break_keeps_later_line_numbers_right(tmp_path: Path) -> None:
    """A name spanning two lines is read whole, and a later bad row reports its real line."""
    files = dict(GOOD)
    files["partners.csv"] = [["id", "name"], ["P1", "two\nlines"], ["P2", "x"], ["", "bad"]]
    result = load_folder(write_folder(tmp_path, files), progress=False)
    assert result.ledger.partners[0].name == "two\nlines"
    (reject,) = result.report.rejects
    assert (reject.line, reject.column, reject.code) == (5, "id", "MISSING_VALUE")


# (file, data row, column, bad value, code, fragment of the reason)
EACH_COLUMN_WRONG = [
    ("partners.csv", 2, "id", "", "MISSING_VALUE", "required"),
    ("customers.csv", 1, "id", "  ", "MISSING_VALUE", "required"),
    ("subscriptions.csv", 2, "id", "", "MISSING_VALUE", "required"),
    ("subscriptions.csv", 1, "customer_id", "C9", "UNKNOWN_CUSTOMER", "not in the data"),
    ("subscriptions.csv", 1, "workload", "Azur", "INVALID_VALUE", "did you mean 'Azure'"),
    ("subscriptions.csv", 2, "offer", "gift", "INVALID_VALUE", "not a known offer category"),
    ("associations.csv", 1, "partner_id", "P9", "UNKNOWN_PARTNER", "not in the data"),
    ("associations.csv", 2, "subscription_id", "S9", "UNKNOWN_SUBSCRIPTION", "not in the data"),
    ("associations.csv", 1, "kind", "DPORR", "INVALID_VALUE", "not a known association type"),
    ("associations.csv", 2, "start", "2024-13-01", "INVALID_VALUE", "not a valid date"),
    ("associations.csv", 2, "end", "2023-12-01", "INVALID_VALUE", "is not after start"),
    ("associations.csv", 1, "granted_by", "robot", "INVALID_VALUE", "not a known actor"),
    ("associations.csv", 1, "recorded_on", "yesterday", "INVALID_VALUE", "not a date"),
    ("usage.csv", 1, "subscription_id", "S9", "UNKNOWN_SUBSCRIPTION", "not in the data"),
    ("usage.csv", 2, "month", "2024-02-15", "INVALID_VALUE", "did you mean 2024-02-01"),
    ("usage.csv", 1, "amount", "1.234,50", "INVALID_VALUE", "decimal comma"),
    ("usage.csv", 2, "currency", "ABC", "INVALID_VALUE", "ISO 4217"),
    ("seats.csv", 1, "subscription_id", "", "MISSING_VALUE", "required"),
    ("seats.csv", 2, "month", "Feb 2024", "INVALID_VALUE", "not a date"),
    ("seats.csv", 1, "paid_seats", "-1", "INVALID_VALUE", "negative"),
    ("seats.csv", 2, "active_users", "many", "INVALID_VALUE", "whole number"),
]


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "code", "fragment"),
    EACH_COLUMN_WRONG,
    ids=[f"{f}:{c}" for f, _, c, *_ in EACH_COLUMN_WRONG],
)
def test_each_column_wrong_once(
    tmp_path: Path, file: str, row: int, column: str, value: str, code: str, fragment: str
) -> None:
    """One bad cell gives exactly one reject naming its file, line, column and value."""
    folder = write_folder(tmp_path, with_cell(file, row, column, value))
    report = load_folder(folder, progress=False).report
    (reject,) = [r for r in report.rejects if Path(r.file).name == file]
    assert reject == Reject(str(folder / file), row + 1, column, value, reject.reason, code)
    assert fragment in reject.reason
    assert summary_of(report, file) == (2, 1, 1)
    assert_counts_add_up(report)


def test_every_column_is_covered_by_the_wrong_once_table() -> None:
    """The table above breaks every column that has any invalid value (free text has none)."""
    covered = {(f, c) for f, _, c, *_ in EACH_COLUMN_WRONG}
    free_text = {("partners.csv", "name"), ("customers.csv", "name"), ("subscriptions.csv", "name")}
    free_text |= {("associations.csv", "role"), ("usage.csv", "service")}
    every = {(f, c) for f, rows in GOOD.items() for c in rows[0]}
    assert every - free_text == covered


def test_rejected_reference_cascades_to_dependent_rows(tmp_path: Path) -> None:
    """A rejected subscription makes its associations and usage rejected as unknown, not dropped."""
    folder = write_folder(tmp_path, with_cell("subscriptions.csv", 1, "workload", "???"))
    report = load_folder(folder, progress=False).report
    assert [(Path(r.file).name, r.code) for r in report.rejects] == [
        ("subscriptions.csv", "INVALID_VALUE"),
        ("associations.csv", "UNKNOWN_SUBSCRIPTION"),
        ("usage.csv", "UNKNOWN_SUBSCRIPTION"),
        ("usage.csv", "UNKNOWN_SUBSCRIPTION"),
    ]
    assert summary_of(report, "usage.csv") == (2, 0, 2)


def test_row_with_several_bad_cells_is_one_rejected_row(tmp_path: Path) -> None:
    """Every bad cell of a row is reported, but the row counts once as rejected."""
    files = with_cell("seats.csv", 1, "paid_seats", "x")
    files["seats.csv"][1][3] = "y"
    report = load_folder(write_folder(tmp_path, files), progress=False).report
    assert [r.column for r in report.rejects] == ["paid_seats", "active_users"]
    assert summary_of(report, "seats.csv") == (2, 1, 1)


def test_amount_currency_code_fills_or_contradicts_the_currency_column(tmp_path: Path) -> None:
    """'10 EUR' with no currency reads as EUR; with a USD currency column it is rejected."""
    files = with_cell("usage.csv", 1, "amount", "10 EUR")
    files["usage.csv"][1][3] = ""
    files["usage.csv"][2][2] = "€5"
    result = load_folder(write_folder(tmp_path, files), progress=False)
    assert result.ledger.usage[0].currency == "EUR"
    (reject,) = result.report.rejects
    assert (reject.line, reject.column, reject.value) == (3, "amount", "€5")
    assert "says USD" in reject.reason


def test_truncated_file_reports_the_cut_row(tmp_path: Path) -> None:
    """A file cut inside a quoted field rejects its last row as malformed, keeping the others."""
    folder = write_folder(tmp_path)
    path = folder / "partners.csv"
    path.write_bytes(path.read_bytes() + b'P3,"Woodgrove Ba')
    report = load_folder(folder, progress=False).report
    (reject,) = report.rejects
    assert (reject.file, reject.line, reject.code) == (str(path), 4, "MALFORMED_ROW")
    assert "truncated" in reject.reason
    assert summary_of(report, "partners.csv") == (3, 2, 1)


def test_stray_quote_rejects_only_its_row(tmp_path: Path) -> None:
    """A quote in the middle of a field breaks that row only; reading resumes on the next."""
    folder = write_folder(tmp_path)
    path = folder / "customers.csv"
    path.write_bytes(b'id,name\r\nC1,"North"wind\r\nC2,Tailspin\r\n')
    report = load_folder(folder, progress=False).report
    (reject,) = [r for r in report.rejects if r.file == str(path)]
    assert (reject.line, reject.code) == (2, "MALFORMED_ROW")
    assert summary_of(report, "customers.csv") == (2, 1, 1)


def test_latin1_bytes_are_rejected_with_line_and_column(tmp_path: Path) -> None:
    """A Latin-1 encoded cell is refused as not UTF-8, naming file, line and column."""
    folder = write_folder(tmp_path)
    path = folder / "customers.csv"
    path.write_bytes("id,name\r\nC1,Café\r\nC2,Tailspin\r\n".encode("latin-1"))
    report = load_folder(folder, progress=False).report
    (reject,) = [r for r in report.rejects if r.file == str(path)]
    assert (reject.file, reject.line, reject.column) == (str(path), 2, "name")
    assert reject.code == "BAD_ENCODING"
    assert reject.value == "Caf\\xe9"
    assert "UTF-8" in reject.reason
    assert summary_of(report, "customers.csv") == (2, 1, 1)


def test_utf16_file_is_read(tmp_path: Path) -> None:
    """A UTF-16 file (Excel's 'Unicode text', tab-delimited) is read like a UTF-8 one."""
    folder = write_folder(tmp_path)
    (folder / "partners.csv").write_bytes("id\tname\r\nP1\tx\r\nP2\ty\r\n".encode("utf-16"))
    report = load_folder(folder, progress=False).report
    assert report.ok, report
    assert summary_of(report, "partners.csv") == (2, 2, 0)


def test_duplicate_row_and_duplicate_key(tmp_path: Path) -> None:
    """A repeated row and a repeated id with other values are both rejected, citing line 2."""
    files = dict(GOOD)
    files["partners.csv"] = [
        ["id", "name"],
        ["P1", "Contoso"],
        ["P2", "Fabrikam"],
        ["P1", "Contoso"],
        ["P1", "Contoso Ltd"],
    ]
    report = load_folder(write_folder(tmp_path, files), progress=False).report
    assert [(r.line, r.code, r.reason) for r in report.rejects] == [
        (4, "DUPLICATE_ROW", "repeats line 2"),
        (5, "DUPLICATE_KEY", "has the same id as line 2 but other values"),
    ]
    assert summary_of(report, "partners.csv") == (4, 2, 2)


def test_duplicate_usage_key_is_rejected(tmp_path: Path) -> None:
    """Two usage rows for the same subscription, month, service and currency conflict."""
    files = with_cell("usage.csv", 2, "month", "2024-01-01")
    report = load_folder(write_folder(tmp_path, files), progress=False).report
    (reject,) = report.rejects
    assert (reject.line, reject.code) == (3, "DUPLICATE_KEY")


def test_empty_file_is_an_error_and_header_only_is_not(tmp_path: Path) -> None:
    """A 0-byte file is rejected as EMPTY_FILE; a header-only file is zero records, no error."""
    folder = write_folder(tmp_path)
    (folder / "seats.csv").write_bytes(b"")
    (folder / "usage.csv").write_text("subscription_id,month,amount\n", encoding="utf-8")
    report = load_folder(folder, progress=False).report
    (reject,) = report.rejects
    assert (Path(reject.file).name, reject.line, reject.code) == ("seats.csv", 1, "EMPTY_FILE")
    assert summary_of(report, "seats.csv") == (0, 0, 0)
    assert summary_of(report, "usage.csv") == (0, 0, 0)


def test_missing_required_column_rejects_every_row(tmp_path: Path) -> None:
    """Without a required column, the header is rejected and every data row is counted rejected."""
    files = dict(GOOD)
    files["usage.csv"] = [[r[0], r[1], r[3]] for r in GOOD["usage.csv"]]  # no amount
    report = load_folder(write_folder(tmp_path, files), progress=False).report
    (reject,) = report.rejects
    assert (reject.line, reject.column, reject.code) == (1, "amount", "MISSING_COLUMN")
    assert "'ACR'" in reject.reason or "'acr'" in reject.reason
    assert summary_of(report, "usage.csv") == (2, 0, 2)


def test_two_columns_for_one_field_is_an_error(tmp_path: Path) -> None:
    """Two headers naming the same field are ambiguous: the file is rejected."""
    files = dict(GOOD)
    files["partners.csv"] = [["id", "Partner ID"], ["P1", "P1"]]
    report = load_folder(write_folder(tmp_path, files), progress=False).report
    codes = [(r.column, r.code) for r in report.rejects if "partners" in r.file]
    assert codes == [("Partner ID", "DUPLICATE_COLUMN")]
    assert summary_of(report, "partners.csv") == (1, 0, 1)


def test_unknown_column_is_warned_once_per_file(tmp_path: Path) -> None:
    """An unknown column gives one warning for the file, not one per row, and no reject."""
    files = dict(GOOD)
    files["usage.csv"] = [[*r, "x"] for r in GOOD["usage.csv"]]
    files["usage.csv"][0][-1] = "Invoice Number"
    report = load_folder(write_folder(tmp_path, files), progress=False).report
    assert report.ok
    (warning,) = report.warnings
    assert warning.code == "UNKNOWN_COLUMN"
    assert warning.severity == "warning"
    assert "'Invoice Number'" in warning.message


def test_unknown_csv_file_in_folder_is_warned(tmp_path: Path) -> None:
    """A CSV file that is none of the six is reported as a warning, not silently skipped."""
    folder = write_folder(tmp_path)
    (folder / "invoices.csv").write_text("a\n1\n", encoding="utf-8")
    report = load_folder(folder, progress=False).report
    assert [w.code for w in report.warnings] == ["UNKNOWN_FILE"]


def test_wrong_field_count(tmp_path: Path) -> None:
    """Rows with too few or too many fields are rejected, naming the first missing column."""
    folder = write_folder(tmp_path)
    (folder / "customers.csv").write_text("id,name\nC1\nC2,b,extra\n", encoding="utf-8")
    report = load_folder(folder, progress=False).report
    assert [(r.line, r.column, r.code) for r in report.rejects if "customers" in r.file] == [
        (2, "name", "WRONG_FIELD_COUNT"),
        (3, None, "WRONG_FIELD_COUNT"),
    ]


def test_blank_lines_are_counted_not_read(tmp_path: Path) -> None:
    """Blank lines and rows of empty cells are skipped, counted, and do not shift line numbers."""
    folder = write_folder(tmp_path)
    (folder / "partners.csv").write_text("\nid,name\n\nP1,a\n,\nP2,b\n\n", encoding="utf-8")
    report = load_folder(folder, progress=False).report
    assert report.ok
    (summary,) = [f for f in report.files if "partners" in f.file]
    # blank: the line before the header, two between rows, one of empty cells (7 lines in all)
    assert (summary.read, summary.accepted, summary.blank, summary.lines) == (2, 2, 4, 7)
    (folder / "partners.csv").write_text("\nid,name\n\nP1,a\n\n,b\n", encoding="utf-8")
    rejects = load_folder(folder, progress=False).report.rejects
    assert [r.line for r in rejects if "partners" in r.file] == [6]


def test_missing_files_mean_no_records(tmp_path: Path) -> None:
    """A folder with only some of the files loads those; the others are empty."""
    files = {k: GOOD[k] for k in ("partners.csv", "customers.csv")}
    result = load_folder(write_folder(tmp_path, files), progress=False)
    assert result.report.ok
    assert len(result.ledger.partners) == 2
    assert result.ledger.usage == ()
    assert [Path(f.file).name for f in result.report.files] == ["partners.csv", "customers.csv"]


def test_file_names_match_case_insensitively(tmp_path: Path) -> None:
    """'Partners.CSV' is the partners file."""
    write_folder(tmp_path, {"Partners.CSV": GOOD["partners.csv"]})
    assert len(load_folder(tmp_path, progress=False).ledger.partners) == 2


def test_folder_without_record_files_is_an_error(tmp_path: Path) -> None:
    """A folder holding none of the six files, or a path that is no folder, raises DataFileError."""
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(DataFileError, match="holds none of the record files"):
        load_folder(tmp_path, progress=False)
    with pytest.raises(DataFileError, match="is not a folder"):
        validate_folder(tmp_path / "missing")


def test_strict_mode_raises_on_first_reject(tmp_path: Path) -> None:
    """strict=True raises a DataFileError carrying the first reject's file, line and column."""
    files = with_cell("usage.csv", 2, "amount", "lots")
    files["seats.csv"][1][2] = "x"
    folder = write_folder(tmp_path, files)
    with pytest.raises(DataFileError) as info:
        load_folder(folder, strict=True, progress=False)
    error = info.value
    assert (error.file, error.line, error.column) == (str(folder / "usage.csv"), 3, "amount")
    assert isinstance(error, ValueError)
    assert "lots" in str(error)


def test_strict_mode_loads_a_good_folder(tmp_path: Path) -> None:
    """strict=True on a valid folder loads everything."""
    result = load_folder(write_folder(tmp_path), strict=True, progress=False)
    assert result.report.accepted == 12


def test_report_text_summarises_counts_and_problems(tmp_path: Path) -> None:
    """str(report) has a line per file with read/accepted/rejected, the problems and a verdict."""
    folder = write_folder(tmp_path, with_cell("usage.csv", 1, "amount", "lots"))
    text = str(load_folder(folder, progress=False).report)
    usage_line = next(line for line in text.splitlines() if line.startswith(str(folder / "usage")))
    assert usage_line.split()[1:] == ["3", "2", "1", "1"]  # lines (with the header), read ...
    assert "usage.csv:2: column 'amount' value 'lots'" in text
    assert text.splitlines()[-1].startswith("REJECTED")


def test_progress_callback_and_tty_detection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Progress goes to a callback when given, to stderr when asked, and nowhere on a non-TTY."""
    folder = write_folder(tmp_path)
    calls: list[tuple[str, int]] = []
    load_folder(folder, progress=lambda file, rows: calls.append((Path(file).name, rows)))
    assert ("usage.csv", 2) in calls
    assert len(calls) == 6
    load_folder(folder)  # stderr is captured, not a terminal: silent
    assert capsys.readouterr().err == ""
    monkeypatch.setattr("partner_of_record.io.csv_import.PROGRESS_EVERY", 1)
    load_folder(folder, progress=True)
    err = capsys.readouterr().err
    assert "usage.csv: 2 rows\n" in err
    assert err.count("\n") == 6  # one finished line per file


def test_validate_folder_counts_like_load_folder(tmp_path: Path) -> None:
    """Validation without keeping rows finds the same rejects and counts as a load."""
    files = with_cell("usage.csv", 1, "amount", "lots")
    files["partners.csv"].append(["P1", "Contoso Partners"])
    files["associations.csv"][2][0] = "P7"
    folder = write_folder(tmp_path, files)
    loaded = load_folder(folder, progress=False).report
    validated = validate_folder(folder, progress=False)
    assert validated.files == loaded.files
    assert validated.rejects == loaded.rejects
    assert len(validated.rejects) == 3


def test_read_records_streams_lazily(tmp_path: Path) -> None:
    """read_records yields rows one by one: a bad row late in a file raises only when reached."""
    path = tmp_path / "usage.csv"
    lines = ["subscription_id,month,amount"]
    lines += [f"S{i},2024-01-01,{i}.00" for i in range(1000)]
    lines.append("S-last,2024-01-01,lots")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    records: Iterator[Usage] = read_records(path, Usage)
    assert next(records) == Usage("S0", dt.date(2024, 1, 1), Decimal("0.00"))
    assert sum(1 for _ in zip(range(998), records, strict=False)) == 998
    next(records)
    with pytest.raises(DataFileError) as info:
        next(records)
    assert info.value.line == 1002


def test_read_records_with_on_reject_collects_instead_of_raising(tmp_path: Path) -> None:
    """With on_reject, read_records passes each reject to the callback and keeps going."""
    folder = write_folder(tmp_path, with_cell("seats.csv", 1, "month", "soon"))
    rejects: list[Reject] = []
    seats = list(read_records(folder / "seats.csv", SeatUsage, on_reject=rejects.append))
    assert [s.month for s in seats] == [dt.date(2024, 2, 1)]
    assert [(r.line, r.column) for r in rejects] == [(2, "month")]


def test_read_records_without_duplicate_check(tmp_path: Path) -> None:
    """duplicates=False streams repeated rows through unchanged."""
    path = tmp_path / "partners.csv"
    path.write_text("id\nP1\nP1\n", encoding="utf-8")
    assert len(list(read_records(path, Partner, duplicates=False))) == 2
    with pytest.raises(DataFileError, match="repeats line 2"):
        list(read_records(path, Partner))


def test_ledger_rule_break_is_a_reject_at_its_line(tmp_path: Path) -> None:
    """A second DPOR overlapping the first is refused by the ledger and reported at its line."""
    files = dict(GOOD)
    files["associations.csv"] = [
        *GOOD["associations.csv"],
        ["P1", "S2", "DPOR", "2024-03-01", "", "customer", "", ""],
    ]
    result = load_folder(write_folder(tmp_path, files), progress=False)
    (reject,) = result.report.rejects
    assert (Path(reject.file).name, reject.line, reject.code) == (
        "associations.csv",
        4,
        "DPOR_OVERLAP",
    )
    assert "P1" in reject.value
    assert summary_of(result.report, "associations.csv") == (3, 2, 1)
    assert len(result.ledger.associations) == 2
    assert_counts_add_up(result.report)


def test_ledger_rule_break_raises_in_strict_mode(tmp_path: Path) -> None:
    """In strict mode a record the ledger refuses raises, with its file and line."""
    files = with_cell("associations.csv", 1, "kind", "DAP")  # DAP is not allowed on Azure
    folder = write_folder(tmp_path, files)
    with pytest.raises(DataFileError) as info:
        load_folder(folder, strict=True, progress=False)
    assert (info.value.file, info.value.line) == (str(folder / "associations.csv"), 2)


def test_rule_set_is_chosen_by_the_caller(tmp_path: Path) -> None:
    """With a rule set that has no rules, the overlapping DPOR is kept."""
    import attrs

    from partner_of_record.rules import DEFAULT_RULES

    files = dict(GOOD)
    files["associations.csv"] = [
        *GOOD["associations.csv"],
        ["P1", "S2", "DPOR", "2024-03-01", "", "customer", "", ""],
    ]
    no_rules = attrs.evolve(DEFAULT_RULES, rules=())
    result = load_folder(write_folder(tmp_path, files), progress=False, rules=no_rules)
    assert result.report.ok
    assert len(result.ledger.associations) == 3


def test_validate_folder_without_duplicate_check(tmp_path: Path) -> None:
    """validate_folder(duplicates=False) lets repeated rows through; the default rejects them."""
    files = dict(GOOD)
    files["usage.csv"] = [*GOOD["usage.csv"], GOOD["usage.csv"][1]]
    folder = write_folder(tmp_path, files)
    assert [r.code for r in validate_folder(folder, progress=False).rejects] == ["DUPLICATE_ROW"]
    assert validate_folder(folder, progress=False, duplicates=False).ok


# ---------------------------------------------------------------------------------------------
# one definition of a duplicate and of a reference: the model's, read by the ledger and loaders

_BASE: dict[type, object] = {
    Partner: Partner("P1", "Contoso"),
    Customer: Customer("C1", "Northwind"),
    Subscription: Subscription("S1", "C1", Workload.AZURE),
    Association: Association("P1", "S1", AssociationKind.PAL, dt.date(2024, 1, 1)),
    Usage: Usage("S1", dt.date(2024, 1, 1), Decimal("10.00"), "USD", "SQL"),
    SeatUsage: SeatUsage("S1", dt.date(2024, 1, 1), 5, 4),
}
_OTHER_VALUE: dict[str, object] = {
    "id": "X9",
    "name": "Other",
    "customer_id": "C1",
    "subscription_id": "S1",
    "month": dt.date(2024, 2, 1),
    "amount": Decimal("11.00"),
    "currency": "EUR",
    "service": "Storage",
    "paid_seats": 6,
    "active_users": 3,
}
_LEDGER_DUPLICATE = {
    Partner: "DUPLICATE_ID",
    Customer: "DUPLICATE_ID",
    Subscription: "DUPLICATE_ID",
    Usage: "DUPLICATE_USAGE",
    SeatUsage: "DUPLICATE_SEATS",
}
_ARGUMENT = {
    Partner: "partners",
    Customer: "customers",
    Subscription: "subscriptions",
    Association: "associations",
    Usage: "usage",
    SeatUsage: "seats",
}


def _lenient(*records: object) -> object:
    """``Ledger.lenient`` of the base records with ``records`` replacing their type's."""
    from partner_of_record.ledger import Ledger

    given: dict[str, list[object]] = {name: [] for name in _ARGUMENT.values()}
    for record_type, record in _BASE.items():
        if not any(type(r) is record_type for r in records):
            given[_ARGUMENT[record_type]].append(record)
    for r in records:
        given[_ARGUMENT[type(r)]].append(r)
    return Ledger.lenient(**given)  # type: ignore[arg-type]


@pytest.mark.parametrize("record_type", list(_LEDGER_DUPLICATE))
def test_the_ledger_and_the_loader_share_the_model_s_keys(record_type: type) -> None:
    """Two records with the same ``KEY_FIELDS`` values and other values are refused by the
    ledger (its duplicate code) and by the loader (``DUPLICATE_KEY``); a record differing in
    any one key field is neither."""
    import attrs

    from partner_of_record.io._session import Seen
    from partner_of_record.model import KEY_FIELDS

    first = _BASE[record_type]
    fields = KEY_FIELDS[record_type]
    other = next(
        a.name
        for a in attrs.fields(record_type)
        if a.name not in fields
        and a.name in _OTHER_VALUE
        and getattr(first, a.name) != _OTHER_VALUE[a.name]
    )
    twin = attrs.evolve(first, **{other: _OTHER_VALUE[other]})  # type: ignore[misc]
    load = _lenient(first, twin)
    assert [r.finding.code for r in load.rejected] == [_LEDGER_DUPLICATE[record_type]]  # type: ignore[attr-defined]
    seen = Seen(exact=True)
    assert seen.check(first, 2) is None  # type: ignore[arg-type]
    assert seen.check(twin, 3) == (  # type: ignore[arg-type]
        "DUPLICATE_KEY",
        f"has the same {', '.join(fields)} as line 2 but other values",
    )
    for field in fields:
        if field == "subscription_id":
            continue  # a reference: changing it names another record
        moved = attrs.evolve(first, **{field: _OTHER_VALUE[field]})  # type: ignore[misc]
        assert not _lenient(first, moved).rejected, field  # type: ignore[attr-defined]
        seen = Seen(exact=True)
        seen.check(first, 2)  # type: ignore[arg-type]
        assert seen.check(moved, 3) is None, field  # type: ignore[arg-type]


def test_a_record_s_key_property_is_its_key_fields() -> None:
    """``Usage.key`` and ``SeatUsage.key`` are the values of their ``KEY_FIELDS``."""
    from partner_of_record.model import KEY_FIELDS

    for record_type in (Usage, SeatUsage):
        record = _BASE[record_type]
        fields = KEY_FIELDS[record_type]
        assert record.key == tuple(getattr(record, f) for f in fields)  # type: ignore[attr-defined]


def _reference_cases() -> list[tuple[type, str, type]]:
    from partner_of_record.model import REFERENCES

    return [(t, field, named) for t, refs in REFERENCES.items() for field, named in refs]


@pytest.mark.parametrize(("record_type", "field", "named"), _reference_cases())
def test_the_ledger_and_the_loader_share_the_model_s_references(
    record_type: type, field: str, named: type
) -> None:
    """A record whose ``REFERENCES`` field names a missing record is refused with the same
    ``UNKNOWN_...`` code by the ledger and by the loader's reference check."""
    import attrs

    from partner_of_record.io._session import References

    dangling = attrs.evolve(_BASE[record_type], **{field: "NOPE"})  # type: ignore[misc]
    code = f"UNKNOWN_{named.__name__.upper()}"
    load = _lenient(dangling)
    assert [r.finding.code for r in load.rejected if r.record is dangling] == [code]  # type: ignore[attr-defined]
    references = References()
    for record in _BASE.values():
        references.add(record)  # type: ignore[arg-type]
    assert references.missing(dangling) == (code, field, "NOPE")
    assert references.missing(_BASE[record_type]) is None  # type: ignore[arg-type]


def test_the_references_table_names_every_reference_field() -> None:
    """Every ``..._id`` field of a record is in ``REFERENCES`` (a new one cannot be missed)."""
    import attrs

    from partner_of_record.model import REFERENCES

    for record_type in _BASE:
        ids = {a.name for a in attrs.fields(record_type) if a.name.endswith("_id")}
        assert ids == {f for f, _ in REFERENCES.get(record_type, ())}, record_type


def test_a_tally_freezes_into_the_file_summary_of_its_counts() -> None:
    """``Tally`` has ``FileSummary``'s fields and defaults: a new one freezes into the default
    summary, and each count set on it lands in the same field of the summary."""
    import attrs

    from partner_of_record.io._session import Tally
    from partner_of_record.io.csv_import import FileSummary

    assert Tally("f.csv", "usage").freeze() == FileSummary("f.csv", "usage")
    tally = Tally("f.csv", "usage")
    for i, field in enumerate(attrs.fields(FileSummary)[2:], start=2):
        setattr(tally, field.name, i)
    assert tally.freeze() == FileSummary("f.csv", "usage", 2, 3, 4, 5, 6)
