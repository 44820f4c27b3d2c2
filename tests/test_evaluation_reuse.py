"""earliest_qualification scans months over shared arrays; what_if shares an unchanged ledger.

Both give exactly what the readable path gives (the month-by-month full evaluation, and two
separate ``evaluate_competency`` calls).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from partner_of_record import catalog
from partner_of_record.evaluation import (
    EvaluationDiff,
    earliest_qualification,
    evaluate_competency,
    what_if,
)
from partner_of_record.evaluation.evaluator import _earliest_qualification_one_by_one
from partner_of_record.samples import SAMPLE_SKILLS, load_sample
from strategies import ledger_facts

ENTRIES = tuple(catalog.ALL.values())
SKILLS = {"intermediate_certifications": 2, "advanced_certifications": 1}


@settings(deadline=None, max_examples=25)
@given(
    ledger_facts(first_month=dt.date(2022, 6, 1), min_months=12, max_months=26, max_partners=3),
    st.sampled_from(ENTRIES),
    st.sampled_from([None, SKILLS]),
)
def test_earliest_qualification_equals_the_month_by_month_evaluation(
    facts: object, entry: object, skills: dict[str, int] | None
) -> None:
    """Scanning months over the arrays finds the month (and evaluation) the full path finds."""
    ledger = facts.to_ledger()  # type: ignore[attr-defined]
    for partner in ledger.partners:
        found = earliest_qualification(ledger, partner.id, entry, skills=skills)  # type: ignore[arg-type]
        reference = _earliest_qualification_one_by_one(ledger, partner.id, entry, skills=skills)  # type: ignore[arg-type]
        assert found == reference
        if found.evaluation is not None and reference.evaluation is not None:
            assert list(found.evaluation.credits or ()) == list(reference.evaluation.credits or ())


def test_earliest_qualification_on_the_sample_for_every_entry() -> None:
    """On the bundled sample, every entry and partner gets the full path's answer."""
    ledger = load_sample()
    for entry in ENTRIES:
        for partner in ledger.partners:
            skills = SAMPLE_SKILLS.get(partner.id)
            found = earliest_qualification(ledger, partner.id, entry, skills=skills)
            reference = _earliest_qualification_one_by_one(ledger, partner.id, entry, skills=skills)
            assert found == reference


def test_what_if_on_skills_only_equals_two_evaluations() -> None:
    """A what-if that only adds people equals evaluating before and after on their own."""
    ledger = load_sample()
    entry = catalog.SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE
    as_of = dt.date(2024, 7, 1)
    for partner in ledger.partners:
        skills = dict(SAMPLE_SKILLS.get(partner.id, {}))
        extra = {"intermediate_certifications": 2}
        diff = what_if(ledger, partner.id, entry, as_of=as_of, skills=skills, extra_skills=extra)
        after_skills = {
            **skills,
            "intermediate_certifications": Decimal(skills.get("intermediate_certifications", 0))
            + 2,
        }
        before = evaluate_competency(ledger, partner.id, entry, as_of=as_of, skills=skills)
        after = evaluate_competency(ledger, partner.id, entry, as_of=as_of, skills=after_skills)
        assert diff == EvaluationDiff.between(before, after)
        assert list(diff.after.credits) == list(after.credits)


def test_ledger_facts_gives_a_partners_consumption_rows_once_per_kinds() -> None:
    """``LedgerFacts.acr`` keeps a partner's rows per set of kinds: a second call gives the same
    rows without building them again (they were cached under the last row's key before), and
    each row is the credited sum of its subscription, month, service and currency."""
    from partner_of_record.evaluation import RateTable
    from partner_of_record.evaluation.sources import LedgerFacts, acr_row
    from partner_of_record.model import AssociationKind

    ledger = load_sample()
    rates = RateTable()
    facts = LedgerFacts(ledger, rates)
    kinds = frozenset({AssociationKind.DPOR})
    partner = next(a.partner_id for a in ledger.associations if a.kind in kinds)
    rows = facts.acr(partner, kinds)
    assert rows
    assert facts.acr(partner, kinds) is rows
    totals = facts.partner_credits(partner, kinds).totals(
        by=("subscription_id", "month", "service", "currency")
    )
    rebuilt = [acr_row(ledger, rates, (*key, amount)) for key, amount in totals.items()]
    assert [(r.subscription_id, r.month, r.service, r.usd) for r in rows] == [
        (r.subscription_id, r.month, r.service, r.usd) for r in rebuilt
    ]
