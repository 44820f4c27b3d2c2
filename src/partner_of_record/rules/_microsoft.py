"""Microsoft's rule sets, dated and sourced, and every finding code the library produces.

Each shipped rule spells its finding code where it is built (``code="DPOR_OVERLAP"``), so
searching for a code finds its rule; ``FINDING_CODES`` is derived from the sets."""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Mapping

import attrs
from dateutil.relativedelta import relativedelta

from partner_of_record.model import (
    Actor,
    AssociationKind,
    Workload,
)
from partner_of_record.rules._builtin import (
    ExclusiveKind,
    GrantedBy,
    KindNotOnWorkloads,
    KindOnlyOnWorkloads,
    MaxDuration,
    OneDayGap,
    RequiresEnd,
)
from partner_of_record.rules._facts import STRUCTURAL_CODES, Rule
from partner_of_record.rules._ruleset import RuleSet

_CUSTOMER_KINDS = (AssociationKind.DPOR, AssociationKind.DAP, AssociationKind.GDAP)
_ADMIN_KINDS = (AssociationKind.DAP, AssociationKind.GDAP)

CPOR_PER_SUBSCRIPTION_WORKLOADS: frozenset[Workload] = frozenset(
    {
        Workload.DYNAMICS_365,
        Workload.DYNAMICS_CRM_ONLINE,
        Workload.DYNAMICS_AX7,
        Workload.BUSINESS_CENTRAL,
        Workload.CUSTOMER_INSIGHTS,
        Workload.POWER_PLATFORM,
        Workload.POWER_APPS,
        Workload.POWER_AUTOMATE,
        Workload.POWER_BI,
    }
)
"""Dynamics 365 and Power Platform workloads: a CPOR claim there is per subscription.

Source: Partner Center, "Manage customer associations" (incentives-manage-customer-associations,
October 2023): a CPOR is one partner per workload per tenant for Microsoft 365 workloads, but
per subscription for Dynamics 365 and Power Platform. The Business Applications catalog entry
credits CPOR per subscription for the same reason."""

DPOR_WORKLOADS_2017: frozenset[Workload] = frozenset(
    {
        Workload.OFFICE_365,
        Workload.MICROSOFT_365,
        Workload.DYNAMICS_CRM_ONLINE,
        Workload.DYNAMICS_365,
        Workload.DYNAMICS_AX7,
        Workload.INTUNE,
        Workload.EMS,
        Workload.AZURE,
    }
)
"""DPOR workloads of 2017. The MPN 101 post (2017) lists "Office 365, CRM Online, Dynamics 365,
AX7, Intune, EMS and Azure". Microsoft 365 (launched July 2017) bundles Office 365 and EMS and
names its DPOR in the same admin portal, so it is included (our reading)."""

DPOR_WORKLOADS_2023: frozenset[Workload] = frozenset(
    {
        Workload.AZURE,
        Workload.MICROSOFT_365,
        Workload.OFFICE_365,
        Workload.TEAMS,
        Workload.DYNAMICS_365,
        Workload.BUSINESS_CENTRAL,
        Workload.INTUNE,
        Workload.EMS,
    }
)
"""DPOR workloads of 2023. Partner Center's DPOR FAQ
(learn.microsoft.com/partner-center/link-partner-id-for-azure-performance-pal-dpor, October
2023): "We recommend assigning a partner of record to Azure subscriptions immediately. This
capability is also enabled for Microsoft 365, Dynamics 365, Business Central, Intune, and
Enterprise Mobility Suite subscriptions". Office 365 and Teams subscriptions are Microsoft 365
subscriptions (our reading); Modern Work's Enterprise path (solutions-partner-modern-work,
2023) scores DPOR on them."""

_COMMON_RULES: tuple[Rule, ...] = (
    ExclusiveKind(AssociationKind.DPOR, "subscription", code="DPOR_OVERLAP"),
    KindNotOnWorkloads(_ADMIN_KINDS, (Workload.AZURE,), code="ADMIN_ON_AZURE"),
    RequiresEnd(AssociationKind.GDAP, code="GDAP_OPEN_ENDED"),
    MaxDuration(AssociationKind.GDAP, relativedelta(years=2), code="GDAP_TOO_LONG"),
    GrantedBy(_CUSTOMER_KINDS, Actor.CUSTOMER, code="NOT_GRANTED_BY_CUSTOMER"),
    ExclusiveKind(
        AssociationKind.CPOR,
        "tenant_workload",
        per_subscription=CPOR_PER_SUBSCRIPTION_WORKLOADS,
        code="CPOR_OVERLAP",
    ),
    OneDayGap(AssociationKind.DPOR, code="DPOR_ONE_DAY_GAP"),
    OneDayGap(AssociationKind.CPOR, code="CPOR_ONE_DAY_GAP"),
)
"""The rules every shipped set shares. Each finding code is spelled where its rule is built, so
searching for a code finds its rule; ``FINDING_CODES`` is derived from the sets."""

