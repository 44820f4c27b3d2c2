"""The requirement algebra and the measures, evaluated against contexts built from rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from partner_of_record import AssociationKind, OfferCategory, ValidationError, Workload
from partner_of_record.evaluation import (
    AcrCustomers,
    AcrGrowth,
    AcrRow,
    AcrScope,
    AllOf,
    AnyOf,
    AtLeast,
    BestOf,
    CreditedAcr,
    DistinctCustomers,
    DistinctServices,
    Gate,
    Intersection,
    MeasurementContext,
    NetCustomerAdds,
    PointsSum,
    Scorecard,
    Scored,
    SeatCustomers,
    SeatGrowth,
    SeatRow,
    SeatScope,
    SeatTotal,
    Shifted,
    SkillCount,
    Trailing,
)

AS_OF = dt.date(2024, 7, 15)  # measurement month: June 2024
KINDS = [AssociationKind.DPOR]
SCOPE = AcrScope(KINDS)


def month(year: int, mon: int) -> dt.date:
    return dt.date(year, mon, 1)


def acr(
    customer: str,
    when: dt.date,
    usd: str | int,
    *,
    service: str | None = "Storage",
    offer: OfferCategory = OfferCategory.STANDARD,
    workload: Workload = Workload.AZURE,
) -> AcrRow:
    return AcrRow(customer, f"S-{customer}", workload, when, service, Decimal(usd), offer)


def seat(
    customer: str, when: dt.date, paid: int, active: int, workload: Workload = Workload.OFFICE_365
) -> SeatRow:
    return SeatRow(customer, f"S-{customer}-{workload.value}", workload, when, paid, active)


def ctx(*rows: AcrRow, seats: tuple[SeatRow, ...] = (), skills: dict[str, int] | None = None):
    return MeasurementContext.from_rows("P1", AS_OF, acr=rows, seats=seats, skills=skills)


def consumption(threshold: int = 15_000) -> AtLeast:
    return AtLeast("azure_consumption", CreditedAcr(AcrScope(KINDS, offers=None)), threshold)


# ------------------------------------------------------------------------------- AtLeast


def test_at_least_met_exactly_at_threshold() -> None:
    """Credited consumption exactly at the threshold meets it, with no shortfall."""
    result = consumption().evaluate(ctx(acr("C1", month(2024, 6), "15000.00")))
    assert result.met
    assert result.measured == Decimal("15000.00")
    assert result.shortfall == 0


def test_at_least_one_cent_below_is_not_met() -> None:
    """One cent below the threshold is not met and the shortfall is that cent."""
    result = consumption().evaluate(ctx(acr("C1", month(2024, 6), "14999.99")))
    assert not result.met
    assert result.shortfall == Decimal("0.01")
    assert "short" in result.reason


def test_window_edges_count_first_month_not_the_one_before() -> None:
    """The trailing 12 months are July 2023..June 2024: June 2023 and July 2024 are outside."""
    inside = [acr("C1", month(2023, 7), 100), acr("C1", month(2024, 6), 200)]
    outside = [acr("C1", month(2023, 6), 10_000), acr("C1", month(2024, 7), 10_000)]
    result = consumption().evaluate(ctx(*inside, *outside))
    assert result.measured == Decimal(300)


def test_as_of_first_of_month_measures_previous_month() -> None:
    """As of 2024-07-01 the measurement month is still June 2024."""
    c = MeasurementContext.from_rows("P1", dt.date(2024, 7, 1))
    assert c.month == month(2024, 6)


def test_scope_filters_workload_offer_and_services() -> None:
    """Only Azure rows of counted offers and services are summed; excluded services never."""
    scope = AcrScope(KINDS, services=["storage", "SQL"], exclude_services=["sql"])
    rows = [
        acr("C1", month(2024, 6), 1, service="STORAGE"),
        acr("C1", month(2024, 6), 10, service="Sql"),
        acr("C1", month(2024, 6), 100, service="Other"),
        acr("C1", month(2024, 6), 1000, offer=OfferCategory.TRIAL),
        acr("C1", month(2024, 6), 10_000, workload=Workload.OFFICE_365),
    ]
    measured = CreditedAcr(scope).measure(ctx(*rows))
    assert measured.value == Decimal(1)


# ------------------------------------------------------------------------------- Scored


@pytest.mark.parametrize(
    ("value", "points"),
    [
        (Decimal("-5"), Decimal("0.00")),
        (Decimal("0"), Decimal("0.00")),
        (Decimal("12.5"), Decimal("12.50")),
        (Decimal("20"), Decimal("20.00")),
        (Decimal("35"), Decimal("20.00")),
    ],
)
def test_scored_is_pro_rata_capped_and_never_negative(value: Decimal, points: Decimal) -> None:
    """Points are value x per_unit, clipped to [0, cap], rounded to cents."""
    metric = Scored("usage_growth", SkillCount("x"), 20, per_unit=1)
    assert metric.points_for(value) == points


def test_scored_full_at_is_exact() -> None:
    """ "Full at 6, cap 40" gives 3 people exactly 20 points, not 3 x 6.67 = 20.01."""
    metric = Scored(
        "intermediate_certifications", SkillCount("intermediate_certifications"), 40, full_at=6
    )
    result = metric.evaluate(ctx(skills={"intermediate_certifications": 3}))
    assert result.points == Decimal("20.00")
    assert result.threshold == 6
    assert (result.met, result.shortfall, result.to_full_points) == (True, 0, 3)


def test_scored_rounds_half_even() -> None:
    """Points round to 2 decimals half to even: 0.125 -> 0.12, 0.135 -> 0.14."""
    metric = Scored("m", SkillCount("x"), 100, per_unit=Decimal("0.001"))
    assert metric.points_for(Decimal(125)) == Decimal("0.12")
    assert metric.points_for(Decimal(135)) == Decimal("0.14")


def test_scored_needs_exactly_one_rate() -> None:
    """A scored metric with both or neither of per_unit and full_at is refused."""
    with pytest.raises(ValidationError, match="exactly one"):
        Scored("m", SkillCount("x"), 10)
    with pytest.raises(ValidationError, match="exactly one"):
        Scored("m", SkillCount("x"), 10, per_unit=1, full_at=2)


def test_missing_skills_input_is_zero_with_finding() -> None:
    """A skills metric with no count scores 0 and says MISSING_SKILLS_INPUT."""
    result = Scored(
        "advanced_certifications", SkillCount("advanced_certifications"), 20, per_unit=4
    ).evaluate(ctx())
    assert result.points == 0
    assert [f.code for f in result.findings] == ["MISSING_SKILLS_INPUT"]


# ------------------------------------------------------------------------------- measures


def test_usage_growth_percent_and_explanation() -> None:
    """(ACR(m) - ACR(m-12)) x 100 / ACR(m-12): 11,250 vs 10,000 is 12.5 %."""
    metric = Scored("usage_growth", AcrGrowth(SCOPE, minimum_usd=1000), 20, per_unit=1)
    result = metric.evaluate(
        ctx(acr("C1", month(2023, 6), 10_000), acr("C1", month(2024, 6), 11_250))
    )
    assert result.measured == Decimal("12.5")
    assert result.points == Decimal("12.50")
    assert (result.met, result.shortfall, result.to_full_points) == (True, 0, Decimal("7.5"))
    assert result.summary() == (
        "usage_growth: 12.5 % (ACR 2024-06 US$11,250.00 vs 2023-06 US$10,000.00) "
        "-> 12.50 of 20 points; to score: above 0 %, met; to full points: 7.5 % more"
    )


def test_usage_growth_without_baseline_is_undefined() -> None:
    """No ACR in m-12: growth is undefined, scores 0, finding NO_BASELINE."""
    metric = Scored("usage_growth", AcrGrowth(SCOPE), 20, per_unit=1)
    result = metric.evaluate(ctx(acr("C1", month(2024, 6), 5000)))
    assert result.measured is None
    assert result.points == 0
    assert "NO_BASELINE" in [f.code for f in result.findings]
    assert "usage growth undefined: no baseline" in result.findings[0].message


def test_usage_growth_needs_minimum_trailing_acr() -> None:
    """Growth counts only with >= US$1,000 credited over the trailing 12 months."""
    metric = Scored("usage_growth", AcrGrowth(SCOPE, minimum_usd=1000), 20, per_unit=1)
    low = metric.evaluate(ctx(acr("C1", month(2023, 6), 100), acr("C1", month(2024, 6), "999.99")))
    enough = metric.evaluate(ctx(acr("C1", month(2023, 6), 100), acr("C1", month(2024, 6), 1000)))
    assert low.points == 0
    assert [f.code for f in low.findings] == ["BELOW_MINIMUM_ACR"]
    assert enough.points == 20


def test_net_customer_adds_any_of_last_two_months() -> None:
    """Eligible: >= US$1,000 in m or m-1; net adds = eligible at m minus at m-12."""
    rule = AcrCustomers(SCOPE, Trailing(2), 1000, basis="any_month")
    rows = [
        acr("A", month(2024, 5), 1000),  # eligible now via m-1
        acr("B", month(2024, 6), 999),  # not eligible (below)
        acr("B", month(2024, 5), 999),  # two months below do not add up
        acr("C", month(2024, 6), 5000),  # eligible now and a year ago
        acr("C", month(2023, 5), 5000),
        acr("D", month(2023, 6), 2000),  # eligible a year ago only
        acr("E", month(2024, 4), 9000),  # outside the 2 months
    ]
    measured = NetCustomerAdds((rule,)).measure(ctx(*rows))
    assert measured.value == Decimal(0)  # {A, C} now vs {C, D} then
    assert measured.customers == ("A", "C")


def test_net_customer_adds_negative_scores_zero_with_finding() -> None:
    """Fewer eligible customers than a year earlier scores 0 (none below zero)."""
    rule = AcrCustomers(SCOPE, Trailing(2), 1000, basis="any_month")
    metric = Scored("net_customer_adds", NetCustomerAdds((rule,)), 30, per_unit=10)
    result = metric.evaluate(ctx(acr("D", month(2023, 6), 2000)))
    assert result.measured == Decimal(-1)
    assert result.points == 0
    assert [f.code for f in result.findings] == ["NEGATIVE_NET_ADDS"]


def test_distinct_services_excludes_virtual_machines_case_insensitively() -> None:
    """Deployments count distinct services with ACR > 0, never (virtual machines)."""
    scope = AcrScope(KINDS, exclude_services=["Virtual Machines", "Virtual Machines Licenses"])
    rows = [
        acr("A", month(2024, 1), 10, service="Azure SQL Database"),
        acr("B", month(2024, 2), 10, service="azure sql database"),
        acr("A", month(2024, 3), 10, service="VIRTUAL MACHINES"),
        acr("A", month(2024, 3), 10, service="virtual machines licenses"),
        acr("A", month(2024, 3), 10, service="Storage"),
        acr("A", month(2024, 4), -10, service="Storage"),  # nets to 0: not counted
        acr("A", month(2023, 6), 10, service="Functions"),  # outside the window
        acr("A", month(2024, 5), 10, service=None),
    ]
    measured = DistinctServices(scope).measure(ctx(*rows))
    assert measured.value == Decimal(1)
    assert [f.code for f in measured.findings] == ["SERVICE_UNKNOWN"]


def test_seat_measures_segment_share_and_growth() -> None:
    """Seat rules apply the paid-seat segment, the active share and growth since association."""
    scope = SeatScope(KINDS, [Workload.OFFICE_365], value="paid_seats", min_paid_seats=301)
    users = SeatScope(KINDS, [Workload.OFFICE_365], value="active_users", min_paid_seats=301)
    seats = (
        seat("A", month(2024, 6), 400, 200),  # enterprise, 50 % active
        seat("B", month(2024, 6), 400, 100),  # enterprise, 25 % active
        seat("C", month(2024, 6), 300, 300),  # SMB-sized: out of the segment
        seat("A", month(2023, 6), 400, 50),  # baseline a year earlier
        seat("B", month(2024, 3), 400, 80),  # B first credited in March: baseline 80
    )
    c = ctx(seats=seats)
    deployments = DistinctCustomers(
        (SeatCustomers(scope, min_active_share=Decimal("0.4")),)
    ).measure(c)
    assert deployments.customers == ("A",)
    assert SeatTotal(scope).measure(c).value == 800
    assert SeatGrowth(users).measure(c).value == (200 - 50) + (100 - 80)
    assert SeatGrowth(users, since_association=False).measure(c).value == (200 - 50) + 100


def test_seat_total_new_customers_only() -> None:
    """New customers are credited in the window and in none of the 12 months before."""
    scope = SeatScope(KINDS, [Workload.OFFICE_365], value="paid_seats")
    seats = (
        seat("OLD", month(2023, 1), 10, 0),
        seat("OLD", month(2024, 6), 50, 0),
        seat("NEW", month(2024, 2), 30, 0),
        seat("NEW", month(2024, 5), 20, 0),
    )
    c = ctx(seats=seats)
    assert SeatTotal(scope, Trailing(12), "peak", new_only=True).measure(c).value == 30
    assert SeatTotal(scope, Trailing(12), "peak").measure(c).value == 80


def test_shifted_and_intersection_rules() -> None:
    """Shifted applies a rule a year earlier; Intersection keeps keys every rule accepts."""
    scope = SeatScope(KINDS, [Workload.POWER_APPS], value="mcv", mcv_rates={"power_apps": 200})
    big = SeatCustomers(scope, min_value=5000, strict=True, pairs=True)
    seats = (
        seat("A", month(2024, 6), 0, 26, Workload.POWER_APPS),  # 5,200 MCV
        seat("A", month(2023, 6), 0, 30, Workload.POWER_APPS),
        seat("B", month(2024, 6), 0, 30, Workload.POWER_APPS),
        seat("B", month(2023, 6), 0, 25, Workload.POWER_APPS),  # exactly 5,000: not above
    )
    c = ctx(seats=seats)
    keys = Intersection((big, Shifted(big, 12))).customers(c, c.month)
    assert keys == frozenset({("A", "power_apps")})


# ------------------------------------------------------------------------------- composites


def _metric(name: str, people: str) -> Scored:
    return Scored(name, SkillCount(people), 50, per_unit=10)


def test_scorecard_needs_minimum_and_every_metric_above_zero() -> None:
    """A scorecard is met at its minimum total only when every metric scores above 0."""
    card = Scorecard("score", [_metric("a", "a"), _metric("b", "b")], 70)
    assert card.evaluate(ctx(skills={"a": 4, "b": 3})).met
    short = card.evaluate(ctx(skills={"a": 4, "b": 2}))
    assert not short.met
    assert short.shortfall == Decimal("10.00")
    zero = card.evaluate(ctx(skills={"a": 10, "b": 0}))
    assert zero.points == 50
    assert not zero.met
    assert "b scores 0 (0 people" in zero.reason
    assert "needs at least 1 person to score" in zero.reason
    lenient = Scorecard(
        "score", [_metric("a", "a"), _metric("b", "b")], 50, every_metric_positive=False
    )
    assert lenient.evaluate(ctx(skills={"a": 10, "b": 0})).met


def test_scorecard_refuses_unscored_metrics() -> None:
    """A scorecard of an unscored requirement is a misuse, reported by name."""
    card = Scorecard("score", [consumption()], 70)
    with pytest.raises(ValidationError, match="azure_consumption"):
        card.evaluate(ctx())


def test_siblings_need_unique_names() -> None:
    """Two parts with the same name are refused (results are addressed by name)."""
    with pytest.raises(ValidationError, match="unique"):
        AllOf("all", [_metric("a", "a"), _metric("a", "b")])


def test_all_of_and_any_of() -> None:
    """All-of needs every part, any-of one; both report how many parts are met."""
    parts = [consumption(100), AtLeast("big", consumption().measure, 1000)]
    c = ctx(acr("C1", month(2024, 6), 500))
    all_of = AllOf("all", parts).evaluate(c)
    any_of = AnyOf("any", parts).evaluate(c)
    assert (all_of.met, all_of.measured, all_of.shortfall) == (False, 1, 1)
    assert (any_of.met, any_of.measured) == (True, 1)


def test_best_of_keeps_the_higher_score() -> None:
    """Best-of counts the part with more points and names it."""
    best = BestOf("usage_growth", [_metric("cpor", "x"), _metric("dpor", "y")])
    result = best.evaluate(ctx(skills={"x": 1, "y": 3}))
    assert result.points == 30
    assert result.chosen == "dpor"
    assert result.max_points == 50


def test_best_of_prefers_a_met_track() -> None:
    """A met track counts before an unmet track with more points."""
    met = Scorecard("smb", [_metric("a", "a")], 20)
    unmet = Scorecard("enterprise", [_metric("a", "a"), _metric("b", "b")], 70)
    result = BestOf("tracks", [unmet, met]).evaluate(ctx(skills={"a": 3, "b": 0}))
    assert result.met
    assert result.chosen == "smb"


def test_gate_picks_the_track() -> None:
    """A gate applies ``then`` when its condition is met, else ``otherwise``."""
    gate = Gate("track", consumption(1000), _metric("enterprise", "e"), _metric("smb", "s"))
    small = gate.evaluate(ctx(acr("C1", month(2024, 6), 999), skills={"e": 1, "s": 2}))
    large = gate.evaluate(ctx(acr("C1", month(2024, 6), 1000), skills={"e": 1, "s": 2}))
    assert (small.chosen, small.points) == ("smb", 20)
    assert (large.chosen, large.points) == ("enterprise", 10)


def test_points_sum_adds_and_caps() -> None:
    """A points sum adds its parts' points, capped."""
    total = PointsSum("usage_growth", [_metric("azure", "a"), _metric("m365", "b")], 20)
    assert total.evaluate(ctx(skills={"a": 1, "b": 0})).points == 10
    assert total.evaluate(ctx(skills={"a": 1, "b": 5})).points == 20


