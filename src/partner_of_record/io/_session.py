"""The load session shared by the CSV and JSON loaders.

What a load reports (``Reject``, ``FileSummary``, ``LoadReport``, ``LoadResult``,
``DataFileError``), the running ``Session`` (tallies, rejects, warnings, strictness, progress),
the duplicate and reference checks every built record passes (``admit``), and the last step,
handing the accepted records to the ledger and turning its refusals into rejects at their file
and line (``build_ledger``).
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import repeat
from typing import Any

import attrs

from partner_of_record._usage_table import UsageRow
from partner_of_record.errors import Finding, PartnerOfRecordError
from partner_of_record.io._usage_columns import UsageSink
from partner_of_record.ledger import Ledger, LenientLoad
from partner_of_record.model import (
    KEY_FIELDS,
    REFERENCES,
    Association,
    Customer,
    Partner,
    Record,
    Subscription,
    Usage,
)
from partner_of_record.rules import RuleSet

ProgressCallback = Callable[[str, int], None]
"""Called as ``callback(file, rows_read)`` every ``PROGRESS_EVERY`` rows and once per file."""

PROGRESS_EVERY = 50_000
"""How many rows pass between two progress updates."""


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


class Tally:
    """The counts of one file while it is read: a mutable ``FileSummary`` (its fields, with
    their defaults), frozen into one by ``freeze`` when the report is made."""

    __slots__ = tuple(a.name for a in attrs.fields(FileSummary))

    def __init__(self, file: str, record_type: str) -> None:
        self.file = file
        self.record_type = record_type
        self.read = self.accepted = self.rejected = self.blank = 0
        self.lines: int | None = None

    def freeze(self) -> FileSummary:
        return FileSummary(*map(self.__getattribute__, self.__slots__))


class _Progress:
    def __init__(self, progress: bool | ProgressCallback | None, every: int) -> None:
        self.every = every
        self.callback: ProgressCallback | None
        if callable(progress):
            self.callback = progress
        elif progress is None:
            isatty = getattr(sys.stderr, "isatty", None)
            self.callback = _write_progress if isatty is not None and isatty() else None
        else:
            self.callback = _write_progress if progress else None

    def tick(self, file: str, rows: int) -> None:
        if self.callback is not None and rows % self.every == 0:
            self.callback(file, rows)

    def done(self, file: str, rows: int) -> None:
        if self.callback is not None:
            self.callback(file, rows)
            if self.callback is _write_progress:
                sys.stderr.write("\n")


def _write_progress(file: str, rows: int) -> None:
    sys.stderr.write(f"\r{file}: {rows:,} rows")
    sys.stderr.flush()


class Session:
    def __init__(
        self,
        *,
        strict: bool,
        progress: bool | ProgressCallback | None,
        every: int = PROGRESS_EVERY,
    ) -> None:
        self.strict = strict
        self.progress = _Progress(progress, every)
        self.rejects: list[Reject] = []
        self.warnings: list[Finding] = []
        self.tallies: list[Tally] = []

    def tally(self, file: str, record_type: str) -> Tally:
        tally = Tally(file, record_type)
        self.tallies.append(tally)
        return tally

    def reject(self, reject: Reject) -> None:
        if self.strict:
            raise DataFileError(f"rejected: {reject}", reject)
        self.rejects.append(reject)

    def reject_row(self, tally: Tally, rejects: Iterable[Reject]) -> None:
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
# duplicate and reference checks: the model's KEY_FIELDS and REFERENCES, the ledger's codes


def _whole(record: Record) -> Record:
    return record


ROW_KEYS: dict[type[Record], tuple[str, Callable[[Any], object]]] = {
    **{t: (", ".join(f), operator.attrgetter(*f)) for t, f in KEY_FIELDS.items()},
    Association: ("row", _whole),
}
"""What identifies a row of each record type for the duplicate check, as ``(its fields, as a
reject names them; a getter)``: the model's ``KEY_FIELDS``, or the whole row for an
association (which has no key: only a row repeating another exactly is a duplicate)."""


def duplicate(what: str, first_line: int, *, same: bool) -> tuple[str, str]:
    """The code and reason of a row whose key (``what``, as in ``ROW_KEYS``) repeats the row
    at ``first_line``: ``DUPLICATE_ROW`` when it repeats that row exactly (a harmless
    re-export), ``DUPLICATE_KEY`` when its other values differ (a conflict). Both are the
    ledger's ``DUPLICATE_ID``, ``DUPLICATE_USAGE`` or ``DUPLICATE_SEATS``, told apart."""
    if same:
        return "DUPLICATE_ROW", f"repeats line {first_line}"
    return "DUPLICATE_KEY", f"has the same {what} as line {first_line} but other values"


