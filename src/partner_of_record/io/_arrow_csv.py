"""Reading ``usage.csv`` through pyarrow (the ``arrow`` extra), with the standard path's rejects.

``load_folder`` reads a usage file here when pyarrow is installed (or ``csv_engine="pyarrow"``)
and the file's text is one that both parsers split the same way: UTF-8 (with or without a BOM),
the header on the first line, no quote character, no carriage return, no NUL, no blank line or
row of empty cells, and every row as wide as the header. Any other file returns ``False``
before anything is reported, and the caller reads it with the standard library's ``csv``
module. Both paths give the same rejects (file, line, column, reason), the same tallies and
the same columns: pyarrow splits the file into string columns; each row in the common clean
form (the one ``UsageSink.take`` accepts) is checked and converted by vectorised passes over
the columns and over their distinct values; every other row is rebuilt as a list of cells and
takes the standard path's per-row code (``build_record``, ``admit``, ``UsageSink.add``), in line
order.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from partner_of_record._extras import require
from partner_of_record.currency import minor_unit_exponent
from partner_of_record.io._csv_reader import Source, read_header, sniff_delimiter
from partner_of_record.io._csv_rows import (
    FileContext,
    Header,
    Options,
    build_record,
    plan_cells,
    usage_sink,
)
from partner_of_record.io._session import Session, Tally, Where, admit
from partner_of_record.io._usage_columns import UsageSink
from partner_of_record.io.columns import RecordLayout, parse_offer
from partner_of_record.model import OfferCategory, Usage

__all__ = [
    "PlainFile",
    "available",
    "distinct",
    "open_plain",
    "pyarrow_modules",
    "read_plain",
    "read_usage",
]

_AMOUNT_PARTS = r"^(?P<s>-?)(?P<w>[0-9]{0,14})(?P<f>(?:\.[0-9]{1,17})?)(?P<rest>.*)$"
"""Splits any amount text; it is in the clean form of ``UsageSink``'s ``_FAST_AMOUNT``
(``-?[0-9]{1,14}(\\.[0-9]{1,17})?``) when ``w`` is not empty and ``rest`` is."""
_MAX_DISTINCT = 50_000
"""Above this many distinct month, currency, service or offer texts the file takes the
standard path (whose per-value caches stop caching there)."""
_CHUNK = 1 << 24
_NOT_PLAIN = re.compile(b'["\r\x00]|\n\n')
"""What only the standard path reads: a quote, a carriage return, a NUL, a blank line."""


def pyarrow_modules() -> tuple[Any, Any, Any]:
    """``(pyarrow, pyarrow.csv, pyarrow.compute)``, or an ``ImportError`` naming the ``arrow``
    extra (as ``load_folder(csv_engine="pyarrow")`` reports it)."""
    what = "csv_engine='pyarrow'"
    pa = require("pyarrow", "arrow", what)
    return pa, require("pyarrow.csv", "arrow", what), require("pyarrow.compute", "arrow", what)


def available() -> bool:
    """Whether pyarrow can be imported."""
    try:
        pyarrow_modules()
    except ImportError:
        return False
    return True


def _plain_text(path: Path) -> tuple[str, int] | None:
    """``(header line, offset of the data)`` when the bytes are in the simple form, else None."""
    with path.open("rb") as fh:
        head = fh.read(_CHUNK)
        start = 3 if head.startswith(b"\xef\xbb\xbf") else 0
        end = head.find(b"\n", start)
        if end < 0:
            return None
        try:
            header = head[start:end].decode("utf-8")
        except UnicodeDecodeError:
            return None
        if not header.strip(" \t"):
            return None
        previous = b""
        chunk = head
        while chunk:
            if _NOT_PLAIN.search(chunk) or (previous.endswith(b"\n") and chunk[:1] == b"\n"):
                return None
            previous = chunk
            chunk = fh.read(_CHUNK)
    return header, end + 1


@attrs.frozen
class PlainFile:
    """A file in the simple form, split by pyarrow into string columns.

    Attributes:
        cells: the header's cells.
        delimiter: the delimiter (sniffed from the header as the standard path does).
        columns: one pyarrow string array per header cell.
        rows: the number of data rows.
        first: the first column's codes and distinct texts (``None`` without rows).
    """

    cells: list[str]
    delimiter: str
    columns: list[Any]
    rows: int
    first: tuple[Any, list[str]] | None


def read_plain(path: Path, layout: RecordLayout) -> PlainFile | None:
    """The file split into string columns, or ``None`` (nothing reported) when it is not in
    the simple form (see the module documentation) or pyarrow cannot split it."""
    found = _plain_text(path)
    if found is None:
        return None
    header_line, _ = found
    delimiter = sniff_delimiter(header_line, layout)
    cells = header_line.split(delimiter)
    width = len(cells)
    pa, pacsv, _ = pyarrow_modules()
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                skip_rows=1, column_names=[f"c{i}" for i in range(width)], use_threads=True
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char=False,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"c{i}": pa.string() for i in range(width)},
                strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, ValueError):
        return None
    columns = [table.column(i).combine_chunks() for i in range(width)]
    n = table.num_rows
    first = distinct(columns[0]) if n else None  # also the subscription column, usually
    if first is not None and _has_blank_row(columns, first):
        return None  # rows of empty cells count as blank lines: the standard path's job
    return PlainFile(cells, delimiter, columns, n, first)


def read_usage(
    path: Path,
    layout: RecordLayout,
    session: Any,
    references: Any,
    options: Any,
    sinks: dict[str, Any],
) -> bool:
    """Read one usage file into ``sinks["usage"]``; ``False`` (nothing reported) when the
    file is not in the simple form (see the module documentation)."""
    plain = read_plain(path, layout)
    if plain is None:
        return False
    columns, n, first = plain.columns, plain.rows, plain.first
    pa, _, pc = pyarrow_modules()

    # from here on, the file is read by this path: report as the standard path does
    opened = open_plain(path, plain, layout, session, options)
    if opened is None:
        return True
    label, tally, header, context = opened
    plan = plan_cells(header, layout, context)
    sink = usage_sink(plan, context, references.subscriptions)
    sinks["usage"] = (sink, label, tally)
    fast = _Fast(sink, columns, pc, first)  # ``fast.failed``: too many distinct values, row by row

    slow = np.flatnonzero(~fast.ok)
    slow_ok = np.zeros(len(slow), dtype=bool)
    if len(slow):
        sink.index["sub"] = {v: i for i, v in enumerate(sink.values["sub"])}
        picked = [pc.take(column, pa.array(slow)).to_pylist() for column in columns]
        for k, (index, row) in enumerate(
            zip(slow.tolist(), zip(*picked, strict=True), strict=True)
        ):
            line = index + 2
            built = build_record(list(row), plan, layout, label, line)
            if isinstance(built, list):
                session.reject_row(tally, built)
                continue
            if admit(built, Where(label, line, header.column_of), session, tally, None, references):
                assert isinstance(built, Usage)
                sink.add(built, line)
                slow_ok[k] = True
    tally.accepted += int(fast.ok.sum())
    _merge(sink, fast, slow[slow_ok])
    session.progress.done(label, n)
    return True


class _Fast:
    """The rows in the clean form (``ok``) and their values, computed column-wise."""

    def __init__(
        self, sink: UsageSink, columns: list[Any], pc: Any, first: tuple[Any, list[str]] | None
    ) -> None:
        self.failed = False
        n = len(columns[0]) if columns else 0
        # (when ``failed``, every row takes the ordinary path: no row's values are read here)
        self.ok = np.zeros(n, dtype=bool)
        self.sub = self.month = self.minor = self.currency = self.service = self.offer = np.zeros(
            n, dtype=np.int64
        )
        self.exact_rows = np.zeros(0, dtype=np.intp)
        self.exact: list[Decimal] = []
        try:
            self._read(sink, columns, pc, first, n)
        except _TooManyDistinctError:
            self.failed = True

    def _read(  # noqa: PLR0915 - reads and checks each column of a file in one pass
        self, sink: UsageSink, columns: list[Any], pc: Any, first: Any, n: int
    ) -> None:
        pos = sink.pos
        ok = np.ones(n, dtype=bool)

        def mask(values: Any) -> Any:
            return np.asarray(values.to_numpy(zero_copy_only=False), dtype=bool)

        # subscription: a known id, with no space, quote or tab around it
        p_sub = pos["subscription_id"]
        assert p_sub is not None
        self.sub, texts = first if p_sub == 0 and first is not None else distinct(columns[p_sub])
        texts = list(texts)
        known = sink.known
        sub_ok = np.array(
            [t in known and t[0] not in " '\t" and t[-1] != " " for t in texts] or [False],
            dtype=bool,
        )
        ok &= sub_ok[self.sub]
        sink.values["sub"] = texts  # ``UsageSink.add`` codes by ``index``: see ``_merge``

        # month: each distinct text read once by the file's month reader
        p_month = pos["month"]
        assert p_month is not None
        self.month = _per_distinct(columns[p_month], sink.month_ordinal)
        ok &= self.month >= 0

        # currency: the code per distinct text ("" is USD); None leaves the clean form
        if pos["currency"] is None:
            currency = np.full(n, sink.code("currency", "USD"), dtype=np.int64)
            digits = np.full(n, minor_unit_exponent("USD"), dtype=np.int64)
        else:
            codes, texts = _few_distinct(columns[pos["currency"]])
            found = [sink.currency_of(t) for t in texts]
            cur_code = np.array(
                [-1 if c is None else sink.code("currency", c) for c in found] or [0],
                dtype=np.int64,
            )
            cur_digits = np.array(
                [0 if c is None else minor_unit_exponent(c) for c in found] or [0],
                dtype=np.int64,
            )
            currency = cur_code[codes]
            digits = cur_digits[codes]
            ok &= currency >= 0
        self.currency = currency

        # amount: sign, whole and fraction digits; longer fractions are kept exactly
        p_amount = pos["amount"]
        assert p_amount is not None
        amount = columns[p_amount]
        parts = pc.extract_regex(amount, _AMOUNT_PARTS)
        whole_text = parts.field("w")
        dotted = parts.field("f")
        ok &= mask(pc.greater(pc.utf8_length(whole_text), 0))
        ok &= mask(pc.equal(pc.utf8_length(parts.field("rest")), 0))
        sign = mask(pc.equal(parts.field("s"), "-"))
        ok_text = pc.if_else(pc.equal(pc.utf8_length(whole_text), 0), "0", whole_text)
        whole = np.asarray(pc.cast(ok_text, "int64").to_numpy(zero_copy_only=False))
        fraction_text = pc.utf8_slice_codeunits(dotted, 1)
        lengths = pc.utf8_length(fraction_text)
        frac_len = np.asarray(lengths.to_numpy(zero_copy_only=False))
        has_fraction = frac_len > 0
        if not sink.plain_decimal:
            ok &= ~has_fraction
        padded = pc.if_else(pc.equal(lengths, 0), "0", fraction_text)
        frac = np.asarray(pc.cast(padded, "int64").to_numpy(zero_copy_only=False))
        fits = frac_len <= digits
        shift = np.where(fits, digits - frac_len, 0)
        minor = whole * 10**digits + np.where(fits, frac * 10**shift, 0)
        self.minor = np.where(fits, np.where(sign, -minor, minor), 0)
        self.exact_rows = np.flatnonzero(ok & ~fits)
        self.exact = [
            Decimal(("-" if s else "") + w + "." + f)
            for s, w, f in zip(
                sign[self.exact_rows].tolist(),
                pc.take(whole_text, pyarrow_modules()[0].array(self.exact_rows)).to_pylist(),
                pc.take(fraction_text, pyarrow_modules()[0].array(self.exact_rows)).to_pylist(),
                strict=True,
            )
        ]

        # service: "" is None; other texts must look like an id (else the ordinary path)
        if pos["service"] is None:
            self.service = np.zeros(n, dtype=np.int64)
        else:
            self.service = _per_distinct(columns[pos["service"]], partial(_service_code, sink))
            ok &= self.service >= 0

        # offer: "" is None; else a known offer category
        if pos["offer"] is None:
            self.offer = np.full(n, sink.code("offer", None), dtype=np.int64)
        else:
            self.offer = _per_distinct(columns[pos["offer"]], partial(_offer_code, sink))
            ok &= self.offer >= 0
        self.ok = ok


def _has_blank_row(columns: list[Any], first: tuple[Any, list[str]]) -> bool:
    """Whether a row is blank as the standard path sees it (every cell empty or white space:
    it counts such a row as a blank line). Checked in Python for the rows whose first cell is
    blank, as the standard path's test starts with the first cell."""
    codes, texts = first
    blank_first = np.array([not t or t.isspace() for t in texts] or [False], dtype=bool)
    rows = np.flatnonzero(blank_first[codes])
    if not len(rows):
        return False
    pa = pyarrow_modules()[0]
    picked = [column.take(pa.array(rows)).to_pylist() for column in columns]
    return any(not "".join(row).strip() for row in zip(*picked, strict=True))


