"""``IncentiveProgram``: an incentive as dated, sourced data.

A program says four things, each a small frozen value:

* **who may earn**: ``eligibility``, a [`Competency`][partner_of_record.evaluation.Competency]
  (any requirement tree of the evaluation algebra) evaluated for the partner as of the first
  day of each month; a partner earns only in the months it meets it;
* **on which consumption**:
  [`SubscriptionEligibility`][partner_of_record.incentives.SubscriptionEligibility], the
  association kinds that earn (from their start day, never before), the workloads, services
  and offers included, and whether the first approved partner keeps a subscription;
* **what it earns**: [`EarningRule`][partner_of_record.incentives.EarningRule], a rate on
  eligible consumption (rounded down, or PEC's billed-cost rounding), one-off wins
  ([`WinRule`][partner_of_record.incentives.WinRule]) and caps per period;
* **when it is paid**: [`Payout`][partner_of_record.incentives.Payout], the payment period
  and the minimum cumulative amount below which earnings carry forward.

Amounts in a program (minimums, caps, win thresholds and payments) are US dollars.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Literal

import attrs

from partner_of_record.errors import ValidationError
from partner_of_record.evaluation._provenance import as_notes, source_url
from partner_of_record.evaluation.competency import Competency
from partner_of_record.evaluation.measures import (
    to_decimal,
    to_kinds,
    to_offers,
    to_services,
    to_workloads,
)
from partner_of_record.model import AssociationKind, OfferCategory, Workload

__all__ = [
    "EarningRule",
    "IncentiveProgram",
    "Payout",
    "Period",
    "SubscriptionEligibility",
    "WinRule",
]

Period = Literal["month", "quarter", "year", "program"]
"""A period over which caps add up or payments are made (``"program"``: the whole range)."""


def _kinds_or_empty(value: Iterable[AssociationKind | str]) -> frozenset[AssociationKind]:
    return to_kinds(value) if value else frozenset()


def _offers_or_empty(value: Iterable[OfferCategory | str] | None) -> frozenset[OfferCategory]:
    return (to_offers(value) or frozenset()) if value else frozenset()


def _services_or_empty(value: Iterable[str] | None) -> frozenset[str]:
    return (to_services(value) or frozenset()) if value else frozenset()


def _roles(value: Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    return frozenset(str(v).strip().lower() for v in items)


def _optional_decimal(value: Decimal | int | str | None) -> Decimal | None:
    return None if value is None else to_decimal(value)


def _check_not_negative(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, Decimal) and value < 0:
        raise ValidationError(type(inst).__name__, attribute.name, value, "is negative")


def _check_rate(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, Decimal) and not Decimal(0) <= value <= Decimal(1):
        raise ValidationError(
            type(inst).__name__,
            attribute.name,
            value,
            "is not a rate between 0 and 1",
            "write 15 % as 0.15",
        )


def _check_kinds(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not value:
        raise ValidationError(
            type(inst).__name__, attribute.name, value, "is empty; name the kinds that earn"
        )


@attrs.frozen
class SubscriptionEligibility:
    """Which credited consumption can earn: associations, workloads, services, offers.

    A day of a subscription is eligible for a partner when the partner holds, that day, an
    association of one of ``kinds`` (whose role, when it has one, is in ``roles``) and, if
    ``requires`` is not empty, also one of ``requires``. Eligibility starts on the
    association's start day (the approval day of a claim): never retroactive.

    Attributes:
        kinds: the association kinds that earn (DPOR for the 2015 Azure incentive, CPOR for
            claimed workloads, admin access for Partner Earned Credit).
        requires: kinds the partner must hold as well, the same day (PEC: the billing
            relationship, ``CSP_TIER1``); empty means none.
        roles: the RBAC roles that count for associations that carry a role (case-insensitive;
            ``None``: any role). Associations without a role are not filtered.
        workloads: the workloads the program covers (``None``: all). Consumption of other
            workloads is outside the program, neither eligible nor ineligible.
        services: only these services earn, case-insensitive (``None``: all).
        excluded_services: these services never earn, case-insensitive.
        excluded_offers: these offer categories never earn (the usage row's offer, else its
            subscription's).
        exclusive: the first partner approved on a subscription keeps it: no other partner
            earns on it, ever (KB 3091581: "no subscription may be paid to two partners").
    """

    kinds: frozenset[AssociationKind] = attrs.field(converter=to_kinds, validator=_check_kinds)
    requires: frozenset[AssociationKind] = attrs.field(
        default=frozenset(), converter=_kinds_or_empty
    )
    roles: frozenset[str] | None = attrs.field(default=None, converter=_roles)
    workloads: frozenset[Workload] | None = attrs.field(
        default=frozenset({Workload.AZURE}), converter=to_workloads
    )
    services: frozenset[str] | None = attrs.field(default=None, converter=to_services)
    excluded_services: frozenset[str] = attrs.field(
        default=frozenset(), converter=_services_or_empty
    )
    excluded_offers: frozenset[OfferCategory] = attrs.field(
        default=frozenset(), converter=_offers_or_empty
    )
    exclusive: bool = False

    def describe(self) -> str:
        """Return a short label such as ``Azure via DPOR, first approved partner only``."""
        what = (
            ", ".join(sorted(w.name for w in self.workloads))
            if self.workloads is not None
            else "all workloads"
        )
        text = f"{what} via {', '.join(sorted(k.name for k in self.kinds))}"
        if self.roles is not None:
            text += f" (roles {', '.join(sorted(self.roles))})"
        if self.requires:
            text += f", with {' or '.join(sorted(k.name for k in self.requires))}"
        if self.excluded_offers:
            text += f", excluding {', '.join(sorted(o.value for o in self.excluded_offers))} offers"
        if self.services is not None:
            text += f", services {', '.join(sorted(self.services))}"
        if self.excluded_services:
            text += f", excluding services {', '.join(sorted(self.excluded_services))}"
        if self.exclusive:
            text += ", first approved partner only"
        return text


@attrs.frozen
class WinRule:
    """A one-off payment when a customer's consumption with a participant crosses a threshold.

    A customer is eligible when its total consumption of the program's workloads (every usage
    row, whoever is credited) stayed below ``baseline_max`` in each of the ``baseline_months``
    months before the program's effective date. Its *win* is the first month, within the
    program, in which some participant's eligible consumption for the customer exceeds
    ``threshold``; every participant that exceeds it in that month is paid ``payment`` (the UK
    SMB campaign, 2020-21: "when several participants cross in the same month, all are paid").

    Attributes:
        threshold: the monthly consumption a participant must exceed (US$).
        payment: the one-off payment per win (US$).
        baseline_max: the monthly consumption a customer must stay below before the program
            (US$; ``None``: every customer is eligible).
        baseline_months: how many months before the effective date the baseline covers.
    """

    threshold: Decimal = attrs.field(converter=to_decimal, validator=_check_not_negative)
    payment: Decimal = attrs.field(converter=to_decimal, validator=_check_not_negative)
    baseline_max: Decimal | None = attrs.field(default=None, converter=_optional_decimal)
    baseline_months: int = 3


@attrs.frozen
class EarningRule:
    """What eligible consumption earns.

    Attributes:
        rate: the share of eligible consumption earned (``0.15`` for 15 %); ``None`` for
            programs that only pay wins.
        rounding: ``"floor"`` (default): each line earns ``rate x eligible`` rounded down to
            the minor unit, so earnings never exceed the rate; ``"billed_cost"``: Partner
            Earned Credit's rule, the billed cost is ``floor(eligible x (1 - rate))`` to the
            minor unit and the line earns ``eligible - billed cost`` (so it may exceed
            ``rate x eligible`` by less than one minor unit).
        win: one-off win payments, if the program has them.
        cap: the most a partner earns per ``cap_period`` (US$; ``None``: no cap).
        cap_period: the period the cap applies to.
    """

    rate: Decimal | None = attrs.field(
        default=None, converter=_optional_decimal, validator=_check_rate
    )
    rounding: Literal["floor", "billed_cost"] = "floor"
    win: WinRule | None = None
    cap: Decimal | None = attrs.field(
        default=None, converter=_optional_decimal, validator=_check_not_negative
    )
    cap_period: Literal["month", "quarter", "year", "program"] = "month"

    def describe(self) -> str:
        """Return a short label such as ``15 % of eligible consumption (billed cost)``."""
        parts = []
        if self.rate is not None:
            rounding = "rounded down" if self.rounding == "floor" else "PEC billed-cost rounding"
            parts.append(f"{self.rate * 100:g} % of eligible consumption ({rounding})")
        if self.win is not None:
            parts.append(
                f"US${self.win.payment:,} per win (a participant's month above "
                f"US${self.win.threshold:,})"
            )
        if self.cap is not None:
            parts.append(f"capped at US${self.cap:,} per {self.cap_period}")
        return "; ".join(parts) or "nothing"


@attrs.frozen
class Payout:
    """When earnings are paid.

    Attributes:
        period: the payment period: earnings are paid at the end of each ``"month"``,
            ``"quarter"`` or ``"year"``, or once at the end (``"program"``).
        minimum: the cumulative amount (US$) earnings must exceed before they are paid; below
            it they carry forward to the next period.
        minimum_applies: ``"first"`` (default, KB 3091581: payment *starts* once cumulative
            earnings exceed the minimum): later periods are paid whatever their amount;
            ``"every"``: each payment must exceed the minimum.
    """

    period: Literal["month", "quarter", "year", "program"] = "month"
    minimum: Decimal = attrs.field(
        default=Decimal(0), converter=to_decimal, validator=_check_not_negative
    )
    minimum_applies: Literal["first", "every"] = "first"


def _check_text(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            type(inst).__name__, attribute.name, value, "is not a non-empty string"
        )


def _check_date(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationError(type(inst).__name__, attribute.name, value, "is not a datetime.date")


def _check_ends(inst: IncentiveProgram, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    _check_date(inst, attribute, value)
    assert isinstance(value, dt.date)
    if value <= inst.effective:
        raise ValidationError(
            "IncentiveProgram", "ends", value, f"is not after effective {inst.effective}"
        )


def _check_eligibility(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Competency):
        raise ValidationError(
            type(inst).__name__,
            attribute.name,
            value,
            "is not a Competency (wrap a requirement with Competency(...)) or None",
        )


@attrs.frozen
class IncentiveProgram:
    """An incentive program: who earns, on what, how much, and when it is paid.

    Attributes:
        name: a stable identifier (``"PARTNER_EARNED_CREDIT"``).
        title: a readable title.
        source: where the rules were published (a URL, or a shorthand such as
            ``"PC23:partner-earned-credit-explanation"``).
        effective: the first day consumption can earn.
        subscriptions: which credited consumption earns.
        earning: what it earns.
        payout: when it is paid.
        ends: the first day consumption no longer earns (``None``: open-ended).
        eligibility: what the partner must meet, evaluated as of the first day of each month
            (``None``: every partner may earn).
        notes: the choices made where the sources are silent or disagree.
    """

    name: str = attrs.field(validator=_check_text)
    title: str = attrs.field(validator=_check_text)
    source: str = attrs.field(validator=_check_text)
    effective: dt.date = attrs.field(validator=_check_date)
    subscriptions: SubscriptionEligibility
    earning: EarningRule = EarningRule()
    payout: Payout = Payout()
    ends: dt.date | None = attrs.field(default=None, validator=_check_ends)
    eligibility: Competency | None = attrs.field(default=None, validator=_check_eligibility)
    notes: tuple[str, ...] = attrs.field(default=(), converter=as_notes)

    @property
    def source_url(self) -> str:
        """The source as a URL (``PC23:x`` becomes ``https://learn.microsoft.com/partner-center/x``)."""
        return source_url(self.source)

    def in_effect(self, day: dt.date) -> bool:
        """Return whether consumption on ``day`` falls within the program's dates."""
        return self.effective <= day and (self.ends is None or day < self.ends)

    def describe(self) -> str:
        """Return a paragraph: title, dates, source, eligibility, earning rule, payout, notes."""
        ends = self.ends.isoformat() if self.ends else "open-ended"
        who = self.eligibility.name if self.eligibility is not None else "every partner"
        pay = f"paid per {self.payout.period}"
        if self.payout.minimum:
            pay += f" once cumulative earnings exceed US${self.payout.minimum:,}"
        lines = [
            f"{self.title} ({self.name}), {self.effective.isoformat()} to {ends}",
            f"source: {self.source_url}",
            f"partners: {who}; consumption: {self.subscriptions.describe()}",
            f"earns: {self.earning.describe()}; {pay}",
        ]
        lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines)
