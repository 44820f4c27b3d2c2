"""Partner reports: monthly credits, the catalog position, the history and its plot."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from partner_of_record import (
    Association,
    AssociationKind,
    Customer,
    Ledger,
    Partner,
    Subscription,
    Usage,
    Workload,
)
from partner_of_record.attribution import attribute
from partner_of_record.catalog import ALL
from partner_of_record.evaluation import evaluate_competency
from partner_of_record.report import (
    catalog_position,
    evaluate_catalog,
    history,
    kinds_label,
    monthly_credits,
    plot_history,
    position_of,
    render_monthly,
    render_position,
    top_shortfall,
)
from partner_of_record.samples import SAMPLE_AS_OF, SAMPLE_SKILLS, load_sample

CONTOSO = "4100231"
FABRIKAM = "4200517"
TAILSPIN = "4400392"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JAN = dt.date(2024, 1, 1)
FEB = dt.date(2024, 2, 1)


def _two_currency_ledger() -> Ledger:
    return Ledger(
        partners=[Partner("P1", "One"), Partner("P2", "Two")],
        customers=[Customer("C1", "Alpha"), Customer("C2", "Beta")],
        subscriptions=[
            Subscription("S1", "C1", Workload.AZURE),
            Subscription("S2", "C2", Workload.AZURE),
        ],
        associations=[
            Association("P1", "S1", AssociationKind.DPOR, JAN),
            Association("P1", "S1", AssociationKind.PAL, FEB),
            Association("P1", "S2", AssociationKind.PAL, JAN),
        ],
        usage=[
            Usage("S1", JAN, Decimal("100.00"), "USD"),
            Usage("S1", FEB, Decimal("50.00"), "USD"),
            Usage("S2", FEB, Decimal("30.00"), "EUR"),
        ],
    )


def test_monthly_credits_group_by_month_customer_workload_kinds_currency() -> None:
    """Rows keep months, customers, kinds and currencies apart and sum the credits exactly."""
    rows = monthly_credits(attribute(_two_currency_ledger()), "P1")
    got = [(r.month, r.customer_id, kinds_label(r.kinds), r.currency, r.amount) for r in rows]
    assert got == [
        (JAN, "C1", "dpor", "USD", Decimal("100.00")),
        (FEB, "C1", "dpor+pal", "USD", Decimal("50.00")),
        (FEB, "C2", "pal", "EUR", Decimal("30.00")),
    ]
    assert monthly_credits(attribute(_two_currency_ledger()), "P2") == ()


def test_monthly_credits_match_the_sample_credits() -> None:
    """On the sample, a partner's rows sum to its credited total of the months kept."""
    credits = attribute(load_sample())
    start = dt.date(2024, 1, 1)
    rows = monthly_credits(credits, FABRIKAM, start=start, end=SAMPLE_AS_OF)
    assert {r.month for r in rows} == {dt.date(2024, m, 1) for m in range(1, 13)}
    expected = credits.total(partner_id=FABRIKAM, start=start, end=SAMPLE_AS_OF)
    assert sum((r.amount for r in rows), Decimal(0)) == expected
    assert rows == tuple(sorted(rows, key=lambda r: (r.month, r.customer_id, r.workload.value)))


def test_kinds_label() -> None:
    """A set of kinds reads as its sorted values joined with '+', and '-' when empty."""
    assert kinds_label({AssociationKind.PAL, AssociationKind.DPOR}) == "dpor+pal"
    assert kinds_label(()) == "-"


def test_render_monthly_shows_months_kinds_and_customer_names() -> None:
    """The text names each month, each kinds label and the customers by name."""
    rows = monthly_credits(attribute(_two_currency_ledger()), "P1")
    text = render_monthly(rows, {"C1": "Alpha", "C2": "Beta"})
    for needle in ("2024-01", "2024-02", "dpor+pal", "Alpha", "Beta", "EUR", "100.00"):
        assert needle in text
    assert render_monthly(()) == "No credited consumption.\n"


