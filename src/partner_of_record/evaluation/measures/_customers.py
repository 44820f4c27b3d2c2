"""Customers: the rules that say which customers (or customer-workload pairs) qualify at a
reference month (``AcrCustomers``, ``SeatCustomers`` and their combinators ``Shifted``,
``Intersection``), and the measures that count them (``DistinctCustomers``, ``NetCustomerAdds``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import ClassVar, Literal

import attrs

from partner_of_record.errors import Finding
from partner_of_record.evaluation.context import MeasurementContext
from partner_of_record.evaluation.measures._base import (
    TRAILING_1,
    CustomerKey,
    CustomerRule,
    FixedUnit,
    Measurement,
    OverRules,
    OverScope,
    finding,
)
from partner_of_record.evaluation.measures._consumption import AcrScope, sum_by_customer
from partner_of_record.evaluation.measures._convert import to_decimal, to_rules
from partner_of_record.evaluation.measures._seats import SeatScope, new_customers
from partner_of_record.evaluation.results import format_quantity
from partner_of_record.evaluation.time import Trailing, add_months
from partner_of_record.model import AssociationKind

__all__ = [
    "AcrCustomers",
    "DistinctCustomers",
    "Intersection",
    "NetCustomerAdds",
    "SeatCustomers",
    "Shifted",
]


@attrs.frozen
class AcrCustomers(OverScope):
    """Customers whose credited consumption reaches an amount (a customer rule).

    Attributes:
        scope: which credited consumption counts.
        window: the months looked at, relative to the reference month.
        min_usd: the amount a customer needs.
        basis: ``"total"``: the window's total reaches ``min_usd``; ``"any_month"``: some single
            month of the window does; ``"average"``: the window's monthly average (its total
            divided by its number of months) does.
        strict: need strictly more than ``min_usd`` (default: at least).
    """

    scope: AcrScope
    window: Trailing = TRAILING_1
    min_usd: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)
    basis: Literal["total", "any_month", "average"] = "total"
    strict: bool = False

    def _ok(self, value: Decimal) -> bool:
        return value > self.min_usd if self.strict else value >= self.min_usd

    def customers(self, ctx: MeasurementContext, month: dt.date) -> frozenset[CustomerKey]:
        """The customers qualifying at reference month ``month``.

        See ``CustomerRule.customers``.
        """
        months = self.window.at(month).months
        rows = self.scope.shared_rows(ctx)
        if self.basis in ("total", "average"):
            sums = sum_by_customer(rows, months)
            count = Decimal(len(months)) if self.basis == "average" else Decimal(1)
            return frozenset((c, "") for c, v in sums.items() if self._ok(v / count))
        per_month: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
        wanted = set(months)
        for row in rows:
            if row.month in wanted:
                per_month[(row.customer_id, row.month)] += row.usd
        return frozenset((c, "") for (c, _), v in per_month.items() if self._ok(v))

    def describe(self) -> str:
        """A short readable condition."""
        op = ">" if self.strict else ">="
        where = {"any_month": "in one month of", "average": "a month on average over"}.get(
            self.basis, "over"
        )
        return (
            f"{op} {format_quantity(self.min_usd, 'USD')} credited {where} "
            f"{self.window.describe()} ({self.scope.describe()})"
        )


@attrs.frozen
class SeatCustomers(OverScope):
    """Customers (or pairs) whose credited seats reach a value in some month of a window.

    Attributes:
        scope: which credited seats count and how a pair is valued.
        window: the months looked at, relative to the reference month.
        min_value: the value a pair needs in a month (in the scope's unit).
        strict: need strictly more than ``min_value``.
        min_active_share: in the same month, active users / paid seats must reach this share
            (``Decimal("0.4")`` for 40 %), ``None``: no condition.
        pairs: count tenant-workload pairs rather than tenants.
        new_only: only customers credited in the window and not in the as many months before.
    """

    scope: SeatScope
    window: Trailing = TRAILING_1
    min_value: Decimal = attrs.field(default=Decimal(1), converter=to_decimal)
    strict: bool = False
    min_active_share: Decimal | None = attrs.field(
        default=None, converter=attrs.converters.optional(to_decimal)
    )
    pairs: bool = False
    new_only: bool = False

    def customers(self, ctx: MeasurementContext, month: dt.date) -> frozenset[CustomerKey]:
        """The qualifying keys at reference month ``month`` (see ``CustomerRule.customers``)."""
        window = self.window.at(month)
        all_pairs = self.scope.shared_pairs(ctx)
        new = new_customers(all_pairs, self.window, month) if self.new_only else None
        out: set[CustomerKey] = set()
        for (customer, workload), months in all_pairs.items():
            if new is not None and customer not in new:
                continue
            for m, (paid, active) in months.items():
                if m not in window or not self.scope.in_segment(paid):
                    continue
                value = self.scope.pair_value(workload, paid, active)
                if not (value > self.min_value if self.strict else value >= self.min_value):
                    continue
                if self.min_active_share is not None and (
                    paid <= 0 or Decimal(active) / Decimal(paid) < self.min_active_share
                ):
                    continue
                out.add((customer, workload if self.pairs else ""))
                break
        return frozenset(out)

    def describe(self) -> str:
        """A short readable condition."""
        op = ">" if self.strict else ">="
        text = f"{op} {format_quantity(self.min_value, self.scope.unit)} ({self.scope.describe()})"
        if self.min_active_share is not None:
            text += f", >= {self.min_active_share * 100:f} % active"
        if self.new_only:
            text += ", new customers only"
        return text


@attrs.frozen
class Shifted:
    """A customer rule applied ``lag`` months before the reference month.

    Attributes:
        rule: the rule.
        lag: how many months earlier.
    """

    rule: CustomerRule
    lag: int = 12

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """The counted association kinds."""
        return self.rule.kinds

    def customers(self, ctx: MeasurementContext, month: dt.date) -> frozenset[CustomerKey]:
        """The rule's keys ``lag`` months before ``month`` (see ``CustomerRule.customers``)."""
        return self.rule.customers(ctx, add_months(month, -self.lag))

    def describe(self) -> str:
        """A short readable condition."""
        return f"{self.rule.describe()}, {self.lag} months earlier"


@attrs.frozen
class Intersection(OverRules):
    """Keys that qualify under every rule.

    Attributes:
        rules: the rules (at least one).
    """

    rules: tuple[CustomerRule, ...] = attrs.field(converter=to_rules)

    def customers(self, ctx: MeasurementContext, month: dt.date) -> frozenset[CustomerKey]:
        """The keys every rule accepts (see ``CustomerRule.customers``)."""
        sets = [r.customers(ctx, month) for r in self.rules]
        return frozenset.intersection(*sets) if sets else frozenset()

    def describe(self) -> str:
        """A short readable condition."""
        return " and ".join(r.describe() for r in self.rules)


def _union(
    rules: tuple[CustomerRule, ...], ctx: MeasurementContext, month: dt.date
) -> frozenset[CustomerKey]:
    """The keys any of the rules accepts at ``month``."""
    out: set[CustomerKey] = set()
    for rule in rules:
        out |= rule.customers(ctx, month)
    return frozenset(out)


def _customer_ids(keys: Iterable[CustomerKey]) -> tuple[str, ...]:
    """The sorted customer ids of ``keys``."""
    return tuple(sorted({c for c, _ in keys}))


@attrs.frozen
class DistinctCustomers(OverRules):
    """The number of customers (or pairs) that qualify under any of the rules at ``m``.

    Attributes:
        rules: the customer rules; a key qualifying under several counts once.
        unit_name: the unit reported (``"customers"``, or ``"deployments"`` for pairs).
    """

    rules: tuple[CustomerRule, ...] = attrs.field(converter=to_rules)
    unit_name: str = "customers"

    @property
    def unit(self) -> str:
        """The unit reported."""
        return self.unit_name

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """Count the qualifying keys at the measurement month (see ``Measure.measure``)."""
        keys = _union(self.rules, ctx, ctx.month)
        conditions = "; or ".join(r.describe() for r in self.rules)
        return Measurement(
            Decimal(len(keys)),
            self.unit_name,
            f"{len(keys)} qualifying at {ctx.month:%Y-%m}: {conditions}",
            _customer_ids(keys),
        )


@attrs.frozen
class NetCustomerAdds(OverRules, FixedUnit):
    """Eligible customers at ``m`` minus eligible customers ``lag`` months earlier.

    Attributes:
        rules: the eligibility rules (a customer eligible under any counts once).
        lag: how many months back the comparison month is (12: the same month a year earlier).
    """

    rules: tuple[CustomerRule, ...] = attrs.field(converter=to_rules)
    lag: int = 12

    UNIT: ClassVar[str] = "customers"

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """Count eligible customers now and a year earlier (see ``Measure.measure``)."""
        before_month = add_months(ctx.month, -self.lag)
        now = {c for c, _ in _union(self.rules, ctx, ctx.month)}
        before = {c for c, _ in _union(self.rules, ctx, before_month)}
        return self.from_counts(ctx, tuple(sorted(now)), len(before))

    def from_counts(
        self, ctx: MeasurementContext, now: tuple[str, ...], before: int
    ) -> Measurement:
        """The measurement from the customers eligible now and the count ``lag`` months before.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).
            now: the customers eligible at the measurement month, sorted.
            before: how many were eligible ``lag`` months earlier.

        Returns:
            The measurement.
        """
        before_month = add_months(ctx.month, -self.lag)
        net = len(now) - before
        findings: tuple[Finding, ...] = ()
        if net < 0:
            findings = (
                finding(
                    "NEGATIVE_NET_ADDS",
                    f"partner {ctx.partner_id}: {len(now)} eligible customers at "
                    f"{ctx.month:%Y-%m}, fewer than {before} at {before_month:%Y-%m}",
                    ctx,
                ),
            )
        return Measurement(
            Decimal(net),
            "customers",
            f"{len(now)} eligible at {ctx.month:%Y-%m} vs {before} at {before_month:%Y-%m}",
            now,
            findings,
        )