def open_plain(
    path: Path, plain: PlainFile, layout: RecordLayout, session: Session, options: Options
) -> tuple[str, Tally, Header, FileContext] | None:
    """Begin reading a file in the simple form as the standard path does: its tally (every row
    read, the lines counted), its header and cell context, with the file's label; ``None``,
    every row counted rejected, when the header is not usable (its rejects are reported)."""
    source = Source(path)
    source.delimiter = plain.delimiter
    label = str(path)
    n = plain.rows
    tally = session.tally(label, layout.name)
    header = read_header(plain.cells, layout, label, 1, session)
    tally.lines = n + 1
    tally.read = n
    if not header.usable:
        tally.rejected += n
        session.progress.done(label, n)
        return None
    return label, tally, header, FileContext(source, layout, 0, options)


class _TooManyDistinctError(Exception):
    """A column holds more than ``_MAX_DISTINCT`` texts: the file is read row by row."""


def _few_distinct(column: Any) -> tuple[Any, list[str]]:
    """``distinct(column)``; ``_TooManyDistinctError`` past ``_MAX_DISTINCT`` texts."""
    codes, texts = distinct(column)
    if len(texts) > _MAX_DISTINCT:
        raise _TooManyDistinctError
    return codes, texts


def _per_distinct(column: Any, read: Callable[[str], int]) -> Any:
    """Each row's ``read`` of its text, called once per distinct text (``_few_distinct``)."""
    codes, texts = _few_distinct(column)
    return np.array([read(t) for t in texts] or [0], dtype=np.int64)[codes]


