"""Laws of incentive evaluation, checked on generated ledgers (hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.strategies import ledgers

from partner_of_record import Association, AssociationKind, Ledger, Workload, attribute
from partner_of_record.catalog import cloud_platform
from partner_of_record.currency import minor_unit_exponent
from partner_of_record.evaluation import add_months
from partner_of_record.incentives import (
    EarningRule,
    IncentiveProgram,
    SubscriptionEligibility,
    evaluate_incentives,
)

K = AssociationKind
AZURE_KINDS = [K.DPOR, K.PAL, K.CSP_TIER1, K.CSP_TIER2, K.TRANSACTING, K.LIGHTHOUSE]


@st.composite
def programs(draw: st.DrawFn, *, exclusive: bool | None = None) -> IncentiveProgram:
    """Programs on Azure with random kinds, roles, requirements, rounding and eligibility."""
    kinds = draw(st.sets(st.sampled_from(AZURE_KINDS), min_size=2, max_size=4))
    requires = draw(st.sampled_from([frozenset(), frozenset(), frozenset({K.CSP_TIER1})]))
    roles = draw(st.sampled_from([None, None, ("Owner", "Contributor")]))
    rate = draw(st.decimals("0", "0.5", places=3))
    rounding = draw(st.sampled_from(["floor", "billed_cost"]))
    eligibility = draw(
        st.none() | st.integers(0, 5_000).map(lambda t: cloud_platform("silver", threshold_usd=t))
    )
    effective = draw(st.dates(dt.date(2014, 1, 1), dt.date(2025, 6, 1)))
    return IncentiveProgram(
        name="LAW",
        title="law",
        source="test",
        effective=effective,
        subscriptions=SubscriptionEligibility(
            kinds=kinds,
            requires=requires,
            roles=roles,
            workloads=[Workload.AZURE],
            exclusive=draw(st.booleans()) if exclusive is None else exclusive,
        ),
        earning=EarningRule(rate=rate, rounding=rounding),
        eligibility=eligibility,
    )


AZURE_LEDGERS = ledgers(
    workloads=[Workload.AZURE],
    max_partners=3,
    max_subscriptions=4,
    max_associations=8,
    max_months=14,
    seats=False,
)


def _range(ledger: Ledger) -> tuple[dt.date, dt.date] | None:
    months = ledger.months
    if months is None:
        return None
    return months[0], add_months(months[1], 1)


@settings(max_examples=40)
@given(AZURE_LEDGERS, programs())
def test_eligible_plus_ineligible_is_the_credited_consumption(
    ledger: Ledger, program: IncentiveProgram
) -> None:
    """Per line and partner: eligible + ineligible == credited Azure consumption, to the cent."""
    span = _range(ledger)
    if span is None:
        return
    start, end = span
    credits = attribute(ledger).filter(workload=Workload.AZURE, start=start, end=end)
    found = evaluate_incentives(ledger, program, start=start, end=end)["LAW"]
    for pid, earnings in found.items():
        for line in earnings.lines:
            assert line.eligible + sum(i.amount for i in line.ineligible) == line.credited
        ineligible = sum((i.amount for i in earnings.ineligible), Decimal(0))
        for currency in credits.filter(partner_id=pid).currencies():
            if currency == earnings.currency:
                assert earnings.eligible + ineligible == credits.total(
                    partner_id=pid, currency=currency
                )
        assert earnings.credited == earnings.eligible + ineligible


@settings(max_examples=40)
@given(AZURE_LEDGERS, programs())
def test_earnings_never_exceed_the_rate_times_eligible_consumption(
    ledger: Ledger, program: IncentiveProgram
) -> None:
    """floor: earned <= rate x eligible; billed cost: at most one minor unit more per line."""
    span = _range(ledger)
    if span is None:
        return
    rate = program.earning.rate
    assert rate is not None
    for earnings in evaluate_incentives(ledger, program, start=span[0], end=span[1])[
        "LAW"
    ].values():
        for line in earnings.lines:
            unit = Decimal(1).scaleb(-minor_unit_exponent(line.currency))
            slack = unit if program.earning.rounding == "billed_cost" else Decimal(0)
            assert line.earned <= rate * line.eligible + slack
            assert abs(line.earned) <= abs(rate * line.eligible) + slack


@settings(max_examples=40)
@given(AZURE_LEDGERS, programs())
def test_nothing_is_earned_outside_eligibility(ledger: Ledger, program: IncentiveProgram) -> None:
    """No eligible amount or earning before the program starts, in a month the partner is not
    eligible, or on a line without an eligible day."""
    span = _range(ledger)
    if span is None:
        return
    for earnings in evaluate_incentives(ledger, program, start=span[0], end=span[1])[
        "LAW"
    ].values():
        for month in earnings.months:
            if not month.partner_eligible or add_months(month.month, 1) <= program.effective:
                assert month.eligible == 0
                assert month.earned == 0
        for line in earnings.lines:
            if line.eligible_days == 0:
                assert (line.eligible, line.earned) == (0, 0)
            # an independent count: days of the month with an earning association, in the program
            days = [
                line.month + dt.timedelta(days=i)
                for i in range((add_months(line.month, 1) - line.month).days)
            ]
            held = sum(
                1
                for day in days
                if program.in_effect(day)
                and any(
                    a.partner_id == earnings.partner_id and a.kind in program.subscriptions.kinds
                    for a in ledger.in_effect(line.subscription_id, day)
                )
            )
            assert line.eligible_days <= held


@st.composite
def an_added_association(draw: st.DrawFn, ledger: Ledger) -> Association | None:
    """A new association on one of the ledger's subscriptions that the ledger accepts."""
    if not ledger.subscriptions or not ledger.partners:
        return None
    sub = draw(st.sampled_from(ledger.subscriptions))
    partner = draw(st.sampled_from(ledger.partners))
    kind = draw(st.sampled_from([K.PAL, K.LIGHTHOUSE, K.CSP_TIER2]))
    start = draw(st.dates(dt.date(2015, 1, 1), dt.date(2026, 1, 1)))
    return Association(partner.id, sub.id, kind, start, role="Owner")


@settings(max_examples=30)
@given(st.data(), AZURE_LEDGERS, programs(exclusive=False))
def test_adding_an_association_never_lowers_another_partners_eligible_consumption(
    data: st.DataObject, ledger: Ledger, program: IncentiveProgram
) -> None:
    """Under a recognise-all program, a new link for one partner leaves the others' eligible
    consumption as high or higher, month by month."""
    span = _range(ledger)
    added = data.draw(an_added_association(ledger))
    if span is None or added is None:
        return
    try:
        bigger = ledger.add(added)
    except ValueError:  # the ledger refuses it (e.g. an overlap of the same kind): no case
        return
    before = evaluate_incentives(ledger, program, start=span[0], end=span[1])["LAW"]
    after = evaluate_incentives(bigger, program, start=span[0], end=span[1])["LAW"]
    for pid, earnings in before.items():
        if pid == added.partner_id:
            continue
        new = {m.month: m.eligible for m in after[pid].months}
        for m in earnings.months:
            assert new[m.month] >= m.eligible
