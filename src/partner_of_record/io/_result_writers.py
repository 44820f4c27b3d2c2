"""Write the result tables as CSV, JSON or pandas DataFrames (internal; re-exported by
``partner_of_record.io.export``).

In CSV, values are written as ``format_cell`` does (plus ``true`` / ``false``, fractions as
``n/d`` and kind sets as ``dpor|pal``); in JSON, amounts and fractions are strings, dates ISO
strings, kind sets sorted lists, counts numbers, booleans booleans.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from typing import IO, TYPE_CHECKING, Any

import attrs

from partner_of_record._extras import require
from partner_of_record.errors import Finding
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

if TYPE_CHECKING:  # result types are only annotations
    import pandas as pd

    from partner_of_record.attribution.reconcile import Reconciliation
    from partner_of_record.attribution.records import Credit, Unattributed
    from partner_of_record.evaluation.results import Evaluation
    from partner_of_record.io.csv_import import Reject

__all__ = [
    "credits_to_pandas",
    "evaluations_to_pandas",
    "write_credits_csv",
    "write_credits_json",
    "write_evaluations_csv",
    "write_evaluations_json",
    "write_findings_csv",
    "write_findings_json",
    "write_reconciliation_csv",
    "write_reconciliation_json",
    "write_rejects_csv",
    "write_unattributed_csv",
]


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
    with opened(file) as out:
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
# pandas (optional extra)


def _pandas() -> Any:
    return require("pandas", "pandas", "this")


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
