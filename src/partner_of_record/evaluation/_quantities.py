"""How the evaluation writes numbers: points rounded once, quantities with their unit (internal).

``round_points`` is the one rounding of points (2 decimals, half to even); ``format_quantity``
writes a measured value or a threshold in its unit (``US$15,000.00``, ``12.5 %``, ``3 customers``)
for every reason string of the requirement algebra, the measures and the results.
Re-exported by ``partner_of_record.evaluation.results``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType

__all__ = ["format_quantity", "round_points", "score_need", "trim_number"]


_CENT = Decimal("0.01")


def round_points(points: Decimal) -> Decimal:
    """Round points to 2 decimals, half to even (the rounding every scored metric uses).

    Args:
        points: the unrounded points.

    Returns:
        The rounded points.
    """
    return points.quantize(_CENT, rounding=ROUND_HALF_EVEN)


def trim_number(value: Decimal) -> str:
    """Format a Decimal with thousands separators and no needless trailing zeros."""
    if value == value.to_integral_value():
        return f"{value.to_integral_value():,}"
    text = f"{value.quantize(_CENT, rounding=ROUND_HALF_EVEN):,}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_quantity(value: Decimal | None, unit: str) -> str:
    """Return ``value`` readable in ``unit``: ``US$1,000.00``, ``12.5 %``, ``3 customers``.

    Args:
        value: the quantity (``None`` prints as ``n/a``).
        unit: ``"USD"``, ``"percent"``, ``"points"`` or a plural noun (``"customers"``).

    Returns:
        The text.
    """
    if value is None:
        return "n/a"
    if unit == "USD":
        sign = "-" if value < 0 else ""
        return f"{sign}US${abs(value).quantize(_CENT, rounding=ROUND_HALF_EVEN):,}"
    if unit == "percent":
        return f"{trim_number(value)} %"
    if unit == "points":
        return f"{value.quantize(_CENT, rounding=ROUND_HALF_EVEN):,}"
    if value == 1 and unit in _SINGULAR:
        unit = _SINGULAR[unit]
    return f"{trim_number(value)} {unit}"


_SINGULAR: Mapping[str, str] = MappingProxyType(
    {
        "people": "person",
        "customers": "customer",
        "services": "service",
        "seats": "seat",
        "users": "user",
        "workloads": "workload",
        "tenants": "tenant",
        "deployments": "deployment",
    }
)
"""Singular forms of the plural units, for a quantity of exactly one."""


_COUNT_UNITS = frozenset(
    {"customers", "people", "services", "seats", "users", "tenants", "workloads", "deployments"}
)
"""Units counted in whole numbers: "above 0" reads "at least 1" in them."""


def score_need(unit: str) -> str:
    """What a scored metric needs to score at all, in ``unit``: ``"at least 1 customer"``.

    Args:
        unit: the metric's unit.

    Returns:
        ``"at least 1 <unit>"`` for whole-number units, else ``"above 0 <unit>"``.
    """
    if unit in _COUNT_UNITS:
        return f"at least {format_quantity(Decimal(1), unit)}"
    return f"above {format_quantity(Decimal(0), unit)}"
