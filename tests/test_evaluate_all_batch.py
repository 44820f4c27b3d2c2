"""The batch path of ``evaluate_all`` gives exactly the one-partner evaluations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partner_of_record import AssociationKind, Ledger, Workload, catalog
from partner_of_record.attribution import EqualSplit
from partner_of_record.evaluation import (
    AcrCustomers,
    AcrScope,
    AllOf,
    AtLeast,
    Competency,
    CreditedAcr,
    DistinctCustomers,
    Evaluation,
    Evaluations,
    Intersection,
    NetCustomerAdds,
    RequirementResult,
    Scored,
    SeatCustomers,
    SeatGrowth,
    SeatScope,
    SeatTotal,
    Shifted,
    Trailing,
    evaluate_all,
    evaluate_competency,
)
from partner_of_record.evaluation._batch import BATCHERS, Batch, credit_columns, rewrite
from partner_of_record.evaluation.evaluator import evaluate_all_one_by_one
from partner_of_record.evaluation.sources import LedgerFacts
from partner_of_record.samples import SAMPLE_AS_OF, SAMPLE_SKILLS, load_sample
from strategies import ledger_facts

ENTRIES = tuple(catalog.ALL.values())
AS_OFS = st.sampled_from([dt.date(2024, 3, 10), dt.date(2024, 7, 1), dt.date(2023, 12, 31)])
SKILLS = {"intermediate_certifications": 2, "advanced_certifications": 1}
AZURE_AS_OFS = st.sampled_from([dt.date(2024, 3, 1), dt.date(2024, 5, 10), dt.date(2024, 7, 1)])
AZURE_FACTS = ledger_facts(
    first_month=dt.date(2023, 1, 1),
    min_months=18,
    max_months=20,
    workloads=[Workload.AZURE],
    kinds=[AssociationKind.DPOR, AssociationKind.CSP_TIER1, AssociationKind.PAL],
    max_associations=16,
)
"""Azure-only facts whose associations credit consumption in most measurement months."""


def _flat(result: RequirementResult) -> list[tuple[object, ...]]:
    """Every requirement of a tree with what the comparison looks at."""
    row = (
        result.name,
        result.met,
        result.measured,
        result.points,
        result.shortfall,
        result.reason,
        result.detail,
        result.customers,
        result.findings,
    )
    return [row] + [r for child in result.children for r in _flat(child)]


def _same(batch: Evaluation, one: Evaluation) -> None:
    """Assert two evaluations agree field by field (a readable failure), then as values."""
    assert (batch.met, batch.score) == (one.met, one.score)
    for b, o in zip(batch.requirements, one.requirements, strict=True):
        assert _flat(b) == _flat(o)
    assert batch.findings == one.findings
    assert batch == one


@settings(deadline=None, max_examples=40)
@given(
    st.one_of(
        ledger_facts(first_month=dt.date(2022, 6, 1), min_months=12, max_months=26, max_partners=5),
        AZURE_FACTS,
    ),
    AS_OFS | AZURE_AS_OFS,
)
def test_batch_equals_one_by_one_for_every_catalog_entry(facts: object, as_of: dt.date) -> None:
    """For every catalog entry, evaluate_all (batch) equals evaluate_competency per partner."""
    ledger = facts.to_ledger()  # type: ignore[attr-defined]
    found = evaluate_all(ledger, entries=ENTRIES, as_of=as_of, skills=SKILLS)
    assert list(found) == [e.name for e in ENTRIES]
    for entry in ENTRIES:
        table = found[entry.name]
        assert list(table) == [p.id for p in ledger.partners]
        for partner in ledger.partners:
            one = evaluate_competency(ledger, partner.id, entry, as_of=as_of, skills=SKILLS)
            # the array scoring, before any evaluation is built, gives the same verdict and score
            assert (table.met[partner.id], table.score[partner.id]) == (one.met, one.score)
            _same(table[partner.id], one)


@settings(deadline=None, max_examples=30)
@given(
    ledger_facts(
        first_month=dt.date(2023, 1, 1),
        min_months=12,
        max_months=20,
        currencies=("USD", "EUR"),
        negative_usage=True,
    ),
    AS_OFS,
)
def test_batch_equals_one_by_one_with_other_currencies_and_negative_rows(
    facts: object, as_of: dt.date
) -> None:
    """With euros (rates applied) and negative rows, the batch path still gives the same results."""
    ledger = facts.to_ledger()  # type: ignore[attr-defined]
    rates = {"EUR": Decimal("1.0833")}
    for entry in (catalog.SOLUTIONS_PARTNER_SECURITY, catalog.SOLUTIONS_PARTNER_DATA_AI_AZURE):
        found = evaluate_all(ledger, entry, as_of=as_of, rates=rates, evidence=False)
        reference = evaluate_all_one_by_one(ledger, entry, as_of=as_of, rates=rates, evidence=False)
        for pid, evaluation in reference.items():
            assert (found.met[pid], found.score[pid]) == (evaluation.met, evaluation.score)
            _same(found[pid], evaluation)


def _custom_rules_entry() -> Competency:
    """A user entry mixing Shifted and Intersection of ACR customer rules (all batched)."""
    azure = AcrScope(kinds=["DPOR", "CSP_TIER1"])
    monthly = AcrCustomers(azure, Trailing(3), "100", basis="any_month", strict=True)
    average = AcrCustomers(azure, Trailing(6), "50", basis="average")
    return Competency(
        "CUSTOM_RULES",
        "Custom rules",
        AtLeast(
            "kept",
            DistinctCustomers([Intersection([monthly, Shifted(average, 2)]), average]),
            2,
        ),
        source="https://example.com/custom",
        published=dt.date(2024, 1, 1),
    )


@settings(deadline=None, max_examples=40)
@given(AZURE_FACTS, AZURE_AS_OFS)
def test_batch_equals_one_by_one_for_combined_customer_rules(facts: object, as_of: dt.date) -> None:
    """Shifted, Intersection, any-month and average rules are batched with the same answer."""
    ledger = facts.to_ledger()  # type: ignore[attr-defined]
    entry = _custom_rules_entry()
    found = evaluate_all(ledger, entry, as_of=as_of, evidence=False)
    for pid, one in evaluate_all_one_by_one(ledger, entry, as_of=as_of, evidence=False).items():
        assert (found.met[pid], found.score[pid]) == (one.met, one.score)
        _same(found[pid], one)


def test_the_sample_catalog_is_batched_and_agrees() -> None:
    """On the bundled sample, every consumption measure of the catalog is batched and exact."""
    ledger = load_sample()
    facts = LedgerFacts(ledger)
    batch = Batch(facts, [p.id for p in ledger.partners], dt.date(2024, 6, 1))
    rewritten = rewrite(catalog.SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE.requirement, batch)
    kinds = {type(m.measure).__name__ for m in rewritten.metrics}
    assert "Batched" in kinds  # the consumption metrics were replaced
    found = evaluate_all(ledger, entries=ENTRIES, as_of=SAMPLE_AS_OF, skills=SAMPLE_SKILLS)
    for entry in ENTRIES:
        reference = evaluate_all_one_by_one(ledger, entry, as_of=SAMPLE_AS_OF, skills=SAMPLE_SKILLS)
        for pid, one in reference.items():
            _same(found[entry.name][pid], one)


def test_every_batcher_is_a_measure_of_the_catalog_or_a_customer_count() -> None:
    """The registry is keyed by measure classes (exact types)."""
    assert CreditedAcr in BATCHERS
    assert all(isinstance(k, type) for k in BATCHERS)


def test_entries_and_competency_are_exclusive() -> None:
    """evaluate_all needs exactly one of a competency and entries=[...]."""
    ledger = Ledger()
    with pytest.raises(TypeError, match="entries"):
        evaluate_all(ledger, as_of=SAMPLE_AS_OF)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="entries"):
        evaluate_all(  # type: ignore[call-overload]
            ledger,
            catalog.CLOUD_PLATFORM_GOLD,
            entries=[catalog.CLOUD_PLATFORM_GOLD],
            as_of=SAMPLE_AS_OF,
        )


def test_entries_accept_catalog_names() -> None:
    """entries=[...] takes catalog names too and keys the result by competency name."""
    found = evaluate_all(
        load_sample(),
        entries=["CLOUD_PLATFORM_GOLD", catalog.CLOUD_PLATFORM_SILVER],
        as_of=SAMPLE_AS_OF,
    )
    assert list(found) == ["CLOUD_PLATFORM_GOLD", "CLOUD_PLATFORM_SILVER"]


@settings(deadline=None, max_examples=30)
@given(AZURE_FACTS, AZURE_AS_OFS, st.booleans())
def test_batch_evidence_is_each_partners_credits(
    facts: object, as_of: dt.date, policy: bool
) -> None:
    """evaluate_all attaches as evidence the credits evaluate_competency attaches."""
    ledger = facts.to_ledger()  # type: ignore[attr-defined]
    chosen = EqualSplit() if policy else None
    entry = catalog.SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE
    found = evaluate_all(ledger, entry, as_of=as_of, policy=chosen)
    for partner in ledger.partners:
        one = evaluate_competency(ledger, partner.id, entry, as_of=as_of, policy=chosen)
        _same(found[partner.id], one)
        assert list(found[partner.id].credits) == list(one.credits)
        assert found[partner.id].credits.unattributed == one.credits.unattributed == ()


def test_the_adapter_reads_the_engine_columns() -> None:
    """credit_columns reads the engine's layout (a rename would silently disable the batch)."""
    ledger = load_sample()
    credits = LedgerFacts(ledger).credits(frozenset(AssociationKind))
    cols = credit_columns(credits)
    assert cols is not None
    assert len(cols.minor) == len(credits)
    assert set(cols.partner_ids) >= credits.partners()
    assert sum(cols.minor.tolist()) == sum(c.amount.scaleb(2) for c in credits)


