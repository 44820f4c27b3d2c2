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
| ``DUPLICATE_ROW`` | the row repeats an earlier row of the file |
| ``DUPLICATE_KEY`` | the row repeats an earlier row's id (or usage/seat key), other values |
| ``UNKNOWN_PARTNER`` | the partner an association names is not (validly) in the folder |
| ``UNKNOWN_CUSTOMER`` | the customer a subscription names is not (validly) in the folder |
| ``UNKNOWN_SUBSCRIPTION`` | the subscription a row names is not (validly) in the folder |
| any ledger finding code | the ledger refused the record (a rule such as one DPOR at a time) |

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

import codecs
import contextlib
import csv
import datetime as dt
import functools
import itertools
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast, overload

import attrs

from partner_of_record._usage_table import UsageRow
from partner_of_record.errors import Finding, PartnerOfRecordError, ValidationError
from partner_of_record.io._usage_columns import UsageSink, read_usage_parquet
from partner_of_record.io.columns import (
    DATE_ORDERS,
    LAYOUTS,
    PARSERS,
    AmbiguousDateError,
    CellError,
    ColumnKind,
    DateOrder,
    DecimalMark,
    RecordLayout,
    layout_for,
    normalize,
    parse_amount,
    parse_date,
    parse_month,
    slash_readings,
)
from partner_of_record.ledger import Ledger
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

ProgressCallback = Callable[[str, int], None]
"""Called as ``callback(file, rows_read)`` every ``PROGRESS_EVERY`` rows and once per file."""

PROGRESS_EVERY = 50_000
"""How many rows pass between two progress updates."""

_R = TypeVar("_R", Partner, Customer, Subscription, Association, Usage, SeatUsage)


@attrs.frozen
class Reject:
    """One problem that kept a row (or a whole file) out of the ledger.

    Attributes:
        file: the file, as the path was given.
        line: the line where the row starts (the header is line 1).
        column: the column as its header is written in the file (or the field name when the
            column is missing), or ``None`` when the problem is the whole row.
        value: the offending text, as read (undecodable bytes shown as ``\\xe9``).
        reason: what is wrong, phrased to follow the value.
        code: a stable code (the module documentation lists them).
    """

    file: str
    line: int
    column: str | None
    value: str
    reason: str
    code: str = "INVALID_VALUE"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        column = f" column {self.column!r}" if self.column is not None else ""
        value = f" value {self.value!r}" if self.value else ""
        return f"{where}:{column}{value} {self.reason} [{self.code}]"


class DataFileError(PartnerOfRecordError, ValueError):
    """A data file cannot be used: raised on the first reject in strict mode, or for a folder
    that holds no record file.

    Attributes:
        reject: the reject that stopped the load, or ``None`` for a folder-level problem.
        file: the file (or folder) at fault.
        line: the line of the reject, or ``None``.
        column: the column of the reject, or ``None``.
    """

    def __init__(self, message: str, reject: Reject | None = None, *, file: str = "") -> None:
        self.reject = reject
        self.file = reject.file if reject is not None else file
        self.line = reject.line if reject is not None else None
        self.column = reject.column if reject is not None else None
        super().__init__(message)


@attrs.frozen
class FileSummary:
    """The counts of one file.

    Attributes:
        file: the file, as the path was given.
        record_type: the layout name (``"usage"``).
        read: data rows read (not the header, not blank lines).
        accepted: rows that became records (and, for ``load_folder``, entered the ledger).
        rejected: rows rejected; ``read == accepted + rejected``.
        blank: blank lines skipped (before the header too; a row of empty cells counts).
        lines: physical lines in the file (header and blank lines included; a row whose
            quoted cell holds line breaks covers several), or ``None`` where lines do not apply
            (a JSON list). A gap between ``lines`` and ``read`` that blank lines and multi-line
            cells do not explain is visible here.
    """

    file: str
    record_type: str
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    blank: int = 0
    lines: int | None = None


