"""Export: the CSV folder and JSON round trips, and the result tables (credits, evaluations ...)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from partner_of_record.attribution import attribute
from partner_of_record.errors import Finding
from partner_of_record.io.csv_import import DataFileError, load_folder
from partner_of_record.io.export import (
    CREDIT_COLUMNS,
    EVALUATION_COLUMNS,
    FINDING_COLUMNS,
    RECONCILIATION_COLUMNS,
    UNATTRIBUTED_COLUMNS,
    credits_to_pandas,
    evaluations_to_pandas,
    export_folder,
    export_json,
    format_cell,
    write_credits_csv,
    write_credits_json,
    write_evaluations_csv,
    write_evaluations_json,
    write_findings_csv,
    write_findings_json,
    write_reconciliation_csv,
    write_reconciliation_json,
    write_records_csv,
    write_unattributed_csv,
)
from partner_of_record.io.json import to_json
from partner_of_record.io.json_import import load_json
from partner_of_record.ledger import Ledger
from partner_of_record.model import (
    Association,
    AssociationKind,
    Partner,
    Usage,
    Workload,
)
from strategies import ledgers

_TMP = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
# slower laws that restate a round trip already tested: a fixed, smaller budget keeps CI fast
_TMP_SMALL = settings(_TMP, max_examples=25)
_TYPES = ("partners", "customers", "subscriptions", "associations", "usage", "seats")


def _same_records(a: Ledger, b: Ledger) -> None:
    for name in _TYPES:
        assert getattr(a, name) == getattr(b, name), name


@_TMP
@given(ledger=ledgers(readable_ids=False, currencies=("USD", "JPY", "KWD"), negative_usage=True))
def test_folder_round_trip_is_lossless(tmp_path: Path, ledger: Ledger) -> None:
    """Law: load_folder(export_folder(ledger)) holds the same records, in the same order."""
    folder = tmp_path / "round-trip"
    export_folder(ledger, folder)
    result = load_folder(folder, strict=True, progress=False)
    _same_records(result.ledger, ledger)
    assert result.ledger == ledger
    assert result.report.ok
    # the only warnings are the ledger's own (a one-day gap ...), never the loader's
    assert result.report.warnings == tuple(f for f in ledger.findings if f.severity == "warning")


@_TMP_SMALL
@given(ledger=ledgers())
def test_export_import_export_is_byte_identical(tmp_path: Path, ledger: Ledger) -> None:
    """Law: exporting what was imported from an export writes the very same bytes."""
    first, second = tmp_path / "a", tmp_path / "b"
    export_folder(ledger, first)
    export_folder(load_folder(first, progress=False).ledger, second)
    for name in _TYPES:
        file = f"{name}.csv"
        assert (first / file).read_bytes() == (second / file).read_bytes(), file


@_TMP_SMALL
@given(ledger=ledgers(readable_ids=False))
def test_validate_agrees_with_load_on_exported_folders(tmp_path: Path, ledger: Ledger) -> None:
    """Law: on an exported folder, validation accepts exactly the ledger's record counts."""
    from partner_of_record.io.csv_import import validate_folder

    folder = tmp_path / "v"
    written = export_folder(ledger, folder)
    report = validate_folder(folder, progress=False)
    assert report.ok
    assert {Path(f.file).name: f.accepted for f in report.files} == written


@_TMP_SMALL
@given(ledger=ledgers(readable_ids=False, negative_usage=True))
def test_json_round_trip_is_lossless(ledger: Ledger) -> None:
    """Law: load_json(to_json(ledger)) holds the same records, with no reject."""
    result = load_json(to_json(ledger))
    assert result.report.ok, str(result.report)
    _same_records(result.ledger, ledger)


def test_export_json_then_load_json(tmp_path: Path) -> None:
    """export_json writes a file that load_json reads back into an equal ledger."""
    ledger = Ledger([Partner("P1", "Contoso")])
    path = tmp_path / "facts.json"
    export_json(ledger, path)
    assert load_json(path).ledger == ledger


