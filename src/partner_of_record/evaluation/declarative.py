"""Requirements declared as data (TOML or JSON), loaded safely.

A declaration is a tree of tables, each naming its building block with ``type``; the other keys
are the block's fields. Nothing is evaluated and no name is imported: ``type`` must be one of
``BLOCK_TYPES``, and every key is checked against the block's fields. Errors name the path of the
bad key (``requirement.metrics[1].measure.scope.kinds``) and suggest close names.

```toml
name = "MY_AZURE_SILVER"
title = "Our Azure silver"
source = "internal policy"
published = 2024-01-01

[requirement]
type = "at_least"
name = "azure_consumption"
threshold = 15000

[requirement.measure]
type = "credited_acr"
window = { months = 12 }
scope = { kinds = ["dpor", "pal"], workloads = ["azure"] }
```

Optional sets (``workloads``, ``services``, ``offers``) take ``"all"`` for "no filter"
(TOML has no null). Numbers may be integers, strings (``"0.4"``) or TOML/JSON floats (read
through their shortest text, so ``0.4`` is exactly ``Decimal("0.4")``). Dates are TOML dates
or ISO strings.
``dump_competency`` writes the same form, so ``load_competency(dump_competency(c)) == c``.

Files are read as UTF-8 (a leading BOM is dropped); tables and lists nest at most 64 levels.
Every problem, bad bytes and too deep nesting included, is a ``DeclarationError`` naming the
key's path, and the file when the declaration was read from one.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, get_args

from partner_of_record._declare import (
    Builder,
    DeclarationError,
    check_depth,
    date,
    load_file,
    parse,
    sequence,
    table,
    top_table,
)
from partner_of_record.evaluation import measures as m
from partner_of_record.evaluation import requirements as r
from partner_of_record.evaluation.competency import Competency
from partner_of_record.evaluation.context import SeatCrediting
from partner_of_record.evaluation.results import BlockKind
from partner_of_record.evaluation.time import Trailing

__all__ = [
    "BLOCK_TYPES",
    "DeclarationError",
    "dump_competency",
    "dump_requirement",
    "load_competency",
    "load_competency_file",
    "load_requirement",
    "loads_competency",
]

BLOCK_TYPES: Mapping[str, type[Any]] = MappingProxyType(
    {
        "at_least": r.AtLeast,
        "scored": r.Scored,
        "scorecard": r.Scorecard,
        "all_of": r.AllOf,
        "any_of": r.AnyOf,
        "best_of": r.BestOf,
        "gate": r.Gate,
        "points_sum": r.PointsSum,
        "credited_acr": m.CreditedAcr,
        "acr_growth": m.AcrGrowth,
        "distinct_customers": m.DistinctCustomers,
        "net_customer_adds": m.NetCustomerAdds,
        "distinct_services": m.DistinctServices,
        "skill_count": m.SkillCount,
        "seat_total": m.SeatTotal,
        "seat_growth": m.SeatGrowth,
        "acr_customers": m.AcrCustomers,
        "seat_customers": m.SeatCustomers,
        "shifted": m.Shifted,
        "intersection": m.Intersection,
    }
)
"""The building blocks a declaration may name with ``type``."""

_REQUIREMENTS: frozenset[str] = frozenset(get_args(BlockKind))
"""A requirement declaration's ``type`` is one of the algebra's block kinds."""
_MEASURES = frozenset(
    {
        "credited_acr",
        "acr_growth",
        "distinct_customers",
        "net_customer_adds",
        "distinct_services",
        "skill_count",
        "seat_total",
        "seat_growth",
    }
)
_RULES = frozenset({"acr_customers", "seat_customers", "shifted", "intersection"})
_VALUES: Mapping[str, type[Any]] = MappingProxyType(
    {
        "AcrScope": m.AcrScope,
        "SeatScope": m.SeatScope,
        "Trailing": Trailing,
        "SeatCrediting": SeatCrediting,
    }
)
_COMPETENCY_KEYS = ("name", "title", "requirement", "source", "published", "notes", "program")
_COMPETENCY_REQUIRED = ("name", "title", "requirement", "source", "published")


_BUILDER = Builder(
    blocks=BLOCK_TYPES,
    slots=MappingProxyType(
        {
            "Measure": _MEASURES,
            "Requirement": _REQUIREMENTS,
            "CustomerRule": _RULES,
        }
    ),
    values=_VALUES,
)
"""Builds and dumps the building blocks; the incentives' loader has its own for its types."""


