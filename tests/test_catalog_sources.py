"""Golden tests of the catalog rules of issue #12, each from its source's wording.

Each test quotes the wording it encodes in its docstring; the catalog entry cites the same
source (URL and date) in its ``source`` or ``notes``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from partner_of_record import (
    Association,
    AssociationKind,
    Customer,
    Ledger,
    OfferCategory,
    Partner,
    SeatUsage,
    Subscription,
    Usage,
    Workload,
    catalog,
)
from partner_of_record.evaluation import Evaluation, MeasurementContext, evaluate_competency
from partner_of_record.evaluation.catalog.solutions_partner_2023 import (
    VIRTUAL_MACHINE_SERVICES,
)
from partner_of_record.evaluation.measures import service_key

D = dt.date
K = AssociationKind
W = Workload
AS_OF = D(2024, 7, 15)  # measurement month 2024-06


def _window_months() -> list[dt.date]:
    """The 12 months 2023-07 .. 2024-06."""
    return [D(2023, m, 1) for m in range(7, 13)] + [D(2024, m, 1) for m in range(1, 7)]


def _evaluate(ledger: Ledger, entry: catalog.Competency, **skills: int) -> Evaluation:
    return evaluate_competency(ledger, "P1", entry, as_of=AS_OF, skills=skills or None)


# ------------------------------------------------------------------------------ Security (#12.1, 2)


def _security_ledger(monthly_security_acr: str, paid: int = 30, active: int = 10) -> Ledger:
    """One customer served on both sides: PAL on Azure (Sentinel), CPOR on Defender seats."""
    return Ledger(
        [Partner("P1")],
        [Customer("C1")],
        [Subscription("AZ", "C1", W.AZURE), Subscription("DEF", "C1", W.DEFENDER)],
        [
            Association("P1", "AZ", K.PAL, D(2023, 1, 1)),
            Association("P1", "DEF", K.CPOR, D(2023, 1, 1)),
        ],
        [
            Usage("AZ", m, monthly_security_acr, service="Microsoft Sentinel")
            for m in _window_months()
        ],
        [SeatUsage("DEF", D(2024, 6, 1), paid, active)],
    )


def test_security_scores_azure_and_microsoft_365_separately_then_adds() -> None:
    """Security page (PC23:solutions-partner-security, 2023 text): "Calculations for Azure and
    Microsoft 365 are completed individually and then totaled together for the final four
    metric scores. One eligible customer may contribute points to both Azure and Microsoft 365
    calculations." One customer eligible on both sides earns net-adds points on each."""
    ledger = _security_ledger("1000")
    new = _evaluate(ledger, catalog.SOLUTIONS_PARTNER_SECURITY)
    assert new.requirement("net_customer_adds").points == Decimal("4.00")  # 2 + 2
    assert new.requirement("net_customer_adds.azure").points == Decimal("2.00")
    assert new.requirement("net_customer_adds.microsoft_365").points == Decimal("2.00")
    # deployments: >= US$12,000 security ACR in 12 months, and >= 25 paid seats 15 % active
    # each side rounded to 2 decimals (3.33), then added
    assert new.requirement("deployments").points == Decimal("6.66")
    old = _evaluate(ledger, catalog.security(sides="union"))
    assert old.requirement("net_customer_adds").points == Decimal("2.00")
    assert old.requirement("deployments").points == Decimal("3.33")


def test_security_side_points_are_capped_by_the_metric_cap() -> None:
    """Each side is scored within the metric's cap and the total is capped at 20 too."""
    customers = [f"C{i}" for i in range(12)]
    ledger = Ledger(
        [Partner("P1")],
        [Customer(c) for c in customers],
        [Subscription(f"AZ{c}", c, W.AZURE) for c in customers]
        + [Subscription(f"DEF{c}", c, W.DEFENDER) for c in customers],
        [Association("P1", f"AZ{c}", K.PAL, D(2023, 1, 1)) for c in customers]
        + [Association("P1", f"DEF{c}", K.CPOR, D(2023, 1, 1)) for c in customers],
        [
            Usage(f"AZ{c}", m, "100", service="Microsoft Sentinel")
            for c in customers
            for m in _window_months()
        ],
        [SeatUsage(f"DEF{c}", D(2024, 6, 1), 30, 10) for c in customers],
    )
    result = _evaluate(ledger, catalog.SOLUTIONS_PARTNER_SECURITY)
    assert result.requirement("net_customer_adds.azure").points == Decimal("20.00")  # 12 x 2 capped
    assert result.requirement("net_customer_adds").points == Decimal("20.00")


