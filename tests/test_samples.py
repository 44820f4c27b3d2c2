"""The bundled sample: well-formed, deterministic, within the program rules, and telling its story.

The story checks use a deliberately plain, slow computation written here (day-by-day proration
of each usage row over the days a partner has a counting association in effect), independent of
the attribution engine and the evaluator.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partner_of_record import (
    Actor,
    Association,
    AssociationKind,
    Ledger,
    OfferCategory,
    Workload,
)
from partner_of_record.model import month_days, month_end
from partner_of_record.rules import DPOR_WORKLOADS_2023, MICROSOFT_2023
from partner_of_record.samples import (
    SAMPLE_AS_OF,
    SAMPLE_SEED,
    SAMPLE_SKILLS,
    describe,
    load_sample,
)
from partner_of_record.samples._generate import Records, build

AZURE_KINDS = frozenset(
    {
        AssociationKind.DPOR,
        AssociationKind.PAL,
        AssociationKind.CSP_TIER1,
        AssociationKind.CSP_TIER2,
    }
)
"""The associations that count for Cloud Platform and the Azure designation metrics."""

SEED_DPOR_WORKLOADS = frozenset(
    {
        Workload.OFFICE_365,
        Workload.DYNAMICS_CRM_ONLINE,
        Workload.DYNAMICS_365,
        Workload.DYNAMICS_AX7,
        Workload.INTUNE,
        Workload.EMS,
        Workload.AZURE,
    }
)
"""The workloads the 2017 announcement lists for DPOR."""

MODERN_WORK = frozenset({Workload.OFFICE_365, Workload.MICROSOFT_365})
"""The seat workloads whose active users the Modern Work usage metric counts (here)."""

DEC_2023 = dt.date(2023, 12, 1)
DEC_2024 = dt.date(2024, 12, 1)
NOV_2023 = dt.date(2023, 11, 1)
NOV_2024 = dt.date(2024, 11, 1)


def _days(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    day = start
    while day < end:
        yield day
        day += dt.timedelta(days=1)


def _pid(ledger: Ledger, name: str) -> str:
    (partner,) = [p for p in ledger.partners if p.name.startswith(name)]
    return partner.id


class Azure:
    """Credited Azure ACR per (partner, customer, month, service), prorated by day.

    A partner is credited with a usage row's amount times the share of the month's days on
    which it has at least one counting association (DPOR, PAL, CSP tier 1 or 2) in effect on
    the subscription; several such associations of one partner still credit it once.
    """

    def __init__(self, ledger: Ledger, *, standard_only: bool) -> None:
        self.credit: dict[tuple[str, str, dt.date, str | None], Decimal] = defaultdict(Decimal)
        subs = {s.id: s for s in ledger.subscriptions}
        links: dict[str, list[Association]] = defaultdict(list)
        for a in ledger.associations:
            if a.kind in AZURE_KINDS:
                links[a.subscription_id].append(a)
        for u in ledger.usage:
            sub = subs[u.subscription_id]
            if sub.workload is not Workload.AZURE:
                continue
            if standard_only and sub.offer is not OfferCategory.STANDARD:
                continue
            for partner in {a.partner_id for a in links[sub.id]}:
                days = sum(
                    1
                    for day in _days(u.month, month_end(u.month))
                    if any(a.partner_id == partner and a.in_effect_on(day) for a in links[sub.id])
                )
                if days:
                    key = (partner, sub.customer_id, u.month, u.service)
                    self.credit[key] += u.amount * days / month_days(u.month)

    def total(self, partner: str, first: dt.date, end: dt.date) -> Decimal:
        """Credited ACR of ``partner`` in the months ``first <= month < end``."""
        return sum(
            (v for (p, _, m, _), v in self.credit.items() if p == partner and first <= m < end),
            Decimal(0),
        )

    def month(self, partner: str, month: dt.date) -> Decimal:
        """Credited ACR of ``partner`` in one month."""
        return self.total(partner, month, month_end(month))

    def eligible_customers(self, partner: str, months: Iterable[dt.date]) -> set[str]:
        """Customers with at least US$1,000 credited ACR in one of ``months``."""
        per: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
        wanted = set(months)
        for (p, customer, m, _), v in self.credit.items():
            if p == partner and m in wanted:
                per[customer, m] += v
        return {customer for (customer, _), v in per.items() if v >= 1000}

    def services(self, partner: str, first: dt.date, end: dt.date) -> set[str]:
        """Distinct non-VM services with credited ACR above zero in ``[first, end)``."""
        return {
            s
            for (p, _, m, s), v in self.credit.items()
            if p == partner and first <= m < end and v > 0 and s and s != "Virtual Machines"
        }


def _infrastructure_points(azure: Azure, partner: str) -> dict[str, Decimal]:
    """Solutions Partner for Infrastructure (Azure) points, the 2023 rules, as of SAMPLE_AS_OF."""
    skills = SAMPLE_SKILLS[partner]
    now = azure.eligible_customers(partner, (NOV_2024, DEC_2024))
    before = azure.eligible_customers(partner, (NOV_2023, DEC_2023))
    net_adds = len(now) - len(before)
    base, last = azure.month(partner, DEC_2023), azure.month(partner, DEC_2024)
    growth = (last - base) * 100 / base if base >= 1000 else Decimal(0)
    services = azure.services(partner, dt.date(2024, 1, 1), SAMPLE_AS_OF)
    return {
        "net_customer_adds": Decimal(min(30, max(0, 10 * net_adds))),
        "intermediate": Decimal(min(20, 4 * skills["intermediate_certifications"])),
        "advanced": Decimal(min(20, 4 * skills["advanced_certifications"])),
        "usage_growth": min(Decimal(20), max(Decimal(0), growth)),
        "deployments": Decimal(min(10, 2 * len(services))),
    }


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    """The bundled sample ledger."""
    return load_sample()


@pytest.fixture(scope="module", params=[True, False], ids=["standard-offers", "all-offers"])
def azure(request: pytest.FixtureRequest, ledger: Ledger) -> Azure:
    """Credited Azure, once excluding non-standard offers (as the designations do), once not."""
    return Azure(ledger, standard_only=request.param)


# --------------------------------------------------------------------------------------------
# shape


def test_sample_has_the_advertised_size(ledger: Ledger) -> None:
    """The sample has 3-5 partners, about 20 customers and about 50 subscriptions."""
    assert 3 <= len(ledger.partners) <= 5
    assert 18 <= len(ledger.customers) <= 25
    assert 40 <= len(ledger.subscriptions) <= 60
    assert {s.customer_id for s in ledger.subscriptions} == {c.id for c in ledger.customers}


def test_usage_covers_24_months_before_the_as_of_day(ledger: Ledger) -> None:
    """Usage runs from January 2023 to December 2024, the month before SAMPLE_AS_OF."""
    months = {u.month for u in ledger.usage}
    assert min(months) == dt.date(2023, 1, 1)
    assert max(months) == DEC_2024
    assert len(months) == 24
    assert month_end(max(months)) == SAMPLE_AS_OF


def test_amounts_are_positive_usd_decimals_with_cents(ledger: Ledger) -> None:
    """Every amount is a positive Decimal in USD with exactly two decimals (never a float)."""
    for u in ledger.usage:
        assert type(u.amount) is Decimal
        assert u.currency == "USD"
        assert u.amount > 0
        assert u.amount.as_tuple().exponent == -2, u.describe()


def test_one_row_per_subscription_month_and_service(ledger: Ledger) -> None:
    """Usage has one row per (subscription, month, service), seats one per (subscription, month)."""
    assert len({u.key for u in ledger.usage}) == len(ledger.usage)
    assert len({s.key for s in ledger.seats}) == len(ledger.seats)


def test_azure_subscriptions_have_several_services(ledger: Ledger) -> None:
    """Azure usage is itemised by service, with several services per standard subscription."""
    azure = {s.id for s in ledger.subscriptions if s.workload is Workload.AZURE}
    services: dict[str, set[str | None]] = defaultdict(set)
    for u in ledger.usage:
        if u.subscription_id in azure:
            services[u.subscription_id].add(u.service)
    assert None not in set().union(*services.values())
    assert sum(len(v) >= 3 for v in services.values()) >= len(azure) // 2
    assert {"Azure SQL Database", "Azure Kubernetes Service", "Azure OpenAI"} <= set().union(
        *services.values()
    )


def test_per_seat_workloads_have_monthly_seat_records(ledger: Ledger) -> None:
    """Every non-Azure subscription has a seat record for each month it has usage."""
    seat_keys = {s.key for s in ledger.seats}
    workloads = {s.id: s.workload for s in ledger.subscriptions}
    for u in ledger.usage:
        if workloads[u.subscription_id] is not Workload.AZURE:
            assert (u.subscription_id, u.month) in seat_keys
    for s in ledger.seats:
        assert workloads[s.subscription_id] is not Workload.AZURE
        assert 0 <= s.active_users <= s.paid_seats


def test_load_sample_is_deterministic_and_shared(ledger: Ledger) -> None:
    """The records are the same on every build, and load_sample returns the one shared ledger."""
    assert build(SAMPLE_SEED) == build(SAMPLE_SEED)
    assert load_sample() is ledger
    assert tuple(ledger.usage) == build(SAMPLE_SEED).usage


def test_the_seed_only_moves_amounts_not_the_scenario() -> None:
    """Another seed changes the amounts but not the partners, subscriptions or associations."""
    a, b = build(SAMPLE_SEED), build(SAMPLE_SEED + 1)
    assert (a.partners, a.customers, a.subscriptions, a.associations) == (
        b.partners,
        b.customers,
        b.subscriptions,
        b.associations,
    )
    assert [u.key for u in a.usage] == [u.key for u in b.usage]
    assert [u.amount for u in a.usage] != [u.amount for u in b.usage]


def test_skills_and_story_cover_every_partner(ledger: Ledger) -> None:
    """SAMPLE_SKILLS and describe() have an entry for every sample partner and only those."""
    assert set(SAMPLE_SKILLS) == {p.id for p in ledger.partners}
    for counts in SAMPLE_SKILLS.values():
        assert set(counts) == {"intermediate_certifications", "advanced_certifications"}
        assert all(isinstance(n, int) and n >= 0 for n in counts.values())
    text = describe()
    for p in ledger.partners:
        assert f"{p.id} {p.name}:" in text


# --------------------------------------------------------------------------------------------
# the program rules, checked here by hand


def _rule_violations(records: Records) -> list[str]:
    """Every breach of the program rules in ``records``, by a plain day-by-day check."""
    subs = {s.id: s for s in records.subscriptions}
    problems = []
    for a in records.associations:
        sub = subs[a.subscription_id]
        if a.kind in {AssociationKind.DAP, AssociationKind.GDAP} and (
            sub.workload is Workload.AZURE
        ):
            problems.append(f"{a.describe()}: DAP/GDAP on Azure")
        if a.kind is AssociationKind.GDAP and (a.end is None or (a.end - a.start).days > 730):
            problems.append(f"{a.describe()}: GDAP without an end or longer than 2 years")
        if a.kind is AssociationKind.DPOR and sub.workload not in SEED_DPOR_WORKLOADS:
            problems.append(f"{a.describe()}: DPOR on {sub.workload.name}")
        if a.kind in {AssociationKind.DPOR, AssociationKind.DAP, AssociationKind.GDAP} and (
            a.granted_by not in {None, Actor.CUSTOMER}
        ):
            problems.append(f"{a.describe()}: not granted by the customer")
    last = SAMPLE_AS_OF + dt.timedelta(days=400)
    dpor: dict[tuple[str, dt.date], set[str]] = defaultdict(set)
    cpor: dict[tuple[str, Workload, dt.date], set[str]] = defaultdict(set)
    for a in records.associations:
        for day in _days(a.start, a.end or last):
            if a.kind is AssociationKind.DPOR:
                dpor[a.subscription_id, day].add(a.partner_id)
            if a.kind is AssociationKind.CPOR:
                sub = subs[a.subscription_id]
                cpor[sub.customer_id, sub.workload, day].add(a.partner_id)
    problems.extend(f"two DPORs on {k}" for k, v in dpor.items() if len(v) > 1)
    problems.extend(f"two CPORs on {k}" for k, v in cpor.items() if len(v) > 1)
    partners = {p.id for p in records.partners}
    problems.extend(
        f"{a.describe()}: unknown partner or subscription"
        for a in records.associations
        if a.partner_id not in partners or a.subscription_id not in subs
    )
    return problems


def test_sample_follows_the_program_rules() -> None:
    """No overlapping DPOR or CPOR, no DAP/GDAP on Azure, GDAP bounded, DPOR on seed workloads."""
    assert _rule_violations(build(SAMPLE_SEED)) == []


def test_the_ledger_accepts_the_sample_without_findings(ledger: Ledger) -> None:
    """Building the Ledger with its default rules raises nothing and reports no warning."""
    assert ledger.findings == ()


def test_only_dpors_outside_the_2023_faq_list_break_the_2023_rules(ledger: Ledger) -> None:
    """Under MICROSOFT_2023 (DPOR on the FAQ's workloads) exactly the other DPORs are refused,
    and the sample's Microsoft 365 workload DPORs are kept."""
    records = build(SAMPLE_SEED)
    result = Ledger.lenient(
        partners=records.partners,
        customers=records.customers,
        subscriptions=records.subscriptions,
        associations=records.associations,
        usage=records.usage,
        seats=records.seats,
        rules=MICROSOFT_2023,
    )
    non_azure_dpors = {
        a
        for a in records.associations
        if a.kind is AssociationKind.DPOR
        and ledger.subscription(a.subscription_id).workload is not Workload.AZURE
    }
    assert non_azure_dpors
    outside = {
        a
        for a in non_azure_dpors
        if ledger.subscription(a.subscription_id).workload not in DPOR_WORKLOADS_2023
    }
    assert {r.record for r in result.rejected} == outside
    assert non_azure_dpors - outside <= set(result.ledger.associations)


@settings(max_examples=5)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_any_seed_gives_well_formed_records(seed: int) -> None:
    """Whatever the seed, amounts are positive cents and active users never exceed paid seats."""
    records = build(seed)
    assert all(u.amount > 0 and u.amount.as_tuple().exponent == -2 for u in records.usage)
    assert all(0 <= s.active_users <= s.paid_seats for s in records.seats)
    assert len({u.key for u in records.usage}) == len(records.usage)


# --------------------------------------------------------------------------------------------
# the scenario has every feature it promises


def test_dpor_changes_mid_month(ledger: Ledger) -> None:
    """Some DPOR ends on a day inside a month, the day the subscription's next DPOR starts."""
    handovers: list[tuple[Association, Association]] = []
    for sub in ledger.subscriptions:
        dpors = [a for a in ledger.associations_of(sub.id) if a.kind is AssociationKind.DPOR]
        handovers.extend(
            (old, new)
            for old in dpors
            for new in dpors
            if old.end is not None and new.start == old.end and old.end.day != 1
        )
    assert len(handovers) >= 2
    assert any(new.partner_id != old.partner_id for old, new in handovers)


def test_every_kind_of_link_appears_where_it_belongs(ledger: Ledger) -> None:
    """PAL on Azure, CSP tiers and transacting partners, DAP/GDAP on O365/D365, CPOR on M365."""
    workload = {s.id: s.workload for s in ledger.subscriptions}
    seen = {(a.kind, workload[a.subscription_id]) for a in ledger.associations}
    assert (AssociationKind.PAL, Workload.AZURE) in seen
    assert (AssociationKind.CSP_TIER1, Workload.AZURE) in seen
    assert (AssociationKind.CSP_TIER2, Workload.AZURE) in seen
    assert (AssociationKind.TRANSACTING, Workload.AZURE) in seen
    assert (AssociationKind.DAP, Workload.OFFICE_365) in seen
    assert (AssociationKind.GDAP, Workload.OFFICE_365) in seen
    assert {
        (AssociationKind.DAP, Workload.DYNAMICS_365),
        (AssociationKind.GDAP, Workload.DYNAMICS_365),
    } <= seen
    assert (AssociationKind.CPOR, Workload.MICROSOFT_365) in seen
    assert {a.kind for a in ledger.associations} == set(AssociationKind)


def test_some_usage_has_no_partner_at_all(ledger: Ledger) -> None:
    """Several subscriptions with usage never have any association."""
    linked = {a.subscription_id for a in ledger.associations}
    orphans = {u.subscription_id for u in ledger.usage} - linked
    assert len(orphans) >= 3
    assert any(ledger.subscription(s).workload is Workload.AZURE for s in orphans)


def test_non_standard_offers_are_present(ledger: Ledger) -> None:
    """Trial, internal, support and benefit-program offers each appear on an Azure subscription."""
    offers = {s.offer for s in ledger.subscriptions if s.workload is Workload.AZURE}
    assert offers == set(OfferCategory)


def _monthly_by_customer(ledger: Ledger) -> dict[tuple[str, dt.date], Decimal]:
    subs = {s.id: s for s in ledger.subscriptions}
    out: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
    for u in ledger.usage:
        out[subs[u.subscription_id].customer_id, u.month] += u.amount
    return out


def test_a_customer_churns(ledger: Ledger) -> None:
    """A customer with usage in December 2023 has none at all from June 2024 on."""
    monthly = _monthly_by_customer(ledger)
    still_there = {customer for customer, m in monthly if m >= dt.date(2024, 6, 1)}
    churned = [c.id for c in ledger.customers if (c.id, DEC_2023) in monthly]
    assert set(churned) - still_there


def test_a_customer_grows_strongly(ledger: Ledger) -> None:
    """A customer's December 2024 consumption is at least five times its December 2023 one."""
    monthly = _monthly_by_customer(ledger)
    assert any(
        monthly.get((c.id, DEC_2024), 0) >= 5 * monthly.get((c.id, DEC_2023), Decimal("Infinity"))
        for c in ledger.customers
    )


# --------------------------------------------------------------------------------------------
# the story


def test_contoso_attains_cloud_platform_gold(ledger: Ledger, azure: Azure) -> None:
    """Contoso is credited at least US$100,000 of Azure over the trailing 12 months."""
    contoso = _pid(ledger, "Contoso")
    assert azure.total(contoso, dt.date(2024, 1, 1), SAMPLE_AS_OF) >= 100_000


@pytest.mark.parametrize("name", ["Fabrikam", "Litware"])
def test_silver_partners_land_between_15k_and_100k(ledger: Ledger, azure: Azure, name: str) -> None:
    """Fabrikam and Litware are credited US$15,000-100,000 of Azure: silver, not gold."""
    total = azure.total(_pid(ledger, name), dt.date(2024, 1, 1), SAMPLE_AS_OF)
    assert 15_000 <= total < 100_000


@pytest.mark.parametrize("name", ["Relecloud", "Tailspin"])
def test_other_partners_miss_cloud_platform(ledger: Ledger, azure: Azure, name: str) -> None:
    """Relecloud and Tailspin are credited less than US$15,000 of Azure in 2024."""
    assert azure.total(_pid(ledger, name), dt.date(2024, 1, 1), SAMPLE_AS_OF) < 15_000


def test_contoso_qualifies_for_infrastructure(ledger: Ledger, azure: Azure) -> None:
    """Contoso scores at least 70 points with every Azure Infrastructure metric above zero."""
    points = _infrastructure_points(azure, _pid(ledger, "Contoso"))
    assert all(v > 0 for v in points.values()), points
    assert sum(points.values()) >= 70


def test_fabrikam_misses_infrastructure_only_on_growth(ledger: Ledger, azure: Azure) -> None:
    """Fabrikam has enough points, but its usage growth is negative, so that metric scores 0."""
    fabrikam = _pid(ledger, "Fabrikam")
    points = _infrastructure_points(azure, fabrikam)
    assert azure.month(fabrikam, DEC_2024) < azure.month(fabrikam, DEC_2023)
    assert points["usage_growth"] == 0
    assert all(v > 0 for k, v in points.items() if k != "usage_growth"), points
    assert sum(points.values()) >= 70


def test_litware_misses_infrastructure_on_skilling(ledger: Ledger, azure: Azure) -> None:
    """Litware's Azure metrics all score, but with no certified people skilling scores 0."""
    points = _infrastructure_points(azure, _pid(ledger, "Litware"))
    assert points["intermediate"] == points["advanced"] == 0
    assert points["net_customer_adds"] > 0
    assert points["usage_growth"] > 0
    assert points["deployments"] > 0


def test_relecloud_fails_everything(ledger: Ledger, azure: Azure) -> None:
    """Relecloud has no net customer adds, and far fewer than 70 points."""
    points = _infrastructure_points(azure, _pid(ledger, "Relecloud"))
    assert points["net_customer_adds"] == 0
    assert sum(points.values()) < 70


def _enterprise_tenants(ledger: Ledger, partner: str, month: dt.date) -> set[str]:
    """Tenants where ``partner`` holds CPOR or DPOR on a workload with more than 300 paid seats."""
    subs = {s.id: s for s in ledger.subscriptions}
    last_day = month_end(month) - dt.timedelta(days=1)
    tenants = set()
    for seats in ledger.seats:
        if seats.month != month or seats.paid_seats <= 300:
            continue
        if any(
            a.partner_id == partner
            and a.kind in {AssociationKind.CPOR, AssociationKind.DPOR}
            and a.in_effect_on(last_day)
            for a in ledger.associations_of(seats.subscription_id)
        ):
            tenants.add(subs[seats.subscription_id].customer_id)
    return tenants


def test_tailspin_is_a_growing_modern_work_partner(ledger: Ledger) -> None:
    """Tailspin holds CPOR/DPOR on 5+ enterprise tenants (> 300 seats), 3 more than a year ago."""
    tailspin = _pid(ledger, "Tailspin")
    now = _enterprise_tenants(ledger, tailspin, DEC_2024)
    before = _enterprise_tenants(ledger, tailspin, DEC_2023)
    assert len(now) >= 5
    assert len(now) - len(before) >= 3
    for other in ledger.partners:
        if other.id != tailspin:
            assert len(_enterprise_tenants(ledger, other.id, DEC_2024)) < 2


def test_tailspin_cpor_tenants_are_active_and_growing(ledger: Ledger) -> None:
    """Via CPOR on enterprise M365 seats Tailspin adds 750+ active users; 3 tenants 40 % active."""
    tailspin = _pid(ledger, "Tailspin")
    seats = {(s.subscription_id, s.month): s for s in ledger.seats}
    growth = 0
    deployed = set()
    for a in ledger.associations:
        if a.partner_id != tailspin or a.kind is not AssociationKind.CPOR:
            continue
        if ledger.subscription(a.subscription_id).workload not in MODERN_WORK:
            continue
        last = seats.get((a.subscription_id, DEC_2024))
        if last is None or last.paid_seats <= 300 or not a.in_effect_on(SAMPLE_AS_OF):
            continue
        since = max(DEC_2023, a.start.replace(day=1))  # growth counts from the association on
        growth += last.active_users - seats[a.subscription_id, since].active_users
        if last.active_users * 100 >= 40 * last.paid_seats:
            deployed.add(ledger.subscription(a.subscription_id).customer_id)
    assert growth >= 750
    assert len(deployed) >= 3


def test_tailspin_has_cloud_productivity_silver_entitlements(ledger: Ledger) -> None:
    """Tailspin's DPOR/CSP/DAP-credited O365/M365 active users peak between 2,000 and 4,000."""
    tailspin = _pid(ledger, "Tailspin")
    kinds = {
        AssociationKind.DPOR,
        AssociationKind.TRANSACTING,
        AssociationKind.CSP_TIER1,
        AssociationKind.CSP_TIER2,
        AssociationKind.DAP,
    }
    peak: dict[str, int] = defaultdict(int)
    for s in ledger.seats:
        if s.month.year != 2024:
            continue
        if ledger.subscription(s.subscription_id).workload not in MODERN_WORK:
            continue
        last_day = month_end(s.month) - dt.timedelta(days=1)
        if any(
            a.partner_id == tailspin and a.kind in kinds and a.in_effect_on(last_day)
            for a in ledger.associations_of(s.subscription_id)
        ):
            peak[s.subscription_id] = max(peak[s.subscription_id], s.active_users)
    assert 2_000 <= sum(peak.values()) < 4_000
