"""Unclaimed consumption: what a partner drives but is not credited for, and how to claim it."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from partner_of_record import (
    Association,
    AssociationKind,
    Customer,
    Ledger,
    Partner,
    SeatUsage,
    Subscription,
    Usage,
    Workload,
)
from partner_of_record.evaluation import add_months, what_if
from partner_of_record.opportunities import (
    ACTION_KINDS,
    COMPETENCIES_2016,
    SOLUTIONS_PARTNER_2023,
    CreditProgram,
    Opportunity,
    Unclaimed,
    unclaimed,
)
from partner_of_record.rules import MICROSOFT_2023
from partner_of_record.samples import SAMPLE_SKILLS, load_sample
from strategies import ledgers

LITWARE = "4500168"
RELECLOUD = "4300874"
YEAR = (dt.date(2024, 1, 1), dt.date(2025, 1, 1))
K = AssociationKind


def _sample(partner: str, **kwargs: object) -> Unclaimed:
    start, end = YEAR
    return unclaimed(
        load_sample(),
        partner,
        start=start,
        end=end,
        skills=SAMPLE_SKILLS[partner],
        **kwargs,  # type: ignore[arg-type]
    )


def _small(
    *associations: Association,
    workload: Workload = Workload.AZURE,
    second_workload_sub: bool = False,
) -> Ledger:
    """P1 and P2, customer C1 with subscription S1 (and S2, same workload), usage every month."""
    subs = [Subscription("S1", "C1", workload)]
    if second_workload_sub:
        subs.append(Subscription("S2", "C1", workload))
    months = [dt.date(2024, m, 1) for m in range(1, 13)]
    return Ledger(
        partners=[Partner("P1"), Partner("P2")],
        customers=[Customer("C1", "Customer One")],
        subscriptions=subs,
        associations=associations,
        usage=[Usage(s.id, m, Decimal("100.00")) for s in subs for m in months],
        seats=[SeatUsage(s.id, m, paid_seats=50, active_users=40) for s in subs for m in months],
    )


# --------------------------------------------------------------------------------------------
# the sample


def test_sample_csp_subscriptions_get_pal_with_the_whole_years_usage() -> None:
    """A CSP-only Azure subscription all year gets a PAL action worth its whole year's usage."""
    found = _sample(LITWARE)
    ledger = load_sample()
    azure = [o for o in found.opportunities if o.workload is Workload.AZURE]
    assert azure
    for o in azure:
        assert o.kind is K.PAL
        assert "PAL" in o.action
        assert o.subscription_id in o.action
        assert set(o.working) <= {K.CSP_TIER1, K.CSP_TIER2, K.TRANSACTING}
        covers_year = [a for a in o.associations if a.start == YEAR[0] and a.end is None]
        if covers_year:
            usage = sum(
                (u.amount for u in ledger.usage_of(o.subscription_id) if YEAR[0] <= u.month),
                Decimal(0),
            )
            assert dict(o.amounts) == {"USD": usage}


def test_sample_seat_workloads_get_a_cpor_claim() -> None:
    """Admin links on Microsoft 365 and Dynamics get a CPOR claim, with the seats it covers."""
    found = _sample(RELECLOUD)
    kinds = {o.workload: o.kind for o in found.opportunities}
    assert kinds
    assert all(k is K.CPOR for w, k in kinds.items() if w is not Workload.AZURE)
    for o in found.opportunities:
        if o.kind is K.CPOR:
            assert o.action.startswith("submit a CPOR claim for")
            covered = [
                r.paid_seats
                for r in load_sample().seats_of(o.subscription_id)
                if any(
                    a.in_effect_on(add_months(r.month, 1) - dt.timedelta(days=1))
                    for a in o.associations
                )
            ]
            assert o.seats == max(covered, default=0)
    assert any(o.seats for o in found.opportunities)


