"""Laws of the attribution engine, as hypothesis properties, and reconciliation that can fail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import attrs
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


# --------------------------------------------------------------------------- the oracle

RowKey = tuple[str, dt.date, str | None, str]


def oracle(
    ledger: Ledger, policy: Any
) -> tuple[dict[tuple[RowKey, str], Decimal], dict[RowKey, Decimal]]:
    """Attribute day by day, the slow and obvious way.

    For every usage row and every day of its month, ask the policy about the associations in
    effect that day (found by scanning all associations) and add amount / month days x share.
    Then round: half-even per (row, partner) for recognising policies; largest remainder with
    ties to the lowest partner id, unattributed last, for split policies.
    """
    credits: dict[tuple[RowKey, str], Decimal] = {}
    left: dict[RowKey, Decimal] = {}
    for usage in ledger.usage:
        exp = minor_unit_exponent(usage.currency)
        quantum = Decimal(1).scaleb(-exp)
        amount = Fraction(usage.amount.quantize(quantum, rounding=ROUND_HALF_EVEN))
        days = month_days(usage.month)
        exact: dict[str, Fraction] = {}
        nobody = Fraction(0)
        for offset in range(days):
            day = usage.month + dt.timedelta(days=offset)
            active = sorted(
                (
                    a
                    for a in ledger.associations
                    if a.subscription_id == usage.subscription_id and a.in_effect_on(day)
                ),
                key=lambda a: (a.start, a.kind.value, a.partner_id),
            )
            shares = {p: Fraction(s) for p, s in policy.shares(usage, active).items() if s}
            if not shares:
                nobody += Fraction(1, days)
            for partner, share in shares.items():
                exact[partner] = exact.get(partner, Fraction(0)) + Fraction(1, days) * share
        if policy.split:
            rest = 1 - sum(exact.values(), Fraction(0))
            units = _largest_remainder(amount * 10**exp, exact, rest)
            for partner, n in units.items():
                if partner is not None:
                    credits[(usage.key, partner)] = Decimal(n).scaleb(-exp)
            if rest:
                left[usage.key] = Decimal(units[None]).scaleb(-exp)
        else:
            for partner, share in exact.items():
                credits[(usage.key, partner)] = _round(amount * share, exp)
            if nobody:
                left[usage.key] = _round(amount * nobody, exp)
    return credits, left


def _round(value: Fraction, exp: int) -> Decimal:
    scaled = value * 10**exp
    return Decimal(round(scaled)).scaleb(-exp)  # Fraction.__round__ is half-even


def _largest_remainder(
    units: Fraction, exact: Mapping[str, Fraction], rest: Fraction
) -> dict[str | None, int]:
    sign = -1 if units < 0 else 1
    total = int(units) * sign
    parts: list[tuple[str | None, Fraction]] = [(p, exact[p]) for p in sorted(exact)]
    if rest:
        parts.append((None, rest))
    floors = {p: int(total * f) for p, f in parts}  # int() of a positive Fraction floors
    leftover = total - sum(floors.values())
    ranked = sorted(range(len(parts)), key=lambda i: (-(total * parts[i][1] % 1), i))
    for i in ranked[:leftover]:
        floors[parts[i][0]] += 1
    return {p: n * sign for p, n in floors.items()}


def engine(credits: Credits) -> tuple[dict[tuple[RowKey, str], Decimal], dict[RowKey, Decimal]]:
    """The engine's credits and unattributed parts, keyed like the oracle's."""
    got: dict[tuple[RowKey, str], Decimal] = {}
    for c in credits:
        key = ((c.subscription_id, c.month, c.service, c.currency), c.partner_id)
        assert key not in got, f"two credits for {key}"
        got[key] = c.amount
    left = {u.usage.key: u.amount for u in credits.unattributed}
    return got, left


# --------------------------------------------------------------------------- laws


@pytest.mark.parametrize("policy", POLICIES, ids=repr)
@given(data=multi_currency_facts)
def test_engine_equals_the_day_by_day_oracle(policy: Any, data: LedgerFacts) -> None:
    """The span engine gives exactly the slow day-by-day oracle's credits and unattributed parts."""
    ledger = data.to_ledger()
    assert engine(attribute(ledger, policy)) == oracle(ledger, policy)


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
    policy: Any, data: LedgerFacts, seed: Any
) -> None:
    """Shuffling usage rows and associations changes no credit and no unattributed part."""
    usage = list(data.usage)
    assocs = list(data.associations)
    seed.shuffle(usage)
    seed.shuffle(assocs)
    shuffled = attrs.evolve(data, usage=tuple(usage), associations=tuple(assocs)).to_ledger()
    assert engine(attribute(shuffled, policy)) == engine(attribute(data.to_ledger(), policy))


