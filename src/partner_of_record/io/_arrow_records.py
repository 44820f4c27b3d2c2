"""Reading a record file (all but usage) through pyarrow, by columns.

``load_folder`` reads these files here when it reads with pyarrow (``csv_engine`` ``"auto"``
with the ``arrow`` extra, or ``"pyarrow"``) and the file is in the simple form of
``_arrow_csv`` (else ``False``: nothing is reported and the standard path reads it). The
rejects, tallies and records are the standard path's: each cell column is read once per
distinct text by the file's own cell readers (a date cell's reader depends only on the text,
the options and the proof of its whole column, found once), each distinct value gets its
field's model check once, and each row whose values all pass is made with them (the
constructor, or, when every check is a field's own and the class only sets its fields, the
same values set directly). When every row is built, names known records and repeats no key
(``References.missing`` and ``Seen``, done on sets of the ids and keys), nothing more is
checked; otherwise every row takes the standard path's per-row checks (``build_record`` for a
row with a bad cell, ``admit``) in line order.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import attrs
import numpy as np

from partner_of_record.errors import ValidationError
from partner_of_record.io._arrow_csv import distinct, open_plain, pyarrow_modules, read_plain
from partner_of_record.io._cells import CellError
from partner_of_record.io._csv_rows import (
    ESCAPED,
    Cell,
    DateCell,
    build_record,
    plan_cells,
)
from partner_of_record.io._session import ROW_KEYS, References, Seen, Session, Where, admit
from partner_of_record.io.columns import PARSERS, RecordLayout
from partner_of_record.model import (
    REFERENCES,
    Association,
    Customer,
    Partner,
    Record,
    SeatUsage,
    Subscription,
)

__all__ = ["read_records"]

_ABSENT = object()
"""A cell left empty that is not required: the field keeps its default."""
_BAD = object()
"""A cell the standard path rejects (or may: an escaped formula, undecoded bytes)."""
_TYPES = (Partner, Customer, Subscription, Association, SeatUsage)


def read_records(
    path: Path,
    layout: RecordLayout,
    session: Session,
    references: References,
    options: Any,
    accept: Callable[[list[Record], list[int]], None],
) -> bool:
    """Read one record file, giving the accepted records and their lines to ``accept``; ``False``
    (nothing reported) when the file is not one this path reads."""
    if layout.record_type not in _TYPES:
        return False
    plain = read_plain(path, layout)
    if plain is None:
        return False
    opened = open_plain(path, plain, layout, session, options)
    if opened is None:
        return True
    label, tally, header, context = opened
    n = plain.rows
    plan = plan_cells(header, layout, context)
    fields, values, clean, checked = _cells(layout.record_type, plan, plain.columns, n)
    records: list[Record | None] = [None] * n
    rows = np.flatnonzero(clean).tolist()
    built = _build(layout.record_type, fields, values, rows, records, checked=checked)
    ok = clean & built

    if ok.all() and _no_conflict(records, references):
        # every row built, every reference known, no id repeated: the checks are done
        kept = cast("list[Record]", records)
        _remember(references, kept)
        tally.accepted += n
        accept(kept, list(range(2, n + 2)))
        session.progress.done(label, n)
        return True
    seen = Seen(exact=True)
    bad = np.flatnonzero(~ok)
    pa = pyarrow_modules()[0]
    texts = [column.take(pa.array(bad)).to_pylist() for column in plain.columns]
    slow = dict(zip(bad.tolist(), zip(*texts, strict=True), strict=True))
    accepted: list[Record] = []
    lines: list[int] = []
    for i in range(n):
        line = i + 2
        record = records[i]
        if record is None:
            made = build_record(list(slow[i]), plan, layout, label, line)
            if isinstance(made, list):
                session.reject_row(tally, made)
                continue
            record = made
        if admit(record, Where(label, line, header.column_of), session, tally, seen, references):
            accepted.append(record)
            lines.append(line)
    accept(accepted, lines)
    session.progress.done(label, n)
    return True


def _cells(
    record_type: type[Any], plan: tuple[Cell, ...], columns: list[Any], n: int
) -> tuple[list[str], list[list[Any]], np.ndarray[Any, np.dtype[np.bool_]], bool]:
    """Each field's value per row (``_ABSENT`` for an empty optional cell), read once per
    distinct text as ``build_record`` reads a cell; which rows read cleanly; and whether every
    distinct value passed its field's model check on its own (``_checked``)."""
    clean = np.ones(n, dtype=bool)
    checked = True
    fields: list[str] = []
    values: list[list[Any]] = []
    for cell in plan:
        if cell.pos is None:
            if cell.required:
                clean[:] = False  # every row is rejected (MISSING_VALUE): the standard path
            continue
        if cell.amount or not (cell.parse in PARSERS.values() or isinstance(cell.parse, DateCell)):
            clean[:] = False  # not a reader of the text alone: not read here
            continue
        codes, texts = distinct(columns[cell.pos])
        if cell.parse is str.strip and not cell.verbatim:  # ids: one pass, no call per text
            read = [t.strip() or (_BAD if cell.required else _ABSENT) for t in texts]
            escaped = [i for i, t in enumerate(texts) if t[:1] == "'" and ESCAPED.match(t)]
            for i in escaped:
                read[i] = _BAD
        else:
            read = [_read(cell, t) for t in texts]
        checked = _checked(record_type, cell.field, read) and checked
        good = np.array([v is not _BAD for v in read] or [True], dtype=bool)
        clean &= good[codes]
        lut = np.empty(len(read), dtype=object)
        lut[:] = read
        fields.append(cell.field)
        values.append(lut[codes].tolist())
    return fields, values, clean, checked


