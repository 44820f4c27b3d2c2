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
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import json
import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs

from partner_of_record.errors import PartnerOfRecordError
from partner_of_record.evaluation import measures as m
from partner_of_record.evaluation import requirements as r
from partner_of_record.evaluation.competency import Competency
from partner_of_record.evaluation.context import SeatCrediting
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

_TYPE_OF: dict[type[Any], str] = {cls: name for name, cls in BLOCK_TYPES.items()}
_REQUIREMENTS = frozenset(
    {"at_least", "scored", "scorecard", "all_of", "any_of", "best_of", "gate", "points_sum"}
)
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


class DeclarationError(PartnerOfRecordError, ValueError):
    """A declaration is malformed; the message names the path of the bad key.

    Attributes:
        path: where the problem is (``requirement.metrics[1].cap``).
        problem: what is wrong.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path or '<root>'}: {problem}")


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _suggest(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(sorted(known))}"


def _number(value: object, path: str) -> Decimal:
    if isinstance(value, bool):
        raise DeclarationError(path, f"{value!r} is not a number")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, int | str | Decimal):
        try:
            out = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
        except ArithmeticError:
            raise DeclarationError(path, f"{value!r} is not a number") from None
        if out.is_finite():
            return out
    raise DeclarationError(path, f"{value!r} is not a number")


def _literal_choices(annotation: str) -> tuple[str, ...] | None:
    match = re.fullmatch(r"Literal\[(.*)\]", annotation)
    if match is None:
        return None
    return tuple(part.strip().strip("'\"") for part in match.group(1).split(","))


def _table(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DeclarationError(path, f"expected a table, got {type(value).__name__} {value!r}")
    return value


def _list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise DeclarationError(path, f"expected a list, got {type(value).__name__} {value!r}")
    return list(value)


def _block(value: object, path: str, allowed: frozenset[str]) -> Any:
    data = _table(value, path)
    kind = data.get("type")
    if not isinstance(kind, str):
        raise DeclarationError(_join(path, "type"), "missing or not a string")
    if kind not in allowed:
        raise DeclarationError(
            _join(path, "type"), f"{kind!r} is not allowed here" + _suggest(kind, sorted(allowed))
        )
    return _build(BLOCK_TYPES[kind], {k: v for k, v in data.items() if k != "type"}, path)


def _convert(annotation: str, value: object, path: str) -> Any:
    ann = annotation.replace(" | None", "")
    if value is None:
        if "None" in annotation:
            return None
        raise DeclarationError(path, "must not be empty")
    if ann == "Measure":
        return _block(value, path, _MEASURES)
    if ann == "Requirement":
        return _block(value, path, _REQUIREMENTS)
    if ann == "CustomerRule":
        return _block(value, path, _RULES)
    if ann == "tuple[Requirement, ...]":
        return tuple(
            _block(v, _join(path, i), _REQUIREMENTS) for i, v in enumerate(_list(value, path))
        )
    if ann == "tuple[CustomerRule, ...]":
        return tuple(_block(v, _join(path, i), _RULES) for i, v in enumerate(_list(value, path)))
    if ann in _VALUES:
        return _build(_VALUES[ann], _table(value, path), path)
    if ann == "Decimal":
        return _number(value, path)
    if ann == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise DeclarationError(path, f"{value!r} is not an integer")
        return value
    if ann == "bool":
        if not isinstance(value, bool):
            raise DeclarationError(path, f"{value!r} is not true or false")
        return value
    if ann == "str":
        if not isinstance(value, str):
            raise DeclarationError(path, f"{value!r} is not a string")
        return value
    choices = _literal_choices(ann)
    if choices is not None:
        if value not in choices:
            raise DeclarationError(
                path, f"{value!r} is not one of {', '.join(repr(c) for c in choices)}"
            )
        return value
    if ann.startswith("frozenset["):
        if value == "all" and "None" in annotation:
            return None
        items = [value] if isinstance(value, str) else _list(value, path)
        if not all(isinstance(i, str) for i in items):
            raise DeclarationError(path, f"{value!r} is not a list of names")
        return items
    if ann == "tuple[tuple[Workload, Decimal], ...]":
        table = _table(value, path)
        return {k: _number(v, _join(path, k)) for k, v in table.items()}
    raise DeclarationError(path, f"cannot read a value of type {annotation}")  # pragma: no cover


def _build(cls: type[Any], data: Mapping[str, Any], path: str) -> Any:
    fields = {f.name: f for f in attrs.fields(cls)}
    for key in data:
        if key not in fields:
            raise DeclarationError(
                _join(path, key), f"unknown key for {cls.__name__}" + _suggest(key, list(fields))
            )
    kwargs: dict[str, Any] = {}
    for name, field in fields.items():
        if name not in data:
            if field.default is attrs.NOTHING:
                raise DeclarationError(_join(path, name), f"missing (required by {cls.__name__})")
            continue
        kwargs[name] = _convert(str(field.type), data[name], _join(path, name))
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:
        raise DeclarationError(path, f"{cls.__name__}: {exc}") from exc


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
    out: r.Requirement = _block(data, path, _REQUIREMENTS)
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
    data = _table(data, "")
    for key in data:
        if key not in _COMPETENCY_KEYS:
            raise DeclarationError(
                key, "unknown key for Competency" + _suggest(key, list(_COMPETENCY_KEYS))
            )
    for key in ("name", "title", "requirement", "source", "published"):
        if key not in data:
            raise DeclarationError(key, "missing (required by Competency)")
    published = data["published"]
    if isinstance(published, str):
        try:
            published = dt.date.fromisoformat(published)
        except ValueError:
            raise DeclarationError("published", f"{published!r} is not an ISO date") from None
    if isinstance(published, dt.datetime) or not isinstance(published, dt.date):
        raise DeclarationError("published", f"{published!r} is not a date")
    notes = data.get("notes", ())
    notes_list = [notes] if isinstance(notes, str) else _list(notes, "notes")
    if not all(isinstance(n, str) for n in notes_list):
        raise DeclarationError("notes", "is not a list of strings")
    for key in ("name", "title", "source", "program"):
        if key in data and not isinstance(data[key], str):
            raise DeclarationError(key, f"{data[key]!r} is not a string")
    try:
        return Competency(
            name=data["name"],
            title=data["title"],
            requirement=load_requirement(_table(data["requirement"], "requirement")),
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
        DeclarationError: the text does not parse, or the declaration is malformed.
    """
    try:
        if format == "toml":
            data: Any = tomllib.loads(text)
        elif format == "json":
            data = json.loads(text)
        else:
            raise DeclarationError("", f"format {format!r} is not 'toml' or 'json'")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise DeclarationError("", f"not valid {format.upper()}: {exc}") from exc
    return load_competency(data)


