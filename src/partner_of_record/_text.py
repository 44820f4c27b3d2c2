"""Plain-text helpers shared by the command line and the reports: money, aligned tables, clipping.

Private: [`cli`][partner_of_record.cli] and [`report`][partner_of_record.report] render with
these so that a table or an amount reads the same in both. Kept free of heavy imports (the
command line imports it at start-up).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from partner_of_record.currency import CURRENCIES, quantize

__all__ = ["clip", "money", "table"]


def money(amount: Decimal, currency: str) -> str:
    """Format an amount in ``currency``'s minor unit with thousands separators (``1,234.50``).

    An unknown currency code is formatted as the amount stands.
    """
    if currency in CURRENCIES:
        amount = quantize(amount, currency)
    return f"{amount:,}"


def table(rows: Iterable[Sequence[str]], right: Iterable[int] = ()) -> list[str]:
    """Align ``rows`` in columns two spaces apart, each line indented by two spaces.

    Columns whose index is in ``right`` are right-aligned; trailing spaces are stripped.
    """
    cells = [list(r) for r in rows]
    if not cells:
        return []
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]
    right_set = set(right)
    return [
        "  "
        + "  ".join(
            cell.rjust(widths[i]) if i in right_set else cell.ljust(widths[i])
            for i, cell in enumerate(r)
        ).rstrip()
        for r in cells
    ]


def clip(text: str, width: int) -> str:
    """Return ``text``, cut to ``width`` characters with ``...`` when it is longer."""
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."
