"""The evaluator on ledgers: attribution, rates, evidence, seats, what-if, earliest dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest

from partner_of_record import (
    Association,
    AssociationKind,
    Customer,
    Ledger,
    Partner,
    PartnerOfRecordError,
    SeatUsage,
    Subscription,
    Usage,
    Workload,
    catalog,
)
from partner_of_record.attribution import DporOnly
from partner_of_record.evaluation import (
    EVALUATION_CODES,
    AtLeast,
    Competency,
    MissingRateError,
    RateTable,
    SeatCrediting,
    SeatScope,
    SeatTotal,
    Trailing,
    UnknownRequirementError,
    earliest_qualification,
    evaluate_all,
    evaluate_competency,
    what_if,
)

K = AssociationKind
SILVER = catalog.CLOUD_PLATFORM_SILVER
AS_OF = dt.date(2024, 7, 15)


def azure_ledger(
    amounts: dict[tuple[str, dt.date], str],
    associations: list[Association],
    *,
    currency: str = "USD",
) -> Ledger:
    subs = sorted({s for s, _ in amounts} | {a.subscription_id for a in associations})
    partners = sorted({a.partner_id for a in associations} | {"P1"})
    return Ledger(
        partners=[Partner(p) for p in partners],
        customers=[Customer(f"C-{s}") for s in subs],
        subscriptions=[Subscription(s, f"C-{s}", Workload.AZURE) for s in subs],
        associations=associations,
        usage=[
            Usage(s, m, amount, currency, service="Storage") for (s, m), amount in amounts.items()
        ],
    )


def test_cloud_platform_counts_dpor_from_its_start_day_only() -> None:
    """A DPOR named on 2024-06-16 earns half of June (15 of 30 days), never earlier months."""
    ledger = azure_ledger(
        {("S1", dt.date(2024, 5, 1)): "40000", ("S1", dt.date(2024, 6, 1)): "30000.00"},
        [Association("P1", "S1", K.DPOR, dt.date(2024, 6, 16))],
    )
    evaluation = evaluate_competency(ledger, "P1", SILVER, as_of=AS_OF)
    assert evaluation.requirement("azure_consumption").measured == Decimal("15000.00")
    assert evaluation.met
    assert evaluation.score is None
    assert evaluation.customers == ("C-S1",)


def test_cloud_platform_ignores_kinds_it_does_not_count() -> None:
    """Lighthouse and GDAP links earn nothing toward Cloud Platform."""
    ledger = azure_ledger(
        {("S1", dt.date(2024, 6, 1)): "50000"},
        [Association("P1", "S1", K.LIGHTHOUSE, dt.date(2023, 1, 1))],
    )
    evaluation = evaluate_competency(ledger, "P1", SILVER, as_of=AS_OF)
    assert evaluation.requirement("azure_consumption").measured == 0
    assert not evaluation.met


def test_policy_replaces_recognize_all() -> None:
    """Under DporOnly, a PAL partner's consumption no longer counts."""
    ledger = azure_ledger(
        {("S1", dt.date(2024, 6, 1)): "20000"},
        [Association("P1", "S1", K.PAL, dt.date(2023, 1, 1))],
    )
    assert evaluate_competency(ledger, "P1", SILVER, as_of=AS_OF).met
    assert not evaluate_competency(ledger, "P1", SILVER, as_of=AS_OF, policy=DporOnly()).met


def test_other_currencies_convert_with_the_rate_table() -> None:
    """EUR credits are converted at the month's rate before the US-dollar threshold."""
    ledger = azure_ledger(
        {("S1", dt.date(2024, 5, 1)): "10000", ("S1", dt.date(2024, 6, 1)): "4000"},
        [Association("P1", "S1", K.DPOR, dt.date(2023, 1, 1))],
        currency="EUR",
    )
    rates = RateTable(
        {("EUR", dt.date(2024, 5, 1)): Decimal("1.10"), ("EUR", None): Decimal("1.00")}
    )
    evaluation = evaluate_competency(ledger, "P1", SILVER, as_of=AS_OF, rates=rates)
    assert evaluation.requirement("azure_consumption").measured == Decimal("15000.00")
    assert evaluation.met


