"""A slow, obviously correct reference engine for the attribution laws (tests only).

Day by day, with ``Fraction``: for every usage row and every day of its month, the policy is
asked about the associations in effect that day (found by scanning all associations), and the
row's amount / month days x share is added up; then each result is rounded once, half to even
per (row, partner) for recognising policies, by largest remainder (ties to the lowest partner
id, the unattributed part last) for split policies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

from partner_of_record.currency import minor_unit_exponent
from partner_of_record.ledger import Ledger
from partner_of_record.model import month_days

RowKey = tuple[str, dt.date, str | None, str]


def oracle(
    ledger: Ledger,
    policy: Any,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[dict[tuple[RowKey, str], Decimal], dict[RowKey, Decimal]]:
    """Attribute day by day, the slow and obvious way (months in ``[start, end)``).

    Returns:
        ``{(row key, partner): credit}`` and ``{row key: unattributed part}``.
    """
    credits: dict[tuple[RowKey, str], Decimal] = {}
    left: dict[RowKey, Decimal] = {}
    for usage in ledger.usage:
        if (start is not None and usage.month < start) or (end is not None and usage.month >= end):
            continue
        exp = minor_unit_exponent(usage.currency)
        quantum = Decimal(1).scaleb(-exp)
        amount = Fraction(usage.amount.quantize(quantum, rounding=ROUND_HALF_EVEN))
        days = month_days(usage.month)
        exact: dict[str, Fraction] = {}
        nobody = Fraction(0)
        for offset in range(days):
            day = usage.month + dt.timedelta(days=offset)
            active = sorted(
                (
                    a
                    for a in ledger.associations
                    if a.subscription_id == usage.subscription_id and a.in_effect_on(day)
                ),
                key=lambda a: (a.start, a.kind.value, a.partner_id),
            )
            shares = {p: Fraction(s) for p, s in policy.shares(usage, active).items() if s}
            if not shares:
                nobody += Fraction(1, days)
            for partner, share in shares.items():
                exact[partner] = exact.get(partner, Fraction(0)) + Fraction(1, days) * share
        if policy.split:
            rest = 1 - sum(exact.values(), Fraction(0))
            units = _largest_remainder(amount * 10**exp, exact, rest)
            for partner, n in units.items():
                if partner is not None:
                    credits[(usage.key, partner)] = Decimal(n).scaleb(-exp)
            if rest:
                left[usage.key] = Decimal(units[None]).scaleb(-exp)
        else:
            for partner, share in exact.items():
                credits[(usage.key, partner)] = _round(amount * share, exp)
            if nobody:
                left[usage.key] = _round(amount * nobody, exp)
    return credits, left


def _round(value: Fraction, exp: int) -> Decimal:
    scaled = value * 10**exp
    return Decimal(round(scaled)).scaleb(-exp)  # Fraction.__round__ is half-even


def _largest_remainder(
    units: Fraction, exact: Mapping[str, Fraction], rest: Fraction
) -> dict[str | None, int]:
    sign = -1 if units < 0 else 1
    total = int(units) * sign
    parts: list[tuple[str | None, Fraction]] = [(p, exact[p]) for p in sorted(exact)]
    if rest:
        parts.append((None, rest))
    floors = {p: int(total * f) for p, f in parts}  # int() of a positive Fraction floors
    leftover = total - sum(floors.values())
    ranked = sorted(range(len(parts)), key=lambda i: (-(total * parts[i][1] % 1), i))
    for i in ranked[:leftover]:
        floors[parts[i][0]] += 1
    return {p: n * sign for p, n in floors.items()}