def test_empty_types_are_written_as_header_only_files(tmp_path: Path) -> None:
    """Every file is written, with the canonical header, even when it has no record."""
    written = export_folder(Ledger([Partner("P1", "x")]), tmp_path)
    assert written["usage.csv"] == 0
    assert (tmp_path / "usage.csv").read_bytes() == (
        b"subscription_id,month,amount,currency,service,offer\r\n"
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (dt.date(2024, 1, 5), "2024-01-05"),
        (Decimal("1E+3"), "1000"),
        (Decimal("-0.10"), "-0.10"),
        (AssociationKind.CSP_TIER1, "csp_tier1"),
        ("a,b", "a,b"),
        (7, "7"),
    ],
)
def test_format_cell(value: object, text: str) -> None:
    """Cells are plain: ISO dates, decimal amounts without exponent, enum values."""
    assert format_cell(value) == text


@pytest.mark.parametrize("value", [1.5, dt.datetime(2024, 1, 1)])
def test_format_cell_refuses_values_no_record_holds(value: object) -> None:
    """Floats and datetimes are never written silently."""
    with pytest.raises(TypeError):
        format_cell(value)


def test_write_records_csv_refuses_other_record_types() -> None:
    """Writing a partner into the usage layout raises TypeError."""
    with pytest.raises(TypeError, match="is not a Usage"):
        write_records_csv([Partner("P1")], io.StringIO(), "usage")


# ---------------------------------------------------------------------------------- JSON rejects


