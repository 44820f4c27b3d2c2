"""Solutions Partner designations, 2023 rules (the Partner Capability Score).

Common rules (``PC23:partner-capability-score``): a score out of 100; a partner qualifies with
at least 70 points and more than 0 points in every metric; partial points pro rata up to each
metric's cap. Offers excluded from the Azure metrics: Support, Internal, Benefit Program, Trial.

Every entry is built by a factory; its parameters expose the alternatives where the sources
disagree or are silent, and the ``notes`` of each entry say which choice the default makes.
Not modelled: the qualification window ("met on any day of the current month and the previous
five"): evaluate at several ``as_of`` days, or use ``earliest_qualification``.

Size: about 780 lines, on purpose. This is a data registry, not logic: one program year's
published rules in one file, in the order of the program guide, so a reader can check each entry
against its source side by side (the other year is ``competencies_2016``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Literal

from partner_of_record.evaluation.competency import Competency
from partner_of_record.evaluation.context import SeatCrediting
from partner_of_record.evaluation.measures import (
    AcrCustomers,
    AcrGrowth,
    AcrScope,
    DistinctCustomers,
    DistinctServices,
    Intersection,
    NetCustomerAdds,
    SeatCustomers,
    SeatGrowth,
    SeatScope,
    Shifted,
    SkillCount,
)
from partner_of_record.evaluation.requirements import (
    AtLeast,
    BestOf,
    Gate,
    PointsSum,
    Requirement,
    Scorecard,
    Scored,
)
from partner_of_record.evaluation.time import Trailing
from partner_of_record.model import AssociationKind, Workload

__all__ = [
    "AZURE_KINDS",
    "BUSINESS_APPLICATIONS_KINDS",
    "BUSINESS_APPLICATIONS_SKILLING",
    "MCV_RATES",
    "MODERN_WORK_WORKLOADS",
    "PASSING_SCORE",
    "SECURITY_AZURE_SERVICES",
    "SECURITY_M365_WORKLOADS",
    "SECURITY_SOURCE",
    "SOLUTIONS_PARTNER_BUSINESS_APPLICATIONS",
    "SOLUTIONS_PARTNER_DATA_AI_AZURE",
    "SOLUTIONS_PARTNER_DIGITAL_APP_INNOVATION_AZURE",
    "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE",
    "SOLUTIONS_PARTNER_MODERN_WORK",
    "SOLUTIONS_PARTNER_SECURITY",
    "VIRTUAL_MACHINE_SERVICES",
    "azure_designation",
    "business_applications",
    "modern_work",
    "security",
]

_K = AssociationKind
_PROGRAM = "Solutions Partner 2023"
_PUBLISHED = dt.date(2023, 10, 1)
_PUBLISHED_NOTE = (
    "Published: the domain reference cites the page as published in October 2023; the first "
    "day of that month is used."
)
_COMMON_NOTE = (
    "Met with >= 70 points and more than 0 points in every metric (PC23:partner-capability-score)."
)
_SKILLS_NOTE = (
    "Certifications come from the skills input (metric name -> people); a count given means its "
    "prerequisites are met; a missing count is 0 (finding MISSING_SKILLS_INPUT)."
)

PASSING_SCORE = Decimal(70)
"""The minimum total of the Partner Capability Score."""

AZURE_KINDS: frozenset[AssociationKind] = frozenset({_K.CSP_TIER1, _K.CSP_TIER2, _K.DPOR, _K.PAL})
"""The associations that count for the Azure designations: CSP tier 1 and 2, DPOR and PAL."""

VIRTUAL_MACHINE_SERVICES: frozenset[str] = frozenset(
    {"Virtual Machines", "Virtual Machine Licenses"}
)
"""Services that never count as Azure deployments: the one table of the exclusion.