def test_missing_rate_is_an_error_naming_currency_and_month() -> None:
    """A credit in a currency without a rate raises, naming the currency and the month."""
    ledger = azure_ledger(
        {("S1", dt.date(2024, 6, 1)): "100"},
        [Association("P1", "S1", K.DPOR, dt.date(2023, 1, 1))],
        currency="EUR",
    )
    with pytest.raises(MissingRateError, match=r"EUR in 2024-06") as info:
        evaluate_competency(ledger, "P1", SILVER, as_of=AS_OF)
    assert (info.value.currency, info.value.month) == ("EUR", dt.date(2024, 6, 1))


def test_unknown_partner_is_an_error() -> None:
    """Evaluating a partner the ledger does not hold raises a project error naming it."""
    ledger = azure_ledger({}, [])
    with pytest.raises(PartnerOfRecordError, match="NOPE"):
        evaluate_competency(ledger, "NOPE", SILVER, as_of=AS_OF)


def test_evidence_credits_add_up_to_the_measure() -> None:
    """The evaluation's credits are the partner's credits under the counted kinds."""
    ledger = azure_ledger(
        {("S1", dt.date(2024, 6, 1)): "1000", ("S2", dt.date(2024, 6, 1)): "500"},
        [
            Association("P1", "S1", K.DPOR, dt.date(2023, 1, 1)),
            Association("P2", "S2", K.DPOR, dt.date(2023, 1, 1)),
        ],
    )
    evaluation = evaluate_competency(ledger, "P1", SILVER, as_of=AS_OF)
    assert evaluation.credits.partners() == frozenset({"P1"})
    assert evaluation.credits.total() == Decimal(1000)


def test_no_usage_in_measurement_month_is_a_finding() -> None:
    """A ledger without data in the measurement month says so (stale data?)."""
    ledger = azure_ledger(
        {("S1", dt.date(2024, 1, 1)): "1000"},
        [Association("P1", "S1", K.DPOR, dt.date(2023, 1, 1))],
    )
    evaluation = evaluate_competency(ledger, "P1", SILVER, as_of=AS_OF)
    assert [f.code for f in evaluation.findings] == ["NO_USAGE_IN_MONTH"]
    assert set(EVALUATION_CODES) >= {f.code for f in evaluation.findings}


def test_evaluation_codes_are_one_table_with_one_name() -> None:
    """EVALUATION_CODES and the ledger's rules.FINDING_CODES are disjoint; the old name warns."""
    from partner_of_record import evaluation, rules
    from partner_of_record.evaluation import results

    assert EVALUATION_CODES
    assert not set(EVALUATION_CODES) & set(rules.FINDING_CODES)
    for module in (evaluation, results):
        with pytest.warns(DeprecationWarning, match="use EVALUATION_CODES"):
            assert module.FINDING_CODES is EVALUATION_CODES
        with pytest.raises(AttributeError):
            _ = module.NO_SUCH_NAME


def test_competency_by_name_and_did_you_mean() -> None:
    """A catalog name works in place of the entry; a typo suggests the right name."""
    ledger = azure_ledger({}, [])
    assert evaluate_competency(ledger, "P1", "cloud platform silver", as_of=AS_OF).competency == (
        "CLOUD_PLATFORM_SILVER"
    )
    with pytest.raises(catalog.UnknownCompetencyError, match="CLOUD_PLATFORM_GOLD"):
        catalog.get("CLOUD_PLATFROM_GOLD")


def test_requirement_lookup_suggests_close_names() -> None:
    """Asking for a requirement that does not exist suggests the closest name."""
    ledger = azure_ledger({}, [])
    evaluation = evaluate_competency(
        ledger, "P1", catalog.SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE, as_of=AS_OF
    )
    assert evaluation.requirement("score.deployments").name == "deployments"
    with pytest.raises(UnknownRequirementError, match="did you mean 'usage_growth'"):
        evaluation.requirement("usage_grwoth")


def test_explain_html_and_pandas() -> None:
    """The evaluation explains itself as text, HTML and a DataFrame, one row per requirement."""
    ledger = azure_ledger(
        {("S1", dt.date(2024, 6, 1)): "14999.99"},
        [Association("P1", "S1", K.DPOR, dt.date(2023, 1, 1))],
    )
    evaluation = evaluate_competency(ledger, "P1", SILVER, as_of=AS_OF)
    text = evaluation.explain()
    assert "NOT met" in text
    assert "shortfall US$0.01" in text
    assert "<table>" in evaluation._repr_html_()
    frame = evaluation.to_pandas()
    assert list(frame["requirement"]) == ["azure_consumption"]
    assert frame["shortfall"][0] == Decimal("0.01")