# ------------------------------------------------------------------------ converters, caching


def test_converters_take_one_name_or_many_and_name_the_bad_field() -> None:
    """Kinds, workloads and offers take members or names (any case); a bad name names its field."""
    from partner_of_record.evaluation.measures import to_kinds, to_offers, to_workloads

    assert to_kinds("dpor") == to_kinds([AssociationKind.DPOR]) == frozenset({AssociationKind.DPOR})
    assert to_workloads(["AZURE", Workload.TEAMS]) == {Workload.AZURE, Workload.TEAMS}
    assert to_workloads(None) is None
    assert to_offers("standard") == {OfferCategory.STANDARD}
    for convert, field in ((to_kinds, "kinds"), (to_workloads, "workloads"), (to_offers, "offers")):
        with pytest.raises(ValidationError, match="is not one of") as info:
            convert(["nope"])
        assert info.value.field == field


def test_context_caches_a_value_per_key() -> None:
    """``MeasurementContext.cached`` computes a value once per key and returns the same object."""
    context = ctx()
    calls: list[str] = []

    def compute() -> list[str]:
        calls.append("x")
        return ["value"]

    first = context.cached(("k", 1), compute)
    assert context.cached(("k", 1), compute) is first
    assert context.cached(("k", 2), compute) is not first
    assert calls == ["x", "x"]


