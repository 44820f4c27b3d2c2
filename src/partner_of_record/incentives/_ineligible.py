"""Ineligible amounts: the codes, the amount with its reason, and their sum by reason (internal).

Every cent of credited consumption that earns nothing carries one of ``INELIGIBLE_CODES`` and a
readable reason; ``sum_reasons`` adds amounts up by (code, reason), in the codes' order. Used by
the engine (a line, a month) and by ``Earnings`` (totals); the public names are re-exported by
``partner_of_record.incentives.results``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType

import attrs

__all__ = ["INELIGIBLE_CODES", "IneligibleAmount", "sum_reasons"]

INELIGIBLE_CODES: Mapping[str, str] = MappingProxyType(
    {
        "OUTSIDE_PROGRAM": "consumption before the program's effective day or after its end",
        "EXCLUDED_OFFER": "the row's offer category is excluded (trial, internal ...)",
        "EXCLUDED_SERVICE": "the row's service is excluded, or not among the included ones",
        "PARTNER_NOT_ELIGIBLE": "the partner does not meet the program's eligibility that month",
        "ALREADY_APPROVED": "another partner was approved first on the subscription",
        "BEFORE_APPROVAL": "days before the partner's earning association started",
        "NO_ASSOCIATION": "days the partner holds no association of an earning kind",
        "ROLE_NOT_ELIGIBLE": "the partner's association has a role that does not count",
        "MISSING_REQUIRED": "the partner lacks a required association (PEC: billing partner)",
    }
)
"""Every code an ineligible amount can carry, with its meaning (for the docs)."""

_ORDER = {code: i for i, code in enumerate(INELIGIBLE_CODES)}


@attrs.frozen
class IneligibleAmount:
    """Consumption that earns nothing, and why.

    Attributes:
        code: a stable code (see ``INELIGIBLE_CODES``).
        reason: a readable reason (``"no DPOR"``, ``"partner not eligible this month:
            CLOUD_PLATFORM_SILVER not met, short US$2,310.40"``).
        amount: the amount, in the earnings' currency.
    """

    code: str
    reason: str
    amount: Decimal


def sum_reasons(parts: Iterable[IneligibleAmount]) -> tuple[IneligibleAmount, ...]:
    """Sum ineligible amounts by (code, reason), ordered by code then reason.

    Args:
        parts: the amounts.

    Returns:
        One entry per distinct (code, reason).
    """
    acc: dict[tuple[str, str], Decimal] = {}
    for p in parts:
        acc[(p.code, p.reason)] = acc.get((p.code, p.reason), Decimal(0)) + p.amount
    keys = sorted(acc, key=lambda k: (_ORDER.get(k[0], len(_ORDER)), k[1]))
    return tuple(IneligibleAmount(c, r, acc[(c, r)]) for c, r in keys)