def test_evaluations_are_built_when_read_and_behave_as_a_dict() -> None:
    """evaluate_all's dict builds an evaluation on first read, keeps it, and is a plain dict."""
    ledger = load_sample()
    entry = catalog.SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE
    found = evaluate_all(ledger, entry, as_of=SAMPLE_AS_OF, skills=SAMPLE_SKILLS)
    reference = evaluate_all_one_by_one(ledger, entry, as_of=SAMPLE_AS_OF, skills=SAMPLE_SKILLS)
    assert isinstance(found, dict)
    assert isinstance(found, Evaluations)
    ids = [p.id for p in ledger.partners]
    assert list(found) == ids
    assert len(found) == len(ids)
    assert dict.__len__(found) == 0  # nothing built yet
    first = found[ids[0]]
    assert found[ids[0]] is first  # built once, kept
    assert dict.__len__(found) == 1
    assert list(found.keys()) == ids
    assert dict.__len__(found) == 1  # the ids alone build nothing
    assert found.get("NO-SUCH-PARTNER") is None
    assert "NO-SUCH-PARTNER" not in found
    assert ids[-1] in found
    with pytest.raises(KeyError):
        found["NO-SUCH-PARTNER"]
    assert dict(found) == reference  # dict() reads every value, in partner order
    assert list(found.items()) == list(reference.items())
    assert found == reference
    assert found.met == {pid: e.met for pid, e in reference.items()}
    assert found.score == {pid: e.score for pid, e in reference.items()}
    copied = found.copy()
    assert type(copied) is dict
    assert copied == reference