Source: Partner Center, Solutions Partner qualification criteria (``PC23:solutions-partner-azure``
and the Insights page of the criteria, October 2023): "Count of distinct workloads except
Virtual Machines, Virtual Machine Licenses". Service names are matched case- and
plural-insensitively (``partner_of_record.evaluation.measures.service_key``), so exports that
write "Virtual Machines Licenses" or "virtual machine" are excluded too."""

MODERN_WORK_WORKLOADS: frozenset[Workload] = frozenset(
    {Workload.OFFICE_365, Workload.MICROSOFT_365, Workload.TEAMS, Workload.INTUNE, Workload.EMS}
)
"""The workloads whose seats Modern Work counts (a tenant is measured per workload).

Source: ``PC23:solutions-partner-modern-work`` (2022-2023 text, as reported by CRN on
2022-04-08): "Eligible products for points for modern work partners include Intune, Exchange,
ProPlus, Sharepoint, Teams, Teams Calling, Teams Meetings, Teams Phone, Teams Platform, and
Yammer." Exchange, ProPlus and SharePoint are Office 365 / Microsoft 365 seats; Intune is sold
alone or in Enterprise Mobility + Security (EMS E3/E5 include Intune Plan 1), so EMS
subscriptions count as Intune seats (our reading; parameter ``workloads`` of ``modern_work``)."""

SECURITY_AZURE_SERVICES: frozenset[str] = frozenset(
    {
        "Microsoft Defender for Cloud",
        "Microsoft Sentinel",
        "Azure Firewall",
        "Azure DDoS Protection",
        "Key Vault",
        "Azure Web Application Firewall",
        "Azure Bastion",
    }
)
"""The Azure services whose consumption is "security ACR" (our list; the source names none)."""

SECURITY_M365_WORKLOADS: frozenset[Workload] = frozenset(
    {Workload.DEFENDER, Workload.ENTRA, Workload.INTUNE, Workload.EMS}
)
"""The Microsoft 365 security workloads whose seats and users Security counts."""

BUSINESS_APPLICATIONS_KINDS: frozenset[AssociationKind] = frozenset(
    {_K.CPOR, _K.DPOR, _K.CSP_TIER1, _K.CSP_TIER2}
)
"""CPOR, DPOR and CSP: the associations counted for Business Applications (our choice)."""

MCV_RATES: Mapping[Workload, Decimal] = MappingProxyType(
    {
        Workload.BUSINESS_CENTRAL: Decimal(1000),
        Workload.POWER_APPS: Decimal(200),
        Workload.POWER_AUTOMATE: Decimal(200),
        Workload.POWER_BI: Decimal(200),
        Workload.CUSTOMER_INSIGHTS: Decimal("0.2"),
    }
)
"""Monthly consumption value per active user (per profile for Customer Insights), read-only."""

_T1 = Trailing(1)
_T12 = Trailing(12)
_CREDITING = SeatCrediting()
_CREDITING_PER_SUBSCRIPTION = SeatCrediting(cpor_scope="subscription")


def _skill(
    name: str,
    cap: Decimal | int,
    *,
    per_unit: Decimal | int | None = None,
    full_at: Decimal | int | None = None,
) -> Scored:
    return Scored(name, SkillCount(name), cap, per_unit=per_unit, full_at=full_at)


# --------------------------------------------------------------------------------------------
# Azure


def azure_designation(
    name: str,
    title: str,
    *,
    intermediate_cap: Decimal | int = 20,
    advanced_cap: Decimal | int | None = 20,
    kinds: Iterable[AssociationKind] = AZURE_KINDS,
    services: Iterable[str] | None = None,
    eligible_customer_usd: Decimal | int = 1_000,
    usage_growth_minimum_usd: Decimal | int = 1_000,
    excluded_deployment_services: Iterable[str] = VIRTUAL_MACHINE_SERVICES,
) -> Competency:
    """Build an Azure Solutions Partner designation (``PC23:solutions-partner-azure``).

    Metrics: ``net_customer_adds`` (10 points each, cap 30), ``usage_growth`` (1 per percent,
    cap 20), ``deployments`` (2 per service, cap 10), ``intermediate_certifications`` (4 per
    person), ``advanced_certifications`` (4 per person; absent when ``advanced_cap`` is None).

    Args:
        name: the entry's name.
        title: its title.
        intermediate_cap: the intermediate certifications cap (Data & AI: 40).
        advanced_cap: the advanced certifications cap, or ``None`` for no such metric.
        kinds: the association kinds counted.
        services: only these Azure services count (``None``: all); the source applies a
            per-designation service filter it does not list.
        eligible_customer_usd: the monthly ACR that makes a tenant an eligible customer.
        usage_growth_minimum_usd: the trailing-12-month ACR usage growth needs.
        excluded_deployment_services: services never counted as deployments.

    Returns:
        The designation.
    """
    scope = AcrScope(kinds, services=services)
    eligible = AcrCustomers(scope, Trailing(2), eligible_customer_usd, basis="any_month")
    metrics: list[Requirement] = [
        Scored("net_customer_adds", NetCustomerAdds((eligible,)), 30, per_unit=10),
        Scored(
            "usage_growth",
            AcrGrowth(scope, minimum_usd=usage_growth_minimum_usd, minimum_window=_T12),
            20,
            per_unit=1,
        ),
        Scored(
            "deployments",
            DistinctServices(
                AcrScope(kinds, services=services, exclude_services=excluded_deployment_services),
                _T12,
            ),
            10,
            per_unit=2,
        ),
        _skill("intermediate_certifications", intermediate_cap, per_unit=4),
    ]
    if advanced_cap is not None:
        metrics.append(_skill("advanced_certifications", advanced_cap, per_unit=4))
    return Competency(
        name=name,
        title=title,
        requirement=Scorecard("score", metrics, PASSING_SCORE),
        source="PC23:solutions-partner-azure",
        published=_PUBLISHED,
        notes=(
            _COMMON_NOTE,
            "Eligible customer at a month: a tenant with >= US$1,000 credited ACR in that month "
            "or the month before (each month on its own, not their sum). Net adds compare the "
            "measurement month with the same month a year earlier; below zero scores 0.",
            "Usage growth: (ACR(m) - ACR(m-12)) x 100 / ACR(m-12), pro rata; 0 points with "
            "finding NO_BASELINE when ACR(m-12) is 0, and BELOW_MINIMUM_ACR when the trailing 12 "
            "months credit less than US$1,000.",
            "Deployments: distinct services with credited ACR > 0 summed over the trailing 12 "
            "months; 'Virtual Machines' and 'Virtual Machines Licenses' excluded "
            "(case-insensitive); usage without a service name counts as none (SERVICE_UNKNOWN).",
            "Every Azure service counts for each Azure designation: the per-designation service "
            "categories are not in the sources (parameter services).",
            "Only standard offers count (support, internal, benefit and trial excluded).",
            _SKILLS_NOTE,
            _PUBLISHED_NOTE,
        ),
        program=_PROGRAM,
    )


SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE = azure_designation(
    "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE", "Solutions Partner for Infrastructure (Azure)"
)
"""Solutions Partner for Infrastructure (Azure), 2023 rules."""
SOLUTIONS_PARTNER_DATA_AI_AZURE = azure_designation(
    "SOLUTIONS_PARTNER_DATA_AI_AZURE",
    "Solutions Partner for Data & AI (Azure)",
    intermediate_cap=40,
    advanced_cap=None,
)
"""Solutions Partner for Data & AI (Azure): intermediate certifications cap 40, no advanced."""
SOLUTIONS_PARTNER_DIGITAL_APP_INNOVATION_AZURE = azure_designation(
    "SOLUTIONS_PARTNER_DIGITAL_APP_INNOVATION_AZURE",
    "Solutions Partner for Digital & App Innovation (Azure)",
)
"""Solutions Partner for Digital & App Innovation (Azure), 2023 rules."""


# --------------------------------------------------------------------------------------------
# Modern Work


def _mw_track(
    track: str,
    *,
    workloads: frozenset[Workload],
    min_seats: int,
    max_seats: int | None,
    other: frozenset[AssociationKind],
    other_name: str,
    adds_full_at: tuple[int, int],
    intermediate_full_at: int,
    advanced_full_at: int,
    growth_full_at: tuple[int, int],
    deployments_full_at: tuple[int, int],
    active_share: Decimal,
    crediting: SeatCrediting,
) -> Scorecard:
    variants = (("cpor", frozenset({_K.CPOR})), (other_name, other))

    def per_kind(
        metric: str, build: Callable[[str, frozenset[AssociationKind], int], Requirement]
    ) -> BestOf:
        """One part per association type (``build(label, kinds, index)``); the best counts."""
        return BestOf(metric, [build(label, kinds, i) for i, (label, kinds) in enumerate(variants)])

    def scope(
        kinds: frozenset[AssociationKind], value: Literal["paid_seats", "active_users"]
    ) -> SeatScope:
        return SeatScope(
            kinds,
            workloads,
            value=value,
            min_paid_seats=min_seats,
            max_paid_seats=max_seats,
            crediting=crediting,
        )

    metrics: list[Requirement] = [
        per_kind(
            "net_customer_adds",
            lambda label, kinds, i: Scored(
                label,
                NetCustomerAdds((SeatCustomers(scope(kinds, "paid_seats"), _T1, 1),)),
                20,
                full_at=adds_full_at[i],
            ),
        ),
        _skill("intermediate_certifications", 10, full_at=intermediate_full_at),
        _skill("advanced_certifications", 15, full_at=advanced_full_at),
        per_kind(
            "usage_growth",
            lambda label, kinds, i: Scored(
                label, SeatGrowth(scope(kinds, "active_users")), 30, full_at=growth_full_at[i]
            ),
        ),
        per_kind(
            "deployments",
            lambda label, kinds, i: Scored(
                label,
                DistinctCustomers(
                    (
                        SeatCustomers(
                            scope(kinds, "paid_seats"),
                            _T1,
                            1,
                            min_active_share=active_share,
                        ),
                    ),
                    unit_name="tenants",
                ),
                25,
                full_at=deployments_full_at[i],
            ),
        ),
    ]
    return Scorecard(track, metrics, PASSING_SCORE)


def modern_work(
    *,
    workloads: Iterable[Workload] = MODERN_WORK_WORKLOADS,
    enterprise_min_seats: int = 301,
    smb_seats: tuple[int, int] = (11, 300),
    active_share: Decimal = Decimal("0.4"),
    crediting: SeatCrediting = _CREDITING,
) -> Competency:
    """Build Solutions Partner for Modern Work (``PC23:solutions-partner-modern-work``).

    Two tracks, ``enterprise`` and ``smb``; the better one counts. In each track every
    performance metric is measured once per association type (``cpor`` and ``dpor`` for
    Enterprise, ``cpor`` and ``csp`` for SMB) and the higher score counts.

    Args:
        workloads: the workloads whose seats count.
        enterprise_min_seats: a tenant-workload is Enterprise from this many paid seats (> 300).
        smb_seats: the SMB range of paid seats (11-300), inclusive.
        active_share: the share of paid seats active in the month that makes a deployment.
        crediting: when seats are credited to a partner.

    Returns:
        The designation.
    """
    wl = frozenset(workloads)
    enterprise = _mw_track(
        "enterprise",
        workloads=wl,
        min_seats=enterprise_min_seats,
        max_seats=None,
        other=frozenset({_K.DPOR}),
        other_name="dpor",
        adds_full_at=(5, 5),
        intermediate_full_at=4,
        advanced_full_at=2,
        growth_full_at=(1_000, 4_000),
        deployments_full_at=(5, 10),
        active_share=active_share,
        crediting=crediting,
    )
    smb = _mw_track(
        "smb",
        workloads=wl,
        min_seats=smb_seats[0],
        max_seats=smb_seats[1],
        other=frozenset({_K.CSP_TIER1, _K.CSP_TIER2}),
        other_name="csp",
        adds_full_at=(10, 10),
        intermediate_full_at=2,
        advanced_full_at=1,
        growth_full_at=(500, 2_000),
        deployments_full_at=(5, 10),
        active_share=active_share,
        crediting=crediting,
    )
    return Competency(
        name="SOLUTIONS_PARTNER_MODERN_WORK",
        title="Solutions Partner for Modern Work",
        requirement=BestOf("tracks", (enterprise, smb)),
        source="PC23:solutions-partner-modern-work",
        published=_PUBLISHED,
        notes=(
            _COMMON_NOTE,
            "Seat workloads: Office 365, Microsoft 365, Teams, Intune and EMS (the source: "
            "'Eligible products ... include Intune, Exchange, ProPlus, Sharepoint, Teams ...'; "
            "EMS carries Intune seats; parameter workloads).",
            "Tracks: the better track counts (a met one before an unmet one, then the higher "
            "score). A tenant is measured per workload: Enterprise with > 300 paid seats, SMB "
            "with 11-300, in the measurement month.",
            "Per metric, each association type is scored on its own and the higher score counts "
            "(Enterprise: CPOR or DPOR; SMB: CPOR or CSP tier 1/2).",
            "Net customer adds: tenants with credited seats in the segment at m minus at m-12.",
            "Usage growth: credited active users at m minus the baseline, per tenant-workload: "
            "its users at m-12, or, when not credited then, at its first credited month "
            "(growth counts only from the association date).",
            "Deployments: tenants whose credited workload has >= 40 % of paid seats active in "
            "the measurement month.",
            "Seats are credited when an association is in effect on the month's last day; a "
            "CPOR claim counts for every subscription of its tenant and workload (parameter "
            "crediting).",
            _SKILLS_NOTE,
            _PUBLISHED_NOTE,
        ),
        program=_PROGRAM,
    )


SOLUTIONS_PARTNER_MODERN_WORK = modern_work()
"""Solutions Partner for Modern Work, 2023 rules (Enterprise and SMB tracks)."""


# --------------------------------------------------------------------------------------------
# Security


SECURITY_SOURCE = "https://learn.microsoft.com/en-us/partner-center/solutions-partner-security"
"""The Security designation page (2023 text)."""


def security(
    *,
    azure_services: Iterable[str] = SECURITY_AZURE_SERVICES,
    m365_workloads: Iterable[Workload] = SECURITY_M365_WORKLOADS,
    deployment_azure_services: Iterable[str] | None = SECURITY_AZURE_SERVICES,
    azure_customer_monthly_usd: Decimal | int = 100,
    azure_customer_basis: Literal["average", "total"] = "average",
    sides: Literal["separate", "union"] = "separate",
    crediting: SeatCrediting = _CREDITING,
) -> Competency:
    """Build Solutions Partner for Security (``PC23:solutions-partner-security``).

    The Azure side counts PAL only; the Microsoft 365 side counts CPOR only. "Calculations for
    Azure and Microsoft 365 are completed individually and then totaled together for the final
    four metric scores. One eligible customer may contribute points to both Azure and Microsoft
    365 calculations." (the Security page, 2023): net customer adds and deployments are scored
    per side, each within the metric's cap, then added and capped again.

    Args:
        azure_services: the Azure services whose consumption is security ACR.
        m365_workloads: the Microsoft 365 security workloads.
        deployment_azure_services: the services whose ACR makes an Azure deployment
            (default security services; ``None``: all Azure ACR).
        azure_customer_monthly_usd: an Azure customer is eligible with this much security ACR
            a month, on average over the trailing 12 months (US$100).
        azure_customer_basis: ``"average"`` (default): the monthly average over 12 months
            reaches ``azure_customer_monthly_usd``; ``"total"``: the 12-month total does (the
            earlier reading, kept as an alternative).
        sides: ``"separate"`` (default, the source): a customer served on both sides counts on
            each; ``"union"``: a customer counts once (the earlier reading).
        crediting: when Microsoft 365 seats are credited to a partner.

    Returns:
        The designation.
    """
    pal = frozenset({_K.PAL})
    azure = AcrScope(pal, services=azure_services)
    deploy_azure = AcrScope(pal, services=deployment_azure_services)
    paid = SeatScope({_K.CPOR}, m365_workloads, value="paid_seats", crediting=crediting)
    users = SeatScope({_K.CPOR}, m365_workloads, value="active_users", crediting=crediting)
    monthly = Decimal(azure_customer_monthly_usd)
    azure_customer = (
        AcrCustomers(azure, _T12, monthly, basis="average")
        if azure_customer_basis == "average"
        else AcrCustomers(azure, _T12, monthly, basis="total")
    )
    m365_customer = SeatCustomers(paid, _T1, 25)
    azure_deployment = AcrCustomers(deploy_azure, _T12, 12_000)
    m365_deployment = SeatCustomers(paid, _T1, 25, min_active_share=Decimal("0.15"))
    adds: Requirement
    deployments: Requirement
    if sides == "separate":
        adds = PointsSum(
            "net_customer_adds",
            (
                Scored("azure", NetCustomerAdds((azure_customer,)), 20, per_unit=2),
                Scored("microsoft_365", NetCustomerAdds((m365_customer,)), 20, per_unit=2),
            ),
            20,
        )
        deployments = PointsSum(
            "deployments",
            (
                Scored(
                    "azure",
                    DistinctCustomers((azure_deployment,), unit_name="tenants"),
                    20,
                    full_at=6,
                ),
                Scored(
                    "microsoft_365",
                    DistinctCustomers((m365_deployment,), unit_name="tenants"),
                    20,
                    full_at=6,
                ),
            ),
            20,
        )
    elif sides == "union":
        adds = Scored(
            "net_customer_adds",
            NetCustomerAdds((azure_customer, m365_customer)),
            20,
            per_unit=2,
        )
        deployments = Scored(
            "deployments",
            DistinctCustomers((azure_deployment, m365_deployment), unit_name="tenants"),
            20,
            full_at=6,
        )
    else:
        msg = f"sides {sides!r} is not 'separate' or 'union'"
        raise ValueError(msg)
    metrics: list[Requirement] = [
        adds,
        _skill("intermediate_certifications", 40, full_at=6),
        deployments,
        PointsSum(
            "usage_growth",
            (
                Scored(
                    "azure",
                    AcrGrowth(azure, mode="absolute"),
                    20,
                    per_unit=Decimal(1) / Decimal(1250),
                ),
                Scored("microsoft_365", SeatGrowth(users), 20, per_unit=Decimal(1) / Decimal(125)),
            ),
            20,
        ),
    ]
    return Competency(
        name="SOLUTIONS_PARTNER_SECURITY",
        title="Solutions Partner for Security",
        requirement=Scorecard("score", metrics, PASSING_SCORE),
        source="PC23:solutions-partner-security",
        published=_PUBLISHED,
        notes=(
            _COMMON_NOTE,
            "Doc inconsistency: '6.67 points per person, cap 40' and '3 people -> 20 points' "
            "disagree (3 x 6.67 = 20.01); we score 40 x people / 6 exactly, so 3 people earn "
            "20.00. Deployments likewise: 20 x tenants / 6 ('3.33 each').",
            "Azure and Microsoft 365 are scored separately and then added: 'Calculations for "
            "Azure and Microsoft 365 are completed individually and then totaled ... One eligible "
            "customer may contribute points to both'. Net customer adds and deployments score "
            "each side within the metric's cap, then the sum is capped (parameter sides='union' "
            "counts a customer once instead).",
            "Net customer adds: Azure, tenants with a monthly average of >= US$100 security ACR "
            "via PAL over the 12 months ending at the month (CRN, 2022-04-08: 'a monthly average "
            "of at least US$100 in consumed revenue for the trailing 12 months'; parameters "
            "azure_customer_monthly_usd, azure_customer_basis); Microsoft 365, tenants with "
            ">= 25 paid seats via CPOR; each side at m minus at m-12, 2 points each.",
            "Deployments: Azure tenants with >= US$12,000 security ACR over the trailing 12 "
            "months (parameter deployment_azure_services=None counts all Azure ACR); Microsoft "
            "365 tenants with >= 25 paid seats and >= 15 % active; each side 20 x tenants / 6.",
            "Usage growth: 1 point per US$1,250 of security ACR growth (m vs m-12) plus 1 point "
            "per 125 protected users gained, added, capped at 20.",
            "Security ACR is consumption of the services in SECURITY_AZURE_SERVICES (our list).",
            "Later versions added tracks: not modelled (unconfirmed).",
            _SKILLS_NOTE,
            _PUBLISHED_NOTE,
        ),
        program=_PROGRAM,
    )


SOLUTIONS_PARTNER_SECURITY = security()
"""Solutions Partner for Security, 2023 rules."""


# --------------------------------------------------------------------------------------------
# Business Applications


def _ba_track(
    track: str,
    *,
    scope: SeatScope,
    customer_mcv: Decimal,
    baseline_mcv: Decimal,
    deployment_mcv: Decimal,
    intermediate: Requirement,
    advanced: Requirement,
) -> Scorecard:
    metrics: list[Requirement] = [
        Scored(
            "net_customer_adds",
            NetCustomerAdds((SeatCustomers(scope, _T1, customer_mcv),)),
            15,
            per_unit=3,
        ),
        Scored(
            "usage_growth",
            SeatGrowth(
                scope, mode="percent", since_association=False, minimum_baseline=baseline_mcv
            ),
            30,
            per_unit=1,
        ),
        Scored(
            "deployments",
            DistinctCustomers(
                (SeatCustomers(scope, _T1, deployment_mcv, pairs=True),),
                unit_name="deployments",
            ),
            20,
            per_unit=4,
        ),
        intermediate,
        advanced,
    ]
    return Scorecard(track, metrics, PASSING_SCORE)


BUSINESS_APPLICATIONS_SKILLING: Mapping[str, Mapping[str, tuple[str, Decimal, Decimal]]] = (
    MappingProxyType(
        {
            "enterprise": MappingProxyType(
                {
                    "intermediate_certifications": ("per_unit", Decimal(1), Decimal(20)),
                    "advanced_certifications": ("full_at", Decimal(7), Decimal(15)),
                }
            ),
            "smb": MappingProxyType(
                {
                    "intermediate_certifications": ("per_unit", Decimal(4), Decimal(20)),
                    "advanced_certifications": ("per_unit", Decimal("7.5"), Decimal(15)),
                }
            ),
        }
    )
)
"""Business Applications skilling by track: metric -> (``"per_unit"`` or ``"full_at"``, value,
cap).