@given(
    data=ledger_facts(
        max_subscriptions=4, max_associations=8, max_months=4, workloads=[Workload.AZURE]
    ),
    pick=st.data(),
)
def test_adding_an_association_never_lowers_another_partners_credit(
    data: LedgerFacts, pick: st.DataObject
) -> None:
    """Under RecognizeAll, a new partner's PAL leaves every other partner's credits unchanged."""
    sub = pick.draw(st.sampled_from(data.subscriptions))
    start = pick.draw(st.dates(data.first_month, data.end_month))
    newcomer = Partner("P-NEW")
    extra = Association("P-NEW", sub.id, K.PAL, start)
    before = engine(attribute(data.to_ledger()))[0]
    bigger = attrs.evolve(
        data,
        partners=(*data.partners, newcomer),
        associations=(*data.associations, extra),
    ).to_ledger()
    after = engine(attribute(bigger))[0]
    for key, amount in before.items():
        assert after[key] >= amount
    assert {k: v for k, v in after.items() if k[1] != "P-NEW"} == before


@given(data=facts)
def test_attribution_is_idempotent_and_additive_over_months(data: LedgerFacts) -> None:
    """Attributing twice gives the same result, and [a, b) + [b, c) gives [a, c)."""
    ledger = data.to_ledger()
    whole = attribute(ledger, EqualSplit())
    assert engine(whole) == engine(attribute(ledger, EqualSplit()))
    months = data.months()
    middle = months[len(months) // 2]
    first = engine(attribute(ledger, EqualSplit(), end=middle))
    second = engine(attribute(ledger, EqualSplit(), start=middle))
    assert {**first[0], **second[0]} == engine(whole)[0]
    assert {**first[1], **second[1]} == engine(whole)[1]


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
    credits._store.c_minor[0] += 1
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
    credits._store.c_minor[-1] = 701
    report = credits.reconcile()
    assert not report.ok
    assert "outside [0, 700]" in report.failures[0].problem


def test_reconcile_fails_on_a_duplicate_or_stray_credit() -> None:
    """A partner credited twice for one row, or a credit pointing at no row, fails."""
    credits = attribute(_simple())
    store = credits._store
    store.c_row.append(store.c_row[0])
    store.c_key.append(store.c_key[0])
    store.c_minor.append(0)
    duplicated = Credits._from_store(store)
    assert "more than once" in duplicated.reconcile().failures[0].problem
    store.c_row[-1] = 99
    stray = Credits._from_store(store).reconcile()
    assert not stray.ok
    assert stray.stray == 1
    assert "refer to no usage row" in str(stray)


def test_reconcile_fails_when_the_unattributed_part_is_lost() -> None:
    """Dropping a split row's unattributed part makes credited + unattributed short."""
    credits = attribute(_simple(), EqualSplit())
    store = credits._store
    del store.u_row[:]
    del store.u_minor[:]
    assert not Credits._from_store(store).reconcile().ok


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
def test_per_plan_totals_equal_the_credit_columns(policy: Any, data: LedgerFacts) -> None:
    """Totals read from the per-plan summary (fresh credits) equal sums over the credits."""
    ledger = data.to_ledger()
    fresh = attribute(ledger, policy)
    by_currency = fresh.totals(by=("partner_id", "currency"))
    count = len(fresh)
    partners = fresh.partners()
    currencies = fresh.currencies()
    assert not fresh._store.materialised, "the summary must not need the credit columns"
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


@pytest.mark.parametrize(
    "policy", [RecognizeAll(), EqualSplit(), Priority([K.PAL, K.DPOR])], ids=repr
)
@given(data=multi_currency_facts)
def test_row_by_row_planning_equals_planning_by_subscription(
    policy: Any, data: LedgerFacts
) -> None:
    """The tallies (dense path) give the totals the row-by-row path's credits add up to."""
    from unittest import mock

    from partner_of_record.attribution import engine as engine_module

    ledger = data.to_ledger()
    dense = attribute(ledger, policy)
    tallied = dense.totals(by=("partner_id", "currency"))
    with mock.patch.object(engine_module, "_tally_by_subscription", return_value=False):
        sparse = attribute(ledger, policy)
    assert not sparse._store.tallied
    assert tallied == _column_totals(sparse)
    assert sparse.totals(by=("partner_id", "currency")) == tallied
    assert engine(sparse) == engine(dense)


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
def test_tallied_totals_equal_the_oracle(
    policy: Any, data: LedgerFacts, extra: int, services: bool
) -> None:
    """Totals computed per tally (one currency, no plan per row) equal the day-by-day oracle.

    ``extra`` adds decimals to some amounts (each row is then rounded to cents before it is
    credited, so sums of tallies cannot be taken as they are); ``services`` splits every row in
    two services, so that a tally holds several rows of the same subscription and month.
    """
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
    assert credits._store.unattributed_count() == left_count
    assert not credits._store.materialised
    assert credits._store.tallied or not ledger.usage


@given(
    minors=st.lists(st.integers(0, 60), min_size=1, max_size=30),
    numerators=st.lists(st.integers(1, 6), min_size=1, max_size=4),
    equal=st.booleans(),
    refund=st.integers(-60, 0) | st.none(),
)
def test_split_tallies_allocate_like_largest_remainder_row_by_row(
    minors: list[int], numerators: list[int], equal: bool, refund: int | None
) -> None:
    """A split tally's part totals (no Python loop for two or equal parts, small numbers so
    that equal remainders are common) equal the sums of each row's largest-remainder parts."""
    from partner_of_record.attribution.spans import largest_remainder
    from partner_of_record.attribution.tally import _split

    if equal:
        numerators = [numerators[0]] * len(numerators)
    if refund is not None:
        minors = [*minors, refund]
    den = sum(numerators)
    expected = [0] * len(numerators)
    for a in minors:
        parts = largest_remainder(a, numerators, den)
        expected = [x + y for x, y in zip(expected, parts, strict=True)]
    assert _split(minors, tuple(numerators), den) == expected


def test_a_two_way_weighted_split_serves_equal_remainders_in_partner_order() -> None:
    """WeightedSplit 1:3 of 2 cents: both parts' remainders are 1/2 cent, so the left-over cent
    goes to the lower partner id, whichever weight it has (the tallied and the per-row path)."""
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
        assert credits._store.tallied
        expected = {"P1": Decimal("0.01"), "P2": Decimal("0.01")}
        if pal == "P1":  # 3/4 of 2 cents = 1.5, 1/4 = 0.5: P1 first, so P1 gets 2 cents
            expected = {"P1": Decimal("0.02"), "P2": Decimal("0.00")}
        assert credits.totals() == expected
        assert {c.partner_id: c.amount for c in credits} == expected


_SIXTY_DIGITS = [
    Usage("S1", dt.date(2021, 1, 1), Decimal("1e59")),
    Usage("S1", dt.date(2021, 2, 1), Decimal("0.01")),
]
"""January's amount has 60 digits in cents: with February's cent, a sum needs 62."""


def test_a_tally_needing_more_than_sixty_digits_is_refused_like_a_row() -> None:
    """An amount too large to sum exactly is refused, as the row-by-row path refuses it."""
    ledger = _one_subscription([Association("P1", "S1", K.PAL, dt.date(2020, 1, 1))], _SIXTY_DIGITS)
    credits = attribute(ledger, RecognizeAll())
    assert credits._store.tallied
    assert credits.total() == Decimal("1e59") + Decimal("0.01")


def test_a_partner_total_needing_more_than_sixty_digits_is_summed_in_minor_units() -> None:
    """Each tally's sum fits, but a partner's total over two tallies (alone in January, with
    another partner in February) needs 62 digits: the totals are taken in minor units."""
    ledger = _one_subscription(
        [
            Association("P1", "S1", K.PAL, dt.date(2020, 1, 1)),
            Association("P2", "S1", K.DPOR, dt.date(2021, 2, 1)),
        ],
        _SIXTY_DIGITS,
    )
    credits = attribute(ledger, RecognizeAll())
    assert credits._store.tallied
    assert credits.totals() == {"P1": Decimal("1e59") + Decimal("0.01"), "P2": Decimal("0.01")}


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
    assert not fresh._store.materialised
    try:
        expected: Decimal | type[CurrencyMixError] = (
            attribute(ledger, policy).filter(partner_id=partners).total()
        )
    except CurrencyMixError:
        expected = CurrencyMixError
    assert got == expected
    if isinstance(got, Decimal):
        assert str(got) == str(expected)
