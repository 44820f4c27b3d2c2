"""Microsoft Partner Network cloud competencies, 2016 rules (retired 2022-09-30).

The sales-performance step of a cloud competency, met through credited consumption, as the
seed announcement (an MPN 101 post, 2017) describes it. Counted association kinds, as in the
seed: Digital Partner of Record, transacting partner and Delegated Admin Privileges, plus PAL,
which Microsoft added later. DAP never existed on Azure, so for Cloud Platform it counts
nothing; it is listed to match the seed.

Each entry is built by a factory whose parameters expose the alternatives where the sources are
silent or disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Literal

from partner_of_record.evaluation.catalog.markets import DEFAULT_MARKET, ByMarket
from partner_of_record.evaluation.competency import Competency
from partner_of_record.evaluation.measures import (
    STANDARD_OFFERS,
    AcrScope,
    CreditedAcr,
    DistinctCustomers,
    SeatCustomers,
    SeatScope,
    SeatTotal,
)
from partner_of_record.evaluation.requirements import AllOf, AtLeast, Requirement
from partner_of_record.evaluation.time import Trailing
from partner_of_record.model import AssociationKind, OfferCategory, Workload
from partner_of_record.rules import DPOR_WORKLOADS_2017

__all__ = [
    "CLOUD_PLATFORM_GOLD",
    "CLOUD_PLATFORM_KINDS",
    "CLOUD_PLATFORM_SILVER",
    "CLOUD_PRODUCTIVITY_GOLD",
    "CLOUD_PRODUCTIVITY_SILVER",
    "PRODUCTIVITY_WORKLOADS",
    "SEAT_KINDS",
    "SEED_SEAT_WORKLOADS",
    "SMALL_MIDMARKET_CLOUD_GOLD",
    "SMALL_MIDMARKET_CLOUD_SILVER",
    "SMALL_MIDMARKET_WORKLOADS",
    "cloud_platform",
    "cloud_productivity",
    "small_midmarket_cloud",
]

_K = AssociationKind
_PROGRAM = "MPN competencies 2016"

CLOUD_PLATFORM_KINDS: frozenset[AssociationKind] = frozenset(
    {_K.DPOR, _K.TRANSACTING, _K.CSP_TIER1, _K.CSP_TIER2, _K.DAP, _K.PAL}
)
"""DPOR, transacting partners (CSP resellers included), DAP (as in the seed; it does not exist
on Azure) and PAL (added later)."""

SEAT_KINDS: frozenset[AssociationKind] = frozenset(
    {_K.DPOR, _K.TRANSACTING, _K.CSP_TIER1, _K.CSP_TIER2, _K.DAP}
)
"""The seed's kinds for seat-based workloads: DPOR, transacting partner (CSP too) and DAP."""

SMALL_MIDMARKET_WORKLOADS: frozenset[Workload] = frozenset(
    {Workload.OFFICE_365, Workload.MICROSOFT_365}
)
"""Office 365 (and its later Microsoft 365 bundle): the seats Small and Midmarket Cloud
Solutions counts.

Source: rcpmag, September 2015 ("Microsoft Lowers Thresholds on Cloud Competencies",
https://rcpmag.com/blogs/scott-bekker/2015/09/ms-cuts-cloud-competency-requirements.aspx):
"partners aiming for the silver level in the Small and Midmarket Cloud Solutions (SMCS)
competency will now only need to sell 40 seats of Office 365 to four new Office 365 customers
... To get gold, partners must now sell 250 seats at 25 customers". Dynamics 365, CRM Online,
Intune and EMS seats do not count; the broader reading (every seat-based workload the 2017 seed
lists for DPOR) is ``SEED_SEAT_WORKLOADS``, to pass as
``small_midmarket_cloud(level, workloads=SEED_SEAT_WORKLOADS)``."""

SEED_SEAT_WORKLOADS: frozenset[Workload] = DPOR_WORKLOADS_2017 - {Workload.AZURE}
"""Every seat-based workload the 2017 seed lists for DPOR (Office 365, CRM Online, Dynamics
365, AX7, Intune, EMS) and Microsoft 365: the broader, alternative reading of Small and
Midmarket Cloud Solutions (the earlier default). Derived from the one list of them,
``partner_of_record.rules.DPOR_WORKLOADS_2017``, without Azure."""

PRODUCTIVITY_WORKLOADS: frozenset[Workload] = frozenset(
    {Workload.OFFICE_365, Workload.MICROSOFT_365}
)
"""Office 365 / Microsoft 365: the workloads whose active entitlements Cloud Productivity counts."""

_LEVELS = frozenset({"silver", "gold"})
_T12 = Trailing(12)
_RCPMAG_PUBLISHED = dt.date(2015, 9, 1)
_RCPMAG_PUBLISHED_NOTE = (
    "Published: only the month is known (September 2015); the first day is used."
)


def _level(level: str) -> str:
    if level not in _LEVELS:
        msg = f"level {level!r} is not 'silver' or 'gold'"
        raise ValueError(msg)
    return level