@attrs.frozen
class LoadReport:
    """What a load or validation did: counts per file, every reject, every warning.

    Attributes:
        files: one summary per file read, in load order.
        rejects: every reject, in the order found.
        warnings: warning findings (unknown columns and files, ledger warnings).
    """

    files: tuple[FileSummary, ...] = ()
    rejects: tuple[Reject, ...] = ()
    warnings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether nothing was rejected (warnings do not count)."""
        return not self.rejects

    @property
    def read(self) -> int:
        """Data rows read across all files."""
        return sum(f.read for f in self.files)

    @property
    def accepted(self) -> int:
        """Rows accepted across all files."""
        return sum(f.accepted for f in self.files)

    @property
    def rejected(self) -> int:
        """Rows rejected across all files."""
        return sum(f.rejected for f in self.files)

    def __str__(self) -> str:
        width = max([len(f.file) for f in self.files] + [4])
        lines = [f"{'file':<{width}}  {'lines':>9}  {'read':>9}  {'accepted':>9}  {'rejected':>9}"]
        lines.extend(
            f"{f.file:<{width}}  {'' if f.lines is None else format(f.lines, ','):>9}"
            f"  {f.read:>9,}  {f.accepted:>9,}  {f.rejected:>9,}"
            for f in self.files
        )
        counted = [f.lines for f in self.files if f.lines is not None]
        total_lines = format(sum(counted), ",") if counted else ""
        lines.append(
            f"{'total':<{width}}  {total_lines:>9}  {self.read:>9,}  {self.accepted:>9,}"
            f"  {self.rejected:>9,}"
        )
        if self.rejects:
            lines.append(f"{len(self.rejects)} problem(s):")
            lines.extend(f"  {r}" for r in self.rejects)
        if self.warnings:
            lines.append(f"{len(self.warnings)} warning(s):")
            lines.extend(f"  {w}" for w in self.warnings)
        lines.append("OK" if self.ok else "REJECTED ROWS: see the problems above")
        return "\n".join(lines)


@attrs.frozen
class LoadResult:
    """A loaded folder.

    Attributes:
        ledger: the ledger built from the accepted records.
        report: what was read, accepted and rejected.
    """

    ledger: Ledger
    report: LoadReport


# --------------------------------------------------------------------------------------------
# the session: counts, rejects, warnings, strictness, progress


@attrs.define
class _Tally:
    file: str
    record_type: str
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    blank: int = 0
    lines: int | None = None

    def freeze(self) -> FileSummary:
        return FileSummary(
            self.file,
            self.record_type,
            self.read,
            self.accepted,
            self.rejected,
            self.blank,
            self.lines,
        )


class _Progress:
    def __init__(self, progress: bool | ProgressCallback | None) -> None:
        self.callback: ProgressCallback | None
        if callable(progress):
            self.callback = progress
        elif progress is None:
            isatty = getattr(sys.stderr, "isatty", None)
            self.callback = _write_progress if isatty is not None and isatty() else None
        else:
            self.callback = _write_progress if progress else None

    def tick(self, file: str, rows: int) -> None:
        if self.callback is not None and rows % PROGRESS_EVERY == 0:
            self.callback(file, rows)

    def done(self, file: str, rows: int) -> None:
        if self.callback is not None:
            self.callback(file, rows)
            if self.callback is _write_progress:
                sys.stderr.write("\n")


def _write_progress(file: str, rows: int) -> None:
    sys.stderr.write(f"\r{file}: {rows:,} rows")
    sys.stderr.flush()


class _Session:
    def __init__(self, *, strict: bool, progress: bool | ProgressCallback | None) -> None:
        self.strict = strict
        self.progress = _Progress(progress)
        self.rejects: list[Reject] = []
        self.warnings: list[Finding] = []
        self.tallies: list[_Tally] = []

    def tally(self, file: str, record_type: str) -> _Tally:
        tally = _Tally(file, record_type)
        self.tallies.append(tally)
        return tally

    def reject(self, reject: Reject) -> None:
        if self.strict:
            raise DataFileError(f"rejected: {reject}", reject)
        self.rejects.append(reject)

    def reject_row(self, tally: _Tally, rejects: Iterable[Reject]) -> None:
        for r in rejects:
            self.reject(r)
        tally.rejected += 1

    def warn(self, finding: Finding) -> None:
        self.warnings.append(finding)

    def report(self) -> LoadReport:
        return LoadReport(
            tuple(t.freeze() for t in self.tallies), tuple(self.rejects), tuple(self.warnings)
        )


# --------------------------------------------------------------------------------------------
# duplicate and reference checks


def _key(record: Record) -> tuple[str, object]:
    if isinstance(record, Partner | Customer | Subscription):
        return ("id", record.id)
    if isinstance(record, Usage):
        return ("subscription_id, month, service, currency", record.key)
    if isinstance(record, SeatUsage):
        return ("subscription_id, month", record.key)
    return ("row", record)


class _Seen:
    """Duplicate detection.

    Exact mode keeps each row's key and record (``load_folder`` keeps the records anyway). Hash
    mode keeps one dict entry a row: the key's hash mapped to one int packing the first line and
    the record's hash (about 100 bytes a row; a hash collision could, with odds of about n**2 /
    2**64, report a false duplicate).
    """

    _MASK = (1 << 64) - 1

    def __init__(self, *, exact: bool) -> None:
        self.exact = exact
        self.by_key: dict[object, tuple[int, object]] = {}
        self.by_hash: dict[int, int] = {}

    def check(self, record: Record, line: int) -> tuple[str, str] | None:
        what, key = _key(record)
        if self.exact:
            prior = self.by_key.get(key)
            if prior is None:
                self.by_key[key] = (line, record)
                return None
            first_line, first = prior
            same = first == record
        else:
            packed = self.by_hash.get(hash(key))
            fingerprint = hash(record) & self._MASK
            if packed is None:
                self.by_hash[hash(key)] = (line << 64) | fingerprint
                return None
            first_line = packed >> 64
            same = (packed & self._MASK) == fingerprint
        if same:
            return "DUPLICATE_ROW", f"repeats line {first_line}"
        return "DUPLICATE_KEY", f"has the same {what} as line {first_line} but other values"


class _References:
    """The ids seen so far, to check that rows refer to records that exist."""

    def __init__(self) -> None:
        self.partners: set[str] = set()
        self.customers: set[str] = set()
        self.subscriptions: set[str] = set()

    def missing(self, record: Record) -> tuple[str, str, str] | None:
        """Return ``(code, field, value)`` of the first dangling reference, if any."""
        if isinstance(record, Subscription) and record.customer_id not in self.customers:
            return "UNKNOWN_CUSTOMER", "customer_id", record.customer_id
        if isinstance(record, Association):
            if record.partner_id not in self.partners:
                return "UNKNOWN_PARTNER", "partner_id", record.partner_id
            if record.subscription_id not in self.subscriptions:
                return "UNKNOWN_SUBSCRIPTION", "subscription_id", record.subscription_id
        if (
            isinstance(record, Usage | SeatUsage)
            and record.subscription_id not in self.subscriptions
        ):
            return "UNKNOWN_SUBSCRIPTION", "subscription_id", record.subscription_id
        return None

    def add(self, record: Record) -> None:
        if isinstance(record, Partner):
            self.partners.add(record.id)
        elif isinstance(record, Customer):
            self.customers.add(record.id)
        elif isinstance(record, Subscription):
            self.subscriptions.add(record.id)


# --------------------------------------------------------------------------------------------
# reading one file

_UNDECODED = re.compile("[\udc00-\udcff]")
_ESCAPE_ERRORS = "partner_of_record.escape"


def _escape_undecodable(exc: UnicodeError) -> tuple[str, int]:
    """Like ``surrogateescape`` (each bad byte b becomes U+DC00 + b), for every byte and codec:
    ``surrogateescape`` itself refuses bytes below 0x80, which a broken UTF-16 file holds."""
    if not isinstance(exc, UnicodeDecodeError):  # pragma: no cover - only used to decode
        raise exc
    bad = exc.object[exc.start : exc.end]
    return "".join(chr(0xDC00 + b) for b in bad), exc.end


codecs.register_error(_ESCAPE_ERRORS, _escape_undecodable)
_BOM = b"\xef\xbb\xbf"
_DELIMITERS = (",", ";", "\t")


def _shown(text: str) -> str:
    """Return ``text`` with undecodable bytes written as ``\\xe9`` escapes."""
    return _UNDECODED.sub(lambda m: f"\\x{ord(m[0]) - 0xDC00:02x}", text)


def _sniff(header_line: str, layout: RecordLayout) -> str:
    """Pick the delimiter that splits the header into the most known columns (then the most)."""
    index = layout.header_index()

    def score(delimiter: str) -> tuple[int, int]:
        try:
            cells = next(csv.reader([header_line], delimiter=delimiter))
        except (csv.Error, StopIteration):
            return (0, 0)
        return (sum(normalize(c) in index for c in cells), len(cells))

    return max(_DELIMITERS, key=score)


@attrs.frozen
class _Header:
    cells: tuple[str, ...]
    positions: dict[str, int]
    usable: bool


def _encoding_reason(label: str) -> str:
    return (
        f"is not valid UTF-8; {label} looks saved in another encoding (Latin-1, Windows-1252):"
        " save it as UTF-8"
    )


def _read_header(
    header: list[str], layout: RecordLayout, label: str, line: int, session: _Session
) -> _Header:
    index = layout.header_index()
    positions: dict[str, int] = {}
    usable = True
    for i, cell in enumerate(header):
        if _UNDECODED.search(cell):
            session.reject(
                Reject(
                    label, line, _shown(cell), _shown(cell), _encoding_reason(label), "BAD_ENCODING"
                )
            )
        field = index.get(normalize(cell))
        if field is None:
            accepted = ", ".join(c.field for c in layout.columns)
            session.warn(
                Finding(
                    "UNKNOWN_COLUMN",
                    f"{label}: column {i + 1} {_shown(cell)!r} is not a {layout.name} column and"
                    f" is ignored (columns: {accepted})",
                    (label, _shown(cell)),
                    "warning",
                )
            )
        elif field in positions:
            usable = False
            first = header[positions[field]]
            session.reject(
                Reject(
                    label,
                    line,
                    cell,
                    cell,
                    f"names the field {field!r} again (column {first!r} already does);"
                    " every row of the file is rejected",
                    "DUPLICATE_COLUMN",
                )
            )
        else:
            positions[field] = i
    for column in layout.columns:
        if column.required and column.field not in positions:
            usable = False
            names = ", ".join(repr(a) for a in column.accepted_headers())
            session.reject(
                Reject(
                    label,
                    line,
                    column.field,
                    "",
                    f"required column is missing (accepted headers: {names});"
                    " every row of the file is rejected",
                    "MISSING_COLUMN",
                )
            )
    return _Header(tuple(header), positions, usable)


def _malformed_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return (
            f"ends inside a quoted field: the file is truncated or a quote is not closed ({text})"
        )
    if "field larger than field limit" in text:
        return f"has a field too long to be real: probably a quote that is not closed ({text})"
    return f"is not valid CSV ({text})"


@attrs.frozen
class _Cell:
    """How to read one field from a row: computed once per file, used for every row."""

    field: str
    pos: int | None
    shown: str
    parse: Callable[[str], Any]
    verbatim: bool
    required: bool
    amount: bool


class _FileContext:
    """What the cell readers of one file need: the options, and a way to re-read a column."""

    def __init__(self, source: _Source, layout: RecordLayout, offset: int, options: _Options):
        self.source = source
        self.layout = layout
        self.offset = offset
        self.options = options

    def decimal(self) -> DecimalMark | None:
        """The declared decimal mark; else ``None`` (either, when unambiguous) for ``;`` files."""
        if self.options.decimal is not None:
            return self.options.decimal
        return None if self.source.delimiter == ";" else "."

    def proof(self, pos: int) -> dict[str, tuple[int, str]]:
        """Per date order, the first row of column ``pos`` whose slash date only it can read."""
        found: dict[str, tuple[int, str]] = {}
        with self.source.rows(self.layout) as opened:
            if opened is None:  # pragma: no cover - the file was read once already
                return found
            offset, reader = opened
            previous = 0
            while len(found) < len(DATE_ORDERS):
                line = previous + 1 + offset
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error:
                    previous = reader.line_num
                    continue
                previous = reader.line_num
                if line == 1 + offset or pos >= len(row):
                    continue
                cell = row[pos]
                if cell[:1] == "'" and _ESCAPED.match(cell):
                    cell = cell[1:]
                readings = slash_readings(cell)
                if readings is not None and len(readings) == 1:
                    found.setdefault(next(iter(readings)), (line, cell.strip()))
        return found


class _DateCell:
    """Reads one date or month column, resolving ambiguous slash dates by the column's proof."""

    def __init__(self, context: _FileContext, pos: int, *, month: bool, shift: bool) -> None:
        self.context = context
        self.pos = pos
        self.month = month
        self.shift = shift
        self.order = context.options.date_order
        self._proof: dict[str, tuple[int, str]] | None = None

    def proof(self) -> dict[str, tuple[int, str]]:
        if self._proof is None:
            self._proof = self.context.proof(self.pos)
        return self._proof

    def __call__(self, raw: str) -> dt.date:
        day = self._read(raw)
        if self.shift:  # an inclusive end date: the model's end is the day after
            try:
                return day + dt.timedelta(days=1)
            except OverflowError:
                raise CellError(
                    "is the last day of the calendar; it cannot end an association"
                ) from None
        return day

    def _read(self, raw: str) -> dt.date:
        parse = parse_month if self.month else parse_date
        if self.order is not None:
            return parse(raw, date_order=self.order)
        try:
            day = parse(raw)
        except AmbiguousDateError as exc:
            proof = self.proof()
            if len(proof) == 1:
                order = next(iter(proof))
                day = exc.readings[order]
                return parse(day.isoformat()) if self.month else day
            raise (self._mixed(proof) if proof else exc) from None
        readings = slash_readings(raw)
        if readings is not None and len(readings) == 1 and not self.month:
            proof = self.proof()
            if len(proof) > 1:
                raise self._mixed(proof)
        return day

    @staticmethod
    def _mixed(proof: dict[str, tuple[int, str]]) -> CellError:
        (mdy_line, mdy), (dmy_line, dmy) = proof["mdy"], proof["dmy"]
        return CellError(
            f"is in a column that mixes M/D/YYYY dates (line {mdy_line}: {mdy!r}) and D/M/YYYY"
            f" dates (line {dmy_line}: {dmy!r}); declare the date order (date_order='mdy' or"
            " 'dmy', --date-order on the command line) or write YYYY-MM-DD"
        )


