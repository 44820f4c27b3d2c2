"""Export facts and results to CSV and JSON, with documented columns.

**Facts.** ``export_folder`` writes a ledger in the layout the CSV importer reads, so import ->
export -> import is lossless; ``export_json`` writes the single JSON document ``load_json`` reads.
Files are written as UTF-8 without a byte order mark, comma-delimited, with ``\\r\\n`` line ends
(RFC 4180) and quotes only where needed. Headers are the canonical field names of
[`LAYOUTS`][partner_of_record.io.columns.LAYOUTS]; dates are ISO ``YYYY-MM-DD``; amounts are
plain decimal strings (``-1234.50``: no exponent, no thousands separator, the amount's own
number of decimals kept); enumerations are written by value (``csp_tier1``); ``None`` is an
empty cell. One representation limit, by design of CSV: an empty cell reads back as "not
given", so an association whose ``role`` is the empty string ``""`` comes back with
``role=None``.

**Formulas.** A spreadsheet runs a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula (CSV injection). Every CSV writer here therefore prefixes such a
cell with a single quote ``'`` (the usual escape; spreadsheets show the text, not a formula),
except cells that are plain numbers (``-12.50`` stays a negative amount). A cell that already
begins with quotes followed by one of those characters gets one more quote, so the escape is
reversible: the CSV importer removes one leading quote from exactly those cells, and
export-then-import round-trips exactly. Pass ``escape_formulas=False`` to write raw cells
(for a program, not a person, reading the file; the importer then reads ``'=x`` as ``=x``).

**Results.** Credits, unattributed parts, reconciliations, findings, evaluations and load
rejects are written by ``write_<table>_csv`` / ``write_<table>_json``; each table's columns are
documented in a ``<TABLE>_COLUMNS`` tuple of ``(column, description)`` pairs. ``credits_to_pandas``
and ``evaluations_to_pandas`` return DataFrames (the ``pandas`` extra, imported lazily).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import enum
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs

from partner_of_record.errors import Finding
from partner_of_record.io.columns import LAYOUTS, RecordLayout, layout_for
from partner_of_record.io.json import to_json
from partner_of_record.ledger import Ledger
from partner_of_record.model import (
    Record,
    Usage,
)

if TYPE_CHECKING:  # result types are only annotations: exporting facts never imports them
    import pandas as pd

    from partner_of_record.attribution.reconcile import Reconciliation, RowReconciliation
    from partner_of_record.attribution.records import Credit, Unattributed
    from partner_of_record.evaluation.results import Evaluation
    from partner_of_record.io.csv_import import Reject

__all__ = [
    "CREDIT_COLUMNS",
    "EVALUATION_COLUMNS",
    "FINDING_COLUMNS",
    "RECONCILIATION_COLUMNS",
    "REJECT_COLUMNS",
    "UNATTRIBUTED_COLUMNS",
    "Columns",
    "credit_row",
    "credits_to_pandas",
    "escape_formula",
    "evaluation_rows",
    "evaluations_to_pandas",
    "export_folder",
    "export_json",
    "finding_row",
    "format_cell",
    "reconciliation_row",
    "unattributed_row",
    "write_credits_csv",
    "write_credits_json",
    "write_evaluations_csv",
    "write_evaluations_json",
    "write_findings_csv",
    "write_findings_json",
    "write_parquet",
    "write_reconciliation_csv",
    "write_reconciliation_json",
    "write_records_csv",
    "write_rejects_csv",
    "write_unattributed_csv",
]


_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?", re.ASCII)


def escape_formula(text: str) -> str:
    """Return ``text`` safe to open in a spreadsheet: ``'`` before a cell a spreadsheet would run.

    Args:
        text: a CSV cell's text.

    Returns:
        ``text`` with one ``'`` prefixed when it begins (after any quotes) with ``=``, ``+``,
        ``-``, ``@``, a tab or a carriage return and is not a plain number; else ``text``.
        The CSV importer reverses it.
    """
    if _FORMULA.match(text) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def format_cell(value: object) -> str:
    """Return the CSV text of one field value, as the importer reads it back.

    Args:
        value: a field value of a model record.

    Returns:
        ``""`` for ``None``, ISO text for dates, plain decimal text for amounts, the value of
        enumerations, ``str()`` of anything else.

    Raises:
        TypeError: ``value`` is a ``datetime`` or a float, which no record field holds.
    """
    if value is None:
        return ""
    if isinstance(value, dt.datetime | float):
        msg = f"{value!r} is not a value a record field holds"
        raise TypeError(msg)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


@contextlib.contextmanager
def _opened(file: str | os.PathLike[str] | IO[str]) -> Iterator[IO[str]]:
    """A path opened for writing as UTF-8 with ``newline=""`` (closed after), or ``file`` itself
    (left open) when it is already a text file."""
    if isinstance(file, str | os.PathLike):
        with Path(file).open("w", encoding="utf-8", newline="") as out:
            yield out
    else:
        yield file


def _write(
    records: Iterable[Record], layout: RecordLayout, out: IO[str], *, escape_formulas: bool
) -> int:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.field for column in layout.columns])
    count = 0
    for record in records:
        if not isinstance(record, layout.record_type):
            msg = f"{record!r} is not a {layout.record_type.__name__} ({layout.name})"
            raise TypeError(msg)
        cells = [format_cell(getattr(record, c.field)) for c in layout.columns]
        writer.writerow(map(escape_formula, cells) if escape_formulas else cells)
        count += 1
    return count


def write_records_csv(
    records: Iterable[Record],
    file: str | os.PathLike[str] | IO[str],
    record_type: type[Record] | str,
    *,
    escape_formulas: bool = True,
) -> int:
    """Write records of one type as CSV, with the canonical header.

    Args:
        records: records of ``record_type`` (streamed: any iterable).
        file: a path, or a text file opened with ``newline=""``.
        record_type: the model class or layout name (``"usage"``).
        escape_formulas: prefix ``'`` to cells a spreadsheet would run as formulas (see the
            module documentation); ``False`` writes raw cells.

    Returns:
        The number of records written.

    Raises:
        TypeError: a record is not of ``record_type``.
        ValueError: ``record_type`` is not a known record type.
    """
    layout = layout_for(record_type)
    with _opened(file) as out:
        return _write(records, layout, out, escape_formulas=escape_formulas)


def export_folder(
    ledger: Ledger, path: str | os.PathLike[str], *, escape_formulas: bool = True
) -> dict[str, int]:
    """Write a ledger as a folder of CSV files that ``load_folder`` reads back unchanged.

    All six files are written, with a header even when they hold no record. Existing files of
    the same names are replaced; other files are left alone.

    Args:
        ledger: the ledger to write.
        path: the folder; created (with its parents) when missing.
        escape_formulas: prefix ``'`` to cells a spreadsheet would run as formulas (the
            importer removes it again); ``False`` writes raw cells.

    Returns:
        The number of records written, by file name.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    sources: dict[str, Iterable[Record]] = {
        "partners": ledger.partners,
        "customers": ledger.customers,
        "subscriptions": ledger.subscriptions,
        "associations": ledger.associations,
        "usage": ledger.usage,
        "seats": ledger.seats,
    }
    return {
        layout.file_name: write_records_csv(
            sources[layout.name],
            folder / layout.file_name,
            layout.name,
            escape_formulas=escape_formulas,
        )
        for layout in LAYOUTS
    }


