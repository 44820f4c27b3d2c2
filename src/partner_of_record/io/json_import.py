"""Import a single JSON document of facts, with the same rejects report as the CSV importer.

The document is the shape [`to_json`][partner_of_record.io.to_json] writes for a ledger: an
object with the lists ``partners``, ``customers``, ``subscriptions``, ``associations``,
``usage`` and ``seats`` (each optional), each item an object of the record's fields (ISO dates,
amounts as strings or exact numbers, enums by value). Each item is read on its own with the
JSON converter, so one bad item is one reject and the others still load.

How the [`Reject`][partner_of_record.io.csv_import.Reject] fields read for JSON: ``file`` is the
document followed by ``#`` and the list (``facts.json#usage``), ``line`` is the **line of the
document** where the item starts (or, for a problem in one field, where that field's key is),
``column`` is the field name (an unknown key is named), and the reason carries the converter's
message. An item holding ``NaN`` or ``Infinity`` is rejected on its own, at its line. A list
key whose value is not a list is one rejected entry. UTF-8 (with or without a byte order
mark) and UTF-16 with a byte order mark are read.

A document that is not JSON at all, is a JSON list rather than an object, or nests too deeply
to parse raises a [`DataFileError`][partner_of_record.io.csv_import.DataFileError] naming its
line: never a ``RecursionError``. A JSON document is read whole (the standard library parser
does not stream).
"""

from __future__ import annotations

import bisect
import json
import os
import re
from decimal import Decimal
from pathlib import Path

import attrs

from partner_of_record.errors import Finding
from partner_of_record.io._converter import SerializationError, from_dict
from partner_of_record.io._session import (
    DataFileError,
    LoadResult,
    References,
    Reject,
    Seen,
    Session,
    Tally,
    Where,
    admit,
    build_ledger,
)
from partner_of_record.io.columns import LAYOUTS
from partner_of_record.model import Record
from partner_of_record.rules import DEFAULT_RULES, RuleSet

__all__ = ["load_json"]

_FIELD = re.compile(r"^\$(?:\.([A-Za-z_]\w*)|\[(\"(?:[^\"\\\\]|\\\\.)*\")\])")
_SPACE = re.compile(r"[ \t\n\r]*")


class _NonFinite:
    """Stands for ``NaN``/``Infinity`` while decoding, so one item is rejected, not the file."""

    def __init__(self, name: str) -> None:
        self.name = name


_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_NonFinite)


class _Document:
    """The text of a document, with line lookup by offset."""

    def __init__(self, label: str, text: str) -> None:
        self.label = label
        self.text = text
        self.breaks = [m.start() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_left(self.breaks, offset) + 1

    def fail(self, offset: int, reason: str) -> DataFileError:
        line = self.line(offset)
        reject = Reject(self.label, line, None, "", reason, "MALFORMED_ROW")
        return DataFileError(f"{self.label}:{line}: {reason}", reject)

    def skip(self, offset: int) -> int:
        match = _SPACE.match(self.text, offset)
        assert match is not None  # the pattern matches the empty string
        return match.end()

    def value(self, offset: int) -> tuple[object, int]:
        try:
            return _DECODER.raw_decode(self.text, offset)
        except json.JSONDecodeError as exc:
            raise self.fail(
                exc.pos, f"is not valid JSON: {exc.msg} at column {exc.colno}"
            ) from None
        except RecursionError:
            raise self.fail(offset, "is nested too deeply to be facts") from None

    def expect(self, offset: int, chars: str, what: str) -> tuple[str, int]:
        offset = self.skip(offset)
        if offset < len(self.text) and self.text[offset] in chars:
            return self.text[offset], offset + 1
        found = repr(self.text[offset]) if offset < len(self.text) else "the end"
        raise self.fail(offset, f"is not valid JSON: expected {what}, found {found}")

    def top(self) -> list[tuple[str, int, object]]:
        """The top-level ``(key, offset, value)`` triples; a list value is a list of
        ``(offset, item)`` pairs, so each item keeps where it starts."""
        offset = self.skip(0)
        if offset < len(self.text) and self.text[offset] == "[":
            names = ", ".join(layout.name for layout in LAYOUTS)
            raise self.fail(offset, f"is a JSON list; expected an object with the lists {names}")
        if offset >= len(self.text) or self.text[offset] != "{":
            self.value(offset)  # raises the decoder's own message for text that is not JSON
            names = ", ".join(layout.name for layout in LAYOUTS)
            raise self.fail(offset, f"is not a JSON object with the lists {names}")
        out: list[tuple[str, int, object]] = []
        offset += 1
        if self.text[self.skip(offset) : self.skip(offset) + 1] == "}":
            offset = self.skip(offset) + 1
        else:
            while True:
                offset = self.skip(offset)
                key_at = offset
                key, offset = self.value(offset)
                if not isinstance(key, str):
                    raise self.fail(key_at, "is not valid JSON: an object key must be a string")
                _, offset = self.expect(offset, ":", "':'")
                offset = self.skip(offset)
                if self.text[offset : offset + 1] == "[":
                    items, offset = self.items(offset + 1)
                    out.append((key, key_at, items))
                else:
                    value, offset = self.value(offset)
                    out.append((key, key_at, _Scalar(value)))
                sep, offset = self.expect(offset, ",}", "',' or '}'")
                if sep == "}":
                    break
        if self.skip(offset) != len(self.text):
            raise self.fail(self.skip(offset), "is not valid JSON: extra data after the object")
        return out

    def items(self, offset: int) -> tuple[list[tuple[int, object]], int]:
        items: list[tuple[int, object]] = []
        offset = self.skip(offset)
        if self.text[offset : offset + 1] == "]":
            return items, offset + 1
        while True:
            offset = self.skip(offset)
            start = offset
            item, offset = self.value(offset)
            items.append((start, item))
            sep, offset = self.expect(offset, ",]", "',' or ']'")
            if sep == "]":
                return items, offset

    def field_line(self, start: int, field: str) -> int:
        """The line of ``"field":`` in the item starting at ``start`` (else the item's line)."""
        key = re.compile(re.escape(json.dumps(field)) + r"\s*:")
        found = key.search(self.text, start)
        return self.line(found.start() if found else start)


@attrs.frozen
class _Scalar:
    """A top-level value that is not a list."""

    value: object


def _non_finite(value: object) -> bool:
    if isinstance(value, _NonFinite):
        return True
    if isinstance(value, dict):
        return any(_non_finite(v) for v in value.values())
    if isinstance(value, list):
        return any(_non_finite(v) for v in value)
    return False


def _source(source: str | bytes | os.PathLike[str]) -> tuple[str, bytes | str]:
    if isinstance(source, bytes):
        return "<json>", source
    if isinstance(source, str) and (not source.strip() or source.lstrip().startswith(("{", "["))):
        return "<json>", source
    path = Path(source)
    return str(path), path.read_bytes()


def _decode(label: str, content: bytes | str) -> str:
    if not isinstance(content, bytes):
        return content
    codec = "utf-16" if content.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        return content.decode(codec)
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        reject = Reject(
            label,
            line,
            None,
            "",
            f"is not valid UTF-8 (byte 0x{content[exc.start]:02x}); save it as UTF-8",
            "BAD_ENCODING",
        )
        raise DataFileError(f"{label}:{line}: not UTF-8", reject) from None


def _shown(value: object) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str)
    except (RecursionError, ValueError):
        return "..."