def _plan(header: _Header, layout: RecordLayout, context: _FileContext) -> tuple[_Cell, ...]:
    cells = []
    for column in layout.columns:
        pos = header.positions.get(column.field)
        parse: Callable[[str], Any] = PARSERS[column.kind]
        if pos is not None and column.kind in (ColumnKind.DATE, ColumnKind.MONTH):
            parse = _DateCell(
                context,
                pos,
                month=column.kind is ColumnKind.MONTH,
                shift=context.options.inclusive_end
                and layout.record_type is Association
                and column.field == "end",
            )
        elif column.kind is ColumnKind.AMOUNT:
            parse = functools.partial(parse_amount, decimal=context.decimal())
        cells.append(
            _Cell(
                column.field,
                pos,
                header.cells[pos] if pos is not None else column.field,
                parse,
                column.kind in (ColumnKind.TEXT, ColumnKind.OPTIONAL_TEXT),
                column.required,
                column.kind is ColumnKind.AMOUNT,
            )
        )
    return tuple(cells)


def _field_errors(record_type: type[Record], kwargs: dict[str, Any]) -> list[ValidationError]:
    """Every field of ``kwargs`` the model refuses, each on its own (one reject per bad cell)."""
    errors: list[ValidationError] = []
    probe = object.__new__(record_type)
    for attribute in attrs.fields(record_type):
        if attribute.name not in kwargs or attribute.validator is None:
            continue
        try:
            value = kwargs[attribute.name]
            if attribute.converter is not None:
                value = attribute.converter(value)
            attribute.validator(probe, attribute, value)
        except ValidationError as exc:
            errors.append(exc)
        except Exception:  # a validator that reads other fields: the whole record checks it
            continue
    return errors


