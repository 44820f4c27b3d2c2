"""The evaluation package after the issue-16 restructuring: literals, aliases, re-exports."""

from __future__ import annotations

import datetime as dt
import importlib
import warnings
from decimal import Decimal
from typing import get_args

import attrs
import pytest

from partner_of_record import errors
from partner_of_record.evaluation import context, measures
from partner_of_record.evaluation import requirements as r
from partner_of_record.evaluation.declarative import BLOCK_TYPES
from partner_of_record.evaluation.results import BlockKind, RequirementResult
from partner_of_record.model import PartnerId

_SKILL = measures.SkillCount("people")


def _blocks() -> dict[str, r.Requirement]:
    """One requirement of every block of the algebra, over a skill count."""
    at_least = r.AtLeast("a", _SKILL, 1)
    scored = r.Scored("s", _SKILL, cap=10, full_at=5)
    return {
        "at_least": at_least,
        "scored": scored,
        "scorecard": r.Scorecard("c", [scored], minimum_total=1),
        "all_of": r.AllOf("all", [at_least]),
        "any_of": r.AnyOf("any", [at_least]),
        "best_of": r.BestOf("best", [at_least, r.AtLeast("b", _SKILL, 2)]),
        "gate": r.Gate("g", at_least, scored, at_least),
        "points_sum": r.PointsSum("p", [scored], cap=10),
    }


def _kinds(result: RequirementResult) -> set[str]:
    return {result.kind}.union(*(_kinds(child) for child in result.children))


def test_block_kind_names_every_block_and_only_those() -> None:
    """Each block's result carries its own ``BlockKind``; the literal lists exactly the blocks."""
    ctx = context.MeasurementContext.from_rows(
        PartnerId("P1"), dt.date(2024, 7, 1), skills={"people": 3}
    )
    blocks = _blocks()
    assert set(blocks) == set(get_args(BlockKind))
    for kind, block in blocks.items():
        assert block.evaluate(ctx).kind == kind
    seen = set().union(*(_kinds(b.evaluate(ctx)) for b in blocks.values()))
    assert seen == set(get_args(BlockKind))


def test_block_kinds_are_the_declarative_requirement_types() -> None:
    """A declaration names each block by its ``BlockKind`` and gets that block's class."""
    for kind, block in _blocks().items():
        assert BLOCK_TYPES[kind] is type(block)


def test_severity_is_the_three_levels_findings_use() -> None:
    """``Severity`` is a literal of error, warning and info; a finding defaults to error."""
    assert set(get_args(errors.Severity)) == {"error", "warning", "info"}
    assert errors.Finding("X", "m").severity == "error"


def test_the_old_facts_name_still_imports_with_a_warning() -> None:
    """``evaluation.context.Facts`` is ``FactSource`` under a ``DeprecationWarning``."""
    with pytest.warns(DeprecationWarning, match="FactSource"):
        old = context.Facts
    assert old is context.FactSource
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = context.Nope


_OLD_NAMES = [
    "STANDARD_OFFERS",
    "AcrCustomers",
    "AcrGrowth",
    "AcrScope",
    "CreditedAcr",
    "CustomerKey",
    "CustomerRule",
    "DistinctCustomers",
    "DistinctServices",
    "Intersection",
    "Measure",
    "Measurement",
    "NetCustomerAdds",
    "SeatCustomers",
    "SeatGrowth",
    "SeatScope",
    "SeatTotal",
    "Shifted",
    "SkillCount",
    "service_key",
    "growth_value",
    "to_decimal",
    "to_kinds",
    "to_offers",
    "to_services",
    "to_workloads",
    "_finding",
]


@pytest.mark.parametrize("name", _OLD_NAMES)
def test_the_measures_module_names_still_import(name: str) -> None:
    """Every name importers took from the former ``measures.py`` imports from the package."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        module = importlib.import_module("partner_of_record.evaluation.measures")
        assert getattr(module, name) is not None


def test_over_scope_and_fixed_unit_keep_records_slotted_and_equal() -> None:
    """The bases add no fields, no ``__dict__``: records compare and repr as before."""
    scope = measures.AcrScope(["dpor"])
    one, two = measures.CreditedAcr(scope), measures.CreditedAcr(scope)
    assert one == two
    assert hash(one) == hash(two)
    assert not hasattr(one, "__dict__")
    assert [f.name for f in attrs.fields(measures.CreditedAcr)] == ["scope", "window"]
    assert repr(one).startswith("CreditedAcr(scope=AcrScope(kinds=frozenset(")
    assert (one.unit, one.kinds) == ("USD", scope.kinds)
    assert measures.SkillCount("x").unit == "people"
    assert measures.SkillCount("x").kinds == frozenset()
    rules = measures.NetCustomerAdds([measures.AcrCustomers(scope, min_usd=Decimal(1))])
    assert (rules.unit, rules.kinds) == ("customers", scope.kinds)
