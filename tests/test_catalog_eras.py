"""Rule sets and catalog entries are dated and consistent era by era (issue #12.9)."""

from __future__ import annotations

import pytest

from partner_of_record import catalog
from partner_of_record.evaluation.catalog.eras import (
    ERAS,
    Era,
    allowed_workloads,
    scored_workloads,
)
from partner_of_record.evaluation.measures import AcrScope, SeatScope
from partner_of_record.model import AssociationKind, Workload
from partner_of_record.rules import MICROSOFT_2017, MICROSOFT_2023, MICROSOFT_ALL_ERAS

K = AssociationKind
W = Workload


@pytest.mark.parametrize("era", ERAS, ids=[e.name for e in ERAS])
def test_every_dpor_workload_of_the_rule_set_is_scored_by_the_era_or_a_documented_gap(
    era: Era,
) -> None:
    """Workloads the era's rule set allows DPOR on and no entry of the era scores through DPOR
    are exactly the documented gaps (each with its reason)."""
    assert era.dpor_allowed() - era.dpor_scored() == set(era.not_scored)
    assert all(reason.strip() for reason in era.not_scored.values())


@pytest.mark.parametrize("era", ERAS, ids=[e.name for e in ERAS])
def test_every_dpor_workload_the_era_scores_is_allowed_or_a_documented_gap(era: Era) -> None:
    """Workloads an entry scores through DPOR that the rule set refuses DPOR on are exactly the
    documented gaps; a scope counting DPOR alone (a DPOR path) is always fully allowed."""
    assert era.dpor_scored() - era.dpor_allowed() == set(era.not_allowed)
    allowed = era.dpor_allowed()
    for entry in era.entries:
        for scope in _scopes(entry):
            if scope.kinds == {K.DPOR}:
                assert scope.workloads is not None
                assert scope.workloads <= allowed, (entry.name, scope)


def _scopes(entry: catalog.Competency) -> list[AcrScope | SeatScope]:
    from partner_of_record.evaluation.catalog.eras import _scopes as walk

    return list(walk(entry.requirement, set()))


def test_every_catalog_entry_belongs_to_the_era_of_its_program() -> None:
    """Each catalog entry is in exactly one dated era, whose rule set is dated no earlier than
    the entry (the 'all eras' era holds every entry)."""
    for name, entry in catalog.ALL.items():
        homes = [e for e in ERAS[:2] if entry in e.entries]
        assert len(homes) == 1, name
        assert entry in ERAS[2].entries
        assert homes[0].rules.published >= entry.published
    assert {e.rules for e in ERAS} == {MICROSOFT_2017, MICROSOFT_2023, MICROSOFT_ALL_ERAS}


def test_modern_work_enterprise_dpor_path_can_be_fed_in_2023() -> None:
    """The bug of #12.9: Modern Work's Enterprise path scores DPOR on Office 365, Microsoft 365
    and Teams, so the 2023 rule set must allow DPOR there."""
    scored = scored_workloads(catalog.SOLUTIONS_PARTNER_MODERN_WORK, K.DPOR)
    assert {W.OFFICE_365, W.MICROSOFT_365, W.TEAMS, W.INTUNE} <= scored
    assert scored <= allowed_workloads(MICROSOFT_2023, K.DPOR)


def test_allowed_workloads_without_a_restriction_is_every_workload() -> None:
    """A rule set with no KindOnlyOnWorkloads rule for a kind allows it everywhere."""
    assert allowed_workloads(MICROSOFT_2023, K.PAL) == frozenset(Workload)
    assert allowed_workloads(MICROSOFT_2023.remove("DPOR_WORKLOAD"), K.DPOR) == frozenset(Workload)