def _build(
    row: list[str], plan: tuple[_Cell, ...], layout: RecordLayout, label: str, line: int
) -> Record | list[Reject]:
    kwargs: dict[str, Any] = {}
    problems: list[Reject] = []
    hint: str | None = None
    undecoded = _UNDECODED.search("".join(row)) is not None
    for cell in plan:
        written = raw = row[cell.pos] if cell.pos is not None else ""
        if raw[:1] == "'" and _ESCAPED.match(raw):  # a formula escaped by an exporter
            raw = raw[1:]
        if undecoded and _UNDECODED.search(raw):
            problems.append(
                Reject(
                    label, line, cell.shown, _shown(raw), _encoding_reason(label), "BAD_ENCODING"
                )
            )
            continue
        if (raw == "") if cell.verbatim else (not raw.strip()):
            if cell.required:
                problems.append(
                    Reject(
                        label,
                        line,
                        cell.shown,
                        written,
                        "is empty; a value is required",
                        "MISSING_VALUE",
                    )
                )
            continue
        try:
            value = cell.parse(raw)
        except CellError as exc:
            problems.append(Reject(label, line, cell.shown, written, exc.reason))
            continue
        if cell.amount:
            value, hint = value
            amount_cell = (cell.shown, written)
        kwargs[cell.field] = value

    order = {cell.shown: i for i, cell in enumerate(plan)}

    def raw_of(field: str) -> tuple[str, str]:
        for cell in plan:
            if cell.field == field:
                return cell.shown, (row[cell.pos] if cell.pos is not None else "")
        return field, ""  # pragma: no cover - every model field has a column

    if hint is not None:
        given = kwargs.get("currency")
        if given is None:
            if not any(p.column == raw_of("currency")[0] for p in problems):
                kwargs["currency"] = hint
        elif given != hint:
            shown, raw = amount_cell
            reason = f"is in {hint} but the currency column says {given}"
            problems.append(Reject(label, line, shown, raw, reason))
    if not problems:
        try:
            return layout.record_type(**kwargs)
        except ValidationError as exc:
            errors = _field_errors(layout.record_type, kwargs)
            if all(e.field != exc.field for e in errors):
                errors.insert(0, exc)
    else:  # the cells that did parse may still be refused by the model: say so too
        errors = _field_errors(layout.record_type, kwargs)
    for error in errors:
        shown, raw = raw_of(error.field)
        reason = error.reason + (f" ({error.suggestion})" if error.suggestion else "")
        problems.append(Reject(label, line, shown, raw, reason))
    problems.sort(key=lambda r: order.get(r.column or "", len(order)))
    return problems