def export_json(ledger: Ledger, path: str | os.PathLike[str], *, indent: int | None = 2) -> None:
    """Write a ledger as one JSON document that ``load_json`` reads back unchanged.

    Args:
        ledger: the ledger to write.
        path: the file to write (replaced if it exists).
        indent: pretty-print indent, or ``None`` for one compact line.
    """
    Path(path).write_text(to_json(ledger, indent=indent) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------------
# results: credits, unattributed parts, reconciliation, findings, evaluations
#
# Each result table is a tuple of (column, description) pairs (the documentation of the file),
# a function turning one result value into a row of Python values, and writers for CSV and
# JSON built from them. In CSV, values are written as ``format_cell`` does (plus ``true`` /
# ``false``, fractions as ``n/d`` and kind sets as ``dpor|pal``); in JSON, amounts and fractions
# are strings, dates ISO strings, kind sets sorted lists, counts numbers, booleans booleans.

Columns = tuple[tuple[str, str], ...]
"""A result table's documentation: ``(column, description)`` pairs, in file order."""

CREDIT_COLUMNS: Columns = (
    ("partner_id", "The credited partner."),
    ("subscription_id", "The subscription that consumed."),
    ("customer_id", "The customer tenant that owns the subscription."),
    ("workload", "The subscription's workload, by value (azure, office_365 ...)."),
    ("month", "The first day of the usage month (YYYY-MM-DD)."),
    ("service", "The usage row's service; empty when not known."),
    ("currency", "ISO 4217 code of the amount."),
    ("amount", "The credited amount, rounded to the currency's minor unit."),
    ("kinds", "The association kinds that earned the credit (CSV: 'dpor|pal'; JSON: a list)."),
    ("share", "The exact fraction of the usage amount credited before rounding ('1/2')."),
    ("policy", "The attribution policy's name."),
    ("rule", "The rule of the policy that decided the credit."),
)
"""The columns of a credits file."""

UNATTRIBUTED_COLUMNS: Columns = (
    ("subscription_id", "The subscription of the usage row."),
    ("month", "The first day of the usage month."),
    ("service", "The usage row's service; empty when not known."),
    ("currency", "ISO 4217 code."),
    ("usage_amount", "The usage row's whole amount."),
    ("amount", "The part nobody was credited with, rounded to the minor unit."),
    ("days", "Days of the month on which no partner was credited."),
    ("reason", "Why, in words."),
)
"""The columns of an unattributed-usage file."""

RECONCILIATION_COLUMNS: Columns = (
    ("subscription_id", "The subscription of the usage row."),
    ("month", "The first day of the usage month."),
    ("service", "The usage row's service; empty when not known."),
    ("currency", "ISO 4217 code."),
    ("amount", "The row's amount, rounded to the minor unit."),
    ("credited", "The sum of the row's credits over partners."),
    ("largest_credit", "The largest single partner credit."),
    ("unattributed", "The part nobody was credited with."),
    ("partners", "How many credits the row has."),
    ("ok", "Whether the row passes its reconciliation check (true/false)."),
    ("problem", "What is wrong; empty when ok."),
)
"""The columns of a reconciliation file (one row per usage row)."""

FINDING_COLUMNS: Columns = (
    ("code", "The finding's stable code (DPOR_OVERLAP ...)."),
    ("severity", "error or warning."),
    ("message", "The readable message, naming the records."),
    ("subject", "Short labels of the records it is about, joined by '; '."),
)
"""The columns of a findings file."""

EVALUATION_COLUMNS: Columns = (
    ("competency", "The competency or designation's name."),
    ("partner_id", "The partner evaluated."),
    ("as_of", "The day of the evaluation."),
    ("month", "The measurement month (first day)."),
    ("evaluation_met", "Whether the whole competency is met (true/false)."),
    ("score", "The total points; empty for unscored competencies."),
    ("max_score", "The most points there are; empty for unscored competencies."),
    ("requirement", "The requirement's path in the tree (enterprise.usage_growth)."),
    ("kind", "The building block (scored, at_least, scorecard ...)."),
    ("measured", "The measured value, in unit; empty when not measured."),
    ("unit", "USD, percent, points or a plural noun (customers)."),
    ("threshold", "The value needed (for scored metrics, the value for full points)."),
    ("met", "Whether this requirement is met (true/false)."),
    ("shortfall", "What is still missing to reach the threshold, in unit."),
    (
        "to_full_points",
        "For a scored metric: what is still missing to earn its full points, in unit; empty"
        " otherwise.",
    ),
    ("points", "Points scored; empty for unscored requirements."),
    ("max_points", "The cap; empty for unscored requirements."),
    ("reason", "Why, in one sentence."),
    ("detail", "How the value was obtained."),
    ("customers", "Customer ids that counted, joined by '|'."),
)
"""The columns of an evaluations file: one row per requirement (the whole tree) per evaluation."""


REJECT_COLUMNS: Columns = (
    ("file", "The file (for JSON: the document, '#' and the list)."),
    ("line", "The line where the row starts (JSON: the item's position in its list)."),
    ("column", "The column as its header is written in the file; empty for the whole row."),
    ("value", "The offending text."),
    ("reason", "What is wrong."),
    ("code", "The stable reject code (EMPTY_FILE, INVALID_VALUE, DPOR_OVERLAP ...)."),
)
"""The columns of a rejects file (a load report's rejects)."""


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, frozenset | tuple):
        return "|".join(sorted(_cell(v) for v in value))
    return format_cell(value)