def test_evaluate_all_matches_one_by_one() -> None:
    """evaluate_all gives every partner the evaluation evaluate_competency gives it."""
    ledger = azure_ledger(
        {("S1", dt.date(2024, 6, 1)): "16000", ("S2", dt.date(2024, 6, 1)): "500"},
        [
            Association("P1", "S1", K.DPOR, dt.date(2023, 1, 1)),
            Association("P2", "S1", K.PAL, dt.date(2023, 1, 1)),
            Association("P2", "S2", K.CSP_TIER1, dt.date(2023, 1, 1)),
        ],
    )
    all_ = evaluate_all(ledger, SILVER, as_of=AS_OF)
    assert list(all_) == ["P1", "P2"]
    for pid, evaluation in all_.items():
        assert evaluation == evaluate_competency(ledger, pid, SILVER, as_of=AS_OF)
    assert all_["P2"].requirement("azure_consumption").measured == Decimal(16500)


def test_what_if_reports_the_difference_by_requirement() -> None:
    """A hypothetical PAL link turns a near miss into a met competency, and says so."""
    ledger = azure_ledger(
        {("S1", dt.date(2024, 6, 1)): "14000", ("S2", dt.date(2024, 6, 1)): "2000"},
        [Association("P1", "S1", K.DPOR, dt.date(2023, 1, 1))],
    )
    diff = what_if(
        ledger,
        "P1",
        SILVER,
        as_of=AS_OF,
        add=[Association("P1", "S2", K.PAL, dt.date(2024, 6, 1))],
    )
    assert not diff.before.met
    assert diff.after.met
    [change] = diff.changed
    assert (change.name, change.measured_before, change.measured_after) == (
        "azure_consumption",
        Decimal(14000),
        Decimal(16000),
    )
    assert "now met" in diff.explain()


def test_what_if_dpor_from_next_month_changes_a_later_evaluation_only() -> None:
    """ "If this customer names us DPOR from next month": no change now, credit from then on."""
    months = {("S2", dt.date(2024, m, 1)): "9000" for m in range(6, 9)}
    ledger = azure_ledger(
        {("S1", dt.date(2024, 6, 1)): "10000", **months},
        [Association("P1", "S1", K.DPOR, dt.date(2023, 1, 1))],
    )

    def name_us(hypothetical: Ledger) -> Ledger:
        return hypothetical.name_dpor("S2", "P1", dt.date(2024, 8, 1))

    now = what_if(ledger, "P1", SILVER, as_of=AS_OF, change=name_us)
    later = what_if(ledger, "P1", SILVER, as_of=dt.date(2024, 9, 1), change=name_us)
    assert not now.changed
    assert later.after.requirement("azure_consumption").measured == Decimal(19000)
    assert later.after.met
    assert not later.before.met


def test_what_if_extra_skills() -> None:
    """Hypothetical certified people raise the skilling metric's points."""
    ledger = azure_ledger({}, [])
    diff = what_if(
        ledger,
        "P1",
        catalog.SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE,
        as_of=AS_OF,
        skills={"intermediate_certifications": 1},
        extra_skills={"intermediate_certifications": 2},
    )
    assert diff.score_delta == Decimal(8)
    assert [c.name for c in diff.changed] == ["score", "score.intermediate_certifications"]


def test_earliest_qualification_finds_the_first_month() -> None:
    """US$2,000 a month from January 2023 reaches US$15,000 with August: as of 2023-09-01."""
    ledger = azure_ledger(
        {("S1", dt.date(2023, m, 1)): "2000" for m in range(1, 13)},
        [Association("P1", "S1", K.DPOR, dt.date(2023, 1, 1))],
    )
    found = earliest_qualification(ledger, "P1", SILVER)
    assert found.as_of == dt.date(2023, 9, 1)
    assert found.evaluation is not None
    assert found.evaluation.requirement("azure_consumption").measured == Decimal(16000)
    assert found.scanned_from == dt.date(2023, 2, 1)
    never = earliest_qualification(ledger, "P1", catalog.CLOUD_PLATFORM_GOLD)
    assert not never.met
    assert "never meets" in never.describe()


# ------------------------------------------------------------------------------- seats