@pytest.mark.parametrize(
    ("monthly", "eligible"), [("100", True), ("99.99", False), ("8.34", False)]
)
def test_security_azure_customer_needs_a_monthly_average_of_100(
    monthly: str, eligible: bool
) -> None:
    """CRN on the Security designation (2022-04-08): a net new Azure customer goes "to a
    monthly average of at least US$100 in consumed revenue for the trailing 12 months".
    US$8.34 a month (US$100.08 in 12 months) met the old 12-month-total reading; not this one."""
    ledger = _security_ledger(monthly, paid=0, active=0)
    result = _evaluate(ledger, catalog.SOLUTIONS_PARTNER_SECURITY)
    expected = Decimal("2.00") if eligible else Decimal("0.00")
    assert result.requirement("net_customer_adds.azure").points == expected
    total_reading = catalog.security(azure_customer_basis="total")
    old = _evaluate(ledger, total_reading).requirement("net_customer_adds.azure").points
    assert old == Decimal("2.00")  # every case is >= US$100 in total


# ------------------------------------------------------------------------------ Modern Work (#12.3)


@pytest.mark.parametrize("workload", [W.INTUNE, W.EMS])
def test_modern_work_counts_intune_seats(workload: Workload) -> None:
    """Modern Work (PC23:solutions-partner-modern-work, as reported by CRN 2022-04-08):
    "Eligible products for points for modern work partners include Intune, Exchange, ProPlus,
    Sharepoint, Teams ...". An Enterprise tenant's Intune seats (alone or through EMS) credited
    by DPOR earn net-adds points."""
    ledger = Ledger(
        [Partner("P1")],
        [Customer("C1")],
        [Subscription("S1", "C1", workload)],
        [Association("P1", "S1", K.DPOR, D(2024, 1, 1))],
        seats=[SeatUsage("S1", D(2024, 6, 1), 400, 200)],
    )
    result = _evaluate(ledger, catalog.SOLUTIONS_PARTNER_MODERN_WORK)
    adds = result.requirement("enterprise.net_customer_adds")
    assert adds.points == Decimal("4.00")  # 1 of 5 customers x 20 points


# ------------------------------------------------------------------------ Business Apps (#12.4)


@pytest.mark.parametrize(
    ("track", "metric", "people", "points"),
    [
        ("enterprise", "intermediate_certifications", 1, "1.00"),
        ("enterprise", "intermediate_certifications", 20, "20.00"),
        ("enterprise", "advanced_certifications", 1, "2.14"),
        ("enterprise", "advanced_certifications", 7, "15.00"),
        ("smb", "intermediate_certifications", 1, "4.00"),
        ("smb", "intermediate_certifications", 5, "20.00"),
        ("smb", "advanced_certifications", 1, "7.50"),
        ("smb", "advanced_certifications", 2, "15.00"),
        ("smb", "advanced_certifications", 3, "15.00"),
    ],
)
def test_business_applications_skilling_per_track(
    track: str, metric: str, people: int, points: str
) -> None:
    """Business Applications page (learn.microsoft.com/en-us/partner-center/membership/
    solutions-partner-business, 2023-2024): intermediate "1 pt per certified person; max 20 from
    20 people" (Enterprise), "4 pts per certified person; max 20 from 5 people" (SMB); advanced
    "2.14 pts per certified person; max 15 from 7 people" (Enterprise), "7.5 pts per certified
    person; max 15 from 2 people" (SMB)."""
    gate = catalog.SOLUTIONS_PARTNER_BUSINESS_APPLICATIONS.requirement
    scorecard = gate.then if track == "enterprise" else gate.otherwise  # type: ignore[attr-defined]
    [part] = [p for p in scorecard.metrics if p.name == metric]
    ctx = MeasurementContext.from_rows("P1", AS_OF, skills={metric: people})
    assert part.evaluate(ctx).points == Decimal(points)


# ------------------------------------------------------------------------ VM exclusions (#12.5)


@pytest.mark.parametrize(
    ("service", "excluded"),
    [
        ("Virtual Machines", True),
        ("Virtual Machine Licenses", True),
        ("Virtual Machines Licenses", True),
        ("virtual machines licenses", True),
        ("VIRTUAL MACHINE", True),
        ("Virtual Network", False),
        ("Azure DDoS Protection", False),
    ],
)
def test_deployments_exclude_virtual_machines_case_and_plural_insensitively(
    service: str, excluded: bool
) -> None:
    """Partner Center Solutions Partner criteria (2023): deployments are the "Count of distinct
    workloads except Virtual Machines, Virtual Machine Licenses"; exports spell them either way
    ("Virtual Machines Licenses"), so matching ignores case and plural."""
    assert (service_key(service) in {service_key(s) for s in VIRTUAL_MACHINE_SERVICES}) == excluded
    ledger = Ledger(
        [Partner("P1")],
        [Customer("C1")],
        [Subscription("S1", "C1", W.AZURE)],
        [Association("P1", "S1", K.PAL, D(2023, 1, 1))],
        [Usage("S1", D(2024, 6, 1), "50", service=service)],
    )
    result = _evaluate(ledger, catalog.SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE)
    assert result.requirement("deployments").measured == (0 if excluded else 1)