def _json_value(value: object) -> object:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, frozenset | tuple):
        return sorted(str(_json_value(v)) for v in value)
    return _cell(value)


def _label(subject: object) -> str:
    """A finding subject as text: a record's ``describe()``, anything else as ``str``."""
    return subject.describe() if isinstance(subject, Record) else str(subject)


def credit_row(credit: Credit) -> dict[str, object]:
    """Return one credit as a row of ``CREDIT_COLUMNS`` (Python values).

    Args:
        credit: a credit from [`Credits`][partner_of_record.Credits].

    Returns:
        A dict keyed by column name.
    """
    return {
        "partner_id": credit.partner_id,
        "subscription_id": credit.subscription_id,
        "customer_id": credit.customer_id,
        "workload": credit.workload,
        "month": credit.month,
        "service": credit.service,
        "currency": credit.currency,
        "amount": credit.amount,
        "kinds": frozenset(k.value for k in credit.kinds),
        "share": credit.share,
        "policy": credit.explanation.policy,
        "rule": credit.explanation.rule,
    }


def _usage_key(usage: Usage) -> dict[str, object]:
    """The columns that name a usage row: subscription, month, service, currency."""
    return {
        "subscription_id": usage.subscription_id,
        "month": usage.month,
        "service": usage.service,
        "currency": usage.currency,
    }