def _problems(
    exc: SerializationError, item: object, file: str, doc: _Document, start: int
) -> list[Reject]:
    rejects = []
    for problem in exc.problems:
        m = _FIELD.match(problem.path)
        field = (m[1] or json.loads(m[2])) if m else None
        value: object = item.get(field, "") if field and isinstance(item, dict) else ""
        line = doc.field_line(start, field) if field else doc.line(start)
        rejects.append(Reject(file, line, field, _shown(value), problem.message))
    return rejects


def _non_finite_rejects(item: object, file: str, doc: _Document, start: int) -> list[Reject]:
    if isinstance(item, dict):
        bad = [k for k, v in item.items() if _non_finite(v)]
        return [
            Reject(
                file,
                doc.field_line(start, key),
                key,
                item[key].name if isinstance(item[key], _NonFinite) else "...",
                "is not a number JSON allows (NaN and Infinity are not amounts)",
            )
            for key in bad
        ]
    return [
        Reject(file, doc.line(start), None, "", "holds NaN or Infinity, which JSON does not allow")
    ]


def load_json(
    source: str | bytes | os.PathLike[str],
    *,
    strict: bool = False,
    rules: RuleSet = DEFAULT_RULES,
) -> LoadResult:
    """Load a JSON document of facts into a ledger, reporting every rejected item.

    Args:
        source: a path, or the JSON text itself (a string starting with ``{`` or ``[``, an
            empty string, or bytes).
        strict: raise on the first reject instead of collecting them.
        rules: the program rules the ledger checks.

    Returns:
        The ledger of accepted records and the load report (one summary per list).

    Raises:
        DataFileError: the document is not UTF-8 (or UTF-16) JSON, is not an object, nests too
            deeply, or (strict) an item was rejected.
        OSError: the path cannot be read.
    """
    label, content = _source(source)
    doc = _Document(label, _decode(label, content))
    top = doc.top()
    session = Session(strict=strict, progress=False)
    known = {layout.name for layout in LAYOUTS}
    data: dict[str, tuple[int, object]] = {}
    for key, key_at, value in top:
        if key not in known:
            session.warn(
                Finding(
                    "UNKNOWN_COLUMN",
                    f"{label}:{doc.line(key_at)}: key {key!r} is not a record list and is ignored"
                    f" (lists: {', '.join(sorted(known))})",
                    (label, key),
                    "warning",
                )
            )
        data[key] = (key_at, value)
    references = References()
    records: dict[str, list[Record]] = {layout.name: [] for layout in LAYOUTS}
    where: dict[int, tuple[str, int]] = {}  # by id(): the records stay alive in `records`
    tallies: dict[str, Tally] = {}
    for layout in LAYOUTS:
        if layout.name not in data:
            continue
        file = f"{label}#{layout.name}"
        tally = session.tally(file, layout.name)
        tallies[file] = tally
        key_at, items = data[layout.name]
        if isinstance(items, _Scalar):
            if items.value is None:
                continue
            tally.read += 1
            session.reject_row(
                tally,
                [
                    Reject(
                        file,
                        doc.line(key_at),
                        None,
                        _shown(items.value)[:200],
                        "is not a list of records",
                        "MALFORMED_ROW",
                    )
                ],
            )
            continue
        assert isinstance(items, list)
        seen = Seen(exact=True)
        for start, item in items:
            tally.read += 1
            line = doc.line(start)
            if _non_finite(item):
                session.reject_row(tally, _non_finite_rejects(item, file, doc, start))
                continue
            try:
                record: Record = from_dict(item, layout.record_type)
            except SerializationError as exc:
                session.reject_row(tally, _problems(exc, item, file, doc, start))
                continue
            except RecursionError:
                reject = Reject(file, line, None, "", "is nested too deeply", "MALFORMED_ROW")
                session.reject_row(tally, [reject])
                continue
            if admit(record, Where(file, line, str), session, tally, seen, references):
                records[layout.name].append(record)
                where[id(record)] = (file, line)
    ledger = build_ledger(records, where, tallies, session, rules)
    return LoadResult(ledger, session.report())
