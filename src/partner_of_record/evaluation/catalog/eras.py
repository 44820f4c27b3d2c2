"""Program eras: each rule set beside the catalog entries of its years, kept consistent.

An association rule set (``partner_of_record.rules``) says where a DPOR may exist; a catalog
entry says where a DPOR earns something. The two must agree era by era: a rule set that refuses
DPOR on a workload a same-era entry scores through DPOR makes that path impossible to feed (the
2023 rule set once allowed DPOR on Azure only while Modern Work's Enterprise path scores DPOR on
Office 365, Microsoft 365 and Teams), and a rule set that allows DPOR where no entry of its era
scores it is only acceptable as a documented gap (a program the catalog does not model).

``ERAS`` lists each era with its rule set, its
entries and its documented gaps; ``tests/test_catalog_eras.py`` checks, for every era, that
the workloads the rule set allows DPOR on and the workloads its entries score through DPOR
differ by exactly the documented gaps.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import cast

import attrs

from partner_of_record.evaluation.catalog.competencies_2016 import (
    CLOUD_PLATFORM_GOLD,
    CLOUD_PLATFORM_SILVER,
    CLOUD_PRODUCTIVITY_GOLD,
    CLOUD_PRODUCTIVITY_SILVER,
    SMALL_MIDMARKET_CLOUD_GOLD,
    SMALL_MIDMARKET_CLOUD_SILVER,
)
from partner_of_record.evaluation.catalog.solutions_partner_2023 import (
    SOLUTIONS_PARTNER_BUSINESS_APPLICATIONS,
    SOLUTIONS_PARTNER_DATA_AI_AZURE,
    SOLUTIONS_PARTNER_DIGITAL_APP_INNOVATION_AZURE,
    SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE,
    SOLUTIONS_PARTNER_MODERN_WORK,
    SOLUTIONS_PARTNER_SECURITY,
)
from partner_of_record.evaluation.competency import Competency
from partner_of_record.evaluation.measures import AcrScope, SeatScope
from partner_of_record.model import AssociationKind, Workload
from partner_of_record.rules import (
    MICROSOFT_2017,
    MICROSOFT_2023,
    MICROSOFT_ALL_ERAS,
    KindOnlyOnWorkloads,
    RuleSet,
)

__all__ = ["ERAS", "Era", "allowed_workloads", "scored_workloads"]


def allowed_workloads(rules: RuleSet, kind: AssociationKind) -> frozenset[Workload]:
    """The workloads ``rules`` allows associations of ``kind`` on.

    Args:
        rules: a rule set.
        kind: an association kind.

    Returns:
        The workloads of its ``KindOnlyOnWorkloads`` rules for ``kind`` (their intersection),
        or every workload when it has none.
    """
    out = frozenset(Workload)
    for rule in rules.rules:
        if isinstance(rule, KindOnlyOnWorkloads) and rule.kind is kind:
            out &= rule.workloads
    return out


def _scopes(value: object, seen: set[int]) -> Iterator[AcrScope | SeatScope]:
    """Every consumption or seat scope inside a requirement tree (any attrs value)."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, AcrScope | SeatScope):
        yield value
        return
    if isinstance(value, tuple | list | frozenset | set):
        for item in value:
            yield from _scopes(item, seen)
        return
    if attrs.has(type(value)):
        record = cast("attrs.AttrsInstance", value)
        for field in attrs.fields(type(record)):
            yield from _scopes(getattr(record, field.name), seen)


def scored_workloads(entry: Competency, kind: AssociationKind) -> frozenset[Workload]:
    """The workloads whose consumption or seats ``entry`` credits through ``kind``.

    Args:
        entry: a catalog entry.
        kind: an association kind.

    Returns:
        The union of the workloads of every scope in the entry's requirement tree that counts
        ``kind`` (a consumption scope without a workload filter counts every workload).
    """
    out: set[Workload] = set()
    for scope in _scopes(entry.requirement, set()):
        if kind in scope.kinds:
            out |= set(Workload) if scope.workloads is None else scope.workloads
    return frozenset(out)