def unattributed_row(part: Unattributed) -> dict[str, object]:
    """Return one unattributed part as a row of ``UNATTRIBUTED_COLUMNS``.

    Args:
        part: an item of ``Credits.unattributed``.

    Returns:
        A dict keyed by column name.
    """
    return {
        **_usage_key(part.usage),
        "usage_amount": part.usage.amount,
        "amount": part.amount,
        "days": part.days,
        "reason": part.reason,
    }


def reconciliation_row(row: RowReconciliation) -> dict[str, object]:
    """Return one usage row's reconciliation as a row of ``RECONCILIATION_COLUMNS``.

    Args:
        row: an item of ``Reconciliation.rows``.

    Returns:
        A dict keyed by column name.
    """
    return {
        **_usage_key(row.usage),
        "amount": row.amount,
        "credited": row.credited,
        "largest_credit": row.largest_credit,
        "unattributed": row.unattributed,
        "partners": row.partners,
        "ok": row.ok,
        "problem": row.problem,
    }


def finding_row(finding: Finding) -> dict[str, object]:
    """Return one finding as a row of ``FINDING_COLUMNS``.

    Args:
        finding: any [`Finding`][partner_of_record.Finding].

    Returns:
        A dict keyed by column name.
    """
    return {
        "code": finding.code,
        "severity": finding.severity,
        "message": finding.message,
        "subject": "; ".join(_label(s) for s in finding.subject),
    }


