"""Laws of the attribution engine, as hypothesis properties, and reconciliation that can fail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_of_record.attribution import (
    Credits,
    DporOnly,
    EqualSplit,
    Priority,
    RecognizeAll,
    WeightedSplit,
    attribute,
)
from partner_of_record.currency import minor_unit_exponent
from partner_of_record.ledger import Ledger
from partner_of_record.model import (
    Association,
    AssociationKind,
    Customer,
    Partner,
    Subscription,
    Usage,
    Workload,
    month_days,
)
from reference_engine import oracle
from strategies import LedgerFacts, ledger_facts

K = AssociationKind

POLICIES: list[Any] = [
    RecognizeAll(),
    RecognizeAll(kinds={K.PAL, K.DPOR}),
    Priority(Priority.AZURE_USAGE_REPORT),
    Priority([K.CPOR, K.DPOR, K.CSP_TIER1]),
    DporOnly(),
    EqualSplit(),
    WeightedSplit({K.PAL: 3, K.DPOR: 2, K.CSP_TIER1: 1, K.CPOR: Fraction(1, 2)}),
]
SPLITS: list[Any] = [p for p in POLICIES if p.split]

facts = ledger_facts(max_subscriptions=5, max_associations=10, max_months=6)
multi_currency_facts = ledger_facts(
    max_subscriptions=5,
    max_associations=10,
    max_months=6,
    currencies=("USD", "JPY", "KWD"),
    negative_usage=True,
)


# --------------------------------------------------------------------------- the two engines

RowKey = tuple[str, dt.date, str | None, str]
Maps = tuple[dict[tuple[RowKey, str], Decimal], dict[RowKey, Decimal]]


def engine(credits: Credits) -> tuple[dict[tuple[RowKey, str], Decimal], dict[RowKey, Decimal]]:
    """The engine's credits and unattributed parts, keyed like the oracle's."""
    got: dict[tuple[RowKey, str], Decimal] = {}
    for c in credits:
        key = ((c.subscription_id, c.month, c.service, c.currency), c.partner_id)
        assert key not in got, f"two credits for {key}"
        got[key] = c.amount
    left = {u.usage.key: u.amount for u in credits.unattributed}
    return got, left


Run = Callable[..., Maps]


@pytest.fixture(params=["engine", "reference"], scope="module")
def run(request: pytest.FixtureRequest) -> Run:
    """Each law below runs against the engine and against the day-by-day reference engine."""
    if request.param == "engine":
        return lambda ledger, policy=None, **kw: engine(attribute(ledger, policy, **kw))
    return lambda ledger, policy=None, **kw: oracle(ledger, policy or RecognizeAll(), **kw)


# --------------------------------------------------------------------------- laws


@pytest.mark.parametrize("policy", POLICIES, ids=repr)
@given(data=multi_currency_facts)
def test_engine_equals_the_day_by_day_oracle(policy: Any, data: LedgerFacts) -> None:
    """The span engine gives exactly the slow day-by-day oracle's credits and unattributed parts."""
    ledger = data.to_ledger()
    assert engine(attribute(ledger, policy)) == oracle(ledger, policy)


@pytest.mark.parametrize("policy", SPLITS, ids=repr)
@given(data=multi_currency_facts)
def test_split_policies_conserve_every_cent_in_both_engines(
    policy: Any, data: LedgerFacts, run: Run
) -> None:
    """Split policies, engine and reference: per row, credited + unattributed is the input."""
    ledger = data.to_ledger()
    credited, left = run(ledger, policy)
    sums: dict[RowKey, Decimal] = dict(left)
    for (key, _), amount in credited.items():
        sums[key] = sums.get(key, Decimal(0)) + amount
    for usage in ledger.usage:
        exp = Decimal(1).scaleb(-minor_unit_exponent(usage.currency))
        assert sums.get(usage.key, Decimal(0)) == usage.amount.quantize(exp, ROUND_HALF_EVEN)