@attrs.frozen
class _Where:
    file: str
    line: int
    column_of: Callable[[str], str]


def _admit(
    record: Record,
    where: _Where,
    session: _Session,
    tally: _Tally,
    seen: _Seen | None,
    references: _References | None,
) -> bool:
    """Check references and duplicates of a built record; count it; return whether it is kept."""
    if references is not None and (dangling := references.missing(record)) is not None:
        code, field, value = dangling
        reason = (
            f"refers to a {field.removesuffix('_id')} that is not in the data (or was rejected)"
        )
        session.reject_row(
            tally, [Reject(where.file, where.line, where.column_of(field), value, reason, code)]
        )
        return False
    if seen is not None and (dup := seen.check(record, where.line)) is not None:
        code, reason = dup
        session.reject_row(tally, [Reject(where.file, where.line, None, "", reason, code)])
        return False
    if references is not None:
        references.add(record)
    tally.accepted += 1
    return True


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")


def _encoding(head: bytes) -> str:
    """The codec of a file from its first bytes: UTF-8 (with or without BOM) or UTF-16."""
    if head.startswith(_BOM):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if len(head) >= 2 and head[0] and not head[1]:  # "p\0a\0": UTF-16 without a BOM
        return "utf-16-le"
    if len(head) >= 2 and not head[0] and head[1]:
        return "utf-16-be"
    return "utf-8"