def seat_ledger(associations: list[Association]) -> Ledger:
    return Ledger(
        partners=[Partner("P1")],
        customers=[Customer("T1")],
        subscriptions=[
            Subscription("A", "T1", Workload.OFFICE_365),
            Subscription("B", "T1", Workload.OFFICE_365),
        ],
        associations=associations,
        seats=[
            SeatUsage("A", dt.date(2024, 6, 1), 100, 60),
            SeatUsage("B", dt.date(2024, 6, 1), 50, 10),
        ],
    )


def seats_competency(kinds: list[AssociationKind], crediting: SeatCrediting) -> Competency:
    scope = SeatScope(kinds, [Workload.OFFICE_365], value="paid_seats", crediting=crediting)
    return Competency(
        name="SEATS",
        title="Seats",
        requirement=AtLeast("seats", SeatTotal(scope), 1),
        source="test",
        published=dt.date(2024, 1, 1),
    )


def measured_seats(ledger: Ledger, competency: Competency) -> Decimal | None:
    evaluation = evaluate_competency(ledger, "P1", competency, as_of=AS_OF)
    return evaluation.requirement("seats").measured


def test_seats_credited_when_in_effect_on_the_months_last_day() -> None:
    """By default seats count when the association is in effect on the month's last day."""
    ends_on_last_day = [Association("P1", "A", K.DPOR, dt.date(2024, 1, 1), dt.date(2024, 6, 30))]
    default = seats_competency([K.DPOR], SeatCrediting())
    any_day = seats_competency([K.DPOR], SeatCrediting(on="any_day"))
    assert measured_seats(seat_ledger(ends_on_last_day), default) == 0
    assert measured_seats(seat_ledger(ends_on_last_day), any_day) == 100
    starts_on_last_day = [Association("P1", "A", K.DPOR, dt.date(2024, 6, 30))]
    assert measured_seats(seat_ledger(starts_on_last_day), default) == 100


def test_cpor_counts_for_every_subscription_of_its_tenant_and_workload() -> None:
    """A CPOR claim on one subscription credits the tenant's other subscriptions of the workload."""
    claim = [Association("P1", "A", K.CPOR, dt.date(2024, 1, 1))]
    tenant = seats_competency([K.CPOR], SeatCrediting())
    per_sub = seats_competency([K.CPOR], SeatCrediting(cpor_scope="subscription"))
    assert measured_seats(seat_ledger(claim), tenant) == 150
    assert measured_seats(seat_ledger(claim), per_sub) == 100


# ------------------------------------------------------------------------------- catalog


def test_catalog_entries_are_dated_sourced_and_named() -> None:
    """Every catalog entry carries its name, a source, a publication date and notes."""
    assert set(catalog.ALL) >= {
        "CLOUD_PLATFORM_SILVER",
        "CLOUD_PLATFORM_GOLD",
        "SMALL_MIDMARKET_CLOUD_SILVER",
        "SMALL_MIDMARKET_CLOUD_GOLD",
        "CLOUD_PRODUCTIVITY_SILVER",
        "CLOUD_PRODUCTIVITY_GOLD",
        "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE",
        "SOLUTIONS_PARTNER_DATA_AI_AZURE",
        "SOLUTIONS_PARTNER_DIGITAL_APP_INNOVATION_AZURE",
        "SOLUTIONS_PARTNER_MODERN_WORK",
        "SOLUTIONS_PARTNER_SECURITY",
        "SOLUTIONS_PARTNER_BUSINESS_APPLICATIONS",
    }
    for name, entry in catalog.ALL.items():
        assert entry.name == name
        assert entry.source
        assert entry.notes
        assert entry.published <= dt.date(2023, 10, 1)
    assert catalog.SOLUTIONS_PARTNER_SECURITY.source_url == (
        "https://learn.microsoft.com/partner-center/solutions-partner-security"
    )


def test_azure_designations_have_the_published_metrics_and_caps() -> None:
    """The Azure designations' metrics and caps add up to 100, Data & AI without advanced."""
    ledger = azure_ledger({}, [])
    for entry, metrics in (
        (
            catalog.SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE,
            [
                "net_customer_adds",
                "usage_growth",
                "deployments",
                "intermediate_certifications",
                "advanced_certifications",
            ],
        ),
        (
            catalog.SOLUTIONS_PARTNER_DATA_AI_AZURE,
            ["net_customer_adds", "usage_growth", "deployments", "intermediate_certifications"],
        ),
    ):
        evaluation = evaluate_competency(ledger, "P1", entry, as_of=AS_OF)
        assert [r.name for r in evaluation.requirements] == metrics
        assert evaluation.max_score == 100