def evaluation_rows(evaluation: Evaluation) -> Iterator[dict[str, object]]:
    """Yield one row of ``EVALUATION_COLUMNS`` per requirement of an evaluation's tree.

    Args:
        evaluation: an evaluation result.

    Yields:
        A dict keyed by column name, the root requirement first, then depth first.
    """
    head: dict[str, object] = {
        "competency": evaluation.competency,
        "partner_id": evaluation.partner_id,
        "as_of": evaluation.as_of,
        "month": evaluation.month,
        "evaluation_met": evaluation.met,
        "score": evaluation.score,
        "max_score": evaluation.max_score,
    }
    for path, result in evaluation.result.walk():
        yield {
            **head,
            "requirement": path,
            "kind": result.kind,
            "measured": result.measured,
            "unit": result.unit,
            "threshold": result.threshold,
            "met": result.met,
            "shortfall": result.shortfall,
            "to_full_points": result.to_full_points,
            "points": result.points,
            "max_points": result.max_points,
            "reason": result.reason,
            "detail": result.detail,
            "customers": tuple(result.customers),
        }


def _write_csv(rows: Iterable[dict[str, object]], columns: Columns, out: IO[str]) -> int:
    return _write_cells(rows, columns, out, escape=escape_formula)


def _write_raw_csv(rows: Iterable[dict[str, object]], columns: Columns, out: IO[str]) -> int:
    return _write_cells(rows, columns, out, escape=str)


def _write_cells(
    rows: Iterable[dict[str, object]], columns: Columns, out: IO[str], escape: Callable[[str], str]
) -> int:
    writer = csv.writer(out, lineterminator="\r\n")
    names = [name for name, _ in columns]
    writer.writerow(names)
    count = 0
    for row in rows:
        writer.writerow([escape(_cell(row[name])) for name in names])
        count += 1
    return count


def _csv_writer(
    escape_formulas: bool,
) -> Callable[[Iterable[dict[str, object]], Columns, IO[str]], int]:
    return _write_csv if escape_formulas else _write_raw_csv