def test_sample_effects_equal_what_if_applied_to_the_suggested_associations() -> None:
    """Each reported effect is what_if(add=the opportunity's associations), entry by entry."""
    ledger = load_sample()
    for partner in (LITWARE, RELECLOUD):
        found = _sample(partner)
        assert found.opportunities
        for o in found.opportunities[:3]:
            for effect in o.effects:
                diff = what_if(
                    ledger,
                    partner,
                    effect.competency,
                    as_of=YEAR[1],
                    add=o.associations,
                    skills=SAMPLE_SKILLS[partner],
                )
                assert effect.diff == diff
                assert effect.score_before == diff.before.score
                assert effect.score_after == diff.after.score
                assert effect.met_after == diff.after.met


def test_sample_combined_effect_equals_what_if_of_every_action() -> None:
    """The combined effect is what_if with every suggested association at once."""
    ledger = load_sample()
    found = _sample(RELECLOUD)
    every = [a for o in found.opportunities for a in o.associations]
    for effect in found.combined:
        diff = what_if(
            ledger,
            RELECLOUD,
            effect.competency,
            as_of=YEAR[1],
            add=every,
            skills=SAMPLE_SKILLS[RELECLOUD],
        )
        assert effect.diff == diff


def test_sample_ranked_by_effect() -> None:
    """Opportunities come best first: entries newly met, then score gained, then consumption."""
    for partner in ("4100231", "4200517", RELECLOUD, "4400392", LITWARE):
        found = _sample(partner)
        keys = [
            (-len(o.newly_met), -o.score_delta, -sum((a for _, a in o.amounts), Decimal(0)))
            for o in found.opportunities
        ]
        assert keys == sorted(keys)


def test_sample_modern_work_gain_for_relecloud() -> None:
    """Relecloud's CPOR claims raise its Modern Work score (the catalog measures CPOR higher)."""
    found = _sample(RELECLOUD)
    combined = {e.competency: e for e in found.combined}
    mw = combined["SOLUTIONS_PARTNER_MODERN_WORK"]
    assert mw.score_after is not None
    assert mw.score_before is not None
    assert mw.score_after > mw.score_before


def test_blocked_cpor_days_are_left_out() -> None:
    """Days another partner holds CPOR in the tenant are never claimed; the rest is."""
    found = _sample(RELECLOUD)
    ledger = load_sample()
    for o in found.opportunities:
        if o.kind is not K.CPOR:
            continue
        sub = ledger.subscription(o.subscription_id)
        others = [
            a
            for s in ledger.subscriptions_of(sub.customer_id)
            if s.workload is sub.workload
            for a in ledger.associations_of(s.id)
            if a.kind is K.CPOR and a.partner_id != RELECLOUD
        ]
        for mine in o.associations:
            assert not any(mine.overlaps(a.start, a.end) for a in others)


def test_explain_json_and_pandas() -> None:
    """explain() names each action; JSON round-trips to to_dict(); to_pandas has every row."""
    found = _sample(LITWARE)
    text = found.explain()
    assert text.startswith(f"Unclaimed consumption of partner {LITWARE}")
    for o in found.opportunities:
        assert o.action in text
    document = json.loads(found.to_json())
    assert document == found.to_dict()
    assert [o["subscription_id"] for o in document["opportunities"]] == [
        o.subscription_id for o in found.opportunities
    ]
    assert document["totals"] == {c: str(a) for c, a in found.totals().items()}
    frame = found.to_pandas()
    assert len(frame) == sum(len(o.effects) * max(1, len(o.amounts)) for o in found.opportunities)
    assert set(frame["competency"]) == set(SOLUTIONS_PARTNER_2023.catalog)


def test_the_2016_program_credits_csp_and_dap() -> None:
    """Under the 2016 competencies CSP and DAP are credited, so they are not unclaimed."""
    found = _sample(LITWARE, program=COMPETENCIES_2016)
    assert all(
        not ({K.CSP_TIER1, K.CSP_TIER2, K.DAP, K.TRANSACTING} & set(o.working))
        for o in found.opportunities
    )
    assert found.program == "MPN competencies 2016"
    assert found.rules == "Microsoft 2017"