class Seen:
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
        what, get = ROW_KEYS[type(record)]
        key = get(record)
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
        return duplicate(what, first_line, same=same)


UNKNOWN: dict[type[Record], str] = {
    Partner: "UNKNOWN_PARTNER",
    Customer: "UNKNOWN_CUSTOMER",
    Subscription: "UNKNOWN_SUBSCRIPTION",
}
"""The ledger's code for a reference (``REFERENCES``) to a record that is not there, by the
type named."""


class References:
    """The ids seen so far, to check that rows refer to records that exist (``REFERENCES``).

    Attributes:
        ids: the ids of each type that can be named (``partners``, ``customers`` and
            ``subscriptions`` are its sets).
    """

    def __init__(self) -> None:
        self.partners: set[str] = set()
        self.customers: set[str] = set()
        self.subscriptions: set[str] = set()
        self.ids: dict[type[Record], set[str]] = {
            Partner: self.partners,
            Customer: self.customers,
            Subscription: self.subscriptions,
        }

    def missing(self, record: Record) -> tuple[str, str, str] | None:
        """Return ``(code, field, value)`` of the first dangling reference, if any."""
        for field, named in REFERENCES.get(type(record), ()):
            value = getattr(record, field)
            if value not in self.ids[named]:
                return UNKNOWN[named], field, value
        return None

    def add(self, record: Record) -> None:
        if isinstance(record, Partner | Customer | Subscription):
            self.ids[type(record)].add(record.id)


# --------------------------------------------------------------------------------------------
# admitting one built record: references, duplicates, counts


@attrs.frozen
class Where:
    """Where a built record came from: its file, line and the column holding each field."""

    file: str
    line: int
    column_of: Callable[[str], str]


