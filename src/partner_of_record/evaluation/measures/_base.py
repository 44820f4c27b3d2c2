"""The measurement value, the protocols of measures and customer rules, and their shared plumbing.

``OverScope`` and ``OverRules`` carry the one property every measure repeated (its association
kinds are its scope's, or its rules'), ``FixedUnit`` the unit of the measures whose unit never
changes; ``growth_measurement`` is the one home of a growth metric's value, baseline check and
finding.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar, Protocol

import attrs

from partner_of_record.errors import Finding, Severity
from partner_of_record.evaluation.context import MeasurementContext
from partner_of_record.evaluation.time import Trailing
from partner_of_record.model import AssociationKind

__all__ = [
    "TRAILING_1",
    "TRAILING_12",
    "CustomerKey",
    "CustomerRule",
    "FixedUnit",
    "Measure",
    "Measurement",
    "OverRules",
    "OverScope",
    "finding",
    "growth_measurement",
    "growth_value",
    "kind_names",
]

TRAILING_1 = Trailing(1)
"""The default window of the customer rules and seat totals: the reference month alone."""
TRAILING_12 = Trailing(12)
"""The default window of the consumption measures: the twelve months up to the reference."""

CustomerKey = tuple[str, str]
"""A qualifying customer: ``(customer_id, "")``, or ``(customer_id, workload)`` for pairs."""


def kind_names(kinds: frozenset[AssociationKind]) -> str:
    """Kinds as a readable list: ``CSP_TIER1, DPOR, PAL``."""
    return ", ".join(sorted(k.name for k in kinds))


@attrs.frozen
class Measurement:
    """A measured value and how it was obtained.

    Attributes:
        value: the value in ``unit``, or ``None`` when undefined (growth without a baseline).
        unit: ``"USD"``, ``"percent"``, ``"customers"``, ``"services"``, ``"people"``,
            ``"seats"``, ``"users"``, ``"MCV"`` ...
        detail: how it was obtained, readable.
        customers: the customers that counted, sorted.
        findings: domain problems met while measuring.
        eligible: ``False`` when a precondition of the metric failed (too little consumption to
            measure growth): the value is shown but earns nothing.
    """

    value: Decimal | None
    unit: str
    detail: str = ""
    customers: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    eligible: bool = True


class Measure(Protocol):
    """Anything that measures a context: ``measure(ctx) -> Measurement``."""

    @property
    def unit(self) -> str:
        """The unit of the measured value."""
        ...

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """The association kinds whose credits it counts (empty for skills)."""
        ...

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """Measure the context.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).

        Returns:
            The measurement.
        """
        ...


class CustomerRule(Protocol):
    """Which customers (or customer-workload pairs) qualify at a reference month."""

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """The association kinds whose credits it counts."""
        ...

    def customers(self, ctx: MeasurementContext, month: dt.date) -> frozenset[CustomerKey]:
        """The qualifying keys at reference month ``month``.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).
            month: a month (its first day; for rules, the reference month).

        Returns:
            The qualifying keys.
        """
        ...

    def describe(self) -> str:
        """A short readable condition."""
        ...


class _Counts(Protocol):
    """Anything that counts credits of some association kinds (a scope, a customer rule)."""

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """The association kinds whose credits it counts."""
        ...


class OverScope:
    """Base of the measures and customer rules over one ``scope``: they count its kinds."""

    __slots__ = ()
    scope: _Counts

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """The counted association kinds."""
        return self.scope.kinds


class FixedUnit:
    """Base of the measures whose unit never changes: the class's ``UNIT`` names it once."""

    __slots__ = ()
    UNIT: ClassVar[str]

    @property
    def unit(self) -> str:
        """The unit of the measured value (the class's ``UNIT``)."""
        return self.UNIT


class OverRules:
    """Base of the measures and rules over customer ``rules``: they count every rule's kinds."""

    __slots__ = ()
    rules: tuple[CustomerRule, ...]

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """The counted association kinds."""
        return frozenset().union(*(r.kinds for r in self.rules))


def finding(
    code: str, message: str, ctx: MeasurementContext, severity: Severity = "warning"
) -> Finding:
    """A finding about the context's partner (a warning unless told)."""
    return Finding(code, message, (ctx.partner_id,), severity)


def growth_measurement(
    ctx: MeasurementContext,
    *,
    current: Decimal,
    base: Decimal,
    percent: bool,
    unit: str,
    detail: str,
    customers: tuple[str, ...],
    findings: list[Finding],
    eligible: bool,
    no_baseline: str,
) -> Measurement:
    """The growth from ``base`` to ``current``: absolute in ``unit``, or in percent of ``base``.

    Percent growth without a baseline (``base <= 0``) is undefined: value ``None``, not
    eligible, and a ``NO_BASELINE`` finding saying ``partner ...: usage growth undefined: ``
    followed by ``no_baseline``.
    """
    value = growth_value(current, base, percent=percent)
    if not percent:
        return Measurement(value, unit, detail, customers, tuple(findings), eligible)
    if value is None:
        findings.append(
            finding(
                "NO_BASELINE",
                f"partner {ctx.partner_id}: usage growth undefined: {no_baseline}",
                ctx,
            )
        )
        return Measurement(None, "percent", detail, customers, tuple(findings), False)
    return Measurement(value, "percent", detail, customers, tuple(findings), eligible)


def growth_value(current: Decimal, base: Decimal, *, percent: bool) -> Decimal | None:
    """The growth from ``base`` to ``current``: the difference, or percent of ``base``.

    The one home of the growth arithmetic (``evaluate_all``'s arrays use it too); ``None``
    when a percent growth has no baseline (``base <= 0``).
    """
    if not percent:
        return current - base
    if base <= 0:
        return None
    return (current - base) * 100 / base
