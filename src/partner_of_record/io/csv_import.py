"""Import records from CSV files: tolerant, streaming, and loud about every row it rejects.

A **folder** holds one CSV file per record type (``partners.csv``, ``customers.csv``,
``subscriptions.csv``, ``associations.csv``, ``usage.csv``, ``seats.csv``; the columns are listed
in [`partner_of_record.io.columns`][partner_of_record.io.columns]). A missing file means "no
records of that type"; a folder with none of them is an error.

What the reader tolerates: UTF-8 with or without a byte order mark; ``,``, ``;`` or tab as the
delimiter (chosen from the header row); quoted fields with delimiters, quotes or line breaks
inside; header names in any case and spacing, including the names Partner Center exports use;
blank lines (counted, not read); and the cell formats documented in ``columns``.

What it rejects, each as a [`Reject`][partner_of_record.io.csv_import.Reject] naming the file,
the line (where the row starts, the header being line 1), the column (as written in the file) and
the value, with a stable ``code``:

| code | meaning |
|---|---|
| ``EMPTY_FILE`` | the file has no header row (0 bytes or only blank text) |
| ``MISSING_COLUMN`` | a required column is not in the header: every row of the file is rejected |
| ``DUPLICATE_COLUMN`` | two header cells name the same field: every row of the file is rejected |
| ``BAD_ENCODING`` | bytes that are not UTF-8 (e.g. a Latin-1 or UTF-16 file) |
| ``MALFORMED_ROW`` | CSV syntax broken: a stray quote, or the file ends inside a quoted field |
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

Counting: for each file, ``read`` counts the data rows (not the header, not blank lines), and
``read == accepted + rejected`` always holds. A row with several bad cells gives several
rejects but is one rejected row. Nothing is dropped silently; ``strict=True`` raises a
[`DataFileError`][partner_of_record.io.csv_import.DataFileError] on the first reject instead.

Streaming: rows are read one at a time. ``load_folder`` keeps the accepted records (it builds a
ledger from them); ``validate_folder`` and ``read_records`` keep only what duplicate and
reference checks need (one small entry per row key and the sets of ids), so files larger than
memory can be validated.
"""

from __future__ import annotations

import csv
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar, cast, overload

import attrs

from partner_of_record.errors import Finding, PartnerOfRecordError, ValidationError
from partner_of_record.io.columns import (
    LAYOUTS,
    PARSERS,
    CellError,
    ColumnKind,
    RecordLayout,
    layout_for,
    normalize,
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
        blank: blank lines skipped.
    """

    file: str
    record_type: str
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    blank: int = 0


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
        lines = [f"{'file':<{width}}  {'read':>9}  {'accepted':>9}  {'rejected':>9}"]
        lines.extend(
            f"{f.file:<{width}}  {f.read:>9,}  {f.accepted:>9,}  {f.rejected:>9,}"
            for f in self.files
        )
        lines.append(
            f"{'total':<{width}}  {self.read:>9,}  {self.accepted:>9,}  {self.rejected:>9,}"
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

    def freeze(self) -> FileSummary:
        return FileSummary(
            self.file, self.record_type, self.read, self.accepted, self.rejected, self.blank
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

_UNDECODED = re.compile("[\udc80-\udcff]")
_BOM = b"\xef\xbb\xbf"
_DELIMITERS = (",", ";", "\t")


def _shown(text: str) -> str:
    """Return ``text`` with undecodable bytes written as ``\\xe9`` escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


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


def _plan(header: _Header, layout: RecordLayout) -> tuple[_Cell, ...]:
    cells = []
    for column in layout.columns:
        pos = header.positions.get(column.field)
        cells.append(
            _Cell(
                column.field,
                pos,
                header.cells[pos] if pos is not None else column.field,
                PARSERS[column.kind],
                column.kind in (ColumnKind.TEXT, ColumnKind.OPTIONAL_TEXT),
                column.required,
                column.kind is ColumnKind.AMOUNT,
            )
        )
    return tuple(cells)


def _build(
    row: list[str], plan: tuple[_Cell, ...], layout: RecordLayout, label: str, line: int
) -> Record | list[Reject]:
    kwargs: dict[str, Any] = {}
    problems: list[Reject] = []
    hint: str | None = None
    undecoded = _UNDECODED.search("".join(row)) is not None
    for cell in plan:
        raw = row[cell.pos] if cell.pos is not None else ""
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
                        raw,
                        "is empty; a value is required",
                        "MISSING_VALUE",
                    )
                )
            continue
        try:
            value = cell.parse(raw)
        except CellError as exc:
            problems.append(Reject(label, line, cell.shown, raw, exc.reason))
            continue
        if cell.amount:
            value, hint = value
        kwargs[cell.field] = value
    if problems:
        return problems

    def raw_of(field: str) -> tuple[str, str]:
        for cell in plan:
            if cell.field == field:
                return cell.shown, (row[cell.pos] if cell.pos is not None else "")
        return field, ""  # pragma: no cover - every model field has a column

    if hint is not None:
        given = kwargs.get("currency")
        if given is None:
            kwargs["currency"] = hint
        elif given != hint:
            shown, raw = raw_of("amount")
            reason = f"is in {hint} but the currency column says {given}"
            return [Reject(label, line, shown, raw, reason)]
    try:
        return layout.record_type(**kwargs)
    except ValidationError as exc:
        shown, raw = raw_of(exc.field)
        reason = exc.reason + (f" ({exc.suggestion})" if exc.suggestion else "")
        return [Reject(label, line, shown, raw, reason)]


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