def test_cloud_platform_thresholds() -> None:
    """Silver needs US$15,000 and gold US$100,000 of credited Azure consumption."""
    assert isinstance(catalog.CLOUD_PLATFORM_SILVER.requirement, AtLeast)
    assert catalog.CLOUD_PLATFORM_SILVER.requirement.threshold == 15_000
    assert isinstance(catalog.CLOUD_PLATFORM_GOLD.requirement, AtLeast)
    assert catalog.CLOUD_PLATFORM_GOLD.requirement.threshold == 100_000
    variant = catalog.cloud_platform("silver", threshold_usd=25_000)
    assert isinstance(variant.requirement, AtLeast)
    assert variant.requirement.threshold == 25_000


def test_counted_kinds_and_evidence_follow_the_tree() -> None:
    """Counted kinds come from the tree's scopes; seat-only entries carry no credit evidence."""
    from partner_of_record.evaluation.requirements import counted_kinds

    infra = catalog.SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE.requirement
    modern = catalog.SOLUTIONS_PARTNER_MODERN_WORK.requirement
    assert counted_kinds(infra) == {K.CSP_TIER1, K.CSP_TIER2, K.DPOR, K.PAL}
    assert counted_kinds(modern) == {K.CPOR, K.DPOR, K.CSP_TIER1, K.CSP_TIER2}
    assert counted_kinds(modern, consumption_only=True) == frozenset()
    ledger = azure_ledger({}, [])
    evaluation = evaluate_competency(
        ledger, "P1", catalog.SOLUTIONS_PARTNER_MODERN_WORK, as_of=AS_OF
    )
    assert evaluation.credits is None


def test_seats_credited_through_a_sibling_claim_only_while_it_is_in_effect() -> None:
    """A sibling subscription's CPOR credits the tenant's seats only in months it covers."""
    ledger = Ledger(
        partners=[Partner("P1")],
        customers=[Customer("T1")],
        subscriptions=[
            Subscription("A", "T1", Workload.OFFICE_365),
            Subscription("B", "T1", Workload.OFFICE_365),
        ],
        associations=[Association("P1", "A", K.CPOR, dt.date(2024, 5, 15), dt.date(2024, 6, 10))],
        seats=[
            SeatUsage("B", dt.date(2024, 5, 1), 40, 5),
            SeatUsage("B", dt.date(2024, 6, 1), 70, 5),
        ],
    )
    scope = SeatScope([K.CPOR], [Workload.OFFICE_365], value="paid_seats")
    peak = Competency(
        name="SEATS",
        title="Seats",
        requirement=AtLeast("seats", SeatTotal(scope, Trailing(2), aggregate="peak"), 1),
        source="test",
        published=dt.date(2024, 1, 1),
    )
    assert measured_seats(ledger, peak) == 40  # May only: the claim ends before June's last day
    any_day = attrs.evolve(
        peak,
        requirement=AtLeast(
            "seats",
            SeatTotal(
                attrs.evolve(scope, crediting=SeatCrediting(on="any_day")),
                Trailing(2),
                aggregate="peak",
            ),
            1,
        ),
    )
    assert measured_seats(ledger, any_day) == 70


def test_chosen_child_is_the_track_that_counts() -> None:
    """A best-of result's chosen_child() is the child named by `chosen`, the higher-scoring one."""
    from partner_of_record import evaluate_competency
    from partner_of_record.catalog import SOLUTIONS_PARTNER_MODERN_WORK
    from partner_of_record.samples import SAMPLE_AS_OF, SAMPLE_SKILLS, load_sample

    partner = "4400392"
    evaluation = evaluate_competency(
        load_sample(),
        partner,
        SOLUTIONS_PARTNER_MODERN_WORK,
        as_of=SAMPLE_AS_OF,
        skills=SAMPLE_SKILLS[partner],
    )
    best_ofs = [node for _, node in evaluation.result.walk() if node.kind == "best_of"]
    assert best_ofs
    for node in best_ofs:
        chosen = node.chosen_child()
        assert chosen.name == node.chosen
        assert all((chosen.points or 0) >= (other.points or 0) for other in node.children)