def distinct(column: Any) -> tuple[Any, list[str]]:
    """Each row's code into the column's distinct texts, and the texts."""
    encoded = column.dictionary_encode()
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    texts: list[str] = encoded.dictionary.to_pylist()
    return codes, texts


def _service_code(sink: UsageSink, text: str) -> int:
    """``UsageSink.take``'s service check: the code of a clean service text, else -1."""
    if not text:
        return 0
    if text[0] in " '\t=+-@" or text[-1] == " " or not text.isprintable():
        return -1
    return sink.code("service", text)


def _offer_code(sink: UsageSink, text: str) -> int:
    """``UsageSink.take``'s offer check: the code of a known offer, else -1."""
    if not text:
        return sink.code("offer", None)
    offer: OfferCategory | None
    try:
        offer = parse_offer(text)
    except ValueError:
        return -1
    return -1 if offer is None else sink.code("offer", offer)


def _merge(sink: UsageSink, fast: _Fast, slow_rows: Any) -> None:
    """Put the clean rows and the rows the ordinary path accepted (already in ``sink``, in
    line order) together, in line order, as the sink's columns."""
    keep = fast.ok.copy()
    keep[slow_rows] = True
    final = np.cumsum(keep) - 1
    fast_rows = np.flatnonzero(fast.ok)
    out: dict[str, Any] = {}
    for name in ("sub", "month", "minor", "currency", "service", "offer"):
        values = getattr(fast, name)
        if not len(slow_rows):  # the common case: only clean rows
            out[name] = values if len(fast_rows) == len(values) else values[fast_rows]
            continue
        column = np.zeros(int(keep.sum()), dtype=np.int64)
        column[final[fast_rows]] = values[fast_rows]
        given = np.frombuffer(getattr(sink, name), dtype=_csv_int(getattr(sink, name)))
        column[final[slow_rows]] = given
        out[name] = column
    exact = {int(final[slow_rows[i]]): v for i, v in sink.exact.items()}
    exact.update(zip(final[fast.exact_rows].tolist(), fast.exact, strict=True))
    lines = np.flatnonzero(keep) + 2
    for name, column in out.items():
        setattr(sink, name, column)
    sink.exact = exact
    sink.lines = array("q", lines.astype(np.int64).tobytes())


def _csv_int(codes: Any) -> Any:
    return np.int64 if codes.itemsize == 8 else np.int32
