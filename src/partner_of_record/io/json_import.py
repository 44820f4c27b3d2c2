"""Import a single JSON document of facts, with the same rejects report as the CSV importer.

The document is the shape [`to_json`][partner_of_record.io.to_json] writes for a ledger: an
object with the lists ``partners``, ``customers``, ``subscriptions``, ``associations``,
``usage`` and ``seats`` (each optional), each item an object of the record's fields (ISO dates,
amounts as strings or exact numbers, enums by value). Each item is read on its own with the
JSON converter, so one bad item is one reject and the others still load.

How the [`Reject`][partner_of_record.io.csv_import.Reject] fields read for JSON: ``file`` is the
document followed by ``#`` and the list (``facts.json#usage``), ``line`` is the item's 1-based
position in that list, ``column`` is the field name, and the reason carries the converter's
message. A document that is not JSON at all raises a
[`DataFileError`][partner_of_record.io.csv_import.DataFileError] naming its line and column.
A JSON document is read whole (the standard library parser does not stream).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from partner_of_record.errors import Finding
from partner_of_record.io._converter import SerializationError, from_dict
from partner_of_record.io.columns import LAYOUTS
from partner_of_record.io.csv_import import (
    DataFileError,
    LoadResult,
    Reject,
    _admit,
    _build_ledger,
    _References,
    _Seen,
    _Session,
    _Tally,
    _Where,
)
from partner_of_record.io.json import _loads
from partner_of_record.model import Record
from partner_of_record.rules import DEFAULT_RULES, RuleSet

__all__ = ["load_json"]

_FIELD = re.compile(r"^\$\.([A-Za-z_]\w*)")


def _source(source: str | bytes | os.PathLike[str]) -> tuple[str, bytes | str]:
    if isinstance(source, bytes):
        return "<json>", source
    if isinstance(source, str) and source.lstrip().startswith(("{", "[")):
        return "<json>", source
    path = Path(source)
    return str(path), path.read_bytes()


def _parse(label: str, content: bytes | str) -> object:
    if isinstance(content, bytes):
        try:
            text = content.decode("utf-8-sig")
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
    else:
        text = content
    try:
        return _loads(text)
    except json.JSONDecodeError as exc:
        reject = Reject(
            label,
            exc.lineno,
            None,
            "",
            f"is not valid JSON: {exc.msg} at column {exc.colno}",
            "MALFORMED_ROW",
        )
        raise DataFileError(f"{label}:{exc.lineno}: {reject.reason}", reject) from None
    except ValueError as exc:
        reject = Reject(label, 1, None, "", f"is not valid JSON: {exc}", "MALFORMED_ROW")
        raise DataFileError(f"{label}: {reject.reason}", reject) from None


def _problems(exc: SerializationError, item: object, file: str, line: int) -> list[Reject]:
    rejects = []
    for problem in exc.problems:
        m = _FIELD.match(problem.path)
        field = m[1] if m else None
        value: object = item.get(field, "") if field and isinstance(item, dict) else ""
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        rejects.append(Reject(file, line, field, shown, problem.message))
    return rejects


def load_json(
    source: str | bytes | os.PathLike[str],
    *,
    strict: bool = False,
    rules: RuleSet = DEFAULT_RULES,
) -> LoadResult:
    """Load a JSON document of facts into a ledger, reporting every rejected item.

    Args:
        source: a path, or the JSON text itself (a string starting with ``{``, or bytes).
        strict: raise on the first reject instead of collecting them.
        rules: the program rules the ledger checks.

    Returns:
        The ledger of accepted records and the load report (one summary per list).

    Raises:
        DataFileError: the document is not UTF-8 JSON, is not an object, or (strict) an item
            was rejected.
        OSError: the path cannot be read.
    """
    label, content = _source(source)
    data = _parse(label, content)
    if not isinstance(data, dict):
        names = ", ".join(layout.name for layout in LAYOUTS)
        reject = Reject(label, 1, None, "", f"is not a JSON object with the lists {names}")
        raise DataFileError(f"{label}: {reject.reason}", reject)
    session = _Session(strict=strict, progress=False)
    known = {layout.name for layout in LAYOUTS}
    for key in data:
        if key not in known:
            session.warn(
                Finding(
                    "UNKNOWN_COLUMN",
                    f"{label}: key {key!r} is not a record list and is ignored"
                    f" (lists: {', '.join(sorted(known))})",
                    (label, key),
                    "warning",
                )
            )
    references = _References()
    records: dict[str, list[Record]] = {layout.name: [] for layout in LAYOUTS}
    where: dict[int, tuple[str, int]] = {}  # by id(): the records stay alive in `records`
    tallies: dict[str, _Tally] = {}
    for layout in LAYOUTS:
        if layout.name not in data:
            continue
        file = f"{label}#{layout.name}"
        tally = session.tally(file, layout.name)
        tallies[file] = tally
        items = data[layout.name]
        if not isinstance(items, list):
            session.reject(Reject(file, 1, None, "", "is not a list", "MALFORMED_ROW"))
            continue
        seen = _Seen(exact=True)
        for line, item in enumerate(items, 1):
            tally.read += 1
            try:
                record: Record = from_dict(item, layout.record_type)
            except SerializationError as exc:
                session.reject_row(tally, _problems(exc, item, file, line))
                continue
            if _admit(record, _Where(file, line, str), session, tally, seen, references):
                records[layout.name].append(record)
                where[id(record)] = (file, line)
    ledger = _build_ledger(records, where, tallies, session, rules)
    return LoadResult(ledger, session.report())
