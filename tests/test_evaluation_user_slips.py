"""Calls as a new user writes them (issue #17): each gives the right answer or a clear error."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from partner_of_record import (
    Association,
    AssociationKind,
    Customer,
    Ledger,
    Partner,
    Subscription,
    Usage,
    ValidationError,
    Workload,
    evaluate_competency,
)
from partner_of_record.evaluation import (
    MissingRateError,
    RateTable,
    evaluate_all,
    project_qualification,
    what_if,
)
from partner_of_record.evaluation.results import format_quantity
from partner_of_record.io import to_dict
from partner_of_record.ledger import UnknownRecordError
from partner_of_record.samples import SAMPLE_AS_OF, SAMPLE_SKILLS, load_sample

AZURE_INFRA = "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE"
LITWARE = "4500168"
FABRIKAM = "4200517"
CONTOSO = "4100231"


def eur_ledger() -> Ledger:
    """One partner with DPOR on an Azure subscription billed in euros, 2023-07 .. 2024-06."""
    return Ledger(
        partners=[Partner("P1", "Contoso")],
        customers=[Customer("T1")],
        subscriptions=[Subscription("S1", "T1", Workload.AZURE)],
        associations=[Association("P1", "S1", AssociationKind.DPOR, dt.date(2023, 1, 1))],
        usage=[
            Usage("S1", dt.date(2023 if m > 6 else 2024, m, 1), "1500.00", currency="EUR")
            for m in range(1, 13)
        ],
    )


# ------------------------------------------------------------------ 17.4 flat skills mapping


def test_evaluate_all_flat_skills_give_every_partner_the_same_counts() -> None:
    """``evaluate_all(..., skills={"intermediate_certifications": 3})`` counts 3 for everyone."""
    ledger = load_sample()
    flat = {"intermediate_certifications": 3}
    found = evaluate_all(ledger, AZURE_INFRA, as_of=SAMPLE_AS_OF, skills=flat)
    for pid, evaluation in found.items():
        assert evaluation.requirement("intermediate_certifications").measured == 3, pid
        alone = evaluate_competency(ledger, pid, AZURE_INFRA, as_of=SAMPLE_AS_OF, skills=flat)
        assert evaluation == alone


def test_evaluate_all_per_partner_skills_still_work() -> None:
    """The per-partner shape ``{partner_id: {metric: people}}`` gives each partner its own."""
    found = evaluate_all(load_sample(), AZURE_INFRA, as_of=SAMPLE_AS_OF, skills=SAMPLE_SKILLS)
    people = found[FABRIKAM].requirement("intermediate_certifications").measured
    assert people == SAMPLE_SKILLS[FABRIKAM]["intermediate_certifications"]


def test_evaluate_all_mixed_skills_shapes_raise() -> None:
    """A mapping mixing counts and per-partner mappings is refused, never half-read."""
    skills = {"intermediate_certifications": 3, LITWARE: {"intermediate_certifications": 2}}
    with pytest.raises(ValidationError, match="per-partner"):
        evaluate_all(load_sample(), AZURE_INFRA, as_of=SAMPLE_AS_OF, skills=skills)  # type: ignore[arg-type]


def test_evaluate_all_skills_for_an_unknown_partner_raise() -> None:
    """A per-partner key that is no partner of the ledger (a typo) raises, naming it."""
    skills = {"4500186": {"intermediate_certifications": 2}}
    with pytest.raises(UnknownRecordError, match="4500186"):
        evaluate_all(load_sample(), AZURE_INFRA, as_of=SAMPLE_AS_OF, skills=skills)


# ------------------------------------------------------------------ 17.12 rates as a mapping


def test_evaluate_competency_accepts_the_rates_file_shape() -> None:
    """``rates={"EUR": "1.08"}`` is taken as ``RateTable.constant({"EUR": "1.08"})``."""
    ledger = eur_ledger()
    as_of = dt.date(2024, 7, 1)
    given = evaluate_competency(
        ledger, "P1", "CLOUD_PLATFORM_SILVER", as_of=as_of, rates={"EUR": "1.08"}
    )
    table = evaluate_competency(
        ledger,
        "P1",
        "CLOUD_PLATFORM_SILVER",
        as_of=as_of,
        rates=RateTable.constant({"EUR": "1.08"}),
    )
    assert given == table
    # 12 x 1,500 EUR x 1.08 = US$19,440, above the US$15,000 silver threshold
    assert given.requirement("azure_consumption").measured == Decimal("19440.0000")
    assert given.met


def test_what_if_and_evaluate_all_accept_a_rates_mapping() -> None:
    """Every evaluation entry point takes the same mapping."""
    ledger = eur_ledger()
    as_of = dt.date(2024, 7, 1)
    found = evaluate_all(ledger, "CLOUD_PLATFORM_SILVER", as_of=as_of, rates={"EUR": 1})
    assert found["P1"].requirement("azure_consumption").measured == 18000
    diff = what_if(ledger, "P1", "CLOUD_PLATFORM_SILVER", as_of=as_of, rates={"EUR": 1})
    assert diff.after.met


def test_rates_of_another_type_raise_naming_rate_table_constant() -> None:
    """A list of pairs is neither a table nor a mapping: the error says what to pass."""
    with pytest.raises(TypeError, match=r"RateTable\.constant"):
        evaluate_competency(
            eur_ledger(),
            "P1",
            "CLOUD_PLATFORM_SILVER",
            as_of=dt.date(2024, 7, 1),
            rates=[("EUR", "1.08")],  # type: ignore[arg-type]
        )


def test_missing_rate_error_mentions_the_mapping_and_rate_table_constant() -> None:
    """Without rates, the error shows both ways to give one."""
    with pytest.raises(MissingRateError) as caught:
        evaluate_competency(eur_ledger(), "P1", "CLOUD_PLATFORM_SILVER", as_of=dt.date(2024, 7, 1))
    text = str(caught.value)
    assert "rates={'EUR': '1.08'}" in text
    assert "RateTable.constant({'EUR': '1.08'})" in text
    assert "2023-07" in text


# ------------------------------------------------------------------ 17.6 findings shown


def test_stale_data_warning_is_in_explain_html_and_json() -> None:
    """Evaluated past the data, NO_USAGE_IN_MONTH appears in explain(), the HTML and JSON."""
    evaluation = evaluate_competency(
        load_sample(), CONTOSO, "CLOUD_PLATFORM_GOLD", as_of=dt.date(2025, 6, 1)
    )
    assert "NO_USAGE_IN_MONTH" in [f.code for f in evaluation.findings]
    assert "is the data refreshed?" in evaluation.explain()
    assert "NO_USAGE_IN_MONTH" in evaluation.explain()
    assert "is the data refreshed?" in evaluation._repr_html_()
    document = json.loads(json.dumps(to_dict(evaluation), default=str))
    assert "NO_USAGE_IN_MONTH" in json.dumps(document["findings"])


def test_every_finding_of_an_evaluation_is_in_its_explanation() -> None:
    """No finding of any sample evaluation is left out of explain() or the HTML."""
    for as_of in (SAMPLE_AS_OF, dt.date(2025, 6, 1)):
        found = evaluate_all(load_sample(), AZURE_INFRA, as_of=as_of, skills=SAMPLE_SKILLS)
        for evaluation in found.values():
            text, page = evaluation.explain(), evaluation._repr_html_()
            for finding in evaluation.findings:
                assert finding.message in text
                assert finding.code in page


# ------------------------------------------------------------------ 17.7 met vs shortfall


def test_no_result_is_met_with_a_shortfall() -> None:
    """Across the catalog and the sample, a met requirement never carries a shortfall."""
    from partner_of_record.report import evaluate_catalog

    per_entry = evaluate_catalog(load_sample(), as_of=SAMPLE_AS_OF, skills=SAMPLE_SKILLS)
    for found in per_entry.values():
        for evaluation in found.values():
            for path, result in evaluation.result.walk():
                if result.met:
                    assert result.shortfall == 0, path
                if result.kind == "scored":
                    assert result.to_full_points is not None, path
                    assert (
                        result.to_full_points
                        == max(Decimal(0), (result.threshold or 0) - (result.measured or 0))
                        or not result.met
                    ), path


def test_scored_metric_names_to_score_and_to_full_points_apart() -> None:
    """A metric that scores says "to score: ... met; to full points: ... more"."""
    evaluation = evaluate_competency(
        load_sample(),
        CONTOSO,
        AZURE_INFRA,
        as_of=SAMPLE_AS_OF,
        skills=SAMPLE_SKILLS[CONTOSO],
    )
    for result in evaluation.requirements:
        line = result.summary()
        assert "shortfall" not in line, line
        if result.met and result.to_full_points:
            assert "; to score: " in line, line
            assert ", met; to full points: " in line, line
        elif result.met:
            assert "full points reached" in line, line


# ------------------------------------------------------------------ 17.9 forward view


def growing_ledger(start: int, step: int) -> Ledger:
    """P1 is DPOR on one Azure subscription whose usage is ``start + step x i`` in 2024."""
    return Ledger(
        partners=[Partner("P1", "Contoso")],
        customers=[Customer("T1")],
        subscriptions=[Subscription("S1", "T1", Workload.AZURE)],
        associations=[Association("P1", "S1", AssociationKind.DPOR, dt.date(2023, 1, 1))],
        usage=[Usage("S1", dt.date(2024, i + 1, 1), start + step * i) for i in range(12)],
    )


def test_projection_follows_an_exact_linear_trend() -> None:
    """500, 600 .. 1,600 a month: the trailing 12 months reach US$15,000 with 2025-02's usage."""
    ledger = growing_ledger(500, 100)
    as_of = dt.date(2025, 1, 1)
    assert not evaluate_competency(ledger, "P1", "CLOUD_PLATFORM_SILVER", as_of=as_of).met
    found = project_qualification(ledger, "P1", "CLOUD_PLATFORM_SILVER", as_of=as_of)
    # 2025-01: 12,600 - 500 + 1,700 = 13,800; 2025-02: 13,800 - 600 + 1,800 = 15,000
    assert found.as_of == dt.date(2025, 3, 1)
    assert found.evaluation is not None
    assert found.evaluation.month == dt.date(2025, 2, 1)
    assert found.evaluation.requirement("azure_consumption").measured == Decimal("15000.00")
    text = found.describe()
    assert text.startswith("Projection: P1 would first meet CLOUD_PLATFORM_SILVER as of 2025-03-01")
    assert "assuming each usage line" in text
    assert "straight-line trend of its last 12 months" in text


