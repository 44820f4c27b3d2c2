"""The strategies in ``tests/strategies.py`` produce the values they promise."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

import partner_of_record.model as model_module
from partner_of_record.currency import minor_unit_exponent
from partner_of_record.ledger import Ledger
from partner_of_record.model import (
    Actor,
    Association,
    AssociationKind,
    Customer,
    Partner,
    SeatUsage,
    Subscription,
    Usage,
    Workload,
)
from strategies import (
    DPOR_WORKLOADS,
    GDAP_MAX_DAYS,
    KINDS_BY_WORKLOAD,
    LedgerFacts,
    amounts,
    associations,
    customers,
    identifiers,
    ledger_facts,
    ledgers,
    months,
    partners,
    records,
    seat_usages,
    subscriptions,
    usages,
)

_FIND = settings(database=None, phases=[Phase.generate], max_examples=500)
"""``find`` without shrinking or the example database: only existence matters."""


def _overlap(a: Association, b: Association) -> bool:
    return a.overlaps(b.start, b.end)


def _pairs_overlap(items: list[Association]) -> bool:
    return any(_overlap(a, b) for a, b in itertools.combinations(items, 2))


@given(months(dt.date(2019, 5, 17), dt.date(2021, 2, 3)))
def test_months_are_first_days_within_bounds(month: dt.date) -> None:
    """months() yields first days of months between the bounds' months."""
    assert month.day == 1
    assert dt.date(2019, 5, 1) <= month <= dt.date(2021, 2, 1)


@pytest.mark.parametrize("currency", ["USD", "JPY", "KWD"])
@given(data=st.data())
def test_amounts_have_the_currency_places_and_bounds(currency: str, data: st.DataObject) -> None:
    """amounts() keeps the currency's minor-unit exponent and stays within its bounds."""
    value = data.draw(amounts(currency, min_value=Decimal("-12.5"), max_value=7))
    assert isinstance(value, Decimal)
    assert value.as_tuple().exponent == -minor_unit_exponent(currency)
    assert Decimal("-12.5") <= value <= 7


@given(amounts("USD", places=6))
def test_amounts_places_override_the_currency(value: Decimal) -> None:
    """amounts(places=6) yields six decimal places whatever the currency."""
    assert value.as_tuple().exponent == -6


@given(identifiers())
def test_identifiers_are_valid_ids(value: str) -> None:
    """identifiers() are non-empty and have no leading or trailing whitespace."""
    assert value
    assert value == value.strip()


@pytest.mark.parametrize(
    ("strategy", "cls"),
    [
        (partners(), Partner),
        (customers(), Customer),
        (subscriptions(), Subscription),
        (associations(), Association),
        (usages(), Usage),
        (seat_usages(), SeatUsage),
    ],
)
@given(data=st.data())
def test_record_strategies_build_their_type_with_a_replayable_repr(
    strategy: st.SearchStrategy[object], cls: type, data: st.DataObject
) -> None:
    """Each record strategy yields its type, and the record's repr evaluates back to it."""
    value = data.draw(strategy)
    assert type(value) is cls
    namespace = {**vars(model_module), "datetime": dt, "Decimal": Decimal}
    assert eval(repr(value), namespace) == value


@given(records())
def test_records_are_model_records(value: object) -> None:
    """records() yields only model record types."""
    assert isinstance(value, Partner | Customer | Subscription | Association | Usage | SeatUsage)


@given(usages(currency=st.just("JPY")))
def test_usages_follow_the_requested_currency(row: Usage) -> None:
    """usages(currency=...) yields rows in that currency with at most six places."""
    assert row.currency == "JPY"
    assert row.month.day == 1
    assert row.amount.as_tuple().exponent in (0, -6)


@given(ledger_facts())
def test_ledger_facts_build_a_ledger(facts: LedgerFacts) -> None:
    """Every generated set of facts is accepted by Ledger(...) and kept as given."""
    ledger = facts.to_ledger()
    assert isinstance(ledger, Ledger)
    assert ledger.partners == facts.partners
    assert ledger.associations == facts.associations
    assert ledger.usage == facts.usage
    assert ledger.seats == facts.seats


@given(ledgers(workloads=[Workload.AZURE], max_months=6))
def test_ledgers_yield_ledgers(ledger: Ledger) -> None:
    """ledgers(...) yields Ledger values restricted to the requested workloads."""
    assert isinstance(ledger, Ledger)
    assert all(s.workload is Workload.AZURE for s in ledger.subscriptions)