def _decoded_lines(fh: IO[bytes], first: bytes) -> Iterator[str]:
    yield first.decode("utf-8", "surrogateescape")
    for raw in fh:
        yield raw.decode("utf-8", "surrogateescape")


def _read_file(
    path: Path,
    layout: RecordLayout,
    session: _Session,
    seen: _Seen | None,
    references: _References | None,
) -> Iterator[tuple[int, Record]]:
    """Yield ``(line, record)`` for each accepted row; report the rest to ``session``."""
    label = str(path)
    tally = session.tally(label, layout.name)
    with path.open("rb") as fh:
        first = fh.readline()
        offset = 0  # blank lines before the header
        while first and not first.strip(b"\r\n\t "):
            first = fh.readline()
            offset += 1
        if first.startswith((b"\xff\xfe", b"\xfe\xff")):
            session.reject(
                Reject(
                    label,
                    1,
                    None,
                    "",
                    f"is not UTF-8: {label} is UTF-16 encoded; save it as UTF-8",
                    "BAD_ENCODING",
                )
            )
            return
        first = first.removeprefix(_BOM)
        if not first.strip():
            session.reject(
                Reject(label, 1, None, "", "is empty: a header row is required", "EMPTY_FILE")
            )
            return
        header_text = first.decode("utf-8", "surrogateescape")
        reader = csv.reader(
            _decoded_lines(fh, first), delimiter=_sniff(header_text, layout), strict=True
        )
        try:
            header = _read_header(next(reader), layout, label, 1 + offset, session)
        except csv.Error as exc:
            session.reject(
                Reject(label, 1 + offset, None, "", _malformed_reason(exc), "MALFORMED_ROW")
            )
            header = _Header((), {}, usable=False)

        def column_of(field: str) -> str:
            return header.cells[header.positions[field]]

        plan = _plan(header, layout)

        previous = reader.line_num
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
                session.reject_row(
                    tally, [Reject(label, line, None, "", _malformed_reason(exc), "MALFORMED_ROW")]
                )
                continue
            previous = reader.line_num
            if not "".join(row).strip():
                tally.blank += 1
                continue
            tally.read += 1
            session.progress.tick(label, tally.read)
            if not header.usable:
                tally.rejected += 1
                continue
            if len(row) != len(header.cells):
                column = header.cells[len(row)] if len(row) < len(header.cells) else None
                extra = row[len(header.cells) :]
                session.reject_row(
                    tally,
                    [
                        Reject(
                            label,
                            line,
                            column,
                            _shown(",".join(extra)),
                            f"row has {len(row)} fields but the header has {len(header.cells)}",
                            "WRONG_FIELD_COUNT",
                        )
                    ],
                )
                continue
            built = _build(row, plan, layout, label, line)
            if isinstance(built, list):
                session.reject_row(tally, built)
                continue
            if _admit(
                built,
                _Where(label, line, column_of),
                session,
                tally,
                seen,
                references,
            ):
                yield line, built
    session.progress.done(label, tally.read)