def test_projection_of_a_decline_is_never_met_within_the_horizon() -> None:
    """Falling usage never reaches the threshold; the answer says so, with the horizon."""
    found = project_qualification(
        growing_ledger(1200, -50), "P1", "CLOUD_PLATFORM_SILVER", as_of=dt.date(2025, 1, 1)
    )
    assert found.as_of is None
    assert not found.met
    assert found.scanned_to == dt.date(2027, 1, 1)
    assert "would not meet CLOUD_PLATFORM_SILVER by 2027-01-01, assuming" in found.describe()


def test_projection_with_your_own_records_states_your_assumption() -> None:
    """A user projection (a deal expected in June 2025) gives July, under its own words."""
    ledger = growing_ledger(100, 0)

    def deal(_ledger: Ledger, first: dt.date, last: dt.date) -> list[Usage]:
        assert first == dt.date(2025, 1, 1)
        return [Usage("S1", dt.date(2025, 6, 1), "20000")]

    with pytest.raises(ValueError, match="assumption"):
        project_qualification(
            ledger, "P1", "CLOUD_PLATFORM_SILVER", as_of=dt.date(2025, 1, 1), projection=deal
        )
    found = project_qualification(
        ledger,
        "P1",
        "CLOUD_PLATFORM_SILVER",
        as_of=dt.date(2025, 1, 1),
        projection=deal,
        assumption="the Northwind migration bills US$20,000 in June 2025",
    )
    assert found.as_of == dt.date(2025, 7, 1)
    assert found.describe().endswith(
        "assuming the Northwind migration bills US$20,000 in June 2025"
    )