def test_program_by_name_and_unknown_name() -> None:
    """A program can be named; an unknown name is refused with the known names."""
    start, end = YEAR
    by_name = unclaimed(
        load_sample(), LITWARE, start=start, end=end, program="Solutions Partner 2023", catalog=()
    )
    assert by_name.program == "Solutions Partner 2023"
    with pytest.raises(ValueError, match="Solutions Partner 2023"):
        unclaimed(load_sample(), LITWARE, start=start, end=end, program="nope")


def test_empty_period_is_refused() -> None:
    """end must be after start."""
    with pytest.raises(ValueError, match="not after start"):
        unclaimed(load_sample(), LITWARE, start=YEAR[1], end=YEAR[0])


# --------------------------------------------------------------------------------------------
# small ledgers: the rules are respected


def test_pal_preferred_on_azure() -> None:
    """A CSP-only Azure subscription gets PAL (many partners may link; it displaces nobody)."""
    ledger = _small(Association("P1", "S1", K.CSP_TIER1, dt.date(2023, 6, 1)))
    found = unclaimed(ledger, "P1", start=YEAR[0], end=YEAR[1], catalog=())
    (o,) = found.opportunities
    assert o.kind is K.PAL
    assert o.associations == (
        Association("P1", "S1", K.PAL, YEAR[0], None, granted_by=o.associations[0].granted_by),
    )
    assert o.amounts == (("USD", Decimal("1200.00")),)
    assert o.ongoing


def test_already_credited_days_are_not_unclaimed() -> None:
    """Days with a PAL already in place are excluded: only the gap is suggested and counted."""
    ledger = _small(
        Association("P1", "S1", K.CSP_TIER1, dt.date(2023, 6, 1)),
        Association("P1", "S1", K.PAL, dt.date(2024, 7, 1)),
    )
    found = unclaimed(ledger, "P1", start=YEAR[0], end=YEAR[1], catalog=())
    (o,) = found.opportunities
    assert [(a.start, a.end) for a in o.associations] == [(YEAR[0], dt.date(2024, 7, 1))]
    assert o.amounts == (("USD", Decimal("600.00")),)
    assert not o.ongoing


def test_no_second_dpor() -> None:
    """When the program credits only DPOR and another partner holds it, nothing is advised."""
    only_dpor = CreditProgram(
        name="DPOR only",
        credited={Workload.AZURE: (K.DPOR,)},
        rules=MICROSOFT_2023,
        catalog=(),
        source="test",
        published=dt.date(2023, 10, 1),
    )
    ledger = _small(
        Association("P1", "S1", K.CSP_TIER1, dt.date(2023, 6, 1)),
        Association("P2", "S1", K.DPOR, dt.date(2023, 1, 1)),
    )
    found = unclaimed(ledger, "P1", start=YEAR[0], end=YEAR[1], program=only_dpor)
    assert found.opportunities == ()
    (blocked,) = found.blocked
    assert blocked.subscription_id == "S1"
    assert "DPOR" in blocked.reasons[0]


def test_dpor_only_on_the_days_nobody_else_holds_it() -> None:
    """A DPOR is suggested only before another partner's DPOR starts, and ends when it does."""
    only_dpor = CreditProgram(
        name="DPOR only",
        credited={Workload.AZURE: (K.DPOR,)},
        rules=MICROSOFT_2023,
        catalog=(),
        source="test",
        published=dt.date(2023, 10, 1),
    )
    ledger = _small(
        Association("P1", "S1", K.CSP_TIER1, dt.date(2023, 6, 1)),
        Association("P2", "S1", K.DPOR, dt.date(2025, 3, 1)),
    )
    found = unclaimed(ledger, "P1", start=YEAR[0], end=YEAR[1], program=only_dpor)
    (o,) = found.opportunities
    (a,) = o.associations
    assert (a.kind, a.start, a.end) == (K.DPOR, YEAR[0], YEAR[1])
    ledger.add(*o.associations)  # accepted by the ledger's rules


