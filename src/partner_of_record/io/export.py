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

**Where the code lives.** This module writes the facts (``write_records_csv``,
``export_folder``, ``export_json``, ``write_parquet``) and re-exports the rest from private
topic modules: the cell text and formula escape in ``io/_cell_text.py``, the result tables'
columns and rows in ``io/_result_rows.py``, their CSV, JSON and pandas writers in
``io/_result_writers.py``.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from partner_of_record.io._cell_text import escape_formula, format_cell, opened
from partner_of_record.io._result_rows import (
    CREDIT_COLUMNS,
    EVALUATION_COLUMNS,
    FINDING_COLUMNS,
    RECONCILIATION_COLUMNS,
    REJECT_COLUMNS,
    UNATTRIBUTED_COLUMNS,
    Columns,
    credit_row,
    evaluation_rows,
    finding_row,
    reconciliation_row,
    unattributed_row,
)
from partner_of_record.io._result_writers import (
    credits_to_pandas,
    evaluations_to_pandas,
    write_credits_csv,
    write_credits_json,
    write_evaluations_csv,
    write_evaluations_json,
    write_findings_csv,
    write_findings_json,
    write_reconciliation_csv,
    write_reconciliation_json,
    write_rejects_csv,
    write_unattributed_csv,
)
from partner_of_record.io.columns import LAYOUTS, RecordLayout, layout_for
from partner_of_record.io.json import to_json
from partner_of_record.ledger import Ledger
from partner_of_record.model import Record

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
    with opened(file) as out:
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
