"""Built-in incentive programs, each dated and sourced.

* ``azure_dpor_incentive(rate)``: the Azure partner incentive for Digital Partners of Record
  (from 2015-08-01). Microsoft published "the current Azure Incentive rate" separately, so the
  rate is a required parameter; ``get_program("AZURE_DPOR_2015", rate=...)`` builds it too.
* ``PARTNER_EARNED_CREDIT`` (``partner_earned_credit()`` for variants): 15 % on the billed
  cost of Azure consumption, for direct-bill partners and indirect providers with admin access,
  computed for each day of eligible access.

A campaign-style program (wins) is shown as a TOML declaration in the how-to guide.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType

from partner_of_record.errors import PartnerOfRecordError
from partner_of_record.evaluation.catalog import CLOUD_PLATFORM_SILVER
from partner_of_record.evaluation.competency import Competency
from partner_of_record.incentives.program import (
    EarningRule,
    IncentiveProgram,
    Payout,
    SubscriptionEligibility,
)
from partner_of_record.model import AssociationKind, OfferCategory, Workload

__all__ = [
    "AZURE_DPOR_2015_SOURCE",
    "NON_STANDARD_OFFERS",
    "PARTNER_EARNED_CREDIT",
    "PEC_EXCLUDED_SERVICES",
    "PROGRAMS",
    "UnknownProgramError",
    "azure_dpor_incentive",
    "get_program",
    "partner_earned_credit",
]

AZURE_DPOR_2015_SOURCE = (
    "https://azure.microsoft.com/en-gb/partners/partner-of-record (eligibility and rate); "
    "https://support.microsoft.com/kb/3091581 (payment guidelines)"
)
"""The sources of the 2015 Azure incentive: the program page and the payment guidelines."""

NON_STANDARD_OFFERS: frozenset[OfferCategory] = frozenset(
    {
        OfferCategory.TRIAL,
        OfferCategory.INTERNAL,
        OfferCategory.SUPPORT,
        OfferCategory.BENEFIT_PROGRAM,
    }
)
"""Trial, internal, support and benefit-program offers: not a customer's paid consumption."""

PEC_EXCLUDED_SERVICES: frozenset[str] = frozenset(
    {
        "reservations",
        "savings plan",
        "spot virtual machines",
        "azure marketplace",
        "third-party",
    }
)
"""The service names PEC excludes by default (reservations, savings plans, Spot VMs,
Marketplace and third-party products), matched case-insensitively against ``Usage.service``."""

_K = AssociationKind


def azure_dpor_incentive(
    rate: Decimal | int | str,
    *,
    eligibility: Competency | None = CLOUD_PLATFORM_SILVER,
    minimum: Decimal | int | str = 200,
    exclusive: bool = True,
    excluded_offers: Iterable[OfferCategory] = NON_STANDARD_OFFERS,
    effective: dt.date = dt.date(2015, 8, 1),
) -> IncentiveProgram:
    """Build the Azure partner incentive for Digital Partners of Record (from 2015-08-01).

    A partner earns ``rate`` on the monthly consumption of a customer's Azure subscription
    when the customer attached it as DPOR and it holds a Silver or Gold Cloud Platform
    competency; consumption counts from the day the DPOR was attached, never before; no
    subscription is paid to two partners (the first approved keeps it); payment starts once
    cumulative earnings exceed US$200, below which they carry forward.

    Args:
        rate: "the current Azure Incentive rate" (``0.05`` for 5 %), published separately.
        eligibility: what the partner must hold each month (default Cloud Platform silver:
            gold has a higher threshold on the same measure, so "silver or gold" is silver).
        minimum: the cumulative earnings (US$) that must be exceeded before payment starts.
        exclusive: the first partner approved on a subscription keeps it.
        excluded_offers: offers whose consumption never earns.
        effective: the first day of the program.

    Returns:
        The program, named ``AZURE_DPOR_2015``.
    """
    return IncentiveProgram(
        name="AZURE_DPOR_2015",
        title="Azure partner incentive for Digital Partners of Record (2015)",
        source=AZURE_DPOR_2015_SOURCE,
        effective=effective,
        eligibility=eligibility,
        subscriptions=SubscriptionEligibility(
            kinds=[_K.DPOR],
            workloads=[Workload.AZURE],
            excluded_offers=excluded_offers,
            exclusive=exclusive,
        ),
        earning=EarningRule(rate=rate),
        payout=Payout(period="month", minimum=minimum, minimum_applies="first"),
        notes=(
            "The rate is not in the sources we cite (Microsoft published 'the current Azure "
            "Incentive rate' separately): it is a required parameter.",
            "Consumption counts from the DPOR's start day, prorated by day like attribution "
            "(the payment guidelines say 'from the month the incentive was approved').",
            "Earnings per line are rounded down to the cent; the source says nothing of "
            "rounding, and rounding down never promises more than the rate.",
            "Trial, internal, support and benefit-program offers earn nothing: the program "
            "pays on the 'actual consumption of a customer-owned Azure subscription' "
            "(parameter excluded_offers).",
            "Payment starts once cumulative earnings exceed US$200; later months are paid "
            "whatever their amount (Payout.minimum_applies).",
        ),
    )