_COMMON_SOURCES = (
    "GDAP limits: Microsoft Graph delegatedAdminRelationship (duration at most P730D, "
    "autoExtendDuration P180D), read 2023-10; CPOR: Partner Center "
    "incentives-manage-customer-associations (October 2023)"
)

MICROSOFT_2017 = RuleSet(
    name="Microsoft 2017",
    rules=(
        KindOnlyOnWorkloads(AssociationKind.DPOR, DPOR_WORKLOADS_2017, code="DPOR_WORKLOAD"),
        *_COMMON_RULES,
    ),
    published=dt.date(2017, 1, 1),
    source=f"MPN 101: Getting credit for the cloud consumption you drive (2017); {_COMMON_SOURCES}",
)
"""Microsoft's rules as announced in 2017 (the MPN competency era), with the later GDAP and CPOR
rules.

DPOR on Office 365, Microsoft 365, Dynamics CRM Online, Dynamics 365, AX7, Intune, EMS and
Azure ([`DPOR_WORKLOADS_2017`][partner_of_record.rules.DPOR_WORKLOADS_2017]); one DPOR per
subscription at a time; DAP and GDAP not on Azure; GDAP has an end at most two years after its
start (unless it auto-extends); DPOR, DAP and GDAP are made by the customer; one CPOR partner per
tenant and workload (per subscription on Dynamics 365 and Power Platform). The 2017 post is not
dated to the day: ``published`` is the first day of 2017.
"""

MICROSOFT_2023 = RuleSet(
    name="Microsoft 2023",
    rules=(
        KindOnlyOnWorkloads(AssociationKind.DPOR, DPOR_WORKLOADS_2023, code="DPOR_WORKLOAD"),
        *_COMMON_RULES,
    ),
    published=dt.date(2023, 10, 1),
    source=(
        "https://learn.microsoft.com/partner-center/link-partner-id-for-azure-performance-pal-dpor"
        f" (October 2023, DPOR FAQ); {_COMMON_SOURCES}"
    ),
)
"""Microsoft's rules as published in Partner Center in October 2023 (the Solutions Partner era):
as 2017, with DPOR on Azure, Microsoft 365 (Office 365, Teams), Dynamics 365, Business Central,
Intune and EMS ([`DPOR_WORKLOADS_2023`][partner_of_record.rules.DPOR_WORKLOADS_2023])."""

MICROSOFT_ALL_ERAS = RuleSet(
    name="Microsoft, all eras",
    rules=(
        KindOnlyOnWorkloads(
            AssociationKind.DPOR, DPOR_WORKLOADS_2017 | DPOR_WORKLOADS_2023, code="DPOR_WORKLOAD"
        ),
        *_COMMON_RULES,
    ),
    published=dt.date(2023, 10, 1),
    source=f"the union of MICROSOFT_2017 and MICROSOFT_2023 ({MICROSOFT_2023.source})",
)
"""Both eras at once: DPOR on every workload either era allows it on. Use it for data that spans
eras (a history from 2016 to today)."""

DEFAULT_RULES = MICROSOFT_ALL_ERAS
"""The rule set a ledger uses unless told otherwise:
[`MICROSOFT_ALL_ERAS`][partner_of_record.rules.MICROSOFT_ALL_ERAS], which accepts every
historically valid DPOR (Dynamics CRM Online and AX7 from 2017, Business Central from the later
FAQ). Pass ``rules=MICROSOFT_2017`` or ``rules=MICROSOFT_2023`` for one era's rules.
"""

_SHIPPED_SETS = (MICROSOFT_2017, MICROSOFT_2023, MICROSOFT_ALL_ERAS)

_ACROSS_ERAS: Mapping[str, str] = {
    "DPOR_WORKLOAD": "a DPOR on a workload the rule set does not allow DPOR on",
}
"""Descriptions for the codes whose rule reads differently in each era (the workload lists
differ); a test checks that these are exactly the shipped codes with more than one description."""

_LEDGER_INFO_CODES: Mapping[str, str] = {
    "DPOR_HANDOVER": (
        "information (lenient loads): an open-ended DPOR was ended on the day a later DPOR "
        "of another partner starts on the same subscription, as Ledger.name_dpor records a "
        "change of DPOR"
    ),
}
"""The informational code of the ledger's lenient load (built in ``partner_of_record.ledger``)."""

_CLASS_DEFAULT_CODES: Mapping[str, str] = {
    str(
        attrs.fields(KindNotOnWorkloads).code.default
    ): "an association kind on a workload the rule does not allow it on",
}
"""The built-in rule classes' fixed default codes that no shipped set uses."""

FINDING_CODES: Mapping[str, str] = types.MappingProxyType(
    {
        **STRUCTURAL_CODES,
        **{code: text for rule_set in _SHIPPED_SETS for code, text in rule_set.codes.items()},
        **_ACROSS_ERAS,
        **_LEDGER_INFO_CODES,
        **_CLASS_DEFAULT_CODES,
    }
)
"""Every finding code the library itself produces (structural checks and the shipped rule sets),
mapped to a one-line description."""