@pytest.mark.parametrize("policy", SPLITS, ids=repr)
@given(data=multi_currency_facts)
def test_split_policies_conserve_every_cent(policy: Any, data: LedgerFacts) -> None:
    """Split policies: per row, credited + unattributed equals the input to the minor unit."""
    ledger = data.to_ledger()
    credits = attribute(ledger, policy)
    per_row: dict[RowKey, Decimal] = {}
    for c in credits:
        key = (c.subscription_id, c.month, c.service, c.currency)
        per_row[key] = per_row.get(key, Decimal(0)) + c.amount
    for u in credits.unattributed:
        per_row[u.usage.key] = per_row.get(u.usage.key, Decimal(0)) + u.amount
    for usage in ledger.usage:
        exp = Decimal(1).scaleb(-minor_unit_exponent(usage.currency))
        assert per_row.get(usage.key, Decimal(0)) == usage.amount.quantize(exp, ROUND_HALF_EVEN)
    report = credits.reconcile()
    assert report.ok, str(report)
    for line in report.currencies:
        assert line.credited + line.unattributed == line.amount


@pytest.mark.parametrize("policy", POLICIES, ids=repr)
@given(data=multi_currency_facts)
def test_reconcile_passes_on_engine_output(policy: Any, data: LedgerFacts) -> None:
    """The engine's own output always reconciles, for every policy."""
    report = attribute(data.to_ledger(), policy).reconcile()
    assert report.ok, str(report)
    assert len(report.rows) == len(data.usage)


@given(data=facts)
def test_no_credit_outside_an_association_window(data: LedgerFacts) -> None:
    """A credit's share never exceeds the fraction of the month its partner was in effect."""
    ledger = data.to_ledger()
    for c in attribute(ledger):
        end = c.month + dt.timedelta(days=month_days(c.month))
        covered = {
            c.month + dt.timedelta(days=i)
            for a in ledger.associations_of(c.subscription_id)
            if a.partner_id == c.partner_id
            for i in range(month_days(c.month))
            if a.in_effect_on(c.month + dt.timedelta(days=i))
        }
        assert covered, f"{c} has no association in its month"
        assert c.share == Fraction(len(covered), month_days(c.month))
        assert all(a.overlaps(c.month, end) for a in c.explanation.associations)


@pytest.mark.parametrize("policy", [RecognizeAll(), EqualSplit()], ids=repr)
@given(data=facts, seed=st.randoms(use_true_random=False))
def test_result_is_independent_of_row_and_association_order(
    policy: Any, data: LedgerFacts, seed: Any, run: Run
) -> None:
    """Shuffling usage rows and associations changes no credit and no unattributed part."""
    usage = list(data.usage)
    assocs = list(data.associations)
    seed.shuffle(usage)
    seed.shuffle(assocs)
    shuffled = attrs.evolve(data, usage=tuple(usage), associations=tuple(assocs)).to_ledger()
    assert run(shuffled, policy) == run(data.to_ledger(), policy)


@given(
    data=ledger_facts(
        max_subscriptions=4, max_associations=8, max_months=4, workloads=[Workload.AZURE]
    ),
    pick=st.data(),
)
def test_adding_an_association_never_lowers_another_partners_credit(
    data: LedgerFacts, pick: st.DataObject, run: Run
) -> None:
    """Under RecognizeAll, a new partner's PAL leaves every other partner's credits unchanged."""
    sub = pick.draw(st.sampled_from(data.subscriptions))
    start = pick.draw(st.dates(data.first_month, data.end_month))
    newcomer = Partner("P-NEW")
    extra = Association("P-NEW", sub.id, K.PAL, start)
    before = run(data.to_ledger())[0]
    bigger = attrs.evolve(
        data,
        partners=(*data.partners, newcomer),
        associations=(*data.associations, extra),
    ).to_ledger()
    after = run(bigger)[0]
    for key, amount in before.items():
        assert after[key] >= amount
    assert {k: v for k, v in after.items() if k[1] != "P-NEW"} == before


