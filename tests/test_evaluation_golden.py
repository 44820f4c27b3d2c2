"""Golden scenarios: the worked examples of the domain reference, end to end.

Each file of ``tests/golden/evaluation/`` holds a ledger, the competency (a catalog name or a
declaration), the skills, and the expected results. The doc inconsistencies resolved are told in
each file's header; in short:

* Security "6.67 points per person, cap 40" vs "3 people -> 20 points": 3 x 6.67 = 20.01, so we
  score 40 x people / 6 exactly (``security_skilling.toml``).
* The 2023 and later qualification windows disagree ("current month and previous five months" vs
  "previous five full calendar months"): both are offered, the 2023 text is the default
  (``test_qualification_window_examples`` below).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

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
from partner_of_record.evaluation import (
    Evaluation,
    evaluate_competency,
    load_competency,
    qualification_window,
)

GOLDEN = Path(__file__).parent / "golden" / "evaluation"
FILES = sorted(GOLDEN.glob("*.toml"))


def _ledger(data: dict[str, Any]) -> Ledger:
    return Ledger(
        partners=[Partner(**p) for p in data.get("partners", [])],
        customers=[Customer(**c) for c in data.get("customers", [])],
        subscriptions=[
            Subscription(**{**s, "workload": Workload(s["workload"])})
            for s in data.get("subscriptions", [])
        ],
        associations=[
            Association(**{**a, "kind": AssociationKind(a["kind"])})
            for a in data.get("associations", [])
        ],
        usage=[Usage(**u) for u in data.get("usage", [])],
        seats=[SeatUsage(**s) for s in data.get("seats", [])],
    )


def _run(path: Path) -> tuple[Evaluation, dict[str, Any]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    competency = data["competency"]
    if isinstance(competency, dict):
        competency = load_competency(competency)
    evaluation = evaluate_competency(
        _ledger(data["ledger"]),
        data["partner"],
        competency,
        as_of=data["as_of"],
        skills=data.get("skills"),
    )
    return evaluation, data["expected"]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_golden_scenario(path: Path) -> None:
    """Each golden scenario evaluates to exactly its expected verdict, score and results."""
    evaluation, expected = _run(path)
    assert evaluation.met is expected["met"], evaluation.explain()
    if "score" in expected:
        assert evaluation.score == Decimal(expected["score"]), evaluation.explain()
    assert sorted({f.code for f in evaluation.findings}) == sorted(expected["findings"])
    for item in expected["results"]:
        result = evaluation.requirement(item["path"])
        where = f"{path.stem}: {item['path']}\n{evaluation.explain()}"
        if "measured" in item:
            assert result.measured == Decimal(item["measured"]), where
        if "points" in item:
            assert result.points == Decimal(item["points"]), where
        if "shortfall" in item:
            assert result.shortfall == Decimal(item["shortfall"]), where
        if "to_full_points" in item:
            assert result.to_full_points == Decimal(item["to_full_points"]), where
        if "met" in item:
            assert result.met is item["met"], where
        if "customers" in item:
            assert list(result.customers) == item["customers"], where
        if "summary" in item:
            assert result.summary() == item["summary"], where
        if "detail_contains" in item:
            assert item["detail_contains"] in result.detail, where


def test_golden_files_exist() -> None:
    """The golden directory holds the worked examples (a missing file would silently pass)."""
    assert {p.stem for p in FILES} >= {
        "azure_infrastructure",
        "modern_work_enterprise",
        "security_skilling",
        "business_applications_mcv",
        "cloud_business_applications_2021",
        "specialization_infra_database_migration",
    }


@pytest.mark.parametrize(
    ("day", "rule", "window"),
    [
        # 2023 text: "current month and previous five months": 2023-08-15 -> 2023-03-15..2023-08-15
        (dt.date(2023, 8, 15), "2023", (dt.date(2023, 3, 15), dt.date(2023, 8, 15))),
        # later page: "previous five full calendar months": 2024-08-15 -> 2024-03-01..2024-08-31
        (dt.date(2024, 8, 15), "full_months", (dt.date(2024, 3, 1), dt.date(2024, 8, 31))),
        # a day missing five months earlier is that month's last day
        (dt.date(2024, 7, 31), "2023", (dt.date(2024, 2, 29), dt.date(2024, 7, 31))),
    ],
)
def test_qualification_window_examples(
    day: dt.date, rule: str, window: tuple[dt.date, dt.date]
) -> None:
    """The qualification window reproduces both published examples."""
    assert qualification_window(day, rule) == window  # type: ignore[arg-type]
