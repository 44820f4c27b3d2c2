"""Generators of damaged CSV folders and JSON documents, and the loaders' invariant.

The invariant (issue 18): every data row is accepted or rejected exactly once, with its
location, and only documented exceptions escape. ``check_folder`` and ``check_json`` return the
list of violations (empty when the invariant holds) instead of asserting, so that a long
campaign (``campaign.py --campaign N``) can count them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from partner_of_record.io import DataFileError, LoadReport, load_folder, load_json, validate_folder

# A valid folder, as lists of cells: every damage starts from it.
_PARTNERS = [["id", "name"], ["P1", "Contoso"], ["P2", "Fabrikam, Inc."], ["P3", "Relecloud"]]
_CUSTOMERS = [["id", "name"], ["C1", "Northwind"], ["C2", "Tailspin"]]
_SUBSCRIPTIONS = [
    ["id", "customer_id", "workload", "name"],
    ["S1", "C1", "Azure", "Prod"],
    ["S2", "C2", "Office 365", ""],
    ["S3", "C1", "Azure", "Dev"],
]
_ASSOCIATIONS = [
    ["partner_id", "subscription_id", "kind", "start", "end"],
    ["P1", "S1", "PAL", "2024-01-01", ""],
    ["P2", "S1", "DPOR", "2024-01-15", "2024-06-01"],
    ["P3", "S3", "CSP Tier 1", "2024-02-01", ""],
]
_USAGE = [
    ["subscription_id", "month", "amount", "currency", "service"],
    *[["S1", f"2024-{m:02d}", f"{100 * m}.50", "USD", "Virtual Machines"] for m in range(1, 7)],
    *[["S3", f"2024-{m:02d}", f"{7 * m}.25", "EUR", "Storage"] for m in range(1, 5)],
]
_SEATS = [["subscription_id", "month", "paid_seats", "active_users"], ["S2", "2024-01", "10", "8"]]
FILES: dict[str, list[list[str]]] = {
    "partners.csv": _PARTNERS,
    "customers.csv": _CUSTOMERS,
    "subscriptions.csv": _SUBSCRIPTIONS,
    "associations.csv": _ASSOCIATIONS,
    "usage.csv": _USAGE,
    "seats.csv": _SEATS,
}

NASTY_CELLS = (
    "",
    " ",
    '"',
    '""',
    "'=1+1",
    "=HYPERLINK(1)",
    "-12.50",
    "1e10000000",
    "1" * 61,
    "٢٠٢٤-٠١",
    "1e١٢",
    "9999-12",
    "01/02/2024",
    "25/01/2024",
    "NaN",
    "Infinity",
    "1.234,50",
    "12,50",
    "(12.00)",
    "$1,234.50 EUR",
    "\x00",
    "\ufeff",
    "S1\nS1,2024-01,1,USD,x",
    "é",
    "2024-02-30",
    "-0",
)

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "cp1252")
ENDINGS = ("\r\n", "\n", "\r")
DELIMITERS = (",", ";", "\t")


def _quote(cell: str, delimiter: str) -> str:
    if any(c in cell for c in (delimiter, '"', "\n", "\r")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _render(rows: list[list[str]], delimiter: str, ending: str) -> str:
    return "".join(delimiter.join(_quote(c, delimiter) for c in row) + ending for row in rows)


@st.composite
def damaged_folders(draw: st.DrawFn) -> dict[str, bytes]:  # noqa: PLR0912 - one branch per kind of damage drawn
    """A folder (file name -> bytes) with random damage: bad cells, stray quotes, deleted or
    repeated lines, odd encodings, line ends, delimiters, truncation, blank lines."""
    out: dict[str, bytes] = {}
    for name, rows in FILES.items():
        if draw(st.integers(0, 9)) == 0:
            continue  # a missing file
        rows = [list(r) for r in rows]  # noqa: PLW2901 - a damaged copy
        for _ in range(draw(st.integers(0, 3))):  # bad cells
            r = draw(st.integers(0, len(rows) - 1))
            c = draw(st.integers(0, len(rows[r]) - 1))
            rows[r][c] = draw(st.sampled_from(NASTY_CELLS) | st.text(max_size=6))
        if draw(st.booleans()):  # extra or missing fields
            r = draw(st.integers(1, len(rows) - 1))
            rows[r] = rows[r][:-1] if draw(st.booleans()) else [*rows[r], "extra"]
        if draw(st.integers(0, 3)) == 0:  # a repeated row
            rows.append(list(rows[draw(st.integers(1, len(rows) - 1))]))
        delimiter = draw(st.sampled_from(DELIMITERS))
        ending = draw(st.sampled_from(ENDINGS))
        text = _render(rows, delimiter, ending)
        for _ in range(draw(st.integers(0, 2))):  # stray quotes, deleted or inserted characters
            pos = draw(st.integers(0, max(0, len(text))))
            op = draw(st.sampled_from(("quote", "delete", "blank", "newline")))
            if op == "quote":
                text = text[:pos] + '"' + text[pos:]
            elif op == "delete":
                text = text[:pos] + text[pos + 1 :]
            elif op == "blank":
                text = text[:pos] + ending + ending + text[pos:]
            else:
                text = text[:pos] + ending + text[pos:]
        if draw(st.integers(0, 5)) == 0:  # truncated
            text = text[: draw(st.integers(0, len(text)))]
        if draw(st.integers(0, 5)) == 0:
            text = ending + text  # blank line first
        encoding = draw(st.sampled_from(ENCODINGS))
        data = text.encode(encoding, errors="replace")
        if draw(st.integers(0, 7)) == 0:  # a random byte
            pos = draw(st.integers(0, len(data)))
            data = data[:pos] + bytes([draw(st.integers(0, 255))]) + data[pos:]
        out[name] = data
    if not out:
        out["partners.csv"] = b""
    return out


def _facts() -> dict[str, list[dict[str, Any]]]:
    return {
        "partners": [{"id": "P1", "name": "Contoso"}, {"id": "P2"}],
        "customers": [{"id": "C1"}],
        "subscriptions": [{"id": "S1", "customer_id": "C1", "workload": "azure"}],
        "associations": [
            {"partner_id": "P1", "subscription_id": "S1", "kind": "pal", "start": "2024-01-01"}
        ],
        "usage": [
            {"subscription_id": "S1", "month": f"2024-{m:02d}-01", "amount": f"{m}.50"}
            for m in range(1, 6)
        ],
        "seats": [],
    }


_JSON_VALUES = st.sampled_from(
    [None, 1, -1, 1.5, "x", "", [], {}, "NaN", "2024-13-01", "1e10000000", "٢٠٢٤-٠١-٠١", True]
)


@st.composite
def damaged_json(draw: st.DrawFn) -> str:
    """A facts document with random damage: bad values, unknown keys, NaN, wrong shapes,
    deep nesting, truncation."""
    facts = _facts()
    for _ in range(draw(st.integers(0, 4))):
        key = draw(st.sampled_from(sorted(facts)))
        items = facts[key]
        if not isinstance(items, list):
            continue
        if items and draw(st.booleans()) and isinstance(items[-1], dict):
            items = [i for i in items if isinstance(i, dict)]
            item = items[draw(st.integers(0, len(items) - 1))]
            field = draw(st.sampled_from([*sorted(item), "colour"]))
            item[field] = draw(_JSON_VALUES)
        elif draw(st.booleans()):
            facts[key] = draw(st.sampled_from([{}, "x", None, 3]))  # type: ignore[assignment]
        else:
            items.append(draw(st.sampled_from([[], "x", 3, {"deep": [[[[[]]]]]}])))
    text = json.dumps(facts, indent=draw(st.sampled_from([None, 1, 2])))
    op = draw(st.integers(0, 9))
    if op == 0:
        text = text.replace('"1.50"', "NaN", 1)
    elif op == 1:
        text = text[: draw(st.integers(0, len(text)))]
    elif op == 2:
        text = '{"usage": [' + "[" * 5000 + "]" * 5000 + "]}"
    elif op == 3:
        text = "[" + text + "]"
    return text


# --------------------------------------------------------------------------------------------
# the invariant

_FILE_LEVEL = {"EMPTY_FILE", "MISSING_COLUMN", "DUPLICATE_COLUMN", "MALFORMED_HEADER"}


def _check_report(report: LoadReport, lines_known: bool) -> list[str]:
    problems: list[str] = []
    for summary in report.files:
        if summary.read != summary.accepted + summary.rejected:
            problems.append(f"{summary.file}: read != accepted + rejected ({summary})")
        if min(summary.read, summary.accepted, summary.rejected, summary.blank) < 0:
            problems.append(f"{summary.file}: negative count ({summary})")
        mine = [r for r in report.rejects if r.file == summary.file]
        if lines_known and summary.lines is not None:
            if summary.read + summary.blank > summary.lines:
                problems.append(f"{summary.file}: more rows than lines ({summary})")
            if any(not 1 <= r.line <= max(summary.lines, 1) for r in mine):
                problems.append(f"{summary.file}: a reject outside the file's lines")
        whole_file = any(r.code in _FILE_LEVEL for r in mine)
        # a header in a bad encoding is one more reject at the header's line, not a row
        rows = {r.line for r in mine if r.code not in _FILE_LEVEL and r.code != "BAD_ENCODING"}
        with_encoding = {r.line for r in mine if r.code not in _FILE_LEVEL}
        if not lines_known:  # JSON: several items may share a line
            if len([r for r in mine if r.code not in _FILE_LEVEL]) < summary.rejected:
                problems.append(f"{summary.file}: fewer rejects than rejected items")
        elif not whole_file and not len(rows) <= summary.rejected <= len(with_encoding):
            problems.append(
                f"{summary.file}: {summary.rejected} rejected row(s) but rejects at"
                f" {len(with_encoding)} line(s): {sorted(with_encoding)}"
            )
        if whole_file and summary.accepted:
            problems.append(f"{summary.file}: rows accepted from a file rejected as a whole")
        if not summary.read and not mine and summary.lines and summary.lines > 1 + summary.blank:
            problems.append(f"{summary.file}: {summary.lines} lines, no row and no reject")
    return problems


def _ledger_counts(result: Any, report: LoadReport) -> list[str]:
    counts = result.ledger.summary()
    problems = []
    by_type: dict[str, int] = {}
    for summary in report.files:
        by_type[summary.record_type] = by_type.get(summary.record_type, 0) + summary.accepted
    for record_type, accepted in by_type.items():
        if counts.get(record_type, 0) != accepted:
            problems.append(
                f"{record_type}: {accepted} accepted but {counts.get(record_type)} in the ledger"
            )
    return problems


def _guard(run: Callable[[], list[str]]) -> list[str]:
    try:
        return run()
    except DataFileError:
        return []
    except Exception as exc:  # any other exception is the violation we count
        return [f"undocumented exception {type(exc).__name__}: {exc}"[:300]]


def check_folder(files: dict[str, bytes], where: Path) -> list[str]:
    """Write ``files`` into ``where`` and check load_folder and validate_folder on it."""
    where.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (where / name).write_bytes(data)

    def run() -> list[str]:
        result = load_folder(where, progress=False)
        problems = _check_report(result.report, lines_known=True)
        problems += _ledger_counts(result, result.report)
        checked = validate_folder(where, progress=False)
        problems += [f"validate: {p}" for p in _check_report(checked, lines_known=True)]

        # the columnar usage path of load_folder rejects exactly what the per-row path does
        def located(report: LoadReport) -> set[tuple[str, int, str | None, str]]:
            return {(r.file, r.line, r.column, r.code) for r in report.rejects}

        missing = located(checked) - located(result.report)
        if missing:
            problems.append(f"rejects of validate_folder that load_folder lacks: {missing}")
        load_rows = {(f.file, f.read) for f in result.report.files}
        if load_rows != {(f.file, f.read) for f in checked.files}:
            problems.append("validate_folder and load_folder read different row counts")
        return problems

    return _guard(run)


def check_json(text: str) -> list[str]:
    """Check load_json on ``text``: counts, locations, documented exceptions only."""

    def run() -> list[str]:
        result = load_json(text.encode("utf-8"))
        problems = _check_report(result.report, lines_known=False)
        problems += _ledger_counts(result, result.report)
        n_lines = text.count("\n") + 1
        if any(not 1 <= r.line <= n_lines for r in result.report.rejects):
            problems.append("a JSON reject outside the document's lines")
        try:
            plain = json.loads(text, parse_constant=lambda name: name)
        except (ValueError, RecursionError):
            return problems
        if isinstance(plain, dict):
            for summary in result.report.files:
                items = plain.get(summary.record_type)
                expected = len(items) if isinstance(items, list) else int(items is not None)
                if summary.read != expected:
                    problems.append(f"{summary.file}: {expected} item(s) but read={summary.read}")
        return problems

    return _guard(run)


def random_seed() -> int:
    """A seed for a campaign run (printed, so a run can be repeated)."""
    return random.SystemRandom().randrange(2**32)
