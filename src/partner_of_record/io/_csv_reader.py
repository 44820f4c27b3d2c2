"""Reading one CSV file with the standard library's ``csv`` module: codec, delimiter, header,
rows that span lines, and each row's cells handed to ``_csv_rows.build_record``.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from partner_of_record.errors import Finding
from partner_of_record.io._csv_rows import (
    DEFAULT_OPTIONS,
    UNDECODED,
    FileContext,
    Header,
    Options,
    build_record,
    encoding_reason,
    plan_cells,
    shown_text,
    usage_sink,
)
from partner_of_record.io._session import References, Reject, Seen, Session, Tally, Where, admit
from partner_of_record.io._usage_columns import UsageSink
from partner_of_record.io.columns import (
    RecordLayout,
    normalize,
)
from partner_of_record.model import (
    Record,
    Subscription,
    Usage,
)

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


def sniff_delimiter(header_line: str, layout: RecordLayout) -> str:
    """Pick the delimiter that splits the header into the most known columns (then the most)."""
    index = layout.header_index()

    def score(delimiter: str) -> tuple[int, int]:
        try:
            cells = next(csv.reader([header_line], delimiter=delimiter))
        except (csv.Error, StopIteration):
            return (0, 0)
        return (sum(normalize(c) in index for c in cells), len(cells))

    return max(_DELIMITERS, key=score)


def read_header(
    header: list[str], layout: RecordLayout, label: str, line: int, session: Session
) -> Header:
    index = layout.header_index()
    positions: dict[str, int] = {}
    usable = True
    for i, cell in enumerate(header):
        if UNDECODED.search(cell):
            session.reject(
                Reject(
                    label,
                    line,
                    shown_text(cell),
                    shown_text(cell),
                    encoding_reason(label),
                    "BAD_ENCODING",
                )
            )
        field = index.get(normalize(cell))
        if field is None:
            accepted = ", ".join(c.field for c in layout.columns)
            session.warn(
                Finding(
                    "UNKNOWN_COLUMN",
                    f"{label}: column {i + 1} {shown_text(cell)!r} is not a {layout.name}"
                    f" column and is ignored (columns: {accepted})",
                    (label, shown_text(cell)),
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
    return Header(tuple(header), positions, usable)


def _malformed_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return (
            f"ends inside a quoted field: the file is truncated or a quote is not closed ({text})"
        )
    if "field larger than field limit" in text:
        return f"has a field too long to be real: probably a quote that is not closed ({text})"
    return f"is not valid CSV ({text})"


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


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


class Source:
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
            self.delimiter = sniff_delimiter(first.lstrip("\ufeff"), layout)
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


def read_file(  # noqa: PLR0912, PLR0915 - the file-level checks in reporting order
    path: Path,
    layout: RecordLayout,
    session: Session,
    seen: Seen | None,
    references: References | None,
    options: Options = DEFAULT_OPTIONS,
    sinks: dict[str, tuple[UsageSink, str, Tally]] | None = None,
) -> Iterator[tuple[int, Record]]:
    """Yield ``(line, record)`` for each accepted row; report the rest to ``session``.

    With ``sinks`` (``load_folder``), usage rows go to a ``UsageSink`` (columns) instead of
    being yielded: ``sinks["usage"]`` holds it, with the file's label and tally.
    """
    label = str(path)
    tally = session.tally(label, layout.name)
    source = Source(path)
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
                header = Header(tuple(cells), {}, usable=False)
            else:
                header = read_header(cells, layout, label, 1 + offset, session)
        except csv.Error as exc:
            reason = _malformed_reason(exc) + "; every row of the file is rejected"
            rejects = [Reject(label, 1 + offset, None, "", reason, "MALFORMED_HEADER")]
            session.reject(_spanning(rejects, 1 + offset, reader.line_num + offset)[0])
            header = Header((), {}, usable=False)

        context = FileContext(source, layout, offset, options)
        plan = plan_cells(header, layout, context)
        width = len(header.cells)
        sink: UsageSink | None = None
        if sinks is not None and layout.record_type is Usage and header.usable:
            known = references.subscriptions if references is not None else set()
            sink = usage_sink(plan, context, known)
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
                    shown = shown_text(cell if len(cell) <= 200 else cell[:200] + "...")
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
                        shown_text(",".join(extra)),
                        f"row has {len(row)} fields but the header has {width}",
                        "WRONG_FIELD_COUNT",
                    )
                ]
                session.reject_row(tally, _spanning(rejects, line, last))
                continue
            if sink is not None and sink.take(row, line):
                tally.accepted += 1
                continue
            built = build_record(row, plan, layout, label, line)
            if isinstance(built, list):
                session.reject_row(tally, _spanning(built, line, last))
                continue
            if admit(
                built,
                Where(label, line, header.column_of),
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