def test_top_shortfall_is_empty_when_met_and_names_the_gap_otherwise() -> None:
    """A met evaluation has no shortfall; a missed threshold names the requirement and amount."""
    ledger = load_sample()
    met = evaluate_competency(ledger, CONTOSO, "CLOUD_PLATFORM_GOLD", as_of=SAMPLE_AS_OF)
    assert met.met
    assert top_shortfall(met) == ""
    missed = evaluate_competency(ledger, FABRIKAM, "CLOUD_PLATFORM_GOLD", as_of=SAMPLE_AS_OF)
    assert not missed.met
    short = missed.requirement("azure_consumption").shortfall
    assert top_shortfall(missed).startswith("azure_consumption:")
    assert f"{short:,}" in top_shortfall(missed)


def test_top_shortfall_of_a_scorecard_names_the_zero_metric() -> None:
    """Fabrikam's designation fails on usage growth alone, and the shortfall says so."""
    evaluation = evaluate_competency(
        load_sample(),
        FABRIKAM,
        "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE",
        as_of=SAMPLE_AS_OF,
        skills=SAMPLE_SKILLS[FABRIKAM],
    )
    assert not evaluation.met
    assert top_shortfall(evaluation).startswith("usage_growth:")


def test_catalog_position_agrees_with_the_evaluator() -> None:
    """One position per catalog entry, each with the evaluator's verdict and score."""
    ledger = load_sample()
    skills = SAMPLE_SKILLS[TAILSPIN]
    positions = catalog_position(ledger, TAILSPIN, SAMPLE_AS_OF, skills)
    assert [p.competency for p in positions] == list(ALL)
    for p in positions:
        expected = evaluate_competency(
            ledger, TAILSPIN, p.competency, as_of=SAMPLE_AS_OF, skills=skills
        )
        assert (p.met, p.score) == (expected.met, expected.score)
        assert (p.shortfall == "") is p.met
    text = render_position(positions)
    assert f"meets {sum(p.met for p in positions)} of {len(ALL)}" in text


def test_progress_reaches_one_exactly_when_a_threshold_is_reached() -> None:
    """For a plain threshold, progress is measured / threshold: 1 or more when met."""
    found = evaluate_catalog(
        load_sample(), as_of=SAMPLE_AS_OF, catalog=[ALL["CLOUD_PLATFORM_GOLD"]]
    )
    for evaluation in found["CLOUD_PLATFORM_GOLD"].values():
        p = position_of(evaluation)
        assert (p.progress >= 1) is p.met
        measured = evaluation.result.measured or Decimal(0)
        assert abs(p.progress - measured / Decimal(100_000)) < Decimal("0.0001")


def test_catalog_position_of_an_unknown_partner_raises() -> None:
    """Asking for a partner the ledger does not hold raises the ledger's lookup error."""
    with pytest.raises(KeyError, match="nobody"):
        catalog_position(load_sample(), "nobody", SAMPLE_AS_OF)


def test_history_ends_with_the_evaluation_as_of() -> None:
    """The history has one point per month, and its last point is the evaluation at as_of."""
    ledger = load_sample()
    points = history(ledger, CONTOSO, "CLOUD_PLATFORM_GOLD", end=SAMPLE_AS_OF)
    assert [p.as_of for p in points][:2] == [dt.date(2023, 2, 1), dt.date(2023, 3, 1)]
    assert points[-1].as_of == SAMPLE_AS_OF
    last = evaluate_competency(ledger, CONTOSO, "CLOUD_PLATFORM_GOLD", as_of=SAMPLE_AS_OF)
    assert (points[-1].measured, points[-1].threshold, points[-1].met) == (
        last.result.measured,
        last.result.threshold,
        last.met,
    )
    assert points[-1].unit == "USD"
    trailing = sum((p.credited for p in points[-12:]), Decimal(0))
    assert trailing == last.result.measured