def _write_json(rows: Iterable[dict[str, object]], columns: Columns, out: IO[str]) -> int:
    names = [name for name, _ in columns]
    items = [{name: _json_value(row[name]) for name in names} for row in rows]
    json.dump(items, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return len(items)


def _to_file(
    rows: Iterable[dict[str, object]],
    columns: Columns,
    file: str | os.PathLike[str] | IO[str],
    writer: Callable[[Iterable[dict[str, object]], Columns, IO[str]], int],
) -> int:
    with _opened(file) as out:
        return writer(rows, columns, out)


def write_credits_csv(
    credits: Iterable[Credit],
    file: str | os.PathLike[str] | IO[str],
    *,
    escape_formulas: bool = True,
) -> int:
    """Write credits as CSV with the ``CREDIT_COLUMNS`` header.

    Args:
        credits: a [`Credits`][partner_of_record.Credits] (or any credits), streamed.
        file: a path, or a text file opened with ``newline=""``.
        escape_formulas: prefix ``'`` to cells a spreadsheet would run as formulas;
            ``False`` writes raw cells.

    Returns:
        The number of credits written.
    """
    return _to_file(map(credit_row, credits), CREDIT_COLUMNS, file, _csv_writer(escape_formulas))


def write_credits_json(credits: Iterable[Credit], file: str | os.PathLike[str] | IO[str]) -> int:
    """Write credits as a JSON list of objects keyed by ``CREDIT_COLUMNS``.

    Args:
        credits: a [`Credits`][partner_of_record.Credits] (or any credits).
        file: a path, or a text file.

    Returns:
        The number of credits written.
    """
    return _to_file(map(credit_row, credits), CREDIT_COLUMNS, file, _write_json)


def write_unattributed_csv(
    parts: Iterable[Unattributed],
    file: str | os.PathLike[str] | IO[str],
    *,
    escape_formulas: bool = True,
) -> int:
    """Write ``Credits.unattributed`` as CSV with the ``UNATTRIBUTED_COLUMNS`` header.

    Args:
        parts: the unattributed parts.
        file: a path, or a text file opened with ``newline=""``.
        escape_formulas: prefix ``'`` to cells a spreadsheet would run as formulas;
            ``False`` writes raw cells.

    Returns:
        The number of rows written.
    """
    return _to_file(
        map(unattributed_row, parts), UNATTRIBUTED_COLUMNS, file, _csv_writer(escape_formulas)
    )


def write_reconciliation_csv(
    reconciliation: Reconciliation,
    file: str | os.PathLike[str] | IO[str],
    *,
    escape_formulas: bool = True,
) -> int:
    """Write a reconciliation, one line per usage row, with ``RECONCILIATION_COLUMNS``.

    Args:
        reconciliation: the result of ``Credits.reconcile()``.
        file: a path, or a text file opened with ``newline=""``.
        escape_formulas: prefix ``'`` to cells a spreadsheet would run as formulas;
            ``False`` writes raw cells.

    Returns:
        The number of rows written.
    """
    rows = map(reconciliation_row, reconciliation.rows)
    return _to_file(rows, RECONCILIATION_COLUMNS, file, _csv_writer(escape_formulas))


def write_reconciliation_json(
    reconciliation: Reconciliation, file: str | os.PathLike[str] | IO[str]
) -> int:
    """Write a reconciliation's rows as a JSON list keyed by ``RECONCILIATION_COLUMNS``.

    Args:
        reconciliation: the result of ``Credits.reconcile()``.
        file: a path, or a text file.

    Returns:
        The number of rows written.
    """
    rows = map(reconciliation_row, reconciliation.rows)
    return _to_file(rows, RECONCILIATION_COLUMNS, file, _write_json)


def write_findings_csv(
    findings: Iterable[Finding],
    file: str | os.PathLike[str] | IO[str],
    *,
    escape_formulas: bool = True,
) -> int:
    """Write findings as CSV with the ``FINDING_COLUMNS`` header.

    Args:
        findings: any findings (a ledger's, an evaluation's, a load report's warnings).
        file: a path, or a text file opened with ``newline=""``.
        escape_formulas: prefix ``'`` to cells a spreadsheet would run as formulas;
            ``False`` writes raw cells.

    Returns:
        The number of findings written.
    """
    return _to_file(map(finding_row, findings), FINDING_COLUMNS, file, _csv_writer(escape_formulas))


def write_findings_json(findings: Iterable[Finding], file: str | os.PathLike[str] | IO[str]) -> int:
    """Write findings as a JSON list keyed by ``FINDING_COLUMNS``.

    Args:
        findings: any findings.
        file: a path, or a text file.

    Returns:
        The number of findings written.
    """
    return _to_file(map(finding_row, findings), FINDING_COLUMNS, file, _write_json)


def write_rejects_csv(
    rejects: Iterable[Reject],
    file: str | os.PathLike[str] | IO[str],
    *,
    escape_formulas: bool = True,
) -> int:
    """Write a load's rejects as CSV with the ``REJECT_COLUMNS`` header.

    Args:
        rejects: ``LoadReport.rejects`` (or any rejects).
        file: a path, or a text file opened with ``newline=""``.
        escape_formulas: prefix ``'`` to cells a spreadsheet would run as formulas;
            ``False`` writes raw cells.

    Returns:
        The number of rejects written.
    """
    rows = (attrs.asdict(r) for r in rejects)
    return _to_file(rows, REJECT_COLUMNS, file, _csv_writer(escape_formulas))


def _all_evaluation_rows(evaluations: Iterable[Evaluation]) -> Iterator[dict[str, object]]:
    for evaluation in evaluations:
        yield from evaluation_rows(evaluation)


def write_evaluations_csv(
    evaluations: Iterable[Evaluation],
    file: str | os.PathLike[str] | IO[str],
    *,
    escape_formulas: bool = True,
) -> int:
    """Write evaluations as CSV, one line per requirement, with ``EVALUATION_COLUMNS``.

    Args:
        evaluations: evaluation results (one per partner and competency, say).
        file: a path, or a text file opened with ``newline=""``.
        escape_formulas: prefix ``'`` to cells a spreadsheet would run as formulas;
            ``False`` writes raw cells.

    Returns:
        The number of lines written (requirements, over all evaluations).
    """
    return _to_file(
        _all_evaluation_rows(evaluations), EVALUATION_COLUMNS, file, _csv_writer(escape_formulas)
    )


def write_evaluations_json(
    evaluations: Iterable[Evaluation], file: str | os.PathLike[str] | IO[str]
) -> int:
    """Write evaluations as a JSON list keyed by ``EVALUATION_COLUMNS``, one per requirement.

    Args:
        evaluations: evaluation results.
        file: a path, or a text file.

    Returns:
        The number of items written.
    """
    return _to_file(_all_evaluation_rows(evaluations), EVALUATION_COLUMNS, file, _write_json)


# --------------------------------------------------------------------------------------------
# Parquet (the arrow extra)


def write_parquet(data: Ledger | Any, path: str | os.PathLike[str]) -> int:
    """Write a ledger's usage rows, or any result with ``to_arrow()`` (credits), as Parquet.

    A ledger's usage is written with the columns ``subscription_id``, ``month`` (a date),
    ``amount`` (exact decimal text, as in CSV), ``currency``, ``service`` and ``offer``; put the
    file in a folder as ``usage.parquet`` and ``load_folder`` reads it instead of ``usage.csv``.

    Args:
        data: a [`Ledger`][partner_of_record.Ledger] (its usage rows), or an object with a
            ``to_arrow()`` method such as [`Credits`][partner_of_record.Credits].
        path: the file to write (replaced if it exists).

    Returns:
        The number of rows written.

    Raises:
        ImportError: pyarrow is not installed (the message names the ``arrow`` extra).
        TypeError: ``data`` is neither.
    """
    from partner_of_record.io._usage_columns import pyarrow_parquet, usage_arrow_table

    _, pq = pyarrow_parquet()
    if isinstance(data, Ledger):
        table = usage_arrow_table(data.usage)
    elif callable(getattr(data, "to_arrow", None)):
        table = data.to_arrow()
    else:
        msg = f"write_parquet: {type(data).__name__} is not a Ledger and has no to_arrow()"
        raise TypeError(msg)
    pq.write_table(table, str(path))
    return int(table.num_rows)


# --------------------------------------------------------------------------------------------
# pandas (optional extra)


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError as exc:
        msg = "this needs pandas: install the extra with  pip install pandas (the [pandas] extra)"
        raise ImportError(msg) from exc
    return pd


def _frame(rows: Iterable[dict[str, object]], columns: Columns) -> pd.DataFrame:
    pandas = _pandas()
    names = [name for name, _ in columns]
    frame: pd.DataFrame = pandas.DataFrame.from_records(list(rows), columns=names)
    return frame


def credits_to_pandas(credits: Iterable[Credit]) -> pd.DataFrame:
    """Return credits as a DataFrame with the ``CREDIT_COLUMNS`` columns.

    Amounts stay exact ``Decimal`` objects (object dtype; never floats), months are
    ``datetime.date`` values, workloads are enum members, kinds are frozensets of kind values
    and shares are ``Fraction`` values.

    Args:
        credits: a [`Credits`][partner_of_record.Credits] (or any credits).

    Returns:
        A ``pandas.DataFrame``, one row per credit.

    Raises:
        ImportError: pandas is not installed (the message names the extra to install).
    """
    return _frame(map(credit_row, credits), CREDIT_COLUMNS)


def evaluations_to_pandas(evaluations: Iterable[Evaluation]) -> pd.DataFrame:
    """Return evaluations as a DataFrame, one row per requirement, ``EVALUATION_COLUMNS``.

    Args:
        evaluations: evaluation results (a single one: pass ``[evaluation]``).

    Returns:
        A ``pandas.DataFrame``; numbers stay exact ``Decimal`` objects.

    Raises:
        ImportError: pandas is not installed (the message names the extra to install).
    """
    return _frame(_all_evaluation_rows(evaluations), EVALUATION_COLUMNS)
