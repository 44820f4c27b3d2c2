"""Import records from CSV files: tolerant, streaming, and loud about every row it rejects.

A **folder** holds one CSV file per record type (``partners.csv``, ``customers.csv``,
``subscriptions.csv``, ``associations.csv``, ``usage.csv``, ``seats.csv``; the columns are listed
in [`partner_of_record.io.columns`][partner_of_record.io.columns]). A missing file means "no
records of that type"; a folder with none of them is an error.

What the reader tolerates: UTF-8 with or without a byte order mark, and UTF-16 (Excel's
"Unicode Text", with or without a byte order mark); lines
ending in ``\\r\\n``, ``\\n`` or a lone ``\\r`` (Excel for Mac); ``,``, ``;`` or tab as the
delimiter (chosen from the header row); quoted fields with delimiters, quotes or line breaks
inside (but see ``MULTILINE_CELL``); header names in any case and spacing, including the names
Partner Center exports use; blank lines, before the header too (counted, not read); cells that
an exporter escaped against formula injection (``'=...``: one leading quote is removed, see
[`export`][partner_of_record.io.export]); and the cell formats documented in ``columns``.

What it rejects, each as a [`Reject`][partner_of_record.io.csv_import.Reject] naming the file,
the line (where the row starts, the header being line 1), the column (as written in the file) and
the value, with a stable ``code``:

| code | meaning |
|---|---|
| ``EMPTY_FILE`` | the file has no header row (0 bytes or only blank text) |
| ``MISSING_COLUMN`` | a required column is not in the header: every row of the file is rejected |
| ``DUPLICATE_COLUMN`` | two header cells name the same field: every row of the file is rejected |
| ``BAD_ENCODING`` | bytes that are not UTF-8 (or UTF-16), e.g. a Latin-1 file |
| ``MALFORMED_HEADER`` | the header row is not valid CSV (a stray quote): every row is rejected |
| ``MALFORMED_ROW`` | CSV syntax broken: a stray quote, or the file ends inside a quoted field |
| ``MULTILINE_CELL`` | a quoted cell spans lines holding row-shaped text (``multiline=True``) |
| ``WRONG_FIELD_COUNT`` | the row has more or fewer fields than the header |
| ``MISSING_VALUE`` | a required cell is empty |
| ``INVALID_VALUE`` | a cell cannot be read, or the model refuses the value (its message is kept) |
| ``DUPLICATE_ROW`` | the row repeats an earlier row of the file exactly (a harmless re-export) |
| ``DUPLICATE_KEY`` | the row has an earlier row's id or usage/seat key, other values (a conflict) |
| ``UNKNOWN_PARTNER`` | the partner an association names is not (validly) in the folder |
| ``UNKNOWN_CUSTOMER`` | the customer a subscription names is not (validly) in the folder |
| ``UNKNOWN_SUBSCRIPTION`` | the subscription a row names is not (validly) in the folder |
| any ledger finding code | the ledger refused the record (a rule such as one DPOR at a time) |

What a duplicate is and what a row refers to have one definition, the model's
``partner_of_record.model.KEY_FIELDS`` and ``partner_of_record.model.REFERENCES``, which the
ledger's checks read too; the reference rejects carry the ledger's codes. The two duplicate
codes are the loader's own on purpose: a line of a file can repeat another exactly (a harmless
re-export, ``DUPLICATE_ROW``) or conflict with it (``DUPLICATE_KEY``), a difference the
ledger, which sees records and not lines, does not draw. Both stand for the ledger's
``DUPLICATE_ID`` (partners, customers, subscriptions), ``DUPLICATE_USAGE`` (usage rows) or
``DUPLICATE_SEATS`` (seat records). An association has no key: a row repeating another
exactly is a ``DUPLICATE_ROW``, and two that differ but are in effect on the same day are left
to the ledger's ``DUPLICATE_ASSOCIATION``.

Warnings (kept as [`Finding`][partner_of_record.Finding] values with ``severity="warning"``):
``UNKNOWN_COLUMN`` once per file and column that no field claims, ``UNKNOWN_FILE`` for a CSV
file in the folder that is not one of the six, and the ledger's own warnings.

Counting: for each file, ``read`` counts the data rows (not the header, not blank lines),
``read == accepted + rejected`` always holds, and ``lines`` counts the physical lines, so a gap
between lines and rows is visible in the report. A reject of a row that spans several lines
names them (``the row spans lines 4-9``). A row with several bad cells gives several
rejects but is one rejected row. Nothing is dropped silently; ``strict=True`` raises a
[`DataFileError`][partner_of_record.io.csv_import.DataFileError] on the first reject instead.

Streaming: rows are read one at a time. ``load_folder`` keeps the accepted records (it builds a
ledger from them); ``validate_folder`` and ``read_records`` keep only what duplicate and
reference checks need (one small entry per row key and the sets of ids), so files larger than
memory can be validated.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, TypeVar, overload

from partner_of_record.errors import Finding
from partner_of_record.io._csv_reader import read_file
from partner_of_record.io._csv_rows import Options
from partner_of_record.io._session import (
    PROGRESS_EVERY,
    DataFileError,
    FileSummary,
    Lines,
    LoadReport,
    LoadResult,
    ProgressCallback,
    References,
    Reject,
    Seen,
    Session,
    Tally,
    build_ledger,
)
from partner_of_record.io._usage_columns import UsageSink, read_usage_parquet
from partner_of_record.io.columns import (
    LAYOUTS,
    CellError,  # noqa: F401 - old import path: ``csv_import.CellError``
    DateOrder,
    DecimalMark,
    RecordLayout,
    layout_for,
)
from partner_of_record.model import (
    Association,
    Customer,
    Partner,
    Record,
    SeatUsage,
    Subscription,
    Usage,
)
from partner_of_record.rules import DEFAULT_RULES, RuleSet

__all__ = [
    "CsvEngine",
    "DataFileError",
    "FileSummary",
    "LoadReport",
    "LoadResult",
    "ProgressCallback",
    "Reject",
    "load_folder",
    "read_records",
    "validate_folder",
]
_R = TypeVar("_R", Partner, Customer, Subscription, Association, Usage, SeatUsage)


@overload
def read_records(
    path: str | os.PathLike[str],
    record_type: type[_R],
    *,
    on_reject: Callable[[Reject], None] | None = None,
    duplicates: bool = True,
    date_order: DateOrder | None = None,
    decimal: DecimalMark | None = None,
    inclusive_end: bool = False,
    multiline: bool = False,
) -> Iterator[_R]: ...


@overload
def read_records(
    path: str | os.PathLike[str],
    record_type: str,
    *,
    on_reject: Callable[[Reject], None] | None = None,
    duplicates: bool = True,
    date_order: DateOrder | None = None,
    decimal: DecimalMark | None = None,
    inclusive_end: bool = False,
    multiline: bool = False,
) -> Iterator[Record]: ...


def read_records(
    path: str | os.PathLike[str],
    record_type: type[Any] | str,
    *,
    on_reject: Callable[[Reject], None] | None = None,
    duplicates: bool = True,
    date_order: DateOrder | None = None,
    decimal: DecimalMark | None = None,
    inclusive_end: bool = False,
    multiline: bool = False,
) -> Iterator[Record]:
    """Stream the records of one CSV file, one row at a time.

    References to other files are not checked (there are none to check against).

    Args:
        path: the CSV file.
        record_type: the model class (``Usage``) or layout name (``"usage"``) of its rows.
        on_reject: called with each reject; when ``None`` the first reject raises.
        duplicates: whether to detect duplicate rows (costs one small entry per row; turn it
            off to read in constant memory).
        date_order: the order of slash dates (``"mdy"`` or ``"dmy"``); ``None`` reads a slash
            date only when one order can read it, or another row of its column proves the
            order, and rejects ``01/02/2024`` as ambiguous otherwise. ISO dates always read.
        decimal: the decimal mark of amounts (``"."`` or ``","``); ``None`` accepts a decimal
            comma in ``;``-delimited files only (where an amount that reads two ways is
            rejected) and ``.`` elsewhere.
        inclusive_end: read association end dates as the **last day in effect** (as some
            exports write them) rather than the first day no longer in effect: one day is
            added to each.
        multiline: accept quoted cells whose line breaks hold text shaped like rows of the
            file; by default such a row is rejected (``MULTILINE_CELL``), because a stray quote
            would otherwise swallow the rows between it and the next quote.

    Returns:
        An iterator of model records, in file order.

    Raises:
        DataFileError: a row was rejected and ``on_reject`` is ``None``.
        ValueError: ``record_type`` is not a known record type.
        OSError: the file cannot be opened.
    """
    layout = layout_for(record_type)
    options = Options(date_order, decimal, inclusive_end, multiline).check()
    session = Session(strict=on_reject is None, progress=False)
    seen = Seen(exact=False) if duplicates else None
    for _line, record in read_file(Path(path), layout, session, seen, None, options):
        for reject in session.rejects:
            assert on_reject is not None  # strict sessions raise instead of collecting
            on_reject(reject)
        session.rejects.clear()
        yield record
    for reject in session.rejects:
        assert on_reject is not None
        on_reject(reject)


def _folder_files(folder: Path, session: Session) -> list[tuple[RecordLayout, Path]]:
    if not folder.is_dir():
        msg = f"{folder} is not a folder"
        raise DataFileError(msg, file=str(folder))
    by_name = {p.name.casefold(): p for p in folder.iterdir() if p.is_file()}
    found = [
        (layout, by_name[layout.file_name])
        for layout in LAYOUTS
        if layout.file_name.casefold() in by_name
    ]
    if not found:
        expected = ", ".join(layout.file_name for layout in LAYOUTS)
        msg = f"{folder} holds none of the record files ({expected})"
        raise DataFileError(msg, file=str(folder))
    known = {layout.file_name.casefold() for layout in LAYOUTS}
    for name, path in sorted(by_name.items()):
        if name.endswith(".csv") and name not in known:
            session.warn(
                Finding(
                    "UNKNOWN_FILE",
                    f"{path}: not a record file of the folder, ignored",
                    (str(path),),
                    "warning",
                )
            )
    return found


def validate_folder(
    path: str | os.PathLike[str],
    *,
    strict: bool = False,
    progress: bool | ProgressCallback | None = None,
    duplicates: bool = True,
    date_order: DateOrder | None = None,
    decimal: DecimalMark | None = None,
    inclusive_end: bool = False,
    multiline: bool = False,
) -> LoadReport:
    """Check a folder of CSV files without keeping its rows.

    Every row is parsed and checked (cells, duplicates, references to records of earlier
    files), but only the counts, the rejects, the ids of partners, customers and subscriptions
    and, for duplicate detection, about 100 bytes per row are kept; with ``duplicates=False``
    memory no longer grows with the number of usage and seat rows, so folders larger than
    memory can be checked. Rules that need the whole history (one DPOR at a time ...) are
    checked by [`load_folder`][partner_of_record.io.csv_import.load_folder], not here.

    Args:
        path: the folder.
        strict: raise on the first reject instead of collecting them.
        progress: ``None`` shows a row counter on stderr when it is a terminal; ``False``
            never; ``True`` always; or a callback ``(file, rows_read)``.
        duplicates: whether to detect duplicate rows and keys.
        date_order: how slash dates are read, as in
            [`read_records`][partner_of_record.io.csv_import.read_records].
        decimal: the decimal mark of amounts, as in ``read_records``.
        inclusive_end: whether association end dates are the last day in effect, as in
            ``read_records``.
        multiline: whether quoted cells may hold row-shaped line breaks, as in ``read_records``.

    Returns:
        The report: counts per file, rejects, warnings.

    Raises:
        DataFileError: the folder holds no record file, or (strict) a row was rejected.
    """
    options = Options(date_order, decimal, inclusive_end, multiline).check()
    session = Session(strict=strict, progress=progress, every=PROGRESS_EVERY)
    references = References()
    for layout, file in _folder_files(Path(path), session):
        seen = Seen(exact=False) if duplicates else None
        for _ in read_file(file, layout, session, seen, references, options):
            pass
    return session.report()


CsvEngine = Literal["auto", "pyarrow", "python"]
"""How ``load_folder`` splits ``usage.csv`` (and plain record files) into cells (see its
``csv_engine``)."""


def load_folder(
    path: str | os.PathLike[str],
    *,
    strict: bool = False,
    progress: bool | ProgressCallback | None = None,
    rules: RuleSet = DEFAULT_RULES,
    date_order: DateOrder | None = None,
    decimal: DecimalMark | None = None,
    inclusive_end: bool = False,
    multiline: bool = False,
    csv_engine: CsvEngine = "auto",
) -> LoadResult:
    """Load a folder of CSV files into a ledger, reporting every rejected row.

    Rows are parsed and checked as in ``validate_folder``; the accepted records are then given
    to [`Ledger.lenient`][partner_of_record.Ledger.lenient], and each record it refuses (a rule
    such as one DPOR per subscription at a time) becomes a reject at its file and line, with
    the ledger finding's code. The ledger's warnings join the report's warnings.

    Args:
        path: the folder (see the module documentation for the files and columns).
        strict: raise on the first reject instead of collecting them.
        progress: ``None`` shows a row counter on stderr when it is a terminal; ``False``
            never; ``True`` always; or a callback ``(file, rows_read)``.
        rules: the program rules the ledger checks; records that break one are rejected
            with the finding's code and message, at their file and line.
        date_order: as in [`read_records`][partner_of_record.io.csv_import.read_records].
        decimal: as in ``read_records``.
        inclusive_end: as in ``read_records``.
        multiline: as in ``read_records``.
        csv_engine: how ``usage.csv`` is split into cells: ``"auto"`` (pyarrow when it is
            installed, else the standard library), ``"pyarrow"`` (needs the ``arrow`` extra)
            or ``"python"`` (the standard library's ``csv`` module). pyarrow reads a file only
            when both would split it the same way (UTF-8, no quote character, no carriage
            return, no blank line, every row as wide as the header); any other file is read
            by the standard library. The other record files are read by pyarrow in the same
            cases (by columns, each row made a checked record). The rejects, tallies and
            ledger are the same either way.

    Returns:
        The ledger of accepted records and the load report.

    Raises:
        DataFileError: the folder holds no record file, or (strict) a row was rejected.
        ImportError: ``csv_engine="pyarrow"`` and pyarrow is not installed.
        ValueError: ``csv_engine`` is not one of the three names.
    """
    options = Options(date_order, decimal, inclusive_end, multiline).check()
    use_arrow = _use_arrow(csv_engine)
    session = Session(strict=strict, progress=progress, every=PROGRESS_EVERY)
    references = References()
    sinks: dict[str, tuple[UsageSink, str, Tally]] = {}
    records: dict[str, list[Record]] = {layout.name: [] for layout in LAYOUTS}
    where = Lines()  # by id(): the records stay alive in `records`
    tallies: dict[str, Tally] = {}
    for layout, file in _folder_files(Path(path), session):
        bucket = records[layout.name]
        if use_arrow and layout.record_type is Usage:
            from partner_of_record.io import _arrow_csv

            if _arrow_csv.read_usage(file, layout, session, references, options, sinks):
                tallies[str(file)] = session.tallies[-1]
                continue
        elif use_arrow:
            from partner_of_record.io import _arrow_records

            label = str(file)

            def accept(
                kept: list[Record],
                lines: list[int],
                bucket: list[Record] = bucket,
                file: str = label,
            ) -> None:
                bucket.extend(kept)
                where.add(file, kept, lines)

            if _arrow_records.read_records(file, layout, session, references, options, accept):
                tallies[label] = session.tallies[-1]
                continue
        reader = read_file(file, layout, session, Seen(exact=True), references, options, sinks)
        for line, record in reader:
            bucket.append(record)
            where.rows[id(record)] = (str(file), line)
        tallies[str(file)] = session.tallies[-1]
    parquet = _usage_parquet(Path(path))
    if parquet is not None and "usage" not in sinks:
        sinks["usage"] = _read_parquet(parquet, session)
    ledger = build_ledger(records, where, tallies, session, rules, sinks.get("usage"))
    return LoadResult(ledger, session.report())


def _use_arrow(engine: str) -> bool:
    if engine == "python":
        return False
    if engine not in ("auto", "pyarrow"):
        msg = f"csv_engine: {engine!r} is not 'auto', 'pyarrow' or 'python'"
        raise ValueError(msg)
    from partner_of_record.io import _arrow_csv

    if engine == "pyarrow":
        _arrow_csv.pyarrow_modules()  # an ImportError naming the extra when pyarrow is missing
        return True
    return _arrow_csv.available()


def _usage_parquet(folder: Path) -> Path | None:
    found = [p for p in folder.iterdir() if p.name.casefold() == "usage.parquet"]
    return found[0] if found else None


def _read_parquet(path: Path, session: Session) -> tuple[UsageSink, str, Tally]:
    """Read ``usage.parquet`` (when there is no ``usage.csv``) as columns: its rows are checked
    by ``Ledger.from_columns``, and each reject's line is the row's number (1-based)."""
    label = str(path)
    tally = session.tally(label, "usage")
    columns, rows = read_usage_parquet(path)
    tally.read = tally.accepted = rows
    return _ParquetSink(columns, rows), label, tally


class _ParquetSink(UsageSink):
    """Columns read whole from Parquet: no duplicates found here (the ledger finds them)."""

    def __init__(self, columns: dict[str, Any], rows: int) -> None:
        import numpy as np

        self.given = columns
        self.lines = np.arange(1, rows + 1)  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.lines)

    def duplicates(self) -> list[tuple[int, int]]:
        return []

    def columns(self, keep: Any) -> dict[str, Any]:
        if keep.all():  # always (no duplicates are found here): no copy
            return dict(self.given)
        return {name: values[keep] for name, values in self.given.items()}  # pragma: no cover
