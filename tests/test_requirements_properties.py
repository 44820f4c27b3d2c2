"""Laws of the requirement algebra: declarative round trip, best-of, scorecard totals."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from partner_of_record import AssociationKind, OfferCategory, Workload
from partner_of_record.evaluation import (
    AcrCustomers,
    AcrGrowth,
    AcrScope,
    AllOf,
    AnyOf,
    AtLeast,
    BestOf,
    CreditedAcr,
    DistinctCustomers,
    DistinctServices,
    Gate,
    MeasurementContext,
    NetCustomerAdds,
    PointsSum,
    Scorecard,
    Scored,
    SeatCustomers,
    SeatGrowth,
    SeatScope,
    SeatTotal,
    SkillCount,
    Trailing,
    dump_requirement,
    load_requirement,
)

names = st.text("abcdefghij_", min_size=1, max_size=8)
numbers = st.decimals(0, 10_000, places=2).filter(lambda d: d > 0)
kinds = st.frozensets(st.sampled_from(list(AssociationKind)), min_size=1, max_size=3)
workloads = st.frozensets(st.sampled_from(list(Workload)), min_size=1, max_size=3)
windows = st.builds(Trailing, st.integers(1, 24), st.integers(0, 12))
acr_scopes = st.builds(
    AcrScope,
    kinds,
    workloads=st.none() | workloads,
    services=st.none() | st.frozensets(st.sampled_from(["storage", "sql", "vm"]), max_size=2),
    exclude_services=st.frozensets(st.sampled_from(["virtual machines"]), max_size=1),
    offers=st.none() | st.frozensets(st.sampled_from(list(OfferCategory)), min_size=1),
)
seat_scopes = st.builds(
    SeatScope,
    kinds,
    workloads,
    value=st.sampled_from(["paid_seats", "active_users", "mcv"]),
    mcv_rates=st.dictionaries(st.sampled_from(list(Workload)), numbers, max_size=2),
    min_paid_seats=st.none() | st.integers(0, 500),
)
rules = st.one_of(
    st.builds(
        AcrCustomers,
        acr_scopes,
        windows,
        numbers,
        basis=st.sampled_from(["total", "any_month"]),
        strict=st.booleans(),
    ),
    st.builds(
        SeatCustomers,
        seat_scopes,
        windows,
        numbers,
        min_active_share=st.none() | st.decimals(0, 1, places=2),
        pairs=st.booleans(),
    ),
)
measures = st.one_of(
    st.builds(CreditedAcr, acr_scopes, windows),
    st.builds(AcrGrowth, acr_scopes, st.integers(1, 24), st.sampled_from(["percent", "absolute"])),
    st.builds(DistinctCustomers, st.lists(rules, min_size=1, max_size=2).map(tuple)),
    st.builds(NetCustomerAdds, st.lists(rules, min_size=1, max_size=2).map(tuple)),
    st.builds(DistinctServices, acr_scopes, windows),
    st.builds(SkillCount, names),
    st.builds(SeatTotal, seat_scopes, windows, st.sampled_from(["last", "peak"])),
    st.builds(SeatGrowth, seat_scopes, st.integers(1, 24)),
)
scored = st.builds(
    lambda name, measure, cap, rate, full: Scored(
        name, measure, cap, per_unit=None if full else rate, full_at=rate if full else None
    ),
    names,
    measures,
    numbers,
    numbers,
    st.booleans(),
)
leaves = st.one_of(st.builds(AtLeast, names, measures, numbers), scored)


def _unique(parts: list[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for part in parts:
        seen.setdefault(part.name, part)
    return list(seen.values())


def _composites(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    parts = st.lists(children, min_size=1, max_size=3).map(_unique)
    return st.one_of(
        st.builds(AllOf, names, parts),
        st.builds(AnyOf, names, parts),
        st.builds(BestOf, names, parts),
        st.builds(Gate, names, children, children, children),
    )


requirements = st.recursive(leaves, _composites, max_leaves=6)
scored_lists = st.lists(scored, min_size=1, max_size=4).map(_unique)


@given(requirements)
def test_declarative_round_trip(requirement: Any) -> None:
    """Every requirement tree survives dump -> JSON -> load unchanged."""
    data = json.loads(json.dumps(dump_requirement(requirement)))
    assert load_requirement(data) == requirement


def _ctx(people: dict[str, int]) -> MeasurementContext:
    return MeasurementContext.from_rows("P1", dt.date(2024, 7, 1), skills=people)


skills = st.dictionaries(names, st.integers(0, 50), max_size=6)


@given(scored_lists, skills, numbers)
def test_scorecard_total_is_the_sum_of_metric_points(
    metrics: list[Scored], people: dict[str, int], minimum: Decimal
) -> None:
    """A scorecard's points are its metrics' added (in cents); met iff total >= minimum, all > 0."""
    skill_metrics = [
        Scored(m.name, SkillCount(m.name), m.cap, per_unit=m.per_unit, full_at=m.full_at)
        for m in metrics
    ]
    result = Scorecard("card", skill_metrics, minimum).evaluate(_ctx(people))
    points = [child.points for child in result.children]
    assert result.points == sum(p for p in points if p is not None)
    assert result.points is not None
    assert result.points.as_tuple().exponent == -2  # always shown in cents, 0.00 included
    assert result.met == (
        result.points is not None
        and result.points >= minimum
        and all(p is not None and p > 0 for p in points)
    )


@given(scored_lists, skills)
def test_best_of_is_the_maximum(metrics: list[Scored], people: dict[str, int]) -> None:
    """Best-of over scored parts scores the highest part's points."""
    skill_metrics = [
        Scored(m.name, SkillCount(m.name), m.cap, per_unit=m.per_unit, full_at=m.full_at)
        for m in metrics
    ]
    ctx = _ctx(people)
    best = BestOf("best", skill_metrics).evaluate(ctx)
    assert best.points == max(m.evaluate(ctx).points or 0 for m in skill_metrics)
    total = PointsSum("sum", skill_metrics, Decimal(10**9)).evaluate(ctx)
    assert total.points == sum(m.evaluate(ctx).points or 0 for m in skill_metrics)


@given(
    st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(0, 30), max_size=3),
    st.integers(1, 60),
    st.sampled_from([None, Decimal("0.5"), Decimal(4)]),
)
def test_a_met_result_never_carries_a_shortfall(
    people: dict[str, int], minimum: int, per_unit: Decimal | None
) -> None:
    """Met means shortfall 0; a scored metric's distance to full points is ``to_full_points``."""
    metrics = [
        Scored(name, SkillCount(name), 20, per_unit=per_unit)
        if per_unit is not None
        else Scored(name, SkillCount(name), 20, full_at=5)
        for name in ("a", "b", "c")
    ]
    tree = AllOf(
        "root",
        [
            Scorecard("card", metrics, minimum),
            BestOf("best", metrics[:2]),
            PointsSum("sum", metrics[1:], 30),
            AtLeast("people", SkillCount("a"), 3),
        ],
    )
    ctx = MeasurementContext.from_rows("P1", dt.date(2025, 1, 1), skills=people)
    for path, result in tree.evaluate(ctx).walk():
        if result.met:
            assert result.shortfall == 0, path
        if result.kind == "scored":
            measured = result.measured or Decimal(0)
            assert result.to_full_points == max(Decimal(0), (result.threshold or 0) - measured)
            assert result.met is (measured > 0)
            if not result.met:
                assert result.shortfall == result.to_full_points