def _checked(record_type: type[Any], field: str, read: list[Any]) -> bool:
    """Run ``field``'s model check on each distinct value once; a value it refuses becomes
    ``_BAD`` (its rows take the standard path, where the constructor refuses them). ``False``
    when the check needs the rest of the record (it fails on a bare instance otherwise than
    with a ``ValidationError``): then every row is checked by the constructor."""
    attribute = attrs.fields_dict(record_type).get(field)
    if attribute is None:
        return False
    check = attribute.validator
    if check is None:
        return True
    probe = object.__new__(record_type)
    for i, value in enumerate(read):
        if value is _BAD or value is _ABSENT:
            continue
        try:
            check(probe, attribute, value)
        except ValidationError:
            read[i] = _BAD
        except Exception:
            return False
    return True


def _read(cell: Cell, text: str) -> Any:
    """One cell's value as ``build_record`` reads it, ``_ABSENT`` or ``_BAD`` (the text is
    valid UTF-8, checked by pyarrow: no undecoded byte, ``build_record``'s ``BAD_ENCODING``)."""
    if text[:1] == "'" and ESCAPED.match(text):
        return _BAD
    if (text == "") if cell.verbatim else (not text.strip()):
        return _BAD if cell.required else _ABSENT
    try:
        return cell.parse(text)
    except CellError:
        return _BAD


def _build(
    record_type: type[Any],
    fields: list[str],
    values: list[list[Any]],
    rows: list[int],
    records: list[Record | None],
    *,
    checked: bool,
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Build the clean rows; which were built. With ``checked`` (every value passed its
    field's check, ``_checked``) and a plain record class, each record is made with its
    values set directly, as the constructor would set them, without running the checks a
    second time per row; otherwise with the model's constructor (all its checks)."""
    built = np.zeros(len(records), dtype=bool)
    columns = [[col[i] for i in rows] for col in values] if len(rows) < len(records) else values
    absent = any(v is _ABSENT for col in columns for v in col)
    make = _maker(record_type, fields) if checked else None
    for i, cells in zip(rows, zip(*columns, strict=True), strict=True):
        if make is not None:
            records[i] = make(cells)
            built[i] = True
            continue
        if absent:
            kwargs = {f: v for f, v in zip(fields, cells, strict=True) if v is not _ABSENT}
        else:
            kwargs = dict(zip(fields, cells, strict=True))
        try:
            records[i] = record_type(**kwargs)
        except ValidationError:
            continue
        built[i] = True
    return built


def _maker(record_type: type[Any], fields: list[str]) -> Callable[[tuple[Any, ...]], Any] | None:
    """A function making a record from one row's checked values (in ``fields`` order,
    ``_ABSENT`` for an empty optional cell) as ``record_type(**kwargs)`` does, defaults for the
    others; or ``None`` when the class does more than set its fields (a converter, a hook, a
    default computed from the instance) or a required field has no column.

    A second way of building records, kept on purpose for speed: the constructor would run
    every field's validator again on every row, where ``_checked`` has run it once per
    distinct value of the column (a file of a million rows may hold a few thousand distinct
    ids and dates). The records are the constructor's (equal, same hash and fields:
    ``tests/test_io_csv_engines.py`` builds every record type both ways and compares them)."""
    attributes = attrs.fields(record_type)
    if any(hasattr(record_type, h) for h in ("__attrs_pre_init__", "__attrs_post_init__")):
        return None
    plan: list[tuple[str, int | None, Any, Callable[[], Any] | None]] = []
    for a in attributes:
        if a.converter is not None or a.on_setattr not in (None, attrs.setters.NO_OP):
            return None
        factory: Callable[[], Any] | None = None
        if isinstance(a.default, attrs.Factory):  # type: ignore[arg-type]  # attrs' own class
            if a.default.takes_self:
                return None
            factory = a.default.factory
        elif a.default is attrs.NOTHING and a.name not in fields:
            return None
        column = fields.index(a.name) if a.name in fields else None
        plan.append((a.name, column, a.default, factory))
    new = object.__new__
    put = object.__setattr__

    def make(cells: tuple[Any, ...]) -> Any:
        record = new(record_type)
        for name, column, default, factory in plan:
            value = _ABSENT if column is None else cells[column]
            if value is _ABSENT:
                value = default if factory is None else factory()
            put(record, name, value)
        return record

    return make


def _no_conflict(records: list[Any], references: References) -> bool:
    """Whether no record repeats another's key (``ROW_KEYS``, as ``Seen``) and every reference
    is known (``REFERENCES``, as ``References.missing``), checked on sets."""
    if not records:
        return True
    record_type = type(records[0])
    if len(set(map(ROW_KEYS[record_type][1], records))) != len(records):
        return False
    return all(
        set(map(operator.attrgetter(field), records)) <= references.ids[named]
        for field, named in REFERENCES.get(record_type, ())
    )


def _remember(references: References, records: list[Record]) -> None:
    """Add the ids of accepted partners, customers or subscriptions to ``references`` (as
    ``References.add`` does one by one)."""
    ids = references.ids.get(type(records[0])) if records else None
    if ids is not None:  # else associations or seats: nothing refers to them
        ids.update(map(operator.attrgetter("id"), records))