def test_json_item_rejects_name_list_position_and_field() -> None:
    """A bad JSON item is one reject at '<doc>#list', its document line and field; others load."""
    text = (
        '{\n"partners": [\n{"id": "P1", "name": ""},\n{"id": "", "name": "x"},\n'
        '{"id": "P1", "name": ""}\n],\n"usage": [\n'
        '{"subscription_id": "S9", "month": "2024-01-01", "amount": "1"}\n],\n"notes": []\n}'
    )
    result = load_json(text)
    got = [(r.file, r.line, r.column, r.code) for r in result.report.rejects]
    assert got == [
        ("<json>#partners", 4, "id", "INVALID_VALUE"),
        ("<json>#partners", 5, None, "DUPLICATE_ROW"),
        ("<json>#usage", 8, "subscription_id", "UNKNOWN_SUBSCRIPTION"),
    ]
    assert [w.code for w in result.report.warnings] == ["UNKNOWN_COLUMN"]
    assert result.ledger.partners == (Partner("P1"),)
    assert [(f.read, f.accepted, f.rejected) for f in result.report.files] == [(3, 1, 2), (1, 0, 1)]


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    """Text that is not JSON raises DataFileError with the line of the syntax error."""
    path = tmp_path / "facts.json"
    path.write_text('{\n  "partners": [\n    {"id": "P1",}\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_json(path)
    assert (info.value.file, info.value.line) == (str(path), 3)


def test_json_in_latin1_names_the_line(tmp_path: Path) -> None:
    """A JSON file with Latin-1 bytes raises DataFileError naming the line of the bad byte."""
    path = tmp_path / "facts.json"
    path.write_bytes('{"partners": [\n{"id": "P1", "name": "Café"}]}'.encode("latin-1"))
    with pytest.raises(DataFileError, match="not UTF-8") as info:
        load_json(path)
    assert info.value.line == 2


def test_json_document_must_be_an_object() -> None:
    """A JSON list at the top is refused."""
    with pytest.raises(DataFileError, match="is a JSON list; expected an object"):
        load_json("[1, 2]")


def test_json_strict_mode_raises_on_first_reject() -> None:
    """strict=True raises at the first bad item."""
    with pytest.raises(DataFileError) as info:
        load_json('{"partners": [{"id": "P1"}, {"id": 3}]}', strict=True)
    assert (info.value.file, info.value.line, info.value.column) == ("<json>#partners", 1, "id")


# ---------------------------------------------------------------------------------- results


def _ledger() -> Ledger:
    from partner_of_record.model import Customer, Subscription

    return Ledger(
        [Partner("P1"), Partner("P2")],
        [Customer("C1")],
        [Subscription("S1", "C1", Workload.AZURE)],
        [
            Association("P1", "S1", AssociationKind.PAL, dt.date(2024, 1, 1)),
            Association("P2", "S1", AssociationKind.DPOR, dt.date(2024, 1, 16)),
        ],
        [
            Usage("S1", dt.date(2024, 1, 1), Decimal("310.00")),
            Usage("S1", dt.date(2024, 2, 1), Decimal("100.01"), service="Storage"),
            Usage("S1", dt.date(2023, 12, 1), Decimal("5.00")),
        ],
    )


def _read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_credits_csv_has_documented_columns_and_one_line_per_credit() -> None:
    """The credits file's header is CREDIT_COLUMNS and its amounts are the credits' amounts."""
    credits = attribute(_ledger())
    out = io.StringIO()
    assert write_credits_csv(credits, out) == len(credits)
    rows = _read_csv(out.getvalue())
    assert list(rows[0]) == [name for name, _ in CREDIT_COLUMNS]
    assert [Decimal(r["amount"]) for r in rows] == [c.amount for c in credits]
    assert {r["kinds"] for r in rows} == {"pal", "dpor"}
    assert all(Fraction(r["share"]) == c.share for r, c in zip(rows, credits, strict=True))


@_TMP_SMALL
@given(ledger=ledgers(currencies=("USD", "EUR")))
def test_credits_csv_totals_match_the_engine(ledger: Ledger) -> None:
    """Law: summing the exported amounts by partner and currency gives Credits.totals."""
    credits = attribute(ledger)
    out = io.StringIO()
    write_credits_csv(credits, out)
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in _read_csv(out.getvalue()):
        sums[(row["partner_id"], row["currency"])] += Decimal(row["amount"])
    assert dict(sums) == credits.totals(by=("partner_id", "currency"))


def test_credits_json_matches_csv() -> None:
    """The JSON credits carry the same values as the CSV, kinds as a list."""
    credits = attribute(_ledger())
    as_csv, as_json = io.StringIO(), io.StringIO()
    write_credits_csv(credits, as_csv)
    write_credits_json(credits, as_json)
    items = json.loads(as_json.getvalue())
    rows = _read_csv(as_csv.getvalue())
    assert [i["amount"] for i in items] == [r["amount"] for r in rows]
    assert ["|".join(i["kinds"]) for i in items] == [r["kinds"] for r in rows]


def test_unattributed_and_reconciliation_files(tmp_path: Path) -> None:
    """Unattributed parts and the reconciliation are written one line per row, as documented."""
    credits = attribute(_ledger())
    path = tmp_path / "unattributed.csv"
    assert write_unattributed_csv(credits.unattributed, path) == len(credits.unattributed)
    rows = _read_csv(path.read_text(encoding="utf-8"))
    assert list(rows[0]) == [name for name, _ in UNATTRIBUTED_COLUMNS]
    assert rows[0]["month"] == "2023-12-01"  # nobody linked before 2024
    reconciliation = credits.reconcile()
    out = io.StringIO()
    assert write_reconciliation_csv(reconciliation, out) == 3
    rec_rows = _read_csv(out.getvalue())
    assert list(rec_rows[0]) == [name for name, _ in RECONCILIATION_COLUMNS]
    assert {r["ok"] for r in rec_rows} == {"true"}
    as_json = io.StringIO()
    write_reconciliation_json(reconciliation, as_json)
    assert [i["ok"] for i in json.loads(as_json.getvalue())] == [True, True, True]


def test_findings_files() -> None:
    """Findings are written with code, severity, message and a label of each subject."""
    usage = Usage("S1", dt.date(2024, 1, 1), Decimal("1"))
    findings = [Finding("X_CODE", "something", (Partner("P1"), usage), "warning")]
    out = io.StringIO()
    assert write_findings_csv(findings, out) == 1
    (row,) = _read_csv(out.getvalue())
    assert list(row) == [name for name, _ in FINDING_COLUMNS]
    assert row["subject"] == "Partner P1; S1 2024-01 1 USD"
    as_json = io.StringIO()
    write_findings_json(findings, as_json)
    assert json.loads(as_json.getvalue())[0]["severity"] == "warning"


def test_evaluations_files_have_one_line_per_requirement() -> None:
    """Each evaluation writes one line per requirement of its tree, with documented columns."""
    from partner_of_record.evaluation.evaluator import evaluate_competency

    evaluation = evaluate_competency(
        _ledger(), "P1", "CLOUD_PLATFORM_SILVER", as_of=dt.date(2024, 3, 1)
    )
    out = io.StringIO()
    nodes = list(evaluation.result.walk())
    assert write_evaluations_csv([evaluation, evaluation], out) == 2 * len(nodes)
    rows = _read_csv(out.getvalue())
    assert list(rows[0]) == [name for name, _ in EVALUATION_COLUMNS]
    assert rows[0]["requirement"] == nodes[0][0]
    assert rows[0]["evaluation_met"] == ("true" if evaluation.met else "false")
    assert rows[0]["customers"] == "|".join(nodes[0][1].customers)
    as_json = io.StringIO()
    write_evaluations_json([evaluation], as_json)
    assert json.loads(as_json.getvalue())[0]["met"] is nodes[0][1].met


def test_to_pandas_helpers() -> None:
    """credits_to_pandas and evaluations_to_pandas give one row per credit / requirement."""
    from partner_of_record.evaluation.evaluator import evaluate_competency

    credits = attribute(_ledger())
    frame = credits_to_pandas(credits)
    assert list(frame.columns) == [name for name, _ in CREDIT_COLUMNS]
    assert len(frame) == len(credits)
    assert sum(frame["amount"]) == sum(c.amount for c in credits)
    evaluation = evaluate_competency(
        _ledger(), "P1", "CLOUD_PLATFORM_SILVER", as_of=dt.date(2024, 3, 1)
    )
    assert len(evaluations_to_pandas([evaluation])) == len(list(evaluation.result.walk()))


def test_to_pandas_without_pandas_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pandas installed, the ImportError tells which extra to install."""
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"\[pandas\] extra"):
        credits_to_pandas([])


def test_rejects_file_lists_every_reject(tmp_path: Path) -> None:
    """A load's rejects are written one line each with file, line, column, value, reason, code."""
    from partner_of_record.io.export import REJECT_COLUMNS, write_rejects_csv

    folder = tmp_path / "in"
    export_folder(_ledger(), folder)
    usage = folder / "usage.csv"
    usage.write_bytes(usage.read_bytes() + b"S1,2024-03-01,lots,USD,,\r\n")
    report = load_folder(folder, progress=False).report
    out = io.StringIO()
    assert write_rejects_csv(report.rejects, out) == 1
    (row,) = _read_csv(out.getvalue())
    assert list(row) == [name for name, _ in REJECT_COLUMNS]
    assert (row["file"], row["line"], row["column"], row["value"], row["code"]) == (
        str(usage),
        "5",
        "amount",
        "lots",
        "INVALID_VALUE",
    )


def test_evaluations_files_carry_to_full_points_for_scored_metrics() -> None:
    """A scored metric's row says what is missing to full points; other rows leave it empty."""
    from partner_of_record.evaluation.evaluator import evaluate_competency
    from partner_of_record.samples import SAMPLE_AS_OF, load_sample

    evaluation = evaluate_competency(
        load_sample(), "4500168", "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE", as_of=SAMPLE_AS_OF
    )
    out = io.StringIO()
    write_evaluations_csv([evaluation], out)
    rows = {row["requirement"]: row for row in _read_csv(out.getvalue())}
    walked = dict(evaluation.result.walk())
    scored = [path for path, result in walked.items() if result.kind == "scored"]
    assert scored
    for path, result in walked.items():
        cell = rows[path]["to_full_points"]
        if result.to_full_points is None:
            assert cell == "", path
        else:
            assert Decimal(cell) == result.to_full_points, path
