"""Laws of the evaluator: monotonicity, order independence, rounding, windows, rates."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from partner_of_record import Ledger, Workload, catalog
from partner_of_record.evaluation import (
    AcrRow,
    MeasurementContext,
    RateTable,
    Scored,
    SkillCount,
    Trailing,
    add_months,
    evaluate_all,
    evaluate_competency,
    evaluate_context,
    measurement_month,
)
from strategies import ledger_facts

AS_OF = dt.date(2024, 7, 15)
M = dt.date(2024, 6, 1)
SERVICES = ["Storage", "Azure SQL Database", "virtual machines", "Functions", None]
SKILLS = {"intermediate_certifications": 2, "advanced_certifications": 1}
AZURE_ENTRIES = [
    catalog.SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE,
    catalog.SOLUTIONS_PARTNER_DATA_AI_AZURE,
    catalog.CLOUD_PLATFORM_SILVER,
]

cents = st.integers(-100_000, 2_000_000).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def acr_rows(draw: st.DrawFn, months_back: tuple[int, int] = (0, 26)) -> AcrRow:
    customer = draw(st.sampled_from(["A", "B", "C", "D"]))
    when = add_months(M, -draw(st.integers(*months_back)))
    return AcrRow(
        customer,
        f"S-{customer}",
        Workload.AZURE,
        when,
        draw(st.sampled_from(SERVICES)),
        draw(cents),
    )


def score(rows: list[AcrRow], entry: catalog.Competency) -> Decimal:
    evaluation = evaluate_context(
        MeasurementContext.from_rows("P1", AS_OF, acr=rows, skills=SKILLS), entry
    )
    if evaluation.score is not None:
        return evaluation.score
    measured = evaluation.requirements[0].measured
    assert measured is not None
    return measured


@given(
    st.lists(acr_rows(), max_size=25),
    acr_rows(months_back=(0, 11)),
    st.integers(1, 5_000_000),
    st.sampled_from(AZURE_ENTRIES),
)
def test_adding_credited_consumption_never_lowers_a_score(
    rows: list[AcrRow], extra: AcrRow, amount: int, entry: catalog.Competency
) -> None:
    """Adding positive credited consumption in the trailing 12 months never lowers the score."""
    added = AcrRow(
        extra.customer_id,
        extra.subscription_id,
        extra.workload,
        extra.month,
        extra.service,
        Decimal(amount).scaleb(-2),
    )
    assert score([*rows, added], entry) >= score(rows, entry)


@given(st.lists(acr_rows(), max_size=25), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(rows: list[AcrRow], rnd: random.Random) -> None:
    """Evaluating the same rows in another order gives the same evaluation."""
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    for entry in AZURE_ENTRIES:
        first = evaluate_context(
            MeasurementContext.from_rows("P1", AS_OF, acr=rows, skills=SKILLS), entry
        )
        again = evaluate_context(
            MeasurementContext.from_rows("P1", AS_OF, acr=shuffled, skills=SKILLS), entry
        )
        assert first == again


@given(
    ledger_facts(first_month=dt.date(2023, 1, 1), min_months=12, max_months=20),
    st.randoms(use_true_random=False),
)
def test_ledger_order_does_not_matter_and_evaluate_all_agrees(
    facts: object, rnd: random.Random
) -> None:
    """Shuffled ledger records give the same evaluations; evaluate_all equals one-by-one."""
    kwargs = facts.kwargs()  # type: ignore[attr-defined]
    shuffled = {}
    for key, values in kwargs.items():
        items = list(values)
        rnd.shuffle(items)
        shuffled[key] = items
    ledger = Ledger(**kwargs)
    other = Ledger(**shuffled)
    as_of = dt.date(2024, 3, 10)
    for entry in (
        catalog.SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE,
        catalog.SOLUTIONS_PARTNER_MODERN_WORK,
    ):
        every = evaluate_all(ledger, entry, as_of=as_of, skills={})
        again = evaluate_all(other, entry, as_of=as_of)
        assert every == again
        for partner in ledger.partners:
            assert every[partner.id] == evaluate_competency(ledger, partner.id, entry, as_of=as_of)


@given(st.decimals(-(10**6), 10**6, places=4), st.integers(1, 100), st.integers(1, 50))
def test_points_stay_within_zero_and_cap_at_cents(value: Decimal, cap: int, per: int) -> None:
    """Scored points lie in [0, cap] and are rounded to cents."""
    points = Scored("m", SkillCount("x"), cap, per_unit=per).points_for(value)
    assert Decimal(0) <= points <= cap
    assert points == points.quantize(Decimal("0.01"))


@given(st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31)), st.integers(-400, 400))
def test_add_months_round_trips(day: dt.date, n: int) -> None:
    """Adding n months then -n months returns to the first of the month."""
    start = day.replace(day=1)
    assert add_months(add_months(start, n), -n) == start


@given(st.dates(dt.date(2000, 2, 1), dt.date(2090, 12, 31)), st.integers(1, 24), st.integers(0, 24))
def test_measurement_month_and_windows(as_of: dt.date, months: int, lag: int) -> None:
    """m is the month before as_of's; a trailing window has its length and ends at m - lag."""
    m = measurement_month(as_of)
    assert m.day == 1
    assert add_months(m, 1) == as_of.replace(day=1)
    window = Trailing(months, lag).at(m)
    assert len(window.months) == months
    assert window.last == add_months(m, -lag)


@given(cents, cents, st.decimals(Decimal("0.001"), 1000, places=4))
def test_conversion_is_linear(a: Decimal, b: Decimal, rate: Decimal) -> None:
    """Converting a sum equals summing the conversions (no per-row rounding)."""
    table = RateTable.constant({"EUR": rate})
    month = dt.date(2024, 1, 1)
    assert table.to_usd(a + b, "EUR", month) == table.to_usd(a, "EUR", month) + table.to_usd(
        b, "EUR", month
    )