@given(data=facts)
def test_attribution_is_idempotent_and_additive_over_months(data: LedgerFacts, run: Run) -> None:
    """Attributing twice gives the same result, and [a, b) + [b, c) gives [a, c)."""
    ledger = data.to_ledger()
    whole = run(ledger, EqualSplit())
    assert whole == run(ledger, EqualSplit())
    months = data.months()
    middle = months[len(months) // 2]
    first = run(ledger, EqualSplit(), end=middle)
    second = run(ledger, EqualSplit(), start=middle)
    assert {**first[0], **second[0]} == whole[0]
    assert {**first[1], **second[1]} == whole[1]


@given(data=facts)
def test_totals_equal_the_sum_of_materialised_credits(data: LedgerFacts) -> None:
    """totals(by=...) over columns equals summing the Credit objects, for several keys."""
    credits = attribute(data.to_ledger())
    for by in ("partner_id", ("customer_id", "month"), ("kinds", "service")):
        expected: dict[Any, Decimal] = {}
        fields = (by,) if isinstance(by, str) else by
        for c in credits:
            values = tuple(getattr(c, f) for f in fields)
            key = values[0] if isinstance(by, str) else values
            expected[key] = expected.get(key, Decimal(0)) + c.amount
        assert credits.totals(by=by) == expected


@given(data=facts, pick=st.data())
def test_filter_is_the_same_as_selecting_materialised_credits(
    data: LedgerFacts, pick: st.DataObject
) -> None:
    """filter() keeps exactly the credits a plain comprehension over Credit objects keeps."""
    credits = attribute(data.to_ledger())
    partners = pick.draw(st.sets(st.sampled_from([p.id for p in data.partners])))
    kinds = pick.draw(st.sets(st.sampled_from(list(K)), min_size=1))
    start = pick.draw(st.sampled_from(data.months()))
    kept = credits.filter(partner_id=partners, kind=kinds, start=start)
    expected = [
        c for c in credits if c.partner_id in partners and c.kinds & kinds and c.month >= start
    ]
    assert list(kept) == expected


# --------------------------------------------------------------------------- reconcile fails


def _one_subscription(associations: list[Association], usage: list[Usage]) -> Ledger:
    """A ledger of partners P1 and P2, customer C1 and its Azure subscription S1."""
    return Ledger(
        partners=[Partner("P1"), Partner("P2")],
        customers=[Customer("C1")],
        subscriptions=[Subscription("S1", "C1", Workload.AZURE)],
        associations=associations,
        usage=usage,
    )


def _simple() -> Ledger:
    return _one_subscription(
        [
            Association("P1", "S1", K.PAL, dt.date(2024, 1, 6)),
            Association("P2", "S1", K.PAL, dt.date(2024, 1, 11)),
        ],
        [Usage("S1", dt.date(2024, 1, 1), "100.00"), Usage("S1", dt.date(2024, 2, 1), "7")],
    )


def test_reconcile_fails_when_a_split_credit_is_corrupted() -> None:
    """Adding one cent to a stored split credit breaks conservation, and reconcile says so."""
    credits = attribute(_simple(), EqualSplit())
    assert credits.reconcile().ok
    credits._r.alloc.c_minor[0] += 1
    report = credits.reconcile()
    assert not report.ok
    (bad,) = report.failures
    assert bad.usage.month == dt.date(2024, 1, 1)
    assert "not the input 10000" in bad.problem
    assert "FAIL S1 2024-01" in str(report)
    assert not report.currencies[0].ok


def test_reconcile_fails_when_a_recognised_credit_exceeds_the_input() -> None:
    """A recognise-all credit above its row's amount fails the check."""
    credits = attribute(_simple())
    credits._r.alloc.c_minor[-1] = 701
    report = credits.reconcile()
    assert not report.ok
    assert "outside [0, 700]" in report.failures[0].problem


def test_reconcile_fails_on_a_duplicate_or_stray_credit() -> None:
    """A partner credited twice for one row, or a credit pointing at no row, fails."""
    credits = attribute(_simple())
    result = credits._r
    a = result.alloc
    result.alloc = attrs.evolve(
        a,
        c_row=np.append(a.c_row, a.c_row[0]),
        c_partner=np.append(a.c_partner, a.c_partner[0]),
        c_kinds=np.append(a.c_kinds, a.c_kinds[0]),
        c_minor=np.append(a.c_minor, 0),
    )
    duplicated = Credits._from_result(result)
    assert "more than once" in duplicated.reconcile().failures[0].problem
    result.alloc.c_row[-1] = 99
    stray = Credits._from_result(result).reconcile()
    assert not stray.ok
    assert stray.stray == 1
    assert "refer to no usage row" in str(stray)


def test_reconcile_fails_when_the_unattributed_part_is_lost() -> None:
    """Dropping a split row's unattributed part makes credited + unattributed short."""
    credits = attribute(_simple(), EqualSplit())
    result = credits._r
    result.alloc = attrs.evolve(
        result.alloc, u_row=result.alloc.u_row[:0], u_minor=result.alloc.u_minor[:0]
    )
    assert not Credits._from_result(result).reconcile().ok


@pytest.mark.parametrize("policy", [RecognizeAll(), EqualSplit()], ids=repr)
@given(data=multi_currency_facts, currency=st.sampled_from([None, "USD", "JPY"]))
def test_reconciliation_lines_are_the_credits_of_each_row(
    policy: Any, data: LedgerFacts, currency: str | None
) -> None:
    """Each line (made on access) sums its row's materialised credits; the lines behave as a
    tuple of them, also after a row-level filter."""
    from partner_of_record.attribution import RowReconciliation

    credits = attribute(data.to_ledger(), policy)
    if currency is not None:
        credits = credits.filter(currency=currency)
    got: dict[RowKey, list[Decimal]] = {}
    for c in credits:
        got.setdefault((c.subscription_id, c.month, c.service, c.currency), []).append(c.amount)
    left: dict[RowKey, Decimal] = {u.usage.key: u.amount for u in credits.unattributed}
    expected = []
    for usage in data.usage:
        if currency is not None and usage.currency != currency:
            continue
        exp = Decimal(1).scaleb(-minor_unit_exponent(usage.currency))
        amounts = got.get(usage.key, [])
        largest = Decimal(0)
        for a in amounts:
            if abs(a) > abs(largest):
                largest = a
        zero = Decimal(0).quantize(exp)
        expected.append(
            RowReconciliation(
                usage=usage,
                amount=usage.amount.quantize(exp, ROUND_HALF_EVEN),
                credited=sum(amounts, zero),
                largest_credit=largest.quantize(exp),
                unattributed=left.get(usage.key, zero),
                partners=len(amounts),
                ok=True,
            )
        )
    report = credits.reconcile()
    assert report.rows == tuple(expected)
    assert list(report.rows) == expected
    assert report == attrs.evolve(report, rows=tuple(expected))
    assert hash(report) == hash(attrs.evolve(report, rows=tuple(expected)))
    assert report.failures == ()
    if expected:
        assert report.rows[-1] == expected[-1]
        assert report.rows[1::2] == tuple(expected[1::2])
    with pytest.raises(IndexError, match="out of range"):
        report.rows[len(expected)]
    assert f"{len(expected)} line(s)" in repr(report.rows)


def test_reconcile_after_a_partner_filter_notes_the_split_check_is_skipped() -> None:
    """A partner-filtered split reconciliation says it could not check conservation."""
    report = attribute(_simple(), EqualSplit()).filter(partner_id="P1").reconcile()
    assert report.ok
    assert "not applied" in report.note
    row_filtered = attribute(_simple(), EqualSplit()).filter(start=dt.date(2024, 2, 1))
    assert len(row_filtered.reconcile().rows) == 1


class AskedPerRow:
    """A user policy without ``usage_independent``: it delegates to a built-in's ``shares``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = f"per_row({inner.name})"
        self.split = inner.split

    def shares(self, usage: Usage, active: Any) -> Mapping[str, Fraction]:
        """Return the built-in's shares."""
        return self.inner.shares(usage, active)  # type: ignore[no-any-return]


@pytest.mark.parametrize("policy", [RecognizeAll(), EqualSplit()], ids=repr)
@given(data=facts)
def test_per_row_path_equals_the_planned_path(policy: Any, data: LedgerFacts) -> None:
    """Asking a policy per row and span gives exactly what the once-per-segment plan gives."""
    ledger = data.to_ledger()
    assert engine(attribute(ledger, AskedPerRow(policy))) == engine(attribute(ledger, policy))


def _column_totals(credits: Credits) -> dict[tuple[str, str], Decimal]:
    """Each (partner, currency) total, summed from materialised Credit objects."""
    out: dict[tuple[str, str], Decimal] = {}
    for c in credits:
        key = (c.partner_id, c.currency)
        out[key] = out.get(key, Decimal(0)) + c.amount
    return out


@pytest.mark.parametrize("policy", POLICIES, ids=repr)
@given(data=multi_currency_facts)
def test_column_totals_equal_the_credit_objects(policy: Any, data: LedgerFacts) -> None:
    """Totals taken as group sums over the columns (fresh credits) equal sums over Credits."""
    ledger = data.to_ledger()
    fresh = attribute(ledger, policy)
    by_currency = fresh.totals(by=("partner_id", "currency"))
    count = len(fresh)
    partners = fresh.partners()
    currencies = fresh.currencies()
    assert by_currency == _column_totals(fresh)
    assert count == len(list(fresh))
    assert partners == {c.partner_id for c in fresh}
    assert currencies == {c.currency for c in fresh}
    for cur in ("USD", "JPY", "KWD", "EUR"):
        parts = [u.amount for u in fresh.unattributed if u.usage.currency == cur]
        expected = sum(parts, Decimal(0)) if parts else Decimal("0")
        got = attribute(ledger, policy).unattributed_total(currency=cur)
        assert got == expected
        assert str(got) == str(expected)
    if len(currencies) == 1:
        again = attribute(ledger, policy)
        assert again.totals() == {p: v for (p, _), v in by_currency.items()}
        assert again.total() == sum(by_currency.values(), Decimal(0))


class PerSegment(RecognizeAll):
    """RecognizeAll without ``decision_fields``: the engine asks it once per segment."""

    decision_fields = ()


class PerSegmentSplit(EqualSplit):
    """EqualSplit without ``decision_fields``."""

    decision_fields = ()


class PerSegmentPriority(Priority):
    """Priority without ``decision_fields``."""

    decision_fields = ()


class PerSegmentWeighted(WeightedSplit):
    """WeightedSplit without ``decision_fields``."""

    decision_fields = ()


@pytest.mark.parametrize(
    ("policy", "per_segment"),
    [
        (RecognizeAll(), PerSegment()),
        (EqualSplit(), PerSegmentSplit()),
        (Priority(Priority.AZURE_USAGE_REPORT), PerSegmentPriority(Priority.AZURE_USAGE_REPORT)),
        (
            WeightedSplit({K.PAL: 3, K.DPOR: 2, K.CPOR: Fraction(1, 2)}),
            PerSegmentWeighted({K.PAL: 3, K.DPOR: 2, K.CPOR: Fraction(1, 2)}),
        ),
    ],
    ids=repr,
)
@given(data=multi_currency_facts)
def test_asking_per_distinct_set_equals_asking_per_segment(
    policy: Any, per_segment: Any, data: LedgerFacts
) -> None:
    """Sharing one answer between sets of associations of the same shape (equal, or equal up
    to an order-preserving renaming of partners and starts) changes no credit."""
    ledger = data.to_ledger()
    assert engine(attribute(ledger, policy)) == engine(attribute(ledger, per_segment))


def test_a_sparse_ledger_takes_the_row_by_row_path_and_matches_the_oracle() -> None:
    """Many subscriptions each used in one of many months: planned row by row, still exact."""
    subs = [Subscription(f"S{i:03d}", "C1", Workload.AZURE) for i in range(60)]
    months = [dt.date(2020 + i // 12, i % 12 + 1, 1) for i in range(60)]
    ledger = Ledger(
        partners=[Partner("P1"), Partner("P2")],
        customers=[Customer("C1")],
        subscriptions=subs,
        associations=[
            Association("P1" if i % 2 else "P2", s.id, K.PAL, months[i] + dt.timedelta(days=9))
            for i, s in enumerate(subs)
        ]
        + [Association("P1", s.id, K.DPOR, dt.date(2019, 1, 1)) for s in subs[::3]],
        usage=[Usage(s.id, months[i], f"{i}.05") for i, s in enumerate(subs)],
    )
    for policy in (RecognizeAll(), EqualSplit()):
        assert engine(attribute(ledger, policy)) == oracle(ledger, policy)


@given(data=facts, pick=st.data())
def test_partner_filter_by_index_equals_selecting_materialised_credits(
    data: LedgerFacts, pick: st.DataObject
) -> None:
    """filter(partner_id=...) through the per-partner index, alone or after a row filter."""
    credits = attribute(data.to_ledger(), EqualSplit())
    ids = [p.id for p in data.partners]
    partners = pick.draw(st.sets(st.sampled_from(ids)))
    start = pick.draw(st.sampled_from(data.months()))
    assert list(credits.filter(partner_id=partners)) == [
        c for c in credits if c.partner_id in partners
    ]
    later = credits.filter(start=start)
    assert list(later.filter(partner_id=partners)) == [
        c for c in credits if c.partner_id in partners and c.month >= start
    ]
    for partner in ids:
        assert credits.filter(partner_id=partner).total() == sum(
            (c.amount for c in credits if c.partner_id == partner), Decimal(0)
        )


# --------------------------------------------------------------------------- the tallies

refund_facts = ledger_facts(
    max_subscriptions=5, max_associations=10, max_months=6, negative_usage=True
)


def _oracle_totals(ledger: Ledger, policy: Any) -> tuple[dict[str, Decimal], Decimal, int, int]:
    """Each partner's total, the unattributed total and the counts, from the oracle."""
    credits, left = oracle(ledger, policy)
    totals: dict[str, Decimal] = {}
    for (_, partner), amount in credits.items():
        totals[partner] = totals.get(partner, Decimal(0)) + amount
    return totals, sum(left.values(), Decimal(0)), len(credits), len(left)


@pytest.mark.parametrize("policy", POLICIES, ids=repr)
@given(data=refund_facts, extra=st.sampled_from([0, 1, 3]), services=st.booleans())
def test_totals_equal_the_oracle(
    policy: Any, data: LedgerFacts, extra: int, services: bool
) -> None:
    """Group-sum totals equal the day-by-day oracle's, also when amounts have extra decimals
    (each row is rounded to cents first) and when a subscription-month has several rows."""
    rows = list(data.usage)
    if extra:
        rows = [
            attrs.evolve(u, amount=u.amount + Decimal(i % 7).scaleb(-2 - extra))
            for i, u in enumerate(rows)
        ]
    if services:
        rows = [
            attrs.evolve(u, amount=part, service=f"{u.service} {name}")
            for u in rows
            for part, name in ((u.amount / 2, "A"), (u.amount - u.amount / 2, "B"))
        ]
    ledger = Ledger(**{**data.kwargs(), "usage": rows})
    credits = attribute(ledger, policy)
    totals, left, count, left_count = _oracle_totals(ledger, policy)
    assert credits.totals() == totals
    assert credits.unattributed_total() == left
    assert len(credits) == count
    assert len(credits.unattributed) == left_count


@given(
    minors=st.lists(st.integers(-60, 60), min_size=1, max_size=30),
    numerators=st.lists(st.integers(0, 6), min_size=1, max_size=12),
    equal=st.booleans(),
    by_sorting=st.booleans(),
)
def test_vectorised_largest_remainder_equals_the_row_by_row_allocation(
    minors: list[int], numerators: list[int], equal: bool, by_sorting: bool
) -> None:
    """The kernel's vectorised largest remainder (small numbers, so equal remainders are
    common; the last numerator plays the unattributed part) equals the readable function,
    whether the candidates are ranked by counting (up to ``_FEW`` per row) or by sorting."""
    from partner_of_record.attribution import _rounding

    few = _rounding._FEW
    _rounding._FEW = -1 if by_sorting else few
    try:
        _check_vectorised_largest_remainder(minors, numerators, equal=equal)
    finally:
        _rounding._FEW = few


def _check_vectorised_largest_remainder(
    minors: list[int], numerators: list[int], *, equal: bool
) -> None:
    from partner_of_record.attribution import _decide, _rounding

    if equal:
        numerators = [numerators[0]] * len(numerators)
    if not any(numerators):
        numerators = [*numerators[:-1], 1]
    den = sum(numerators)
    partners = tuple(f"P{i}" for i in range(len(numerators) - 1))
    plan = _decide.Plan(
        partners, (1,) * len(partners), tuple(numerators[:-1]), den, numerators[-1], 0
    )
    plans = _decide.Plans()
    plans.add(plan)
    rows = np.zeros(len(minors), dtype=np.int64)
    weights = _decide.units_of_plans(plans).rows(rows)
    got = _rounding.allocate(weights, np.array(minors, dtype=np.int64), {}, split=True)
    credited = got.c_minor.tolist()
    left = dict(zip(got.u_row.tolist(), got.u_minor.tolist(), strict=True))
    k = len(partners)
    for r, a in enumerate(minors):
        expected = _rounding.largest_remainder(a, numerators, den)
        assert credited[r * k : (r + 1) * k] == expected[:k]
        assert left.get(r, 0) == (expected[-1] if numerators[-1] else 0)


def test_a_two_way_weighted_split_serves_equal_remainders_in_partner_order() -> None:
    """WeightedSplit 1:3 of 2 cents: both parts' remainders are 1/2 cent, so the left-over cent
    goes to the lower partner id, whichever weight it has."""
    month = dt.date(2024, 1, 1)
    policy = WeightedSplit({K.PAL: 3, K.DPOR: 1})
    for dpor, pal in (("P1", "P2"), ("P2", "P1")):
        ledger = _one_subscription(
            [
                Association(dpor, "S1", K.DPOR, dt.date(2020, 1, 1)),
                Association(pal, "S1", K.PAL, dt.date(2020, 1, 1)),
            ],
            [Usage("S1", month, Decimal("0.02"))],
        )
        credits = attribute(ledger, policy)
        expected = {"P1": Decimal("0.01"), "P2": Decimal("0.01")}
        if pal == "P1":  # 3/4 of 2 cents = 1.5, 1/4 = 0.5: P1 first, so P1 gets 2 cents
            expected = {"P1": Decimal("0.02"), "P2": Decimal("0.00")}
        assert credits.totals() == expected
        assert {c.partner_id: c.amount for c in credits} == expected


_HUGE = [
    Usage("S1", dt.date(2021, 1, 1), Decimal("9" * 25 + ".99")),
    Usage("S1", dt.date(2021, 2, 1), Decimal("0.01")),
    Usage("S1", dt.date(2021, 3, 1), Decimal("-" + "8" * 24 + ".05")),
]
"""Amounts whose cents do not fit in an int64: they take the exact Python-integer path."""


@pytest.mark.parametrize("policy", [RecognizeAll(), EqualSplit()], ids=repr)
def test_amounts_beyond_int64_are_exact(policy: Any) -> None:
    """Rows of more than 18 digits in cents are computed with Python integers, exactly as the
    oracle, including a split in the month a second partner arrives."""
    ledger = _one_subscription(
        [
            Association("P1", "S1", K.PAL, dt.date(2020, 1, 1)),
            Association("P2", "S1", K.DPOR, dt.date(2021, 1, 11)),
        ],
        _HUGE,
    )
    credits = attribute(ledger, policy)
    assert engine(credits) == oracle(ledger, policy)
    assert credits.reconcile().ok
    assert sum(credits.totals().values()) == sum(
        a for (_, _), a in oracle(ledger, policy)[0].items()
    )


@pytest.mark.parametrize("policy", [RecognizeAll(), EqualSplit()], ids=repr)
@given(data=multi_currency_facts, pick=st.data())
def test_a_partners_total_needs_no_credit_columns(
    policy: Any, data: LedgerFacts, pick: st.DataObject
) -> None:
    """total(partner_id=...) of fresh credits is read from the per-partner totals and equals
    the total of the filtered credits (or raises the same currency error)."""
    from partner_of_record.attribution import CurrencyMixError

    ledger = data.to_ledger()
    ids = [p.id for p in data.partners] + ["P-unknown"]
    partners = pick.draw(st.sets(st.sampled_from(ids)) | st.sampled_from(ids))
    fresh = attribute(ledger, policy)
    try:
        got: Decimal | type[CurrencyMixError] = fresh.total(partner_id=partners)
    except CurrencyMixError:
        got = CurrencyMixError
    try:
        expected: Decimal | type[CurrencyMixError] = (
            attribute(ledger, policy).filter(partner_id=partners).total()
        )
    except CurrencyMixError:
        expected = CurrencyMixError
    assert got == expected
    if isinstance(got, Decimal):
        assert str(got) == str(expected)


# --------------------------------------------------------------------------- decision ranks

CALLS: list[int] = []


class CountedRecognizeAll(RecognizeAll):
    """RecognizeAll counting its questions; it declares the built-in's fields and ranks."""

    decision_fields = RecognizeAll.decision_fields
    decision_ranks = RecognizeAll.decision_ranks

    def decide(self, usage: Usage, active: Any) -> Any:
        """Count the question, then answer as the built-in."""
        CALLS.append(len(active))
        return super().decide(usage, active)


class CountedByValue(CountedRecognizeAll):
    """The same, with the partner ids compared by value (no ``decision_ranks``)."""

    decision_ranks = ()


class EvenPartnersOnly(RecognizeAll):
    """A subclass overriding ``decide`` whose answer depends on the partner ids' values, and
    which declares nothing: the inherited ``decision_ranks`` must not be trusted."""

    def decide(self, usage: Usage, active: Any) -> Any:
        """Keep the built-in's awards of partners whose id has an even length."""
        decision = super().decide(usage, active)
        kept = tuple(a for a in decision.awards if len(a.partner_id) % 2 == 0)
        return type(decision)(kept, "EvenPartnersOnly")


def _one_dpor_each(n: int) -> Ledger:
    """``n`` subscriptions, each with its own partner's DPOR (ids of growing length) and a
    PAL of the first partner from the 10th, one usage row each in January."""
    ids = ["P" + "1" * (i + 1) for i in range(n)]
    subs = [Subscription(f"S{i}", "C1", Workload.AZURE) for i in range(n)]
    jan = dt.date(2024, 1, 1)
    return Ledger(
        partners=[Partner(p) for p in ids],
        customers=[Customer("C1")],
        subscriptions=subs,
        associations=[
            *(
                Association(p, s.id, K.DPOR, dt.date(2023, 6, 1))
                for p, s in zip(ids, subs, strict=True)
            ),
            *(Association(ids[0], s.id, K.PAL, dt.date(2024, 1, 10)) for s in subs[1:]),
        ],
        usage=[Usage(s.id, jan, "3.10") for s in subs],
    )


def test_sets_of_the_same_shape_share_one_question() -> None:
    """With ``decision_ranks`` the policy is asked once per shape (one DPOR; a DPOR and a PAL
    of a lower partner), not once per distinct set; the credits equal the oracle's."""
    ledger = _one_dpor_each(12)
    CALLS.clear()
    credits = attribute(ledger, CountedRecognizeAll())
    assert sorted(CALLS) == [1, 2]
    got = engine(credits)
    assert got == oracle(ledger, RecognizeAll())
    CALLS.clear()
    by_value = attribute(ledger, CountedByValue())
    assert len(CALLS) == 12 + 11  # one set per partner, and one per two-partner set
    assert engine(by_value) == got


def test_a_subclass_overriding_decide_is_not_shared_by_rank() -> None:
    """A subclass that overrides ``decide`` without declaring ``decision_ranks`` is asked per
    set: its answer, which looks at the partner ids' values, is honoured exactly."""
    ledger = _one_dpor_each(12)
    got = engine(attribute(ledger, EvenPartnersOnly()))
    assert got == oracle(ledger, EvenPartnersOnly())
    assert {p for (_, p) in got[0]} == {"P" + "1" * (i + 1) for i in range(0, 12, 2)}


@given(data=facts)
def test_a_value_dependent_subclass_matches_the_oracle(data: LedgerFacts) -> None:
    """Any ledger: the value-dependent subclass gets exactly the day-by-day oracle's credits."""
    ledger = data.to_ledger()
    assert engine(attribute(ledger, EvenPartnersOnly())) == oracle(ledger, EvenPartnersOnly())


@given(seed=st.integers(0, 2**32 - 1), most=st.integers(0, 10))
def test_locating_unsorted_rows_equals_a_binary_search(seed: int, most: int) -> None:
    """Rows in random order are located among the change points by counting each
    subscription's few change points: the same index as ``searchsorted``."""
    from partner_of_record.attribution import _kernel

    rng = np.random.default_rng(seed)
    n_subs = 300
    per_sub = rng.integers(0, most + 1, size=n_subs)
    p_sub = np.repeat(np.arange(n_subs, dtype=np.int64), per_sub)
    p_day = rng.integers(738000, 738400, size=len(p_sub))
    points = np.unique((p_sub << _kernel.DAY_BITS) | p_day)
    sub = rng.integers(0, n_subs + 5, size=5000).astype(np.int64)
    keys = (sub << _kernel.DAY_BITS) | rng.integers(737990, 738410, size=5000)
    expected = np.searchsorted(points, keys, side="right") - 1
    assert (_kernel._last_at_or_before(points, sub, keys) == expected).all()