@attrs.frozen
class _Options:
    """How to read cells, as the caller declared (``None``: decide from the file)."""

    date_order: DateOrder | None = None
    decimal: DecimalMark | None = None
    inclusive_end: bool = False
    multiline: bool = False

    def check(self) -> _Options:
        if self.date_order is not None and self.date_order not in DATE_ORDERS:
            orders = ", ".join(DATE_ORDERS)
            msg = f"date_order must be one of {orders} or None, not {self.date_order!r}"
            raise ValueError(msg)
        if self.decimal not in (".", ",", None):
            msg = f"decimal must be '.', ',' or None, not {self.decimal!r}"
            raise ValueError(msg)
        return self


_DEFAULT_OPTIONS = _Options()


class _Source:
    """One CSV file opened as text: the codec found, the header line, the delimiter."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as fh:
            self.encoding = _encoding(fh.read(4))
        self.delimiter = ","

    @contextlib.contextmanager
    def rows(self, layout: RecordLayout) -> Iterator[tuple[int, Any] | None]:
        """Yield ``(blank lines before the header, csv reader)``, or ``None`` for a blank file.

        Lines may end in ``\\n``, ``\\r\\n`` or a lone ``\\r`` (Excel for Mac): the text layer
        splits on all three, and the reader's ``line_num`` counts physical lines.
        """
        with self.path.open(encoding=self.encoding, errors=_ESCAPE_ERRORS, newline="") as text:
            offset = 0
            for first in text:
                if first.strip(" \t\r\n\ufeff"):
                    break
                offset += 1
            else:
                yield None
                return
            self.delimiter = _sniff(first.lstrip("\ufeff"), layout)
            yield (
                offset,
                csv.reader(
                    itertools.chain((first.lstrip("\ufeff"),), text),
                    delimiter=self.delimiter,
                    strict=True,
                ),
            )


def _swallowed(
    row: list[str], delimiter: str, width: int, key: int | None, known: set[str]
) -> int | None:
    """The index of a cell spanning lines whose text is shaped like rows of the file, or None.

    A piece of the cell between line breaks is row-shaped when it has at least ``width - 1``
    fields (and two) and its field at the subscription column names a subscription of the
    folder. Only files whose rows name a subscription (associations, usage, seats) are checked:
    in a partners, customers or subscriptions file any text with delimiters would look like a
    row, and a record lost there surfaces anyway, as the references to it that other files make
    (``UNKNOWN_PARTNER`` ...) and as the gap between the file's lines and rows.
    """
    if key is None or not known:
        return None
    need = max(2, width - 1)
    for i, cell in enumerate(row):
        if "\n" not in cell and "\r" not in cell:
            continue
        for piece in _LINE_BREAK.split(cell):
            fields = piece.split(delimiter)
            if len(fields) >= need and key < len(fields) and fields[key].strip() in known:
                return i
    return None


def _spanning(rejects: list[Reject], first: int, last: int) -> list[Reject]:
    if last <= first:
        return rejects
    note = f" (the row spans lines {first}-{last})"
    return [attrs.evolve(r, reason=r.reason + note) for r in rejects]


def _read_file(
    path: Path,
    layout: RecordLayout,
    session: _Session,
    seen: _Seen | None,
    references: _References | None,
    options: _Options = _DEFAULT_OPTIONS,
    sinks: dict[str, tuple[UsageSink, str, _Tally]] | None = None,
) -> Iterator[tuple[int, Record]]:
    """Yield ``(line, record)`` for each accepted row; report the rest to ``session``.

    With ``sinks`` (``load_folder``), usage rows go to a ``UsageSink`` (columns) instead of
    being yielded: ``sinks["usage"]`` holds it, with the file's label and tally.
    """
    label = str(path)
    tally = session.tally(label, layout.name)
    source = _Source(path)
    with source.rows(layout) as opened:
        if opened is None:
            tally.lines = _count_lines(path, source.encoding)
            session.reject(
                Reject(label, 1, None, "", "is empty: a header row is required", "EMPTY_FILE")
            )
            return
        offset, reader = opened
        tally.blank = offset  # blank lines before the header
        try:
            cells = next(reader)
            if (
                reader.line_num > 1
                and not options.multiline
                and any("\n" in c or "\r" in c for c in cells)
            ):
                reason = (
                    "is a header row whose quoted cell spans lines: a quote is not closed;"
                    " every row of the file is rejected"
                )
                rejects = [Reject(label, 1 + offset, None, "", reason, "MALFORMED_HEADER")]
                session.reject(_spanning(rejects, 1 + offset, reader.line_num + offset)[0])
                header = _Header(tuple(cells), {}, usable=False)
            else:
                header = _read_header(cells, layout, label, 1 + offset, session)
        except csv.Error as exc:
            reason = _malformed_reason(exc) + "; every row of the file is rejected"
            rejects = [Reject(label, 1 + offset, None, "", reason, "MALFORMED_HEADER")]
            session.reject(_spanning(rejects, 1 + offset, reader.line_num + offset)[0])
            header = _Header((), {}, usable=False)

        def column_of(field: str) -> str:
            return header.cells[header.positions[field]]

        context = _FileContext(source, layout, offset, options)
        plan = _plan(header, layout, context)
        width = len(header.cells)
        sink: UsageSink | None = None
        if sinks is not None and layout.record_type is Usage and header.usable:
            by_field = {cell.field: cell for cell in plan}
            sink = UsageSink(
                {field: by_field[field].pos for field in by_field},
                by_field["month"].parse,
                plain_decimal=context.decimal() == ".",
                known=references.subscriptions if references is not None else set(),
            )
            sinks["usage"] = (sink, label, tally)

        previous = reader.line_num
        ticking = session.progress.callback is not None
        while True:
            line = previous + 1 + offset
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                previous = reader.line_num
                tally.read += 1
                session.progress.tick(label, tally.read)
                rejects = [Reject(label, line, None, "", _malformed_reason(exc), "MALFORMED_ROW")]
                session.reject_row(tally, _spanning(rejects, line, previous + offset))
                continue
            last = reader.line_num + offset
            previous = reader.line_num
            if not row or (
                (not row[0] or row[0].isspace()) and not "".join(row).strip()
            ):  # a blank line, or a row of empty cells (the first test is the cheap one)
                tally.blank += 1
                continue
            tally.read += 1
            if ticking:
                session.progress.tick(label, tally.read)
            if not header.usable:
                tally.rejected += 1
                continue
            if last > line and not options.multiline:
                swallowed = _swallowed(
                    row,
                    source.delimiter,
                    width,
                    header.positions.get("subscription_id")
                    if layout.record_type is not Subscription
                    else None,
                    references.subscriptions if references is not None else set(),
                )
                if swallowed is not None:
                    cell = row[swallowed]
                    column = header.cells[swallowed] if swallowed < width else None
                    shown = _shown(cell if len(cell) <= 200 else cell[:200] + "...")
                    session.reject_row(
                        tally,
                        [
                            Reject(
                                label,
                                line,
                                column,
                                shown,
                                f"is a quoted cell that spans lines {line}-{last} and holds text"
                                " shaped like rows of this file: probably a stray quote, and"
                                " the rows inside it would be lost; fix the quotes, or load"
                                " with multiline=True (--multiline) if the line breaks are real",
                                "MULTILINE_CELL",
                            )
                        ],
                    )
                    continue
            if len(row) != width:
                column = header.cells[len(row)] if len(row) < width else None
                extra = row[width:]
                rejects = [
                    Reject(
                        label,
                        line,
                        column,
                        _shown(",".join(extra)),
                        f"row has {len(row)} fields but the header has {width}",
                        "WRONG_FIELD_COUNT",
                    )
                ]
                session.reject_row(tally, _spanning(rejects, line, last))
                continue
            if sink is not None and sink.take(row, line):
                tally.accepted += 1
                continue
            built = _build(row, plan, layout, label, line)
            if isinstance(built, list):
                session.reject_row(tally, _spanning(built, line, last))
                continue
            if _admit(
                built,
                _Where(label, line, column_of),
                session,
                tally,
                None if sink is not None else seen,
                references,
            ):
                if sink is not None:
                    assert isinstance(built, Usage)
                    sink.add(built, line)
                    continue
                yield line, built
        tally.lines = reader.line_num + offset
    session.progress.done(label, tally.read)


def _count_lines(path: Path, encoding: str) -> int:
    with path.open(encoding=encoding, errors=_ESCAPE_ERRORS, newline="") as text:
        return sum(1 for _ in text)


# --------------------------------------------------------------------------------------------
# public entry points


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
    options = _Options(date_order, decimal, inclusive_end, multiline).check()
    session = _Session(strict=on_reject is None, progress=False)
    seen = _Seen(exact=False) if duplicates else None
    for _line, record in _read_file(Path(path), layout, session, seen, None, options):
        for reject in session.rejects:
            assert on_reject is not None  # strict sessions raise instead of collecting
            on_reject(reject)
        session.rejects.clear()
        yield record
    for reject in session.rejects:
        assert on_reject is not None
        on_reject(reject)


def _folder_files(folder: Path, session: _Session) -> list[tuple[RecordLayout, Path]]:
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
        The report: counts per file, rejects, warnings.

    Raises:
        DataFileError: the folder holds no record file, or (strict) a row was rejected.
    """
    options = _Options(date_order, decimal, inclusive_end, multiline).check()
    session = _Session(strict=strict, progress=progress)
    references = _References()
    for layout, file in _folder_files(Path(path), session):
        seen = _Seen(exact=False) if duplicates else None
        for _ in _read_file(file, layout, session, seen, references, options):
            pass
    return session.report()


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
        The ledger of accepted records and the load report.

    Raises:
        DataFileError: the folder holds no record file, or (strict) a row was rejected.
    """
    options = _Options(date_order, decimal, inclusive_end, multiline).check()
    session = _Session(strict=strict, progress=progress)
    references = _References()
    sinks: dict[str, tuple[UsageSink, str, _Tally]] = {}
    records: dict[str, list[Record]] = {layout.name: [] for layout in LAYOUTS}
    where: dict[int, tuple[str, int]] = {}  # by id(): the records stay alive in `records`
    tallies: dict[str, _Tally] = {}
    for layout, file in _folder_files(Path(path), session):
        bucket = records[layout.name]
        reader = _read_file(file, layout, session, _Seen(exact=True), references, options, sinks)
        for line, record in reader:
            bucket.append(record)
            where[id(record)] = (str(file), line)
        tallies[str(file)] = session.tallies[-1]
    parquet = _usage_parquet(Path(path))
    if parquet is not None and "usage" not in sinks:
        sinks["usage"] = _read_parquet(parquet, session)
    if "usage" in sinks:
        ledger = _build_columnar_ledger(records, where, tallies, session, rules, *sinks["usage"])
    else:
        ledger = _build_ledger(records, where, tallies, session, rules)
    return LoadResult(ledger, session.report())


def _label(record: Record) -> str:
    if isinstance(record, Association | Usage):
        return record.describe()
    if isinstance(record, SeatUsage):
        return f"{record.subscription_id} {record.month:%Y-%m}"
    return record.id


def _usage_parquet(folder: Path) -> Path | None:
    found = [p for p in folder.iterdir() if p.name.casefold() == "usage.parquet"]
    return found[0] if found else None


def _read_parquet(path: Path, session: _Session) -> tuple[UsageSink, str, _Tally]:
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
        return {name: values[keep] for name, values in self.given.items()}


def _build_columnar_ledger(
    records: dict[str, list[Record]],
    where: dict[int, tuple[str, int]],
    tallies: dict[str, _Tally],
    session: _Session,
    rules: RuleSet,
    sink: UsageSink,
    label: str,
    tally: _Tally,
) -> Ledger:
    """As ``_build_ledger``, with the usage rows given as columns (``Ledger.from_columns``)."""
    import numpy as np

    keep = np.ones(len(sink), dtype=bool)
    for later, first in sink.duplicates():
        keep[later] = False
        if sink.same_values(later, first):
            code, reason = "DUPLICATE_ROW", f"repeats line {sink.lines[first]}"
        else:
            code = "DUPLICATE_KEY"
            reason = (
                "has the same subscription_id, month, service, currency as line"
                f" {sink.lines[first]} but other values"
            )
        tally.accepted -= 1
        session.reject_row(tally, [Reject(label, sink.lines[later], None, "", reason, code)])
    rows = np.flatnonzero(keep)
    load = Ledger.from_columns(
        partners=cast("list[Partner]", records["partners"]),
        customers=cast("list[Customer]", records["customers"]),
        subscriptions=cast("list[Subscription]", records["subscriptions"]),
        associations=cast("list[Association]", records["associations"]),
        usage=sink.columns(keep),
        seats=cast("list[SeatUsage]", records["seats"]),
        rules=rules,
        lenient=True,
    )
    rejecting: set[int] = set()
    for rejection in load.rejected:
        finding = rejection.finding
        rejecting.add(id(finding))
        record: Any = rejection.record
        if isinstance(record, UsageRow):
            file, line, row_tally = label, sink.lines[int(rows[record.row])], tally
            shown = record.usage.describe() if record.usage is not None else record.describe()
        else:
            file, line = where[id(record)]
            row_tally = tallies[file]
            shown = _label(record)
        row_tally.accepted -= 1
        row_tally.rejected += 1
        session.reject(Reject(file, line, None, shown, finding.message, finding.code))
    for finding in load.findings:
        if id(finding) not in rejecting:
            session.warn(finding)
    return load.ledger


def _build_ledger(
    records: dict[str, list[Record]],
    where: dict[int, tuple[str, int]],
    tallies: dict[str, _Tally],
    session: _Session,
    rules: RuleSet,
) -> Ledger:
    """Build the ledger from the accepted records; report the records it refuses, by line.

    ``where`` maps ``id(record)`` to the record's file and line (keyed by identity, not by
    value: hashing every row's fields again would cost more than reading it).
    """
    # each list holds records of its layout's type (built from it); the ledger checks types
    # itself, so no second pass over the rows here
    load = Ledger.lenient(
        partners=cast("list[Partner]", records["partners"]),
        customers=cast("list[Customer]", records["customers"]),
        subscriptions=cast("list[Subscription]", records["subscriptions"]),
        associations=cast("list[Association]", records["associations"]),
        usage=cast("list[Usage]", records["usage"]),
        seats=cast("list[SeatUsage]", records["seats"]),
        rules=rules,
    )
    rejecting: set[int] = set()
    for rejection in load.rejected:
        file, line = where[id(rejection.record)]
        tally = tallies[file]
        tally.accepted -= 1
        tally.rejected += 1
        finding = rejection.finding
        rejecting.add(id(finding))
        session.reject(
            Reject(file, line, None, _label(rejection.record), finding.message, finding.code)
        )
    for finding in load.findings:
        if id(finding) not in rejecting:
            session.warn(finding)
    return load.ledger
