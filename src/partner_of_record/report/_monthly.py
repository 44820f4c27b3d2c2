"""Credited consumption per month, customer, workload and association kinds, and its text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from partner_of_record._text import money as _money
from partner_of_record._text import table as _table
from partner_of_record.model import AssociationKind, CustomerId, PartnerId, Workload

if TYPE_CHECKING:  # pragma: no cover - typing only
    from partner_of_record.attribution import Credits

_ZERO = Decimal(0)


@attrs.frozen
class MonthlyCredit:
    """A partner's credited consumption for one month, customer, workload and set of kinds.

    Attributes:
        month: the first day of the usage month.
        customer_id: the customer's tenant.
        workload: the subscriptions' workload.
        kinds: the association kinds that earned the credits.
        currency: the ISO 4217 code of ``amount``.
        amount: the credited amount (the sum of the credits), exact.
    """

    month: dt.date
    customer_id: CustomerId
    workload: Workload
    kinds: frozenset[AssociationKind]
    currency: str
    amount: Decimal


def kinds_label(kinds: Iterable[AssociationKind]) -> str:
    """Return a short label for a set of association kinds, e.g. ``"dpor+pal"``.

    Args:
        kinds: the kinds.

    Returns:
        Their values, sorted and joined with ``+``; ``"-"`` for none.
    """
    return "+".join(sorted(k.value for k in kinds)) or "-"


def monthly_credits(
    credits: Credits,
    partner_id: PartnerId,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[MonthlyCredit, ...]:
    """Sum a partner's credits per month, customer, workload, association kinds and currency.

    Args:
        credits: the result of [`attribute`][partner_of_record.attribution.attribute].
        partner_id: the partner.
        start: if given, the first month kept.
        end: if given, the first month no longer kept.

    Returns:
        The rows, sorted by month, customer, workload, kinds and currency. A partner without
        credits gives ``()``.
    """
    mine = credits.filter(partner_id=partner_id, start=start, end=end)
    totals = mine.totals(by=("month", "customer_id", "workload", "kinds", "currency"))
    rows = [
        MonthlyCredit(month, customer, workload, frozenset(kinds), currency, amount)
        for (month, customer, workload, kinds, currency), amount in totals.items()
    ]
    rows.sort(
        key=lambda r: (r.month, r.customer_id, r.workload.value, kinds_label(r.kinds), r.currency)
    )
    return tuple(rows)


def render_monthly(
    rows: Sequence[MonthlyCredit], customers: Mapping[CustomerId, str] | None = None
) -> str:
    """Render monthly credits as two text tables: per month by kind, per customer and workload.

    Args:
        rows: the result of [`monthly_credits`][partner_of_record.report.monthly_credits].
        customers: customer id -> display name, shown instead of the id when known.

    Returns:
        The text, ending with a newline; ``"No credited consumption.\\n"`` for no rows.
    """
    if not rows:
        return "No credited consumption.\n"
    names = customers or {}
    labels = sorted({kinds_label(r.kinds) for r in rows})
    per_month: dict[tuple[dt.date, str], dict[str, Decimal]] = {}
    for r in rows:
        cell = per_month.setdefault((r.month, r.currency), {})
        label = kinds_label(r.kinds)
        cell[label] = cell.get(label, _ZERO) + r.amount
    table = [["month", "currency", "total", *labels]]
    for (month, currency), by_kind in sorted(per_month.items()):
        table.append(
            [
                f"{month:%Y-%m}",
                currency,
                _money(sum(by_kind.values(), _ZERO), currency),
                *(_money(by_kind[k], currency) if k in by_kind else "" for k in labels),
            ]
        )
    lines = ["Credited consumption per month, by association kind"]
    lines.extend(_table(table, right=range(2, 3 + len(labels))))

    per_customer: dict[tuple[str, str, str, str], tuple[Decimal, set[dt.date]]] = {}
    for r in rows:
        key = (r.customer_id, r.workload.value, kinds_label(r.kinds), r.currency)
        amount, months = per_customer.get(key, (_ZERO, set()))
        months.add(r.month)
        per_customer[key] = (amount + r.amount, months)
    first, last = rows[0].month, max(r.month for r in rows)
    table = [["customer", "workload", "kinds", "currency", "total", "months"]]
    table.extend(
        [
            names.get(customer) or customer,
            workload,
            label,
            currency,
            _money(amount, currency),
            str(len(months)),
        ]
        for (customer, workload, label, currency), (amount, months) in sorted(
            per_customer.items(), key=lambda kv: (names.get(kv[0][0]) or kv[0][0], kv[0])
        )
    )
    lines.append("")
    lines.append(
        f"Credited consumption by customer, workload and kind, {first:%Y-%m} to {last:%Y-%m}"
    )
    lines.extend(_table(table, right=(4, 5)))
    return "\n".join(lines) + "\n"