def partner_earned_credit(
    *,
    rate: Decimal | int | str = Decimal("0.15"),
    admin_kinds: Iterable[AssociationKind] = (_K.CSP_TIER1, _K.PAL, _K.LIGHTHOUSE),
    roles: Iterable[str] = ("Owner", "Contributor"),
    excluded_services: Iterable[str] = PEC_EXCLUDED_SERVICES,
    effective: dt.date = dt.date(2023, 10, 1),
) -> IncentiveProgram:
    """Build Partner Earned Credit: ``rate`` of the billed cost, day by day of admin access.

    Only direct-bill partners and indirect providers (``CSP_TIER1``) earn it, on the days they
    hold admin access: admin-on-behalf-of access, which the billing partner gets with the
    subscription (``CSP_TIER1`` itself, by default), or an Owner or Contributor role through a
    PAL or Lighthouse link (not Reader). The billed cost is
    ``floor(cost x (1 - rate), 2 decimals)``; the line earns ``cost - billed cost``.

    Args:
        rate: the credit rate (15 %).
        admin_kinds: the association kinds that stand for admin access; leave ``CSP_TIER1``
            out when the data records the removal of admin-on-behalf-of access separately.
        roles: the RBAC roles that count.
        excluded_services: the services that never earn (case-insensitive).
        effective: the first day evaluated (the rules encoded are those published in October
            2023; PEC itself is older).

    Returns:
        The program, named ``PARTNER_EARNED_CREDIT``.
    """
    return IncentiveProgram(
        name="PARTNER_EARNED_CREDIT",
        title="Partner Earned Credit for Azure (15 %)",
        source="PC23:partner-earned-credit-explanation",
        effective=effective,
        subscriptions=SubscriptionEligibility(
            kinds=admin_kinds,
            requires=[_K.CSP_TIER1],
            roles=roles,
            workloads=[Workload.AZURE],
            excluded_services=excluded_services,
        ),
        earning=EarningRule(rate=rate, rounding="billed_cost"),
        payout=Payout(period="month"),
        notes=(
            "Computed per credited usage row (a subscription, month and service) prorated by "
            "the days of eligible access; Microsoft computes it per daily invoice line.",
            "Admin-on-behalf-of access comes with the CSP_TIER1 association by default; pass "
            "admin_kinds without it when the data records admin access separately.",
            "Exclusions (reservations, third-party, Marketplace, Spot VMs, savings plans) are "
            "matched on the usage row's service name (parameter excluded_services).",
            "Effective date: the October 2023 publication of the rules encoded; PEC is older.",
        ),
    )


PARTNER_EARNED_CREDIT = partner_earned_credit()
"""Partner Earned Credit: 15 % of the billed cost (the defaults of ``partner_earned_credit``)."""

PROGRAMS: Mapping[str, Callable[..., IncentiveProgram]] = MappingProxyType(
    {
        "AZURE_DPOR_2015": azure_dpor_incentive,
        "PARTNER_EARNED_CREDIT": partner_earned_credit,
    }
)
"""Every built-in program by name, as its factory (``AZURE_DPOR_2015`` needs a ``rate``)."""


class UnknownProgramError(PartnerOfRecordError, KeyError):
    """No built-in program of that name, or a program built without its required rate.

    Attributes:
        name: the name asked for.
    """

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0])


def get_program(name: str, *, rate: Decimal | int | str | None = None) -> IncentiveProgram:
    """Return a built-in program by name (case-insensitive; ``-`` and spaces as ``_``).

    Args:
        name: ``"AZURE_DPOR_2015"`` or ``"PARTNER_EARNED_CREDIT"``.
        rate: the rate: required by ``AZURE_DPOR_2015``, replaces PEC's 15 % if given.

    Returns:
        The program.

    Raises:
        UnknownProgramError: no such program (suggests close names), or no rate for
            ``AZURE_DPOR_2015``.
    """
    key = name.strip().upper().replace("-", "_").replace(" ", "_")
    factory = PROGRAMS.get(key)
    if factory is None:
        close = difflib.get_close_matches(key, list(PROGRAMS), n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UnknownProgramError(
            name, f"no incentive program named {name!r}{hint} (known: {', '.join(PROGRAMS)})"
        )
    if key == "AZURE_DPOR_2015":
        if rate is None:
            raise UnknownProgramError(
                name,
                "AZURE_DPOR_2015 needs its rate (Microsoft published it separately): "
                "pass rate= (--rate 0.05 for 5 %)",
            )
        return azure_dpor_incentive(rate)
    return partner_earned_credit() if rate is None else partner_earned_credit(rate=rate)
