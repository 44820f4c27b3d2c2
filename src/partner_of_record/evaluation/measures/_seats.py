"""Seats: which credited seats count and how a tenant-workload pair is valued (``SeatScope``), and
the measures over them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

import attrs

from partner_of_record.errors import Finding
from partner_of_record.evaluation.context import MeasurementContext, SeatCrediting
from partner_of_record.evaluation.measures._base import (
    TRAILING_1,
    Measurement,
    OverScope,
    finding,
    growth_measurement,
    kind_names,
)
from partner_of_record.evaluation.measures._convert import (
    to_decimal,
    to_kinds,
    to_rates,
    to_workloads_required,
)
from partner_of_record.evaluation.results import format_quantity
from partner_of_record.evaluation.time import Trailing, add_months
from partner_of_record.model import AssociationKind, Workload

__all__ = [
    "SeatGrowth",
    "SeatScope",
    "SeatTotal",
    "new_customers",
]

_DEFAULT_CREDITING = SeatCrediting()

_Pairs = Mapping[tuple[str, str], Mapping[dt.date, tuple[int, int]]]


@attrs.frozen
class SeatScope:
    """Which credited seats count, and what value a tenant-workload pair has in a month.

    A pair is a customer tenant and a workload; its paid seats and active users are summed over
    the tenant's subscriptions of that workload credited to the partner.

    Attributes:
        kinds: the association kinds whose seats count.
        workloads: the workloads that count.
        value: ``"paid_seats"``, ``"active_users"`` or ``"mcv"`` (monthly consumption value:
            active users x the workload's rate in ``mcv_rates``).
        mcv_rates: workload -> MCV per active user (only for ``value="mcv"``).
        min_paid_seats: a pair counts in a month only with at least this many paid seats
            (the Enterprise / SMB segment), ``None``: no minimum.
        max_paid_seats: ... and at most this many, ``None``: no maximum.
        crediting: when a subscription's seats are credited to the partner.
    """

    kinds: frozenset[AssociationKind] = attrs.field(converter=to_kinds)
    workloads: frozenset[Workload] = attrs.field(converter=to_workloads_required)
    value: Literal["paid_seats", "active_users", "mcv"] = "active_users"
    mcv_rates: tuple[tuple[Workload, Decimal], ...] = attrs.field(default=(), converter=to_rates)
    min_paid_seats: int | None = None
    max_paid_seats: int | None = None
    crediting: SeatCrediting = _DEFAULT_CREDITING

    @property
    def unit(self) -> str:
        """``"seats"``, ``"users"`` or ``"MCV"``."""
        return {"paid_seats": "seats", "active_users": "users", "mcv": "MCV"}[self.value]

    def pairs(
        self, ctx: MeasurementContext
    ) -> dict[tuple[str, str], dict[dt.date, tuple[int, int]]]:
        """Pair -> month -> (paid seats, active users), credited, within the workloads.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).

        Returns:
            ``(customer_id, workload value)`` -> first day of month -> ``(paid, active)``.
        """
        out: dict[tuple[str, str], dict[dt.date, tuple[int, int]]] = defaultdict(dict)
        for row in ctx.seats(self.kinds, self.crediting):
            if row.workload not in self.workloads:
                continue
            months = out[(row.customer_id, row.workload.value)]
            paid, active = months.get(row.month, (0, 0))
            months[row.month] = (paid + row.paid_seats, active + row.active_users)
        return out

    def shared_pairs(self, ctx: MeasurementContext) -> _Pairs:
        """``pairs(ctx)``, computed once per context (the measures share it; never mutated).

        The pairs depend only on the kinds, workloads and crediting rule, so scopes that differ
        in how a pair is valued or segmented (Modern Work's tracks and metrics) share them.
        """
        key = ("SeatScope.pairs", self.kinds, self.workloads, self.crediting)
        return ctx.cached(key, lambda: self.pairs(ctx))

    def in_segment(self, paid: int) -> bool:
        """Whether a pair with ``paid`` paid seats is in this scope's segment.

        Args:
            paid: the pair's paid seats in the month.

        Returns:
            Whether it holds.
        """
        if self.min_paid_seats is not None and paid < self.min_paid_seats:
            return False
        return self.max_paid_seats is None or paid <= self.max_paid_seats

    def pair_value(self, workload: str, paid: int, active: int) -> Decimal:
        """The value of a pair in a month.

        Args:
            workload: the workload's value (``"office_365"``).
            paid: the pair's paid seats in the month.
            active: the pair's active users in the month.

        Returns:
            The pair's value in the scope's unit (paid seats, active users or MCV).
        """
        if self.value == "paid_seats":
            return Decimal(paid)
        if self.value == "active_users":
            return Decimal(active)
        for rated, rate in reversed(self.mcv_rates):  # as dict(): a repeated workload's last rate
            if rated.value == workload:
                return Decimal(active) * rate
        return Decimal(active) * Decimal(0)

    def describe(self) -> str:
        """A short label."""
        names = ", ".join(sorted(w.name for w in self.workloads))
        text = f"{self.unit} of {names} via {kind_names(self.kinds)}"
        if self.min_paid_seats is not None or self.max_paid_seats is not None:
            lo = self.min_paid_seats if self.min_paid_seats is not None else 0
            span = f"{lo}+" if self.max_paid_seats is None else f"{lo}..{self.max_paid_seats}"
            text += f", tenants with {span} paid seats"
        return text


def new_customers(
    pairs: _Pairs,
    window: Trailing,
    month: dt.date,
) -> frozenset[str]:
    """Customers credited in the window but in none of the ``window.months`` months before."""
    current = window.at(month)
    before = Trailing(window.months, window.lag + window.months).at(month)
    seen_now: set[str] = set()
    seen_before: set[str] = set()
    for (customer, _), months in pairs.items():
        for m, (paid, active) in months.items():
            if paid or active:
                if m in current:
                    seen_now.add(customer)
                elif m in before:
                    seen_before.add(customer)
    return frozenset(seen_now - seen_before)


@attrs.frozen
class SeatTotal(OverScope):
    """Credited seats, users or MCV summed over tenant-workload pairs.

    Attributes:
        scope: which credited seats count and how a pair is valued.
        window: the months looked at.
        aggregate: ``"last"``: each pair's value in the window's last month; ``"peak"``: each
            pair's highest monthly value in the window.
        new_only: only customers credited in the window and not in the as many months before.
    """

    scope: SeatScope
    window: Trailing = TRAILING_1
    aggregate: Literal["last", "peak"] = "last"
    new_only: bool = False

    @property
    def unit(self) -> str:
        """The scope's unit."""
        return self.scope.unit

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """Sum each pair's value over the window (see ``Measure.measure``)."""
        window = self.window.at(ctx.month)
        pairs = self.scope.shared_pairs(ctx)
        new = new_customers(pairs, self.window, ctx.month) if self.new_only else None
        total = Decimal(0)
        customers: set[str] = set()
        for (customer, workload), months in pairs.items():
            if new is not None and customer not in new:
                continue
            values = [
                self.scope.pair_value(workload, paid, active)
                for m, (paid, active) in months.items()
                if (m == window.last if self.aggregate == "last" else m in window)
                and self.scope.in_segment(paid)
            ]
            if not values:
                continue
            value = max(values)
            if value:
                customers.add(customer)
            total += value
        label = "new customers' " if self.new_only else ""
        return Measurement(
            total,
            self.scope.unit,
            f"{label}{self.aggregate} {self.scope.describe()}, {window.describe()}, "
            f"{format_quantity(Decimal(len(customers)), 'customers')}",
            tuple(sorted(customers)),
        )


@attrs.frozen
class SeatGrowth(OverScope):
    """Growth of credited users or MCV over the pairs in scope at ``m``.

    Attributes:
        scope: which credited seats count and how a pair is valued.
        lag: the baseline month is ``m - lag``.
        mode: ``"absolute"`` (users gained) or ``"percent"``.
        since_association: a pair not credited at ``m - lag`` takes as baseline its value in
            the first month it was credited (growth counts only from the association date);
            otherwise its baseline is 0.
        minimum_baseline: the baseline total needed for the metric to count
            (``BELOW_MINIMUM_BASELINE`` otherwise); 0: none.
    """

    scope: SeatScope
    lag: int = 12
    mode: Literal["percent", "absolute"] = "absolute"
    since_association: bool = True
    minimum_baseline: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)

    @property
    def unit(self) -> str:
        """``"percent"`` or the scope's unit."""
        return "percent" if self.mode == "percent" else self.scope.unit

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """Compare each pair's value at ``m`` with its baseline (see ``Measure.measure``)."""
        base_month = add_months(ctx.month, -self.lag)
        current = Decimal(0)
        base = Decimal(0)
        customers: set[str] = set()
        for (customer, workload), months in self.scope.shared_pairs(ctx).items():
            now = months.get(ctx.month)
            if now is None or not self.scope.in_segment(now[0]):
                continue
            customers.add(customer)
            current += self.scope.pair_value(workload, *now)
            then = months.get(base_month)
            if then is None and self.since_association:
                then = months[min(m for m in months if base_month < m <= ctx.month)]
            if then is not None:
                base += self.scope.pair_value(workload, *then)
        unit = self.scope.unit
        detail = (
            f"{self.scope.describe()}: {format_quantity(current, unit)} at {ctx.month:%Y-%m} vs "
            f"{format_quantity(base, unit)} baseline ({base_month:%Y-%m}"
            f"{' or first credited month' if self.since_association else ''})"
        )
        findings: list[Finding] = []
        eligible = True
        if self.minimum_baseline > 0 and base < self.minimum_baseline:
            eligible = False
            findings.append(
                finding(
                    "BELOW_MINIMUM_BASELINE",
                    f"partner {ctx.partner_id}: the baseline of {format_quantity(base, unit)} in "
                    f"{base_month:%Y-%m} is below the "
                    f"{format_quantity(self.minimum_baseline, unit)} usage growth needs",
                    ctx,
                )
            )
        return growth_measurement(
            ctx,
            current=current,
            base=base,
            percent=self.mode != "absolute",
            unit=unit,
            detail=detail,
            customers=tuple(sorted(customers)),
            findings=findings,
            eligible=eligible,
            no_baseline=f"no baseline at {base_month:%Y-%m}",
        )