# --------------------------------------------------------------------------------------------
# public entry points


@overload
def read_records(
    path: str | os.PathLike[str],
    record_type: type[_R],
    *,
    on_reject: Callable[[Reject], None] | None = None,
    duplicates: bool = True,
) -> Iterator[_R]: ...


@overload
def read_records(
    path: str | os.PathLike[str],
    record_type: str,
    *,
    on_reject: Callable[[Reject], None] | None = None,
    duplicates: bool = True,
) -> Iterator[Record]: ...


def read_records(
    path: str | os.PathLike[str],
    record_type: type[Any] | str,
    *,
    on_reject: Callable[[Reject], None] | None = None,
    duplicates: bool = True,
) -> Iterator[Record]:
    """Stream the records of one CSV file, one row at a time.

    References to other files are not checked (there are none to check against).

    Args:
        path: the CSV file.
        record_type: the model class (``Usage``) or layout name (``"usage"``) of its rows.
        on_reject: called with each reject; when ``None`` the first reject raises.
        duplicates: whether to detect duplicate rows (costs one small entry per row; turn it
            off to read in constant memory).

    Returns:
        An iterator of model records, in file order.

    Raises:
        DataFileError: a row was rejected and ``on_reject`` is ``None``.
        ValueError: ``record_type`` is not a known record type.
        OSError: the file cannot be opened.
    """
    layout = layout_for(record_type)
    session = _Session(strict=on_reject is None, progress=False)
    seen = _Seen(exact=False) if duplicates else None
    for _line, record in _read_file(Path(path), layout, session, seen, None):
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

    Returns:
        The report: counts per file, rejects, warnings.

    Raises:
        DataFileError: the folder holds no record file, or (strict) a row was rejected.
    """
    session = _Session(strict=strict, progress=progress)
    references = _References()
    for layout, file in _folder_files(Path(path), session):
        seen = _Seen(exact=False) if duplicates else None
        for _ in _read_file(file, layout, session, seen, references):
            pass
    return session.report()


def load_folder(
    path: str | os.PathLike[str],
    *,
    strict: bool = False,
    progress: bool | ProgressCallback | None = None,
    rules: RuleSet = DEFAULT_RULES,
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

    Returns:
        The ledger of accepted records and the load report.

    Raises:
        DataFileError: the folder holds no record file, or (strict) a row was rejected.
    """
    session = _Session(strict=strict, progress=progress)
    references = _References()
    records: dict[str, list[Record]] = {layout.name: [] for layout in LAYOUTS}
    where: dict[int, tuple[str, int]] = {}  # by id(): the records stay alive in `records`
    tallies: dict[str, _Tally] = {}
    for layout, file in _folder_files(Path(path), session):
        bucket = records[layout.name]
        for line, record in _read_file(file, layout, session, _Seen(exact=True), references):
            bucket.append(record)
            where[id(record)] = (str(file), line)
        tallies[str(file)] = session.tallies[-1]
    ledger = _build_ledger(records, where, tallies, session, rules)
    return LoadResult(ledger, session.report())


def _label(record: Record) -> str:
    if isinstance(record, Association | Usage):
        return record.describe()
    if isinstance(record, SeatUsage):
        return f"{record.subscription_id} {record.month:%Y-%m}"
    return record.id


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
