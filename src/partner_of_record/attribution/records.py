"""The attribution engine's result records: credits, spans, explanations, unattributed parts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import attrs

from partner_of_record.model import (
    Association,
    AssociationKind,
    CustomerId,
    PartnerId,
    SubscriptionId,
    Usage,
    Workload,
)

__all__ = ["Credit", "Explanation", "Span", "Unattributed"]


@attrs.frozen
class Span:
    """Days of one month over which the set of associations in effect is constant.

    Attributes:
        start: the first day of the span.
        end: the first day after the span.
        days: the number of days, ``(end - start).days``.
        active: the associations in effect on every day of the span.
        shares: the policy's answer for the span: ``(partner_id, share)`` pairs by partner id.
        rule: the rule that decided the shares.
    """

    start: dt.date
    end: dt.date
    days: int
    active: tuple[Association, ...]
    shares: tuple[tuple[PartnerId, Fraction], ...]
    rule: str

    def describe(self) -> str:
        """Return a readable line such as ``2024-01-01..2024-01-14 (14 days): P1 1``.

        Returns:
            The span's first and last day, its days, and each partner's share.
        """
        shares = ", ".join(f"{p} {s}" for p, s in self.shares) or "nobody"
        last = self.end - dt.timedelta(days=1)
        return f"{self.start.isoformat()}..{last.isoformat()} ({self.days} days): {shares}"


@attrs.frozen
class Explanation:
    """Why a credit exists: the associations, the spans and the rule that decided.

    Attributes:
        policy: the policy's name.
        rule: the rule(s) that credited the partner, e.g. ``"Priority: PAL outranks DPOR"``.
        associations: the credited partner's associations in effect during the month.
        spans: every span of the usage row's month, with its days and shares.
    """

    policy: str
    rule: str
    associations: tuple[Association, ...]
    spans: tuple[Span, ...]

    def __str__(self) -> str:
        lines = [f"policy {self.policy}: {self.rule}"]
        lines.extend(f"  association {a.describe()}" for a in self.associations)
        lines.extend(f"  span {s.describe()}" for s in self.spans)
        return "\n".join(lines)


@attrs.frozen
class Credit:
    """One partner's credit for one usage row.

    Attributes:
        partner_id: the credited partner.
        subscription_id: the subscription that consumed.
        customer_id: the customer (tenant) that owns the subscription.
        workload: the subscription's workload.
        month: the first day of the usage row's month.
        service: the usage row's service, when known.
        currency: the usage row's ISO 4217 currency.
        amount: the credited amount, rounded to the currency's minor unit.
        kinds: the association kinds that earned the credit.
        share: the exact fraction of the usage row's amount credited before rounding: the sum
            over spans of ``span days / month days x policy share``.
        explanation: the associations, spans, policy and rule behind the credit.
    """

    partner_id: PartnerId
    subscription_id: SubscriptionId
    customer_id: CustomerId
    workload: Workload
    month: dt.date
    service: str | None
    currency: str
    amount: Decimal
    kinds: frozenset[AssociationKind]
    share: Fraction
    explanation: Explanation = attrs.field(repr=False, eq=False)


@attrs.frozen
class Unattributed:
    """The part of a usage row that no partner was credited with (never dropped).

    Attributes:
        usage: the usage row.
        amount: the unattributed amount, rounded to the currency's minor unit.
        days: the number of days of the month on which no partner was credited.
        reason: a readable reason, e.g. ``"no partner in effect on 10 of 31 days"``.
    """

    usage: Usage
    amount: Decimal
    days: int
    reason: str