def load_requirement(data: Mapping[str, Any], *, path: str = "requirement") -> r.Requirement:
    """Build a requirement tree from a declaration (a parsed TOML/JSON table).

    Args:
        data: the table, with a ``type`` key naming a requirement block.
        path: the name of the table, for error messages.

    Returns:
        The requirement.

    Raises:
        DeclarationError: the declaration is malformed (names the bad key's path).
    """
    check_depth(data, path)
    out: r.Requirement = _BUILDER.block(data, path, _REQUIREMENTS)
    return out


def load_competency(data: Mapping[str, Any]) -> Competency:
    """Build a [`Competency`][partner_of_record.evaluation.Competency] from a table.

    Args:
        data: keys ``name``, ``title``, ``requirement``, ``source``, ``published`` (a date or
            an ISO string), optional ``notes`` (a list of strings) and ``program``.

    Returns:
        The competency.

    Raises:
        DeclarationError: the declaration is malformed (names the bad key's path).
    """
    data = top_table(data, _COMPETENCY_KEYS, _COMPETENCY_REQUIRED, "Competency")
    published = date(data["published"], "published")
    notes = data.get("notes", ())
    notes_list = [notes] if isinstance(notes, str) else sequence(notes, "notes")
    if not all(isinstance(n, str) for n in notes_list):
        raise DeclarationError("notes", "is not a list of strings")
    for key in ("name", "title", "source", "program"):
        if key in data and not isinstance(data[key], str):
            raise DeclarationError(key, f"{data[key]!r} is not a string")
    try:
        return Competency(
            name=data["name"],
            title=data["title"],
            requirement=load_requirement(table(data["requirement"], "requirement")),
            source=data["source"],
            published=published,
            notes=tuple(notes_list),
            program=data.get("program", ""),
        )
    except (ValueError, TypeError) as exc:
        if isinstance(exc, DeclarationError):
            raise
        raise DeclarationError("", str(exc)) from exc


def loads_competency(text: str, *, format: str = "toml") -> Competency:
    """Parse TOML or JSON text and build the competency it declares.

    Args:
        text: the document.
        format: ``"toml"`` or ``"json"``.

    Returns:
        The competency.

    Raises:
        DeclarationError: the text does not parse, nests deeper than 64 levels, or the
            declaration is malformed.
    """
    return load_competency(parse(text, format))


def load_competency_file(path: str | Path) -> Competency:
    """Read a ``.toml`` or ``.json`` file and build the competency it declares.

    Args:
        path: the file's path.

    Returns:
        The competency.

    Raises:
        DeclarationError: unknown suffix, not UTF-8 text, bad syntax, nesting deeper than
            64 levels or a malformed declaration; the message names the file.
        OSError: the file cannot be read.
    """
    return load_file(path, load_competency)


# --------------------------------------------------------------------------------------------
# dumping


def dump_requirement(requirement: r.Requirement) -> dict[str, Any]:
    """Return a requirement tree as plain data (the form ``load_requirement`` reads).

    Args:
        requirement: the requirement tree.

    Returns:
        Plain data (TOML/JSON-ready).

    Raises:
        TypeError: the tree holds a user-defined block that has no declarative form.
    """
    out: dict[str, Any] = _BUILDER.plain(requirement)
    return out


def dump_competency(competency: Competency) -> dict[str, Any]:
    """Return a competency as plain data (TOML/JSON-ready; dates as ISO strings).

    Args:
        competency: a competency, or a catalog name.

    Returns:
        Plain data (TOML/JSON-ready).

    Raises:
        TypeError: the tree holds a user-defined block that has no declarative form.
    """
    out: dict[str, Any] = {
        "name": competency.name,
        "title": competency.title,
        "source": competency.source,
        "published": competency.published.isoformat(),
        "requirement": dump_requirement(competency.requirement),
    }
    if competency.notes:
        out["notes"] = list(competency.notes)
    if competency.program:
        out["program"] = competency.program
    return out