class CountingFacts:
    """Row facts that count how often the measures ask for consumption rows."""

    def __init__(self, *rows: AcrRow) -> None:
        self.rows = rows
        self.acr_calls = 0

    def acr(self, partner_id: str, kinds: frozenset[AssociationKind]) -> tuple[AcrRow, ...]:
        self.acr_calls += 1
        return self.rows

    def seats(self, partner_id: str, kinds: object, crediting: object) -> tuple[SeatRow, ...]:
        return ()

    def has_usage(self, when: dt.date) -> bool:
        return True


def test_measures_sharing_a_scope_read_the_facts_once_per_context() -> None:
    """Net adds (two reference months) and usage growth on one scope filter the rows once."""
    rows = (acr("C1", month(2023, 6), 1_000), acr("C1", month(2024, 6), 2_000))
    facts = CountingFacts(*rows)
    context = MeasurementContext("P1", AS_OF, facts)
    eligible = AcrCustomers(SCOPE, Trailing(2), 1_000, basis="any_month")
    adds = NetCustomerAdds((eligible,)).measure(context)
    growth = AcrGrowth(SCOPE).measure(context)
    assert facts.acr_calls == 1
    assert adds.value == 0
    assert growth.value == 100
    assert SCOPE.rows(context) == list(rows)  # the public method still filters afresh