def test_evaluations_built_in_any_order_keep_the_partner_order() -> None:
    """Reading partners out of order, then all values, still gives the partner order."""
    ledger = load_sample()
    found = evaluate_all(ledger, catalog.CLOUD_PLATFORM_GOLD, as_of=SAMPLE_AS_OF)
    ids = [p.id for p in ledger.partners]
    for pid in reversed(ids):
        found[pid]
    assert [e.partner_id for e in found.values()] == ids
    found["EXTRA"] = found[ids[0]]  # a change makes it an ordinary dict
    assert list(found)[-1] == "EXTRA"


SEAT_FACTS = ledger_facts(
    first_month=dt.date(2023, 1, 1),
    min_months=14,
    max_months=20,
    workloads=[Workload.OFFICE_365, Workload.MICROSOFT_365, Workload.DYNAMICS_365],
    kinds=[AssociationKind.CPOR, AssociationKind.DPOR, AssociationKind.CSP_TIER1],
    max_associations=16,
)
"""Seat-only facts: the seat measures and rules do all the work."""

SEAT_ENTRIES = tuple(
    e
    for e in ENTRIES
    if e.name.startswith(
        ("SOLUTIONS_PARTNER_MODERN", "SOLUTIONS_PARTNER_SEC", "SMALL", "CLOUD_PROD")
    )
    or e.name == "SOLUTIONS_PARTNER_BUSINESS_APPLICATIONS"
)