def test_no_cpor_on_a_workload_another_partner_holds_in_the_tenant() -> None:
    """Another partner's CPOR on a sibling subscription (same tenant, workload) blocks CPOR."""
    ledger = _small(
        Association("P1", "S1", K.GDAP, dt.date(2023, 6, 1), dt.date(2025, 6, 1)),
        Association("P2", "S2", K.CPOR, dt.date(2023, 1, 1)),
        workload=Workload.OFFICE_365,
        second_workload_sub=True,
    )
    found = unclaimed(ledger, "P1", start=YEAR[0], end=YEAR[1], catalog=())
    assert found.opportunities == ()
    assert [b.subscription_id for b in found.blocked] == ["S1"]


def test_own_cpor_on_a_sibling_subscription_counts() -> None:
    """The partner's own CPOR on another subscription of the tenant and workload credits S1."""
    ledger = _small(
        Association("P1", "S1", K.GDAP, dt.date(2023, 6, 1), dt.date(2025, 6, 1)),
        Association("P1", "S2", K.CPOR, dt.date(2023, 1, 1)),
        workload=Workload.OFFICE_365,
        second_workload_sub=True,
    )
    found = unclaimed(ledger, "P1", start=YEAR[0], end=YEAR[1], catalog=())
    assert found.opportunities == ()
    assert found.blocked == ()


def test_cpor_claim_counts_seats() -> None:
    """A GDAP-only Office 365 subscription gets a CPOR claim with its peak seats."""
    ledger = _small(
        Association("P1", "S1", K.GDAP, dt.date(2023, 6, 1), dt.date(2025, 6, 1)),
        workload=Workload.OFFICE_365,
    )
    found = unclaimed(ledger, "P1", start=YEAR[0], end=YEAR[1], catalog=())
    (o,) = found.opportunities
    assert o.kind is K.CPOR
    assert (o.seats, o.active_users) == (50, 40)
    assert "Customer One" in o.action


# --------------------------------------------------------------------------------------------
# the law: never advise an action the rules forbid


def _working_days(
    ledger: Ledger, partner: str, sub: str, credited: tuple[K, ...]
) -> list[Association]:
    return [
        a for a in ledger.associations_of(sub) if a.partner_id == partner and a.kind not in credited
    ]


@given(ledger=ledgers(max_months=14), data=st.data())
def test_never_advises_a_forbidden_action(ledger: Ledger, data: st.DataObject) -> None:
    """Over generated ledgers, every suggestion is allowed by the rules of ledger and program."""
    span = ledger.months
    if span is None:
        return
    partner = data.draw(st.sampled_from([p.id for p in ledger.partners]))
    start, end = span[0], add_months(span[1], 1)
    found = unclaimed(ledger, partner, start=start, end=end, catalog=())
    event(f"opportunities: {min(len(found.opportunities), 3)}, blocked: {bool(found.blocked)}")
    for o in found.opportunities:
        assert isinstance(o, Opportunity)
        assert o.kind in ACTION_KINDS
        sub = ledger.subscription(o.subscription_id)
        credited = SOLUTIONS_PARTNER_2023.credited_kinds(sub.workload)
        assert o.kind in credited
        # never DAP/GDAP (not credited), never DPOR off Azure under the 2023 rules
        assert o.kind not in (K.DAP, K.GDAP)
        if o.kind is K.DPOR:
            assert sub.workload is Workload.AZURE
        # the ledger accepts them (no second DPOR, no CPOR clash, no duplicate)
        ledger.add(*o.associations)
        working = _working_days(ledger, partner, sub.id, credited)
        for a in o.associations:
            assert a.partner_id == partner
            assert start <= a.start < end
            # on its first day the partner had a working relationship and no credited kind
            assert any(w.in_effect_on(a.start) for w in working)
            held = [
                h
                for h in ledger.associations_of(sub.id)
                if h.partner_id == partner and h.kind in credited
            ]
            assert not any(h.in_effect_on(a.start) for h in held)
            others = [
                x
                for s in ledger.subscriptions_of(sub.customer_id)
                for x in ledger.associations_of(s.id)
                if x.partner_id != partner and x.kind is a.kind
            ]
            if a.kind is K.DPOR:
                assert not any(
                    x.subscription_id == sub.id and x.overlaps(a.start, a.end) for x in others
                )
            if a.kind is K.CPOR:
                assert not any(
                    ledger.subscription(x.subscription_id).workload is sub.workload
                    and x.overlaps(a.start, a.end)
                    for x in others
                )