def load_competency_file(path: str | Path) -> Competency:
    """Read a ``.toml`` or ``.json`` file and build the competency it declares.

    Args:
        path: the file's path.

    Returns:
        The competency.

    Raises:
        DeclarationError: unknown suffix, bad syntax or a malformed declaration.
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("toml", "json"):
        raise DeclarationError("", f"{path.name}: expected a .toml or .json file")
    return loads_competency(path.read_text(encoding="utf-8"), format=suffix)


# --------------------------------------------------------------------------------------------
# dumping


def _plain(value: Any) -> Any:
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, frozenset):
        return sorted(_plain(v) for v in value)
    if (
        isinstance(value, tuple)
        and value
        and all(isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], enum.Enum) for v in value)
    ):
        return {k.value: _plain(v) for k, v in value}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if attrs.has(type(value)):
        out: dict[str, Any] = {}
        kind = _TYPE_OF.get(type(value))
        if kind is not None:
            out["type"] = kind
        for field in attrs.fields(type(value)):
            item = getattr(value, field.name)
            if field.default is not attrs.NOTHING and item == field.default:
                continue
            if item is None and str(field.type).startswith("frozenset["):
                out[field.name] = "all"  # TOML has no null
                continue
            out[field.name] = _plain(item)
        return out
    msg = f"cannot declare {value!r} (not a catalog building block)"
    raise TypeError(msg)


def dump_requirement(requirement: r.Requirement) -> dict[str, Any]:
    """Return a requirement tree as plain data (the form ``load_requirement`` reads).

    Args:
        requirement: the requirement tree.

    Returns:
        Plain data (TOML/JSON-ready).

    Raises:
        TypeError: the tree holds a user-defined block that has no declarative form.
    """
    out: dict[str, Any] = _plain(requirement)
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