def cloud_platform(
    level: Literal["silver", "gold"],
    *,
    threshold_usd: Decimal | int | None = None,
    kinds: Iterable[AssociationKind] = CLOUD_PLATFORM_KINDS,
    window: Trailing = _T12,
    offers: Iterable[OfferCategory] | None = STANDARD_OFFERS,
    market_thresholds: Mapping[str, Decimal | int] | None = None,
) -> Competency:
    """Build the Cloud Platform competency (one requirement, ``azure_consumption``).

    Consumption under trial, benefit (partner-program internal use, sponsorship), support-only
    and Microsoft-internal offers does not count toward the sales-performance threshold (issue
    #12.7's reading of the competency rules; the same four categories as the Solutions Partner
    rule "Offers excluded from all Azure metrics: Support, Internal, Benefit Program, Trial",
    ``PC23:partner-capability-score``). A usage row's own ``offer`` overrides its
    subscription's; rows without one count as the subscription says (standard, unless set).

    Args:
        level: ``"silver"`` (US$15,000) or ``"gold"`` (US$100,000).
        threshold_usd: override the threshold (silver was US$25,000 before September 2015).
        kinds: the association kinds counted (default ``CLOUD_PLATFORM_KINDS``, where CSP
            tier 1 and 2 count as the seed's "transacting partners"; leave them out to count
            only the partners recorded as ``TRANSACTING``).
        window: the window summed (default the trailing 12 months).
        offers: the offer categories that count (default standard offers only; ``None``:
            every offer, the earlier reading).
        market_thresholds: thresholds of other markets (market code -> US$), beside the US
            figure of ``level`` (or ``threshold_usd``); the requirement is then a
            ``ByMarket`` (``partner_of_record.evaluation.catalog.markets``) that reads
            the partner's ``market`` and names the market it used. The sources publish only the
            US figures, so the shipped entries have no table.

    Returns:
        The competency.

    Raises:
        ValueError: ``level`` is not silver or gold.
    """
    _level(level)
    default = Decimal(15_000) if level == "silver" else Decimal(100_000)
    threshold = Decimal(threshold_usd) if threshold_usd is not None else default
    measure = CreditedAcr(AcrScope(kinds, workloads=[Workload.AZURE], offers=offers), window)
    requirement: Requirement
    if market_thresholds:
        table = {DEFAULT_MARKET: threshold, **{k: Decimal(v) for k, v in market_thresholds.items()}}
        requirement = ByMarket("azure_consumption", measure, table)
    else:
        requirement = AtLeast("azure_consumption", measure, threshold)
    return Competency(
        name=f"CLOUD_PLATFORM_{level.upper()}",
        title=f"Cloud Platform ({level.title()})",
        requirement=requirement,
        source=(
            "rcpmag 2015-09 (silver cut from US$25,000 to US$15,000; "
            "https://rcpmag.com/blogs/scott-bekker/2015/09/ms-cuts-cloud-competency-requirements.aspx)"
            if level == "silver"
            else "channelweb 2015-09 (gold US$100,000; "
            "https://www.channelweb.co.uk/news/2427047/microsoft-makes-cloudy-changes-channel)"
        ),
        published=_RCPMAG_PUBLISHED,
        notes=(
            "Counted kinds as in the 2017 seed: DPOR, transacting partner, DAP (no effect on "
            "Azure) and PAL (added later). A CSP reseller (tier 1 or 2) is the transacting "
            "partner of a CSP subscription, so CSP tiers count too (parameter kinds).",
            "Trial, benefit program, support and internal offers do not count (a usage row's "
            "own offer overrides its subscription's; parameter offers=None counts every "
            "offer).",
            _RCPMAG_PUBLISHED_NOTE,
        ),
        program=_PROGRAM,
    )