def test_history_of_a_scored_designation_tracks_the_score() -> None:
    """For a scored designation, the history's value is the score against the points needed."""
    skills = SAMPLE_SKILLS[CONTOSO]
    name = "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE"
    points = history(load_sample(), CONTOSO, name, start=dt.date(2024, 6, 1), skills=skills)
    assert points[0].as_of == dt.date(2024, 6, 1)
    for p in points:
        expected = evaluate_competency(load_sample(), CONTOSO, name, as_of=p.as_of, skills=skills)
        assert (p.measured, p.unit, p.met) == (expected.score, "points", expected.met)


def test_history_of_an_empty_ledger_is_empty() -> None:
    """A ledger without data and no start has no history."""
    ledger = Ledger(partners=[Partner("P1")])
    assert history(ledger, "P1", "CLOUD_PLATFORM_SILVER") == ()


def test_plot_history_writes_a_png(tmp_path: Path) -> None:
    """The plot is a PNG file with content, for a threshold and for a score history."""
    pytest.importorskip("matplotlib")
    for name in ("CLOUD_PLATFORM_GOLD", "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE"):
        points = history(load_sample(), CONTOSO, name, skills=SAMPLE_SKILLS[CONTOSO])
        written = plot_history(points, tmp_path / f"{name}.png", title=name)
        content = written.read_bytes()
        assert content.startswith(PNG_SIGNATURE)
        assert len(content) > 10_000


def test_plot_history_refuses_no_points(tmp_path: Path) -> None:
    """Plotting nothing is an error, not an empty picture."""
    with pytest.raises(ValueError, match="no points"):
        plot_history((), tmp_path / "x.png")


def test_plot_history_without_matplotlib_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without matplotlib the ImportError says how to install it from a clone (not PyPI)."""
    points = history(load_sample(), CONTOSO, "CLOUD_PLATFORM_GOLD", start=dt.date(2024, 12, 1))
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install -e '\.\[plot\]'"):
        plot_history(points, tmp_path / "x.png")


def test_history_bars_measure_the_entry_scope_only() -> None:
    """Cloud Platform's monthly bars are Azure only, like its line: Office 365 credits are out."""
    ledger = Ledger(
        partners=[Partner("P1", "One")],
        customers=[Customer("C1", "Alpha")],
        subscriptions=[
            Subscription("S1", "C1", Workload.AZURE),
            Subscription("S2", "C1", Workload.OFFICE_365),
        ],
        associations=[
            Association("P1", "S1", AssociationKind.DPOR, JAN),
            Association("P1", "S2", AssociationKind.DPOR, JAN),
        ],
        usage=[
            *(Usage("S1", dt.date(2024, m, 1), "1000.00") for m in range(1, 13)),
            *(Usage("S2", dt.date(2024, m, 1), "5000.00") for m in range(1, 13)),
        ],
    )
    points = history(ledger, "P1", "CLOUD_PLATFORM_SILVER", end=dt.date(2025, 1, 1))
    assert {p.credited for p in points} == {Decimal("1000.00")}
    last = points[-1]
    assert last.measured == sum((p.credited for p in points[-12:]), Decimal(0))


def test_an_entry_not_met_never_shows_full_progress() -> None:
    """Fabrikam's Azure designation scores 80 of the 70 needed but is not met: progress < 100 %."""
    positions = catalog_position(load_sample(), FABRIKAM, SAMPLE_AS_OF, SAMPLE_SKILLS[FABRIKAM])
    entry = next(p for p in positions if p.competency == "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE")
    assert not entry.met
    assert entry.score is not None
    assert entry.score >= 70
    assert entry.progress < 1
    for p in positions:
        assert (p.progress >= 1) <= p.met, p.competency
    text = render_position(positions)
    row = next(
        line for line in text.splitlines() if "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE" in line
    )
    assert "114 %" not in row
    assert "99 %" in row


def test_render_position_never_cuts_a_reason() -> None:
    """Every top shortfall appears in full (wrapped), word for word."""
    positions = catalog_position(load_sample(), FABRIKAM, SAMPLE_AS_OF, SAMPLE_SKILLS[FABRIKAM])
    words = " ".join(render_position(positions).split())
    for p in positions:
        if not p.met:
            assert " ".join(f"{p.competency}: {p.shortfall}".split()) in words
            assert "..." not in p.shortfall