def test_projection_when_already_met_says_so() -> None:
    """A partner that meets the entry today gets "already meets", not a projection."""
    found = project_qualification(load_sample(), CONTOSO, "CLOUD_PLATFORM_GOLD", as_of=SAMPLE_AS_OF)
    assert found.already_met
    assert found.met
    assert "already meets" in found.describe()


# ------------------------------------------------------------------ 17.14 numbers for pandas


def test_evaluation_to_pandas_numeric_is_ready_to_plot() -> None:
    """``to_pandas(numeric=True)`` gives float quantities and Timestamp days; default is exact."""
    pd = pytest.importorskip("pandas")
    evaluation = evaluate_competency(
        load_sample(), FABRIKAM, AZURE_INFRA, as_of=SAMPLE_AS_OF, skills=SAMPLE_SKILLS[FABRIKAM]
    )
    exact = evaluation.to_pandas()
    assert isinstance(exact["measured"][0], Decimal)
    frame = evaluation.to_pandas(numeric=True)
    for column in ("measured", "threshold", "points", "max_points", "shortfall"):
        assert frame[column].dtype == "float64", column
    assert str(frame["month"].dtype).startswith("datetime64")
    assert frame["points"].sum() == pytest.approx(float(evaluation.score or 0))
    assert list(frame["month"]) == [pd.Timestamp(2024, 12, 1)] * len(frame)
    growth = frame.set_index("requirement").loc["usage_growth"]
    assert growth["to_full_points"] == pytest.approx(36.92, abs=0.01)


def test_html_table_shows_need_short_by_and_to_full_points_apart() -> None:
    """In a notebook, a met metric has an empty "short by" cell and its "to full points" value."""
    evaluation = evaluate_competency(
        load_sample(), CONTOSO, AZURE_INFRA, as_of=SAMPLE_AS_OF, skills=SAMPLE_SKILLS[CONTOSO]
    )
    page = evaluation._repr_html_()
    assert "<th>short by</th><th>to full points</th>" in page
    met_partly = next(r for r in evaluation.requirements if r.met and r.to_full_points)
    row = next(part for part in page.split("<tr>") if f"<td>{met_partly.name}</td>" in part)
    cells = row.split("<td>")
    assert cells[6] == "</td>"  # short by: empty, the metric is met
    to_full = format_quantity(met_partly.to_full_points, met_partly.unit)
    assert cells[7] == f"{to_full}</td>"
    assert "to score; full points at" in cells[3]
