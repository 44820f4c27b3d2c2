"""Totals of a whole run read from its compact form (whole units summed per unit, the other rows
rounded one by one) equal the totals of the fully expanded credit columns, the sums over
``Credit`` objects and the day-by-day reference engine; reading them first changes nothing
that is read afterwards."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_of_record.attribution import (
    FIELDS,
    Credits,
    CurrencyMixError,
    EqualSplit,
    Priority,
    RecognizeAll,
    attribute,
)
from partner_of_record.ledger import Ledger
from partner_of_record.model import Association, AssociationKind, Usage
from reference_engine import oracle
from strategies import LedgerFacts, ledger_facts
from test_attribution_laws import POLICIES as LAW_POLICIES
from test_attribution_laws import AskedPerRow

K = AssociationKind


PerRow = AskedPerRow
"""A user policy that reads the usage row (the per-row path): a built-in's shares."""


POLICIES: list[Any] = [*LAW_POLICIES, PerRow(RecognizeAll()), PerRow(EqualSplit())]
"""The laws' built-in policies, and two that read the usage row."""
BY: list[Any] = [f for f in FIELDS if f != "share"] + [
    ("partner_id", "currency"),
    ("kinds", "currency"),
    ("month", "currency"),
    ("customer_id", "service", "currency"),
    ("partner_id", "month", "currency"),
    ("customer_id", "kinds", "currency"),
    ("workload", "service", "partner_id", "currency"),
]
ROW_FIELDS = ("subscription_id", "customer_id", "workload", "month", "service", "currency")

facts = ledger_facts(
    max_subscriptions=5,
    max_associations=10,
    max_months=6,
    currencies=("USD", "JPY", "KWD"),
    negative_usage=True,
)
one_currency = ledger_facts(
    max_subscriptions=5, max_associations=10, max_months=6, negative_usage=True
)


def _totals(credits: Credits, by: Any) -> dict[Any, Decimal] | type[CurrencyMixError]:
    try:
        return credits.totals(by=by)
    except CurrencyMixError:
        return CurrencyMixError


def _expanded(ledger: Ledger, policy: Any, **kw: Any) -> Credits:
    """Fresh credits whose per-row columns are made before anything is read."""
    credits = attribute(ledger, policy, **kw)
    assert credits._r.alloc is not None
    assert credits._r.expanded
    return credits


def _object_totals(credits: Credits, by: Any) -> dict[Any, Decimal] | type[CurrencyMixError]:
    """Totals summed over materialised ``Credit`` objects (with the currency check)."""
    fields = (by,) if isinstance(by, str) else by
    acc: dict[Any, Decimal] = {}
    currencies = set()
    for c in credits:
        values = tuple(getattr(c, f) for f in fields)
        key = values if len(fields) > 1 else values[0]
        acc[key] = acc.get(key, Decimal(0)) + c.amount
        currencies.add(c.currency)
    if len(currencies) > 1 and "currency" not in fields:
        return CurrencyMixError
    return acc


def _oracle_totals(
    ledger: Ledger, policy: Any, by: Any, **kw: Any
) -> dict[Any, Decimal] | type[CurrencyMixError]:
    """Totals from the day-by-day reference engine, by row fields and ``partner_id``."""
    fields = (by,) if isinstance(by, str) else by
    credits, _ = oracle(ledger, policy, **kw)
    acc: dict[Any, Decimal] = {}
    currencies = set()
    for (row, partner), amount in credits.items():
        sub_id, month, service, currency = row
        sub = ledger.subscription(sub_id)
        row_values = {
            "subscription_id": sub_id,
            "customer_id": sub.customer_id,
            "workload": sub.workload,
            "month": month,
            "service": service,
            "currency": currency,
            "partner_id": partner,
        }
        values = tuple(row_values[f] for f in fields)
        key = values if len(fields) > 1 else values[0]
        acc[key] = acc.get(key, Decimal(0)) + amount
        currencies.add(currency)
    if len(currencies) > 1 and "currency" not in fields:
        return CurrencyMixError
    return acc


def _same(got: Any, expected: Any) -> None:
    """Equal totals, with equal keys in equal order and equal decimal places."""
    assert got == expected
    if isinstance(got, dict):
        assert list(got) == list(expected)
        assert [str(v) for v in got.values()] == [str(v) for v in expected.values()]


@pytest.mark.parametrize("policy", POLICIES, ids=repr)
@given(data=facts, by=st.sampled_from(BY), months=st.booleans())
def test_compact_totals_equal_expanded_objects_and_the_reference(
    policy: Any, data: LedgerFacts, by: Any, months: bool
) -> None:
    """totals(by=...) of fresh credits (compact) == of expanded credits == over Credit objects
    == the reference engine's (for fields it knows), also for a run restricted to months."""
    ledger = data.to_ledger()
    kw = {"start": dt.date(2024, 3, 1), "end": dt.date(2024, 7, 1)} if months else {}
    fresh = attribute(ledger, policy, **kw)
    got = _totals(fresh, by)
    assert not fresh._r.expanded, "totals of a whole run made the per-row columns"
    expanded = _expanded(ledger, policy, **kw)
    _same(got, _totals(expanded, by))
    objects = _object_totals(expanded, by)
    assert got == objects
    fields = (by,) if isinstance(by, str) else by
    if "kinds" not in fields:
        assert got == _oracle_totals(ledger, policy, by, **kw)