# --------------------------------------------------------------------------------------------
# incentive earnings


def test_earnings_effect_equals_what_if_incentive() -> None:
    """Each earnings effect is what_if_incentive(add=the opportunity's associations)."""
    from partner_of_record.incentives import PARTNER_EARNED_CREDIT, what_if_incentive

    ledger = load_sample()
    found = _sample("4200517", incentives=[PARTNER_EARNED_CREDIT], catalog=())
    assert found.opportunities
    for o in found.opportunities[:2]:
        (effect,) = o.earnings
        diff = what_if_incentive(
            ledger,
            "4200517",
            PARTNER_EARNED_CREDIT,
            add=o.associations,
            start=YEAR[0],
            end=YEAR[1],
            skills=SAMPLE_SKILLS["4200517"],
        )
        assert effect.diff == diff
        assert effect.earned_delta == diff.earned_delta


def test_a_dpor_earns_the_azure_dpor_incentive() -> None:
    """Under a DPOR-only program the suggested DPOR earns the 2015 Azure incentive; it ranks."""
    from partner_of_record.incentives import azure_dpor_incentive, what_if_incentive

    only_dpor = CreditProgram(
        name="DPOR only",
        credited={Workload.AZURE: (K.DPOR,)},
        rules=MICROSOFT_2023,
        catalog=(),
        source="test",
        published=dt.date(2023, 10, 1),
    )
    months = [dt.date(2024, m, 1) for m in range(1, 13)]
    ledger = Ledger(
        partners=[Partner("P1")],
        customers=[Customer("C1")],
        subscriptions=[Subscription("S1", "C1", Workload.AZURE)],
        associations=[Association("P1", "S1", K.CSP_TIER1, dt.date(2023, 6, 1))],
        usage=[Usage("S1", m, Decimal("5000.00")) for m in months],
    )
    program = azure_dpor_incentive("0.05")
    found = unclaimed(
        ledger, "P1", start=YEAR[0], end=YEAR[1], program=only_dpor, incentives=[program]
    )
    (o,) = found.opportunities
    (effect,) = o.earnings
    diff = what_if_incentive(ledger, "P1", program, add=o.associations, start=YEAR[0], end=YEAR[1])
    assert effect.earned_before == 0
    assert effect.earned_after == diff.after.earned > 0
    assert o.earned_delta == effect.earned_delta
    assert "AZURE_DPOR_2015: earned US$0.00 -> " in found.explain()
    assert found.to_dict()["opportunities"][0]["earnings"][0]["earned_delta"] == str(
        effect.earned_delta
    )


def test_groups_take_each_kind_together() -> None:
    """Each kind's group sums its opportunities and its effect is what_if with all of them."""
    ledger = load_sample()
    found = _sample("4200517")
    assert {g.kind for g in found.groups} == {o.kind for o in found.opportunities}
    for group in found.groups:
        mine = [o for o in found.opportunities if o.kind is group.kind]
        assert group.subscriptions == tuple(o.subscription_id for o in mine)
        assert dict(group.amounts) == {
            "USD": sum((dict(o.amounts)["USD"] for o in mine), Decimal(0))
        }
        for effect in group.effects[:2]:
            diff = what_if(
                ledger,
                "4200517",
                effect.competency,
                as_of=YEAR[1],
                add=[a for o in mine for a in o.associations],
                skills=SAMPLE_SKILLS["4200517"],
            )
            assert effect.diff == diff
    pal = next(g for g in found.groups if g.kind is K.PAL)
    assert pal.describe().startswith(
        f"linking PAL on {len(pal.subscriptions)} subscriptions adds US$"
    )
    cpor = next(g for g in found.groups if g.kind is K.CPOR)
    assert f"{len(cpor.subscriptions)} CPOR claims add US$" in found.explain()