@given(ledger_facts())
def test_ledger_facts_are_referentially_consistent(facts: LedgerFacts) -> None:
    """Ids are unique, every reference resolves, usage and seat keys are unique."""
    partner_ids = [p.id for p in facts.partners]
    customer_ids = [c.id for c in facts.customers]
    subs = {s.id: s for s in facts.subscriptions}
    assert len(set(partner_ids)) == len(partner_ids)
    assert len(set(customer_ids)) == len(customer_ids)
    assert len(subs) == len(facts.subscriptions)
    assert all(s.customer_id in customer_ids for s in facts.subscriptions)
    assert all(a.partner_id in partner_ids for a in facts.associations)
    assert all(a.subscription_id in subs for a in facts.associations)
    assert all(u.subscription_id in subs for u in facts.usage)
    assert all(s.subscription_id in subs for s in facts.seats)
    assert len({u.key for u in facts.usage}) == len(facts.usage)
    assert len({s.key for s in facts.seats}) == len(facts.seats)
    assert all(subs[s.subscription_id].workload is not Workload.AZURE for s in facts.seats)


@given(ledger_facts())
def test_ledger_facts_respect_the_association_rules(facts: LedgerFacts) -> None:
    """Kinds fit workloads, exclusive kinds never overlap, GDAP ends within two years."""
    subs = {s.id: s for s in facts.subscriptions}
    exclusive: defaultdict[tuple[object, ...], list[Association]] = defaultdict(list)
    for a in facts.associations:
        sub = subs[a.subscription_id]
        assert a.kind in KINDS_BY_WORKLOAD[sub.workload]
        if a.kind in (AssociationKind.DAP, AssociationKind.GDAP):
            assert sub.workload is not Workload.AZURE
            assert a.granted_by in (None, Actor.CUSTOMER)
        if a.kind is AssociationKind.DPOR:
            assert sub.workload in DPOR_WORKLOADS
            assert a.granted_by in (None, Actor.CUSTOMER)
        if a.kind is AssociationKind.GDAP:
            assert a.end is not None
            assert (a.end - a.start).days <= GDAP_MAX_DAYS
        if a.kind is AssociationKind.CPOR:
            exclusive[(a.kind, sub.customer_id, sub.workload)].append(a)
        elif a.kind in (
            AssociationKind.DPOR,
            AssociationKind.TRANSACTING,
            AssociationKind.CSP_TIER1,
            AssociationKind.CSP_TIER2,
        ):
            exclusive[(a.kind, a.subscription_id)].append(a)
        else:
            exclusive[(a.kind, a.subscription_id, a.partner_id)].append(a)
    assert not any(_pairs_overlap(items) for items in exclusive.values())


@given(ledger_facts(max_months=7, currencies=("EUR", "JPY")))
def test_ledger_facts_stay_in_the_window(facts: LedgerFacts) -> None:
    """Associations start and usage/seat rows fall in the window; one currency per subscription."""
    window = facts.months()
    assert 1 <= len(window) <= 7
    assert window[0] == facts.first_month
    assert all(facts.first_month <= a.start < facts.end_month for a in facts.associations)
    assert all(u.month in window for u in facts.usage)
    assert all(s.month in window for s in facts.seats)
    per_sub: defaultdict[str, set[str]] = defaultdict(set)
    for u in facts.usage:
        per_sub[u.subscription_id].add(u.currency)
    assert all(len(c) == 1 and c <= {"EUR", "JPY"} for c in per_sub.values())


@given(
    ledger_facts(
        min_partners=0,
        max_partners=2,
        min_customers=0,
        max_customers=1,
        min_subscriptions=0,
        max_subscriptions=3,
        kinds=[AssociationKind.PAL],
        usage=False,
        seats=False,
    )
)
def test_ledger_facts_sizes_and_switches_are_respected(facts: LedgerFacts) -> None:
    """Size bounds, the kinds filter and the usage/seats switches are honoured."""
    assert len(facts.partners) <= 2
    assert len(facts.customers) <= 1
    assert len(facts.subscriptions) <= 3
    assert all(a.kind is AssociationKind.PAL for a in facts.associations)
    assert facts.usage == ()
    assert facts.seats == ()
    if not facts.customers:
        assert facts.subscriptions == ()


def test_ledger_facts_produce_mid_month_spans() -> None:
    """Some associations start and end mid-month (not on the first of a month)."""
    facts = find(
        ledger_facts(),
        lambda f: any(a.start.day != 1 and a.end and a.end.day != 1 for a in f.associations),
        settings=_FIND,
    )
    assert facts.associations


def test_ledger_facts_produce_dpor_handovers() -> None:
    """Some ledgers hold a DPOR that ends the day its successor on the same subscription starts."""

    def handover(facts: LedgerFacts) -> bool:
        dpors = [a for a in facts.associations if a.kind is AssociationKind.DPOR]
        return any(
            a.subscription_id == b.subscription_id and a.end == b.start
            for a, b in itertools.permutations(dpors, 2)
        )

    strategy = ledger_facts(workloads=[Workload.AZURE], kinds=[AssociationKind.DPOR])
    facts = find(strategy, handover, settings=_FIND)
    assert handover(facts)
