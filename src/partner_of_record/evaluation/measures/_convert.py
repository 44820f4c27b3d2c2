"""Converters: the names and numbers users type, as the values measures keep.

Used as ``attrs`` converters by the measures, and by the declarative loader and the incentive
programs too; each refuses a bad value with a ``ValidationError`` naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, cast

from partner_of_record.errors import ValidationError
from partner_of_record.model import AssociationKind, OfferCategory, Workload

if TYPE_CHECKING:  # pragma: no cover - typing only
    from partner_of_record.evaluation.measures._base import CustomerRule

__all__ = [
    "service_key",
    "to_decimal",
    "to_kinds",
    "to_offers",
    "to_rates",
    "to_rules",
    "to_services",
    "to_services_required",
    "to_workloads",
    "to_workloads_required",
]

_E = TypeVar("_E", AssociationKind, Workload, OfferCategory)


def _enum_set(
    enum_type: type[_E], field: str, value: Iterable[_E | str] | _E | str
) -> frozenset[_E]:
    """Members, or their names or values in any case, to a frozenset (one item: a set of one)."""
    # one member or name alone counts as a set of one; anything else is iterated as given
    items = [value] if isinstance(value, str | enum_type) else cast("Iterable[object]", value)
    out = set()
    for item in items:
        found = item if isinstance(item, enum_type) else _enum_by_name(enum_type, item)
        if found is None:
            names = ", ".join(member.name for member in enum_type)
            raise ValidationError("requirement", field, item, f"is not one of {names}")
        out.add(found)
    return frozenset(out)


def to_kinds(value: Iterable[AssociationKind | str]) -> frozenset[AssociationKind]:
    """Convert kinds or their names (``"dpor"``, ``"DPOR"``) to a frozenset of kinds.

    Args:
        value: association kinds or their names (one kind or name alone is accepted too).

    Returns:
        The kinds.

    Raises:
        ValidationError: a name is not an association kind.
    """
    return _enum_set(AssociationKind, "kinds", value)


def to_workloads(value: Iterable[Workload | str] | None) -> frozenset[Workload] | None:
    """Convert workloads or their names to a frozenset (``None`` stays ``None``: every workload).

    Args:
        value: workloads or their names (one alone is accepted too), or ``None``.

    Returns:
        The workloads, or ``None``.

    Raises:
        ValidationError: a name is not a workload.
    """
    return None if value is None else _enum_set(Workload, "workloads", value)


def to_workloads_required(value: Iterable[Workload | str]) -> frozenset[Workload]:
    """``to_workloads`` for a field that must name workloads (``None`` refused by type)."""
    out = to_workloads(value)
    assert out is not None
    return out


def to_offers(value: Iterable[OfferCategory | str] | None) -> frozenset[OfferCategory] | None:
    """Convert offer categories or their names (``None``: every offer).

    Args:
        value: offer categories or their names (one alone is accepted too), or ``None``.

    Returns:
        The offer categories, or ``None``.

    Raises:
        ValidationError: a name is not an offer category.
    """
    return None if value is None else _enum_set(OfferCategory, "offers", value)


def service_key(name: str) -> str:
    """The key service names are matched on: case- and plural-insensitive.

    Lower-cased, whitespace collapsed, and a plural ``s`` dropped from each word (not from
    ``ss``, ``us``, ``is`` or ``os``: "DDoS" stays), so "Virtual Machines Licenses", "Virtual
    Machine Licenses" and "virtual machine license" all give ``"virtual machine license"``. Both
    sides of a match use it.

    Args:
        name: a service name as an export writes it.

    Returns:
        The matching key.
    """
    keep = ("ss", "us", "is", "os")
    return " ".join(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith(keep) else w
        for w in str(name).lower().split()
    )


def to_services(value: Iterable[str] | None) -> frozenset[str] | None:
    """Service names as matching keys (``None`` stays ``None``): see `service_key`.

    Args:
        value: service names (one name alone is accepted too), or ``None``.

    Returns:
        The names' keys (case- and plural-insensitive), or ``None``.
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    return frozenset(service_key(v) for v in value)


def to_services_required(value: Iterable[str]) -> frozenset[str]:
    """``to_services`` for a field that must name services (``None`` refused by type)."""
    out = to_services(value)
    assert out is not None
    return out


def to_rules(value: Iterable[CustomerRule]) -> tuple[CustomerRule, ...]:
    """Customer rules (any iterable) as a tuple."""
    return tuple(value)


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Convert an int or numeric string to an exact Decimal (floats refused).

    Args:
        value: a ``Decimal``, an ``int`` or a numeric string.

    Returns:
        The exact value.

    Raises:
        ValidationError: the value is a float or not a number.
    """
    if isinstance(value, bool | float):
        raise ValidationError(
            "requirement", "number", value, "is not an exact number (floats refused)"
        )
    try:
        out = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except ArithmeticError as exc:
        raise ValidationError("requirement", "number", value, "is not a number") from exc
    if not out.is_finite():
        raise ValidationError("requirement", "number", value, "is not a finite number")
    return out


def to_rates(
    value: Any,
) -> tuple[tuple[Workload, Decimal], ...]:
    """Workload -> rate pairs (a mapping or pairs) as sorted ``(Workload, Decimal)`` pairs."""
    if value is None:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    out = []
    for key, rate in items:
        workloads = to_workloads([key])
        assert workloads is not None
        out.append((next(iter(workloads)), to_decimal(rate)))
    return tuple(sorted(out, key=lambda kv: kv[0].value))


def _enum_by_name(enum_type: type[_E], name: object) -> _E | None:
    if not isinstance(name, str):
        return None
    key = name.strip().lower()
    for member in enum_type:
        if key in (member.name.lower(), str(member.value).lower()):
            return member
    return None