def _seat_entry() -> Competency:
    """A user entry exercising every branch of the seat batch (segments, MCV, shares, pairs ...)."""
    kinds = ["CPOR", "DPOR", "CSP_TIER1"]
    seats = ["OFFICE_365", "MICROSOFT_365", "DYNAMICS_365"]
    mcv = SeatScope(
        kinds, seats, value="mcv", mcv_rates={"OFFICE_365": "1.25", "DYNAMICS_365": "7"}
    )
    small = SeatScope(kinds, seats, value="paid_seats", min_paid_seats=5, max_paid_seats=300)
    users = SeatScope(kinds, seats, value="active_users")
    return Competency(
        "SEAT_BRANCHES",
        "Seat branches",
        AllOf(
            "all",
            [
                Scored(
                    "peak_new",
                    SeatTotal(small, Trailing(3), "peak", new_only=True),
                    10,
                    full_at=500,
                ),
                Scored("last_mcv", SeatTotal(mcv), 10, full_at=5000),
                Scored("growth", SeatGrowth(users, lag=6, mode="percent"), 10, full_at=50),
                Scored(
                    "growth_min",
                    SeatGrowth(mcv, since_association=False, minimum_baseline=100),
                    10,
                    full_at=1000,
                ),
                AtLeast(
                    "pairs",
                    DistinctCustomers(
                        [
                            SeatCustomers(mcv, Trailing(2), "250.5", strict=True, pairs=True),
                            SeatCustomers(
                                small, min_value=10, min_active_share="0.4", new_only=True
                            ),
                        ],
                        "deployments",
                    ),
                    2,
                ),
                Scored(
                    "adds",
                    NetCustomerAdds(
                        [
                            Intersection(
                                [
                                    SeatCustomers(users, min_value=3),
                                    Shifted(SeatCustomers(small), 1),
                                ]
                            )
                        ],
                        lag=3,
                    ),
                    10,
                    per_unit=5,
                ),
            ],
        ),
        source="https://example.com/seats",
        published=dt.date(2024, 1, 1),
    )


@settings(deadline=None, max_examples=40)
@given(SEAT_FACTS, AZURE_AS_OFS)
def test_batch_equals_one_by_one_for_seat_measures(facts: object, as_of: dt.date) -> None:
    """Seat totals, growth and customer rules, batched, give the one-partner answers."""
    ledger = facts.to_ledger()  # type: ignore[attr-defined]
    entries = (*SEAT_ENTRIES, _seat_entry())
    found = evaluate_all(ledger, entries=entries, as_of=as_of, skills=SKILLS, evidence=False)
    for entry in entries:
        table = found[entry.name]
        reference = evaluate_all_one_by_one(
            ledger, entry, as_of=as_of, skills=SKILLS, evidence=False
        )
        for pid, one in reference.items():
            assert (table.met[pid], table.score[pid]) == (one.met, one.score)
            _same(table[pid], one)


def test_every_block_of_the_algebra_is_scored_over_arrays() -> None:
    """Each block class the requirement algebra exports has its batched scorer, so no block
    falls back, partner by partner, to the readable path (only user-defined requirements do)."""
    from partner_of_record.evaluation import requirements
    from partner_of_record.evaluation._scoring import _BLOCKS

    blocks = {
        getattr(requirements, name)
        for name in requirements.__all__
        if isinstance(getattr(requirements, name), type) and name != "Requirement"
    }
    assert blocks == set(_BLOCKS)
