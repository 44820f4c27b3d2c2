"""Credit programs: which association kinds a program credits on which workload."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs

from partner_of_record.evaluation import (
    Competency,
    resolve_competency,
)
from partner_of_record.model import (
    AssociationKind,
    Workload,
)
from partner_of_record.rules import (
    CPOR_PER_SUBSCRIPTION_WORKLOADS,
    MICROSOFT_2017,
    MICROSOFT_2023,
    KindNotOnWorkloads,
    KindOnlyOnWorkloads,
    RuleSet,
)

ACTION_KINDS: tuple[AssociationKind, ...] = (
    AssociationKind.PAL,
    AssociationKind.DPOR,
    AssociationKind.CPOR,
)
"""The association kinds a partner can ask for: it links PAL itself, asks the customer to name
it DPOR, or submits a CPOR claim. The other kinds are recorded by the vendor's sales systems
or are not credited, so they are never suggested."""


def _frozen_map(
    value: Mapping[Workload, Iterable[AssociationKind]],
) -> Mapping[Workload, tuple[AssociationKind, ...]]:
    return MappingProxyType({w: tuple(kinds) for w, kinds in value.items()})


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class CreditProgram:
    """Which association kinds a program credits on which workload, under which dated rules.

    Attributes:
        name: a display name (``"Solutions Partner 2023"``).
        credited: workload -> the kinds the program credits there, in the order actions are
            preferred (the first allowed kind among ``ACTION_KINDS`` is suggested). A workload
            absent from the mapping credits nothing and is skipped.
        rules: the dated rule set the program's associations follow; a kind that a
            ``KindOnlyOnWorkloads`` or ``KindNotOnWorkloads`` rule of it refuses on a
            workload is not credited there, and no suggested association may break any of
            its rules.
        catalog: the names of the catalog entries whose score the actions are measured on.
        source: where the crediting rules come from.
        published: the day that source was published.
    """

    name: str
    credited: Mapping[Workload, tuple[AssociationKind, ...]] = attrs.field(converter=_frozen_map)
    rules: RuleSet
    catalog: tuple[str, ...] = attrs.field(converter=_names)
    source: str
    published: dt.date

    def credited_kinds(self, workload: Workload) -> tuple[AssociationKind, ...]:
        """Return the kinds credited on ``workload`` that the program's rules allow there.

        Args:
            workload: the subscription's workload.

        Returns:
            The kinds, in the program's order of preference; ``()`` when none.
        """
        return tuple(
            k for k in self.credited.get(workload, ()) if _allowed(self.rules, k, workload)
        )

    def entries(self) -> tuple[Competency, ...]:
        """Return the program's catalog entries.

        Returns:
            The entries, in ``catalog`` order.

        Raises:
            UnknownCompetencyError: a name is not in the catalog.
        """
        return tuple(resolve_competency(name) for name in self.catalog)


def _allowed(rules: RuleSet, kind: AssociationKind, workload: Workload) -> bool:
    """Whether the workload restrictions of ``rules`` allow ``kind`` on ``workload``."""
    for rule in rules.rules:
        if isinstance(rule, KindOnlyOnWorkloads) and rule.kind is kind:
            if workload not in rule.workloads:
                return False
        elif (
            isinstance(rule, KindNotOnWorkloads)
            and kind in rule.kinds
            and workload in rule.workloads
        ):
            return False
    return True


_M365 = (
    Workload.OFFICE_365,
    Workload.MICROSOFT_365,
    Workload.TEAMS,
    Workload.INTUNE,
    Workload.EMS,
    Workload.DEFENDER,
    Workload.ENTRA,
)
_BUSINESS = tuple(w for w in Workload if w in CPOR_PER_SUBSCRIPTION_WORKLOADS)
"""The Business Applications workloads (Dynamics 365, Power Platform), in ``Workload`` order."""
_K = AssociationKind

SOLUTIONS_PARTNER_2023 = CreditProgram(
    name="Solutions Partner 2023",
    credited={
        Workload.AZURE: (_K.PAL, _K.DPOR),
        **dict.fromkeys((*_M365, *_BUSINESS), (_K.CPOR,)),
    },
    rules=MICROSOFT_2023,
    catalog=(
        "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE",
        "SOLUTIONS_PARTNER_DATA_AI_AZURE",
        "SOLUTIONS_PARTNER_DIGITAL_APP_INNOVATION_AZURE",
        "SOLUTIONS_PARTNER_MODERN_WORK",
        "SOLUTIONS_PARTNER_SECURITY",
        "SOLUTIONS_PARTNER_BUSINESS_APPLICATIONS",
    ),
    source=(
        "https://learn.microsoft.com/partner-center/link-partner-id-for-azure-performance-pal-dpor"
        " and https://learn.microsoft.com/partner-center/incentives-manage-customer-associations"
        " (October 2023)"
    ),
    published=dt.date(2023, 10, 1),
)
"""The Solutions Partner program as published in October 2023: Azure consumption is credited
through PAL or DPOR (PAL preferred: many partners can link, and it displaces nobody), the
Microsoft 365, Security and Business Applications workloads through CPOR. CSP, transacting,
DAP, GDAP and Lighthouse relationships are working relationships to convert. (The Azure
designations also count CSP tier 1/2 and Modern Work counts DPOR and CSP for some metrics: the
effects, computed by the catalog's own rules, show where converting adds nothing.)"""

COMPETENCIES_2016 = CreditProgram(
    name="MPN competencies 2016",
    credited={
        Workload.AZURE: (_K.DPOR, _K.PAL, _K.TRANSACTING, _K.CSP_TIER1, _K.CSP_TIER2),
        **dict.fromkeys(
            (*_M365, *_BUSINESS), (_K.DPOR, _K.DAP, _K.TRANSACTING, _K.CSP_TIER1, _K.CSP_TIER2)
        ),
    },
    rules=MICROSOFT_2017,
    catalog=(
        "CLOUD_PLATFORM_SILVER",
        "CLOUD_PLATFORM_GOLD",
        "SMALL_MIDMARKET_CLOUD_SILVER",
        "SMALL_MIDMARKET_CLOUD_GOLD",
        "CLOUD_PRODUCTIVITY_SILVER",
        "CLOUD_PRODUCTIVITY_GOLD",
    ),
    source="MPN 101: Getting credit for the cloud consumption you drive (2017)",
    published=dt.date(2017, 1, 1),
)
"""The MPN competencies as the 2017 seed describes them: DPOR, transacting and CSP partners
and DAP are credited (PAL on Azure, added later), under the 2017 rules (DPOR on Office 365,
Dynamics, Intune, EMS and Azure). GDAP, CPOR and Lighthouse relationships are the ones to
convert, into a DPOR (or a PAL on Azure)."""

PROGRAMS: Mapping[str, CreditProgram] = MappingProxyType(
    {p.name: p for p in (SOLUTIONS_PARTNER_2023, COMPETENCIES_2016)}
)
"""The shipped programs by name."""