@pytest.mark.parametrize("policy", POLICIES, ids=repr)
@given(data=facts, currency=st.sampled_from([None, "USD", "JPY", "EUR"]))
def test_compact_counts_and_sums_equal_the_expanded_ones(
    policy: Any, data: LedgerFacts, currency: str | None
) -> None:
    """len, currencies, partners, total and unattributed_total read from the compact form
    equal those of expanded credits (or raise the same currency error)."""
    ledger = data.to_ledger()
    expanded = _expanded(ledger, policy)

    def read(c: Credits) -> list[Any]:
        out: list[Any] = [len(c), bool(c), c.currencies(), c.partners()]
        for call in (c.total, lambda: c.unattributed_total(currency)):
            try:
                value = call()
                out.append((value, str(value)))
            except CurrencyMixError:
                out.append(CurrencyMixError)
        return out

    fresh = attribute(ledger, policy)
    assert read(fresh) == read(expanded)
    assert not fresh._r.expanded


@pytest.mark.parametrize("policy", POLICIES, ids=repr)
@given(data=facts)
def test_reading_compact_totals_first_changes_nothing_read_after(
    policy: Any, data: LedgerFacts
) -> None:
    """After totals from the compact form, iteration, filters, unattributed parts, frames and
    the reconciliation give what credits expanded first give."""
    ledger = data.to_ledger()
    first = attribute(ledger, policy)
    _totals(first, ("partner_id", "currency"))
    _totals(first, "month")
    with contextlib.suppress(CurrencyMixError):
        first.unattributed_total()
    expanded = _expanded(ledger, policy)
    assert list(first) == list(expanded)
    assert first.unattributed == expanded.unattributed
    for p in {c.partner_id for c in expanded}:
        assert list(first.filter(partner_id=p)) == list(expanded.filter(partner_id=p))
    assert list(first.filter(currency="USD")) == list(expanded.filter(currency="USD"))
    assert first.to_arrow().equals(expanded.to_arrow())
    assert first.reconcile() == expanded.reconcile()


@pytest.mark.parametrize("policy", [p for p in POLICIES if p.split], ids=repr)
@given(data=facts)
def test_compact_totals_conserve_every_currency(policy: Any, data: LedgerFacts) -> None:
    """Split policies, from the compact form: credited + unattributed == the rows' amounts, per
    currency, to the minor unit."""
    ledger = data.to_ledger()
    credits = attribute(ledger, policy)
    credited = credits.totals(by="currency")
    inputs = {c.currency: c.amount for c in attribute(ledger, policy).reconcile().currencies}
    for cur, amount in inputs.items():
        left = credits.unattributed_total(cur)
        assert credited.get(cur, Decimal(0)) + left == amount
    assert not credits._r.expanded


def _huge(policy: Any) -> Credits:
    """Rows beyond int64 in a month inside one segment (whole under RecognizeAll) and in a cut
    month, next to small rows."""
    from partner_of_record.model import Customer, Partner, Subscription, Workload

    ledger = Ledger(
        partners=[Partner("P1"), Partner("P2")],
        customers=[Customer("C1")],
        subscriptions=[Subscription("S1", "C1", Workload.AZURE)],
        associations=[
            Association("P1", "S1", K.PAL, dt.date(2020, 1, 1)),
            Association("P2", "S1", K.DPOR, dt.date(2021, 1, 11)),
        ],
        usage=[
            Usage("S1", dt.date(2020, 6, 1), Decimal("9" * 25 + ".99")),
            Usage("S1", dt.date(2020, 7, 1), Decimal("4" * 17 + ".01")),
            Usage("S1", dt.date(2020, 8, 1), Decimal("0.01")),
            Usage("S1", dt.date(2021, 1, 1), Decimal("-" + "8" * 24 + ".05")),
            Usage("S1", dt.date(2021, 2, 1), Decimal("7" * 18 + ".07")),
        ],
    )
    return attribute(ledger, policy)


@pytest.mark.parametrize(
    "policy", [RecognizeAll(), EqualSplit(), Priority(Priority.AZURE_USAGE_REPORT)], ids=repr
)
@pytest.mark.parametrize("by", BY, ids=str)
def test_compact_totals_are_exact_beyond_int64(policy: Any, by: Any) -> None:
    """Amounts whose sums or values leave int64 are summed exactly by the compact path too."""
    fresh = _huge(policy)
    got = _totals(fresh, by)
    expanded = _huge(policy)
    assert expanded._r.alloc is not None
    _same(got, _totals(expanded, by))
    assert got == _object_totals(expanded, by)
    assert fresh.unattributed_total() == expanded.unattributed_total()


@given(data=facts)
def test_sums_kept_with_the_ledger_are_those_of_the_run_s_units(data: LedgerFacts) -> None:
    """Policies of both paths, one after another on one ledger (whose units differ: segments
    and cut months, or per-row plans): each run's compact totals equal its expanded ones."""
    ledger = data.to_ledger()
    runs = [PerRow(EqualSplit()), RecognizeAll(), PerRow(RecognizeAll()), EqualSplit()]
    for policy in runs + runs[::-1]:
        got = _totals(attribute(ledger, policy), ("partner_id", "currency"))
        assert got == _totals(_expanded(ledger, policy), ("partner_id", "currency"))
