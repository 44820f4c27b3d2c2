"""One row of a CSV file to one record: the per-file cell plan and the per-row builder.

Shared by both CSV engines (the standard library's ``csv`` in ``_csv_reader`` and pyarrow in
``_arrow_csv``): the plan is computed once per file from its header, and ``build_record`` turns
one row's cells into a model record or the rejects that keep it out.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from partner_of_record.errors import ValidationError
from partner_of_record.io._session import Reject
from partner_of_record.io._usage_columns import UsageSink
from partner_of_record.io.columns import (
    DATE_ORDERS,
    PARSERS,
    AmbiguousDateError,
    CellError,
    ColumnKind,
    DateOrder,
    DecimalMark,
    RecordLayout,
    parse_amount,
    parse_date,
    parse_month,
    slash_readings,
)
from partner_of_record.model import (
    Association,
    Record,
)

if TYPE_CHECKING:
    from partner_of_record.io._csv_reader import Source

UNDECODED = re.compile("[\udc00-\udcff]")

ESCAPED = re.compile(r"'+[=+\-@\t\r]")


def shown_text(text: str) -> str:
    """Return ``text`` with undecodable bytes written as ``\\xe9`` escapes."""
    return UNDECODED.sub(lambda m: f"\\x{ord(m[0]) - 0xDC00:02x}", text)


@attrs.frozen
class Options:
    """How to read cells, as the caller declared (``None``: decide from the file)."""

    date_order: DateOrder | None = None
    decimal: DecimalMark | None = None
    inclusive_end: bool = False
    multiline: bool = False

    def check(self) -> Options:
        if self.date_order is not None and self.date_order not in DATE_ORDERS:
            orders = ", ".join(DATE_ORDERS)
            msg = f"date_order must be one of {orders} or None, not {self.date_order!r}"
            raise ValueError(msg)
        if self.decimal not in (".", ",", None):
            msg = f"decimal must be '.', ',' or None, not {self.decimal!r}"
            raise ValueError(msg)
        return self


DEFAULT_OPTIONS = Options()


@attrs.frozen
class Header:
    cells: tuple[str, ...]
    positions: dict[str, int]
    usable: bool

    def column_of(self, field: str) -> str:
        """The column of ``field`` as its header is written in the file."""
        return self.cells[self.positions[field]]


def encoding_reason(label: str) -> str:
    return (
        f"is not valid UTF-8; {label} looks saved in another encoding (Latin-1, Windows-1252):"
        " save it as UTF-8"
    )


@attrs.frozen
class Cell:
    """How to read one field from a row: computed once per file, used for every row."""

    field: str
    pos: int | None
    shown: str
    parse: Callable[[str], Any]
    verbatim: bool
    required: bool
    amount: bool


class FileContext:
    """What the cell readers of one file need: the options, and a way to re-read a column."""

    def __init__(self, source: Source, layout: RecordLayout, offset: int, options: Options):
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
                if cell[:1] == "'" and ESCAPED.match(cell):
                    cell = cell[1:]
                readings = slash_readings(cell)
                if readings is not None and len(readings) == 1:
                    found.setdefault(next(iter(readings)), (line, cell.strip()))
        return found


class DateCell:
    """Reads one date or month column, resolving ambiguous slash dates by the column's proof."""

    def __init__(self, context: FileContext, pos: int, *, month: bool, shift: bool) -> None:
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


def plan_cells(header: Header, layout: RecordLayout, context: FileContext) -> tuple[Cell, ...]:
    cells = []
    for column in layout.columns:
        pos = header.positions.get(column.field)
        parse: Callable[[str], Any] = PARSERS[column.kind]
        if pos is not None and column.kind in (ColumnKind.DATE, ColumnKind.MONTH):
            parse = DateCell(
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
            Cell(
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


def build_record(  # noqa: PLR0912 - one branch per cell outcome of a row
    row: list[str], plan: tuple[Cell, ...], layout: RecordLayout, label: str, line: int
) -> Record | list[Reject]:
    kwargs: dict[str, Any] = {}
    problems: list[Reject] = []
    hint: str | None = None
    undecoded = UNDECODED.search("".join(row)) is not None
    for cell in plan:
        written = raw = row[cell.pos] if cell.pos is not None else ""
        if raw[:1] == "'" and ESCAPED.match(raw):  # a formula escaped by an exporter
            raw = raw[1:]
        if undecoded and UNDECODED.search(raw):
            problems.append(
                Reject(
                    label, line, cell.shown, shown_text(raw), encoding_reason(label), "BAD_ENCODING"
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


def usage_sink(plan: tuple[Cell, ...], context: FileContext, known: set[str]) -> UsageSink:
    """The columns a usage file's accepted rows go to, from the file's plan (both CSV engines).

    ``known`` holds the subscription ids read so far: the sink checks each row's reference.
    """
    by_field = {cell.field: cell for cell in plan}
    return UsageSink(
        {field: by_field[field].pos for field in by_field},
        by_field["month"].parse,
        plain_decimal=context.decimal() == ".",
        known=known,
    )