# ------------------------------------------------------------------------------ SMB cloud (#12.6)


def _seat_ledger(workload: Workload) -> Ledger:
    customers = [f"C{i}" for i in range(4)]
    return Ledger(
        [Partner("P1")],
        [Customer(c) for c in customers],
        [Subscription(f"S{c}", c, workload) for c in customers],
        [Association("P1", f"S{c}", K.DPOR, D(2024, 1, 1)) for c in customers],
        seats=[SeatUsage(f"S{c}", D(2024, 6, 1), 10, 5) for c in customers],
    )


def test_small_midmarket_cloud_counts_office_365_seats_only() -> None:
    """rcpmag, 2015-09 ("Microsoft Lowers Thresholds on Cloud Competencies"): silver partners
    "will now only need to sell 40 seats of Office 365 to four new Office 365 customers". 40
    Office 365 seats across 4 new customers meet silver; 40 Dynamics 365 seats do not (they did
    under the broader reading, kept as SEED_SEAT_WORKLOADS)."""
    entry = catalog.SMALL_MIDMARKET_CLOUD_SILVER
    assert _evaluate(_seat_ledger(W.OFFICE_365), entry).met
    assert not _evaluate(_seat_ledger(W.DYNAMICS_365), entry).met
    from partner_of_record.evaluation.catalog.competencies_2016 import SEED_SEAT_WORKLOADS

    broad = catalog.small_midmarket_cloud("silver", workloads=SEED_SEAT_WORKLOADS)
    assert _evaluate(_seat_ledger(W.DYNAMICS_365), broad).met


# ------------------------------------------------------------------------------ offers (#12.7)


@pytest.mark.parametrize(
    ("sub_offer", "row_offer", "counts"),
    [
        (OfferCategory.STANDARD, None, True),
        (OfferCategory.TRIAL, None, False),
        (OfferCategory.BENEFIT_PROGRAM, None, False),
        (OfferCategory.STANDARD, OfferCategory.SUPPORT, False),
        (OfferCategory.STANDARD, OfferCategory.INTERNAL, False),
        (OfferCategory.TRIAL, OfferCategory.STANDARD, True),
    ],
)
def test_cloud_platform_excludes_trial_benefit_support_and_internal_offers(
    sub_offer: OfferCategory, row_offer: OfferCategory | None, counts: bool
) -> None:
    """Consumption under trial, benefit, support-only and Microsoft-internal offers does not
    count toward Cloud Platform's sales performance (issue #12.7; the same four categories as
    "Offers excluded from all Azure metrics: Support, Internal, Benefit Program, Trial",
    PC23:partner-capability-score). A row's own offer overrides its subscription's."""
    ledger = Ledger(
        [Partner("P1")],
        [Customer("C1")],
        [Subscription("S1", "C1", W.AZURE, offer=sub_offer)],
        [Association("P1", "S1", K.DPOR, D(2023, 1, 1))],
        [Usage("S1", m, "1500", offer=row_offer) for m in _window_months()],
    )
    result = _evaluate(ledger, catalog.CLOUD_PLATFORM_SILVER)
    assert result.requirement("azure_consumption").measured == (18_000 if counts else 0)
    assert result.met is counts
    every_offer = catalog.cloud_platform("silver", offers=None)
    assert _evaluate(ledger, every_offer).met


# ------------------------------------------------------------------------------ markets (#12.8)


def test_cloud_platform_thresholds_by_market_name_the_market_used() -> None:
    """Cloud Platform's threshold varies by membership level and market: an entry carries a
    table by market (US figures by default) and the evaluation names the market it used."""
    entry = catalog.cloud_platform("silver", market_thresholds={"IN": 5_000})
    partners = [Partner("P1", market="IN"), Partner("P2"), Partner("P3", market="FR")]
    ledger = Ledger(
        partners,
        [Customer("C1")],
        [Subscription("S1", "C1", W.AZURE)],
        [Association(p.id, "S1", K.PAL, D(2023, 1, 1)) for p in partners],
        [Usage("S1", m, "1000") for m in _window_months()],
    )
    results = {
        p.id: evaluate_competency(ledger, p.id, entry, as_of=AS_OF).requirement("azure_consumption")
        for p in partners
    }
    assert results["P1"].met
    assert results["P1"].threshold == 5_000
    assert "threshold of market IN" in results["P1"].reason
    assert not results["P2"].met
    assert results["P2"].threshold == 15_000
    assert "no market recorded for partner P2: the US threshold applies" in results["P2"].reason
    assert "market FR has no threshold of its own" in results["P3"].reason
    assert catalog.CLOUD_PLATFORM_SILVER.requirement.threshold == 15_000  # type: ignore[attr-defined]