def admit(
    record: Record,
    where: Where,
    session: Session,
    tally: Tally,
    seen: Seen | None,
    references: References | None,
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


class Lines(Mapping[int, tuple[str, int]]):
    """Each kept record's file and line, by ``id`` of the record (``build_ledger``'s ``where``).

    Records read one by one are entered as they come (``rows``); files read by columns give
    their records and lines in bulk (``add``), indexed only when a line is first asked for: a
    line is needed only for a record the ledger refuses."""

    def __init__(self) -> None:
        self.rows: dict[int, tuple[str, int]] = {}
        self._bulk: list[tuple[str, list[Any], list[int]]] = []

    def add(self, file: str, records: list[Any], lines: list[int]) -> None:
        """Enter ``records`` of ``file`` at ``lines``."""
        self._bulk.append((file, records, lines))

    def _indexed(self) -> dict[int, tuple[str, int]]:
        for file, records, lines in self._bulk:
            self.rows.update(zip(map(id, records), zip(repeat(file), lines), strict=True))
        self._bulk.clear()
        return self.rows

    def __getitem__(self, key: int) -> tuple[str, int]:
        found = self.rows.get(key)
        return self._indexed()[key] if found is None else found

    def __iter__(self) -> Iterator[int]:
        return iter(self._indexed())

    def __len__(self) -> int:
        return len(self._indexed())


def _label(record: Record) -> str:
    """A refused record as a reject's value: the id of a partner, customer or subscription
    (the row's first cell), else the record's ``describe()``."""
    if isinstance(record, Partner | Customer | Subscription):
        return record.id
    return record.describe()


def build_ledger(
    records: dict[str, list[Record]],
    where: Mapping[int, tuple[str, int]],
    tallies: dict[str, Tally],
    session: Session,
    rules: RuleSet,
    usage: tuple[UsageSink, str, Tally] | None = None,
) -> Ledger:
    """Build the ledger from the accepted records; report the records it refuses, by line.

    ``where`` maps ``id(record)`` to the record's file and line (keyed by identity, not by
    value: hashing every row's fields again would cost more than reading it). ``usage``, when
    given, holds the usage rows as columns, with their file's label and tally
    (``_columnar_load``).
    """
    row_at: Callable[[UsageRow], tuple[str, int, Tally, str]] | None = None
    if usage is None:
        load = Ledger.lenient(**_as_arguments(records), rules=rules)
    else:
        load, row_at = _columnar_load(records, session, rules, usage)

    def locate(record: Any) -> tuple[str, int, Tally, str]:
        if row_at is not None and isinstance(record, UsageRow):
            return row_at(record)
        return _at(record, where, tallies)

    return _refusals_to_rejects(load, session, locate)


def _columnar_load(
    records: dict[str, list[Record]],
    session: Session,
    rules: RuleSet,
    usage: tuple[UsageSink, str, Tally],
) -> tuple[LenientLoad, Callable[[UsageRow], tuple[str, int, Tally, str]]]:
    """``Ledger.from_columns`` of the records and the usage columns, once the rows repeating a
    key are rejected; and where each usage row the ledger refuses stands in its file."""
    import numpy as np

    sink, label, tally = usage
    keep = np.ones(len(sink), dtype=bool)
    what = ROW_KEYS[Usage][0]
    for later, first in sink.duplicates():
        keep[later] = False
        same = sink.same_values(later, first)
        code, reason = duplicate(what, int(sink.lines[first]), same=same)
        tally.accepted -= 1
        session.reject_row(tally, [Reject(label, sink.lines[later], None, "", reason, code)])
    rows = np.flatnonzero(keep)
    given = {**_as_arguments(records), "usage": sink.columns(keep)}
    load = Ledger.from_columns(**given, rules=rules, lenient=True)

    def row_at(row: UsageRow) -> tuple[str, int, Tally, str]:
        shown = row.usage.describe() if row.usage is not None else row.describe()
        return label, sink.lines[int(rows[row.row])], tally, shown

    return load, row_at


def _as_arguments(records: dict[str, list[Record]]) -> dict[str, Any]:
    """The record lists, by layout name, as the ledger's keyword arguments (each layout is
    named as its argument). Each list holds records of its layout's type (built from it); the
    ledger checks types itself, so no second pass over the rows here."""
    return dict(records)


def _at(
    record: Record, where: Mapping[int, tuple[str, int]], tallies: dict[str, Tally]
) -> tuple[str, int, Tally, str]:
    """A record's file, line, file tally and label, by identity (see ``build_ledger``)."""
    file, line = where[id(record)]
    return file, line, tallies[file], _label(record)


def _refusals_to_rejects(
    load: LenientLoad,
    session: Session,
    locate: Callable[[Any], tuple[str, int, Tally, str]],
) -> Ledger:
    """Report each record the ledger refused as a reject at its file and line (``locate``),
    with the ledger finding's code; the ledger's other findings become warnings."""
    rejecting: set[int] = set()
    for rejection in load.rejected:
        finding = rejection.finding
        rejecting.add(id(finding))
        file, line, tally, shown = locate(rejection.record)
        tally.accepted -= 1
        tally.rejected += 1
        session.reject(Reject(file, line, None, shown, finding.message, finding.code))
    for finding in load.findings:
        if id(finding) not in rejecting:
            session.warn(finding)
    return load.ledger
