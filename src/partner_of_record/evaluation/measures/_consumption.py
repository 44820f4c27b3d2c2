"""Consumption: which credited consumption counts (``AcrScope``), and the measures over it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import ClassVar, Literal

import attrs

from partner_of_record.errors import Finding
from partner_of_record.evaluation.context import AcrRow, MeasurementContext
from partner_of_record.evaluation.measures._base import (
    TRAILING_12,
    FixedUnit,
    Measurement,
    OverScope,
    finding,
    growth_measurement,
    kind_names,
)
from partner_of_record.evaluation.measures._convert import (
    service_key,
    to_decimal,
    to_kinds,
    to_offers,
    to_services,
    to_services_required,
    to_workloads,
)
from partner_of_record.evaluation.results import format_quantity
from partner_of_record.evaluation.time import Trailing, add_months
from partner_of_record.model import AssociationKind, OfferCategory, Workload

__all__ = [
    "STANDARD_OFFERS",
    "AcrGrowth",
    "AcrScope",
    "CreditedAcr",
    "DistinctServices",
    "sum_by_customer",
]

STANDARD_OFFERS: frozenset[OfferCategory] = frozenset({OfferCategory.STANDARD})
"""Only standard offers: Support, Internal, Benefit Program and Trial offers are excluded."""


@attrs.frozen
class AcrScope:
    """Which credited consumption counts.

    Attributes:
        kinds: the association kinds whose credits count.
        workloads: the workloads that count (``None``: all); default Azure only.
        services: only these services count, case- and plural-insensitive (``None``: all).
        exclude_services: these services never count, case- and plural-insensitive.
        offers: the offer categories that count (``None``: all); default standard offers only.
    """

    kinds: frozenset[AssociationKind] = attrs.field(converter=to_kinds)
    workloads: frozenset[Workload] | None = attrs.field(
        default=frozenset({Workload.AZURE}), converter=to_workloads
    )
    services: frozenset[str] | None = attrs.field(default=None, converter=to_services)
    exclude_services: frozenset[str] = attrs.field(
        default=frozenset(), converter=to_services_required
    )
    offers: frozenset[OfferCategory] | None = attrs.field(
        default=STANDARD_OFFERS, converter=to_offers
    )

    def rows(self, ctx: MeasurementContext) -> list[AcrRow]:
        """The partner's credited rows within this scope.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).

        Returns:
            The rows in scope, in the order the facts give them.
        """
        workloads, offers = self.workloads, self.offers
        services, excluded = self.services, self.exclude_services
        out = []
        for row in ctx.acr(self.kinds):
            if workloads is not None and row.workload not in workloads:
                continue
            if offers is not None and row.offer not in offers:
                continue
            if services is not None or excluded:
                service = service_key(row.service) if row.service else None
                if services is not None and service not in services:
                    continue
                if service is not None and service in excluded:
                    continue
            out.append(row)
        return out

    def shared_rows(self, ctx: MeasurementContext) -> tuple[AcrRow, ...]:
        """``rows(ctx)``, filtered once per context (the measures share it; never mutated)."""
        return ctx.cached(("AcrScope.rows", self), lambda: tuple(self.rows(ctx)))

    def describe(self) -> str:
        """A short label: ``Azure via CSP_TIER1, DPOR, PAL``."""
        what = (
            ", ".join(sorted(w.name for w in self.workloads)) if self.workloads else "all workloads"
        )
        text = f"{what} via {kind_names(self.kinds)}"
        if self.services is not None:
            text += f", services {', '.join(sorted(self.services))}"
        return text


def sum_by_customer(rows: Iterable[AcrRow], months: Iterable[dt.date]) -> dict[str, Decimal]:
    """Customer -> the sum of its rows in ``months``."""
    wanted = set(months)
    out: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.month in wanted:
            out[row.customer_id] += row.usd
    return out


def _total(rows: Iterable[AcrRow], months: Iterable[dt.date]) -> Decimal:
    """The sum of the rows in ``months``."""
    wanted = set(months)
    return sum((r.usd for r in rows if r.month in wanted), Decimal(0))


@attrs.frozen
class CreditedAcr(OverScope, FixedUnit):
    """Credited consumption in US dollars over a window.

    Attributes:
        scope: which credited consumption counts.
        window: the months summed, relative to the measurement month.
    """

    scope: AcrScope
    window: Trailing = TRAILING_12

    UNIT: ClassVar[str] = "USD"

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """Sum the credited consumption in the window (see ``Measure.measure``)."""
        window = self.window.at(ctx.month)
        by_customer = sum_by_customer(self.scope.shared_rows(ctx), window.months)
        total = sum(by_customer.values(), Decimal(0))
        return Measurement(
            total,
            "USD",
            f"credited ACR {window.describe()}, {self.scope.describe()}, "
            f"{format_quantity(Decimal(len(by_customer)), 'customers')}",
            tuple(sorted(c for c, v in by_customer.items() if v != 0)),
        )


@attrs.frozen
class AcrGrowth(OverScope):
    """Growth of credited consumption: ``m`` versus ``lag`` months earlier.

    Attributes:
        scope: which credited consumption counts.
        lag: the baseline month is ``m - lag``.
        mode: ``"percent"``: (ACR(m) - ACR(m - lag)) x 100 / ACR(m - lag); ``"absolute"``: the
            difference in US dollars.
        minimum_usd: the credited consumption needed over ``minimum_window`` for the metric to
            count at all (finding ``BELOW_MINIMUM_ACR`` otherwise).
        minimum_window: the window of that minimum.
    """

    scope: AcrScope
    lag: int = 12
    mode: Literal["percent", "absolute"] = "percent"
    minimum_usd: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)
    minimum_window: Trailing = TRAILING_12

    @property
    def unit(self) -> str:
        """``"percent"`` or ``"USD"``."""
        return "percent" if self.mode == "percent" else "USD"

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """Compare the measurement month with its baseline month (see ``Measure.measure``)."""
        rows = self.scope.shared_rows(ctx)
        base_month = add_months(ctx.month, -self.lag)
        customers = tuple(
            sorted({r.customer_id for r in rows if r.month in (ctx.month, base_month)})
        )
        trailing = None
        if self.minimum_usd > 0:
            trailing = _total(rows, self.minimum_window.at(ctx.month).months)
        return self.from_sums(
            ctx,
            current=_total(rows, [ctx.month]),
            base=_total(rows, [base_month]),
            trailing=trailing,
            customers=customers,
        )

    def from_sums(
        self,
        ctx: MeasurementContext,
        *,
        current: Decimal,
        base: Decimal,
        trailing: Decimal | None,
        customers: tuple[str, ...],
    ) -> Measurement:
        """The measurement from the partner's sums (``evaluate_all`` computes them in bulk).

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).
            current: the credited ACR of the measurement month.
            base: the credited ACR of the baseline month.
            trailing: the credited ACR over ``minimum_window`` (needed with ``minimum_usd``).
            customers: the customers with credited ACR in either month, sorted.

        Returns:
            The measurement.
        """
        base_month = add_months(ctx.month, -self.lag)
        detail = (
            f"ACR {ctx.month:%Y-%m} {format_quantity(current, 'USD')} vs "
            f"{base_month:%Y-%m} {format_quantity(base, 'USD')}"
        )
        findings: list[Finding] = []
        eligible = True
        window = self.minimum_window.at(ctx.month)
        if self.minimum_usd > 0:
            assert trailing is not None
            if trailing < self.minimum_usd:
                eligible = False
                findings.append(
                    finding(
                        "BELOW_MINIMUM_ACR",
                        f"partner {ctx.partner_id}: credited ACR {window.describe()} is "
                        f"{format_quantity(trailing, 'USD')}, below the "
                        f"{format_quantity(self.minimum_usd, 'USD')} usage growth needs",
                        ctx,
                    )
                )
        return growth_measurement(
            ctx,
            current=current,
            base=base,
            percent=self.mode != "absolute",
            unit="USD",
            detail=detail,
            customers=customers,
            findings=findings,
            eligible=eligible,
            no_baseline=f"no baseline (credited ACR {base_month:%Y-%m} is "
            f"{format_quantity(base, 'USD')})",
        )


@attrs.frozen
class DistinctServices(OverScope, FixedUnit):
    """The number of distinct services with credited consumption above 0 over a window.

    Attributes:
        scope: which credited consumption counts (its ``exclude_services`` are not counted).
        window: the months looked at.
    """

    scope: AcrScope
    window: Trailing = TRAILING_12

    UNIT: ClassVar[str] = "services"

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """Count services whose credited consumption over the window is above 0.

        See ``Measure.measure``.
        """
        window = self.window.at(ctx.month)
        per_service: dict[str, Decimal] = defaultdict(Decimal)
        names: dict[str, str] = {}
        customers: dict[str, set[str]] = defaultdict(set)
        unnamed = Decimal(0)
        for row in self.scope.shared_rows(ctx):
            if row.month not in window:
                continue
            if row.service is None:
                unnamed += row.usd
                continue
            key = row.service.lower()
            names.setdefault(key, row.service)
            per_service[key] += row.usd
            customers[key].add(row.customer_id)
        counted = sorted(k for k, v in per_service.items() if v > 0)
        findings: tuple[Finding, ...] = ()
        if unnamed > 0:
            findings = (
                finding(
                    "SERVICE_UNKNOWN",
                    f"partner {ctx.partner_id}: {format_quantity(unnamed, 'USD')} credited "
                    f"{window.describe()} has no service name and counts as no deployment",
                    ctx,
                ),
            )
        shown = ", ".join(names[k] for k in counted) or "none"
        return Measurement(
            Decimal(len(counted)),
            "services",
            f"{window.describe()}: {shown}",
            tuple(sorted({c for k in counted for c in customers[k]})),
            findings,
        )