Source: https://learn.microsoft.com/en-us/partner-center/membership/solutions-partner-business
(2023-2024 text): intermediate certifications "1 pt per certified person; max 20 from 20
people" (Enterprise), "4 pts per certified person; max 20 from 5 people" (SMB); advanced
certifications "2.14 pts per certified person; max 15 from 7 people" (Enterprise), "7.5 pts per
certified person; max 15 from 2 people" (SMB). 2.14 is 15 / 7 rounded: we score 15 x people / 7
exactly, so 7 people earn the full 15 points (2.14 x 7 would give 14.98)."""


def _ba_skill(name: str, rule: tuple[str, Decimal, Decimal]) -> Scored:
    how, value, cap = rule
    if how == "full_at":
        return _skill(name, cap, full_at=value)
    return _skill(name, cap, per_unit=value)


def business_applications(
    *,
    kinds: Iterable[AssociationKind] = BUSINESS_APPLICATIONS_KINDS,
    mcv_rates: Mapping[Workload, Decimal] = MCV_RATES,
    smb_customer_mcv: Decimal | int = 250,
    skilling: Mapping[str, Mapping[str, tuple[str, Decimal, Decimal]]] = (
        BUSINESS_APPLICATIONS_SKILLING
    ),
    crediting: SeatCrediting = _CREDITING_PER_SUBSCRIPTION,
) -> Competency:
    """Build Solutions Partner for Business Applications (``PC23:solutions-partner-business``).

    The Enterprise track applies when at least 5 tenant-workload pairs each have more than
    5,000 MCV in both the measurement month and the same month a year earlier; else SMB.

    Args:
        kinds: the association kinds counted.
        mcv_rates: MCV per active user, per workload (workloads without a rate count 0).
        smb_customer_mcv: the SMB eligible-customer minimum (250; an older page says > 500).
        skilling: per track (``"enterprise"``, ``"smb"``), per skilling metric, how people
            score (default ``BUSINESS_APPLICATIONS_SKILLING``, from the source).
        crediting: when seats are credited (default: CPOR per subscription, as for Dynamics).

    Returns:
        The designation.
    """

    scope = SeatScope(
        kinds, mcv_rates.keys(), value="mcv", mcv_rates=mcv_rates, crediting=crediting
    )
    big = SeatCustomers(scope, _T1, 5_000, strict=True, pairs=True)
    condition = AtLeast(
        "enterprise_eligible",
        DistinctCustomers((Intersection((big, Shifted(big, 12))),), unit_name="workloads"),
        5,
    )
    enterprise = _ba_track(
        "enterprise",
        scope=scope,
        customer_mcv=Decimal(1_500),
        baseline_mcv=Decimal(50_000),
        deployment_mcv=Decimal(10_000),
        intermediate=_ba_skill(
            "intermediate_certifications", skilling["enterprise"]["intermediate_certifications"]
        ),
        advanced=_ba_skill(
            "advanced_certifications", skilling["enterprise"]["advanced_certifications"]
        ),
    )
    smb = _ba_track(
        "smb",
        scope=scope,
        customer_mcv=Decimal(smb_customer_mcv),
        baseline_mcv=Decimal(25_000),
        deployment_mcv=Decimal(5_000),
        intermediate=_ba_skill(
            "intermediate_certifications", skilling["smb"]["intermediate_certifications"]
        ),
        advanced=_ba_skill("advanced_certifications", skilling["smb"]["advanced_certifications"]),
    )
    return Competency(
        name="SOLUTIONS_PARTNER_BUSINESS_APPLICATIONS",
        title="Solutions Partner for Business Applications",
        requirement=Gate("track", condition, enterprise, smb),
        source="PC23:solutions-partner-business",
        published=_PUBLISHED,
        notes=(
            _COMMON_NOTE,
            "Track: Enterprise when >= 5 tenant-workload pairs have > 5,000 MCV in both m "
            "('month -1') and m-12 ('month -13'); otherwise SMB.",
            "MCV = credited monthly active users x rate: Business Central 1,000; Power Apps, "
            "Power Automate, Power BI 200; Customer Insights 0.2 per profile. Dynamics 365 has "
            "no published rate and counts 0 (parameter mcv_rates).",
            "Net customer adds: tenants with a workload >= 1,500 MCV (Enterprise) or >= 250 "
            "(SMB; an older page says > 500: parameter smb_customer_mcv) at m, minus at m-12.",
            "Usage growth: credited MCV at m vs m-12 in percent, 1 point per percent, cap 30; "
            "scores 0 when the baseline is below 50,000 (Enterprise) / 25,000 (SMB).",
            "Deployments: tenant-workload pairs >= 10,000 / 5,000 MCV at m, 4 points each.",
            "Skilling by track (the solutions-partner-business page, 2023-2024 text; see "
            "BUSINESS_APPLICATIONS_SKILLING): intermediate certifications 1 "
            "point per person (Enterprise) or 4 (SMB), cap 20; advanced certifications 15/7 "
            "(the page's 2.14) per person (Enterprise) or 7.5 (SMB), cap 15 (parameter "
            "skilling).",
            "Associations counted: CPOR (per subscription, as for Dynamics), DPOR, CSP tier "
            "1/2 - the source lists none for 2023 (2021 counted CSP, CPOR or DPOR).",
            _SKILLS_NOTE,
            _PUBLISHED_NOTE,
        ),
        program=_PROGRAM,
    )


SOLUTIONS_PARTNER_BUSINESS_APPLICATIONS = business_applications()
"""Solutions Partner for Business Applications, 2023 rules (Enterprise and SMB tracks)."""