@attrs.frozen
class Era:
    """A program era: its association rules, its catalog entries and their documented gaps.

    Attributes:
        name: the era (``"MPN competencies 2016"``).
        rules: the association rule set of the era.
        entries: the catalog entries of the era.
        not_scored: workloads the rule set allows DPOR on that no entry of the era scores
            through DPOR, each with the reason (a program the catalog does not model).
        not_allowed: workloads an entry's scope lists with DPOR among other kinds although the
            rule set allows no DPOR there, each with the reason (the scope is fed by its other
            kinds; no DPOR can reach it). A scope counting DPOR alone never has such a gap.
    """

    name: str
    rules: RuleSet
    entries: tuple[Competency, ...]
    not_scored: Mapping[Workload, str] = attrs.field(factory=lambda: MappingProxyType({}))
    not_allowed: Mapping[Workload, str] = attrs.field(factory=lambda: MappingProxyType({}))

    def dpor_allowed(self) -> frozenset[Workload]:
        """The workloads the era's rule set allows DPOR on."""
        return allowed_workloads(self.rules, AssociationKind.DPOR)

    def dpor_scored(self) -> frozenset[Workload]:
        """The workloads some entry of the era scores through DPOR."""
        out: frozenset[Workload] = frozenset()
        for entry in self.entries:
            out |= scored_workloads(entry, AssociationKind.DPOR)
        return out


_NOT_MODELLED_2016 = (
    "the 2016 competency for this workload (Cloud Customer Relationship Management, Enterprise "
    "Mobility Management, ...) is not in the catalog; Small and Midmarket Cloud Solutions counts "
    "Office 365 seats only"
)
_D365_2023 = (
    "Business Applications values usage as MCV and the 2023 page publishes no MCV rate for "
    "Dynamics 365 (parameter mcv_rates of business_applications)"
)

_POWER_PLATFORM_2023 = (
    "Business Applications counts CPOR, DPOR and CSP over all its MCV workloads; no DPOR exists "
    "on Power Platform or Customer Insights subscriptions (the DPOR FAQ does not list them), so "
    "only CPOR and CSP feed these workloads"
)
_POWER_PLATFORM = MappingProxyType(
    {
        Workload.POWER_APPS: _POWER_PLATFORM_2023,
        Workload.POWER_AUTOMATE: _POWER_PLATFORM_2023,
        Workload.POWER_BI: _POWER_PLATFORM_2023,
        Workload.CUSTOMER_INSIGHTS: _POWER_PLATFORM_2023,
    }
)

_COMPETENCIES_2016 = (
    CLOUD_PLATFORM_SILVER,
    CLOUD_PLATFORM_GOLD,
    SMALL_MIDMARKET_CLOUD_SILVER,
    SMALL_MIDMARKET_CLOUD_GOLD,
    CLOUD_PRODUCTIVITY_SILVER,
    CLOUD_PRODUCTIVITY_GOLD,
)
_SOLUTIONS_PARTNER_2023 = (
    SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE,
    SOLUTIONS_PARTNER_DATA_AI_AZURE,
    SOLUTIONS_PARTNER_DIGITAL_APP_INNOVATION_AZURE,
    SOLUTIONS_PARTNER_MODERN_WORK,
    SOLUTIONS_PARTNER_SECURITY,
    SOLUTIONS_PARTNER_BUSINESS_APPLICATIONS,
)

ERAS: tuple[Era, ...] = (
    Era(
        "MPN competencies 2016",
        MICROSOFT_2017,
        _COMPETENCIES_2016,
        MappingProxyType(
            {
                Workload.DYNAMICS_CRM_ONLINE: _NOT_MODELLED_2016,
                Workload.DYNAMICS_365: _NOT_MODELLED_2016,
                Workload.DYNAMICS_AX7: _NOT_MODELLED_2016,
                Workload.INTUNE: _NOT_MODELLED_2016,
                Workload.EMS: _NOT_MODELLED_2016,
            }
        ),
    ),
    Era(
        "Solutions Partner 2023",
        MICROSOFT_2023,
        _SOLUTIONS_PARTNER_2023,
        MappingProxyType({Workload.DYNAMICS_365: _D365_2023}),
        _POWER_PLATFORM,
    ),
    Era(
        "all eras",
        MICROSOFT_ALL_ERAS,
        _COMPETENCIES_2016 + _SOLUTIONS_PARTNER_2023,
        MappingProxyType(
            {
                Workload.DYNAMICS_CRM_ONLINE: _NOT_MODELLED_2016,
                Workload.DYNAMICS_365: f"2016: {_NOT_MODELLED_2016}; 2023: {_D365_2023}",
                Workload.DYNAMICS_AX7: _NOT_MODELLED_2016,
            }
        ),
        _POWER_PLATFORM,
    ),
)
"""Each era with its rule set, its catalog entries and its documented DPOR gaps."""