def small_midmarket_cloud(
    level: Literal["silver", "gold"],
    *,
    seats: int | None = None,
    customers: int | None = None,
    new_customers_only: bool | None = None,
    kinds: Iterable[AssociationKind] = SEAT_KINDS,
    workloads: Iterable[Workload] = SMALL_MIDMARKET_WORKLOADS,
) -> Competency:
    """Build Small and Midmarket Cloud Solutions: seats across customers, trailing 12 months.

    Silver: 40 seats across 4 *new* customers; gold: 250 seats across 25 customers (rcpmag
    2015-09). A customer's seats are its highest credited paid seats in any month of the
    window (summed over its workloads); a new customer is one credited in the window and in none
    of the 12 months before it.

    Args:
        level: ``"silver"`` or ``"gold"``.
        seats: override the seat threshold.
        customers: override the customer threshold.
        new_customers_only: count only new customers (default: silver yes, gold no, as the
            source words it).
        kinds: the association kinds counted.
        workloads: the seat-based workloads counted (default Office 365 and Microsoft 365;
            ``SEED_SEAT_WORKLOADS`` is the broader reading).

    Returns:
        The competency (requirements ``customers`` and ``seats``).

    Raises:
        ValueError: ``level`` is not silver or gold.
    """
    _level(level)
    silver = level == "silver"
    seat_threshold = seats if seats is not None else (40 if silver else 250)
    customer_threshold = customers if customers is not None else (4 if silver else 25)
    new_only = new_customers_only if new_customers_only is not None else silver
    scope = SeatScope(kinds, workloads, value="paid_seats")
    window = _T12
    requirement = AllOf(
        "sales_performance",
        (
            AtLeast(
                "customers",
                DistinctCustomers((SeatCustomers(scope, window, 1, new_only=new_only),)),
                customer_threshold,
            ),
            AtLeast(
                "seats",
                SeatTotal(scope, window, aggregate="peak", new_only=new_only),
                seat_threshold,
            ),
        ),
    )
    return Competency(
        name=f"SMALL_MIDMARKET_CLOUD_{level.upper()}",
        title=f"Small and Midmarket Cloud Solutions ({level.title()})",
        requirement=requirement,
        source=(
            "rcpmag 2015-09 (https://rcpmag.com/blogs/scott-bekker/2015/09/"
            "ms-cuts-cloud-competency-requirements.aspx)"
        ),
        published=_RCPMAG_PUBLISHED,
        notes=(
            "Office 365 seats only (rcpmag 2015-09: 'sell 40 seats of Office 365 to four new "
            "Office 365 customers'); Microsoft 365 counts as the later Office 365 bundle. "
            "Dynamics 365, "
            "CRM Online, Intune and EMS seats do not count (parameter workloads; "
            "SEED_SEAT_WORKLOADS is the broader reading).",
            "Seats are paid seats credited to the partner (SeatCrediting default: an association "
            "of a counted kind in effect on the month's last day).",
            "A customer's seats are its peak month in the trailing 12 months (the source says "
            "'seats across customers' without saying when they are counted).",
            "Silver counts new customers only (credited in the window, not in the 12 months "
            "before), gold all customers, as the source words it (parameter new_customers_only).",
            _RCPMAG_PUBLISHED_NOTE,
        ),
        program=_PROGRAM,
    )


def cloud_productivity(
    level: Literal["silver", "gold"],
    *,
    active_entitlements: int | None = None,
    kinds: Iterable[AssociationKind] = SEAT_KINDS,
    workloads: Iterable[Workload] = PRODUCTIVITY_WORKLOADS,
    aggregate: Literal["last", "peak"] = "peak",
) -> Competency:
    """Build Cloud Productivity: active entitlements over the trailing 12 months.

    Args:
        level: ``"silver"`` (2,000) or ``"gold"`` (4,000).
        active_entitlements: override the threshold.
        kinds: the association kinds counted.
        workloads: the workloads counted.
        aggregate: ``"peak"`` (default): each tenant-workload's highest month in the window;
            ``"last"``: the measurement month only.

    Returns:
        The competency (one requirement, ``active_entitlements``).

    Raises:
        ValueError: ``level`` is not silver or gold.
    """
    _level(level)
    threshold = (
        active_entitlements
        if active_entitlements is not None
        else (2_000 if level == "silver" else 4_000)
    )
    requirement = AtLeast(
        "active_entitlements",
        SeatTotal(SeatScope(kinds, workloads, value="active_users"), _T12, aggregate),
        threshold,
    )
    return Competency(
        name=f"CLOUD_PRODUCTIVITY_{level.upper()}",
        title=f"Cloud Productivity ({level.title()})",
        requirement=requirement,
        source=(
            "channelweb 2015-09, not confirmed officially "
            "(https://www.channelweb.co.uk/news/2427047/microsoft-makes-cloudy-changes-channel)"
        ),
        published=dt.date(2016, 1, 1),
        notes=(
            "Thresholds from channelweb, not confirmed by Microsoft.",
            "Active entitlements are credited monthly active users; each tenant-workload counts "
            "its peak month of the trailing 12 months (parameter aggregate).",
            "Published: the date is not in the sources; the program year's first day is used.",
        ),
        program=_PROGRAM,
    )


CLOUD_PLATFORM_SILVER = cloud_platform("silver")
"""Cloud Platform silver: US$15,000 credited Azure consumption over the trailing 12 months."""
CLOUD_PLATFORM_GOLD = cloud_platform("gold")
"""Cloud Platform gold: US$100,000 credited Azure consumption over the trailing 12 months."""
SMALL_MIDMARKET_CLOUD_SILVER = small_midmarket_cloud("silver")
"""Small and Midmarket Cloud Solutions silver: 40 seats across 4 new customers."""
SMALL_MIDMARKET_CLOUD_GOLD = small_midmarket_cloud("gold")
"""Small and Midmarket Cloud Solutions gold: 250 seats across 25 customers."""
CLOUD_PRODUCTIVITY_SILVER = cloud_productivity("silver")
"""Cloud Productivity silver: 2,000 active entitlements."""
CLOUD_PRODUCTIVITY_GOLD = cloud_productivity("gold")
"""Cloud Productivity gold: 4,000 active entitlements."""
