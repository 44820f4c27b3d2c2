"""Measures: what a requirement counts (credited consumption, customers, services, seats, people).

A measure turns a [`MeasurementContext`][partner_of_record.evaluation.MeasurementContext]
into a [`Measurement`][partner_of_record.evaluation.Measurement]: a value in a unit, how
it was obtained, the customers that counted and any findings. Requirements
(``partner_of_record.evaluation.requirements``) compare measurements with thresholds or turn
them into points.

Customer rules (``AcrCustomers``, ``SeatCustomers`` and their combinators ``Shifted``,
``Intersection``) say which customers (or customer-workload pairs) qualify at a reference
month; ``DistinctCustomers`` and ``NetCustomerAdds`` count them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal, Protocol, TypeVar, cast

import attrs

from partner_of_record.errors import Finding, ValidationError
from partner_of_record.evaluation.context import AcrRow, MeasurementContext, SeatCrediting
from partner_of_record.evaluation.results import format_quantity
from partner_of_record.evaluation.time import Trailing, add_months
from partner_of_record.model import AssociationKind, OfferCategory, Workload

__all__ = [
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
]

STANDARD_OFFERS: frozenset[OfferCategory] = frozenset({OfferCategory.STANDARD})
"""Only standard offers: Support, Internal, Benefit Program and Trial offers are excluded."""

_E = TypeVar("_E", AssociationKind, Workload, OfferCategory)
_TRAILING_1 = Trailing(1)
_TRAILING_12 = Trailing(12)
_DEFAULT_CREDITING = SeatCrediting()

CustomerKey = tuple[str, str]
"""A qualifying customer: ``(customer_id, "")``, or ``(customer_id, workload)`` for pairs."""

_Pairs = Mapping[tuple[str, str], Mapping[dt.date, tuple[int, int]]]


# --------------------------------------------------------------------------------------------
# converters (accept the names users type; used by the declarative loader too)


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


def _to_workloads_required(value: Iterable[Workload | str]) -> frozenset[Workload]:
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


def _to_services_required(value: Iterable[str]) -> frozenset[str]:
    out = to_services(value)
    assert out is not None
    return out


def _rules(value: Iterable[CustomerRule]) -> tuple[CustomerRule, ...]:
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


def _enum_by_name(enum_type: type[_E], name: object) -> _E | None:
    if not isinstance(name, str):
        return None
    key = name.strip().lower()
    for member in enum_type:
        if key in (member.name.lower(), str(member.value).lower()):
            return member
    return None


def _kinds_label(kinds: frozenset[AssociationKind]) -> str:
    return ", ".join(sorted(k.name for k in kinds))


# --------------------------------------------------------------------------------------------
# the measurement value


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


def _finding(
    code: str, message: str, ctx: MeasurementContext, severity: str = "warning"
) -> Finding:
    return Finding(code, message, (ctx.partner_id,), severity)


def _growth(
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
    if not percent:
        return Measurement(current - base, unit, detail, customers, tuple(findings), eligible)
    if base <= 0:
        findings.append(
            _finding(
                "NO_BASELINE",
                f"partner {ctx.partner_id}: usage growth undefined: {no_baseline}",
                ctx,
            )
        )
        return Measurement(None, "percent", detail, customers, tuple(findings), False)
    growth = (current - base) * 100 / base
    return Measurement(growth, "percent", detail, customers, tuple(findings), eligible)


# --------------------------------------------------------------------------------------------
# consumption scopes and measures


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
        default=frozenset(), converter=_to_services_required
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

    def _rows(self, ctx: MeasurementContext) -> tuple[AcrRow, ...]:
        """``rows(ctx)``, filtered once per context (the measures share it; never mutated)."""
        return ctx.cached(("AcrScope.rows", self), lambda: tuple(self.rows(ctx)))

    def describe(self) -> str:
        """A short label: ``Azure via CSP_TIER1, DPOR, PAL``."""
        what = (
            ", ".join(sorted(w.name for w in self.workloads)) if self.workloads else "all workloads"
        )
        text = f"{what} via {_kinds_label(self.kinds)}"
        if self.services is not None:
            text += f", services {', '.join(sorted(self.services))}"
        return text


def _sum_by_customer(rows: Iterable[AcrRow], months: Iterable[dt.date]) -> dict[str, Decimal]:
    wanted = set(months)
    out: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.month in wanted:
            out[row.customer_id] += row.usd
    return out


def _total(rows: Iterable[AcrRow], months: Iterable[dt.date]) -> Decimal:
    wanted = set(months)
    return sum((r.usd for r in rows if r.month in wanted), Decimal(0))


@attrs.frozen
class CreditedAcr:
    """Credited consumption in US dollars over a window.

    Attributes:
        scope: which credited consumption counts.
        window: the months summed, relative to the measurement month.
    """

    scope: AcrScope
    window: Trailing = _TRAILING_12

    @property
    def unit(self) -> str:
        """Always ``"USD"``."""
        return "USD"

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """The counted association kinds."""
        return self.scope.kinds

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """Sum the credited consumption in the window.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).

        Returns:
            The measurement.
        """
        window = self.window.at(ctx.month)
        by_customer = _sum_by_customer(self.scope._rows(ctx), window.months)
        total = sum(by_customer.values(), Decimal(0))
        return Measurement(
            total,
            "USD",
            f"credited ACR {window.describe()}, {self.scope.describe()}, "
            f"{format_quantity(Decimal(len(by_customer)), 'customers')}",
            tuple(sorted(c for c, v in by_customer.items() if v != 0)),
        )


@attrs.frozen
class AcrCustomers:
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
    window: Trailing = _TRAILING_1
    min_usd: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)
    basis: Literal["total", "any_month", "average"] = "total"
    strict: bool = False

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """The counted association kinds."""
        return self.scope.kinds

    def _ok(self, value: Decimal) -> bool:
        return value > self.min_usd if self.strict else value >= self.min_usd

    def customers(self, ctx: MeasurementContext, month: dt.date) -> frozenset[CustomerKey]:
        """The customers qualifying at reference month ``month``.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).
            month: a month (its first day; for rules, the reference month).

        Returns:
            The qualifying keys.
        """
        months = self.window.at(month).months
        rows = self.scope._rows(ctx)
        if self.basis in ("total", "average"):
            sums = _sum_by_customer(rows, months)
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


# --------------------------------------------------------------------------------------------
# seats


def _to_rates(
    value: Any,
) -> tuple[tuple[Workload, Decimal], ...]:
    if value is None:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    out = []
    for key, rate in items:
        workloads = to_workloads([key])
        assert workloads is not None
        out.append((next(iter(workloads)), to_decimal(rate)))
    return tuple(sorted(out, key=lambda kv: kv[0].value))


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
    workloads: frozenset[Workload] = attrs.field(converter=_to_workloads_required)
    value: Literal["paid_seats", "active_users", "mcv"] = "active_users"
    mcv_rates: tuple[tuple[Workload, Decimal], ...] = attrs.field(default=(), converter=_to_rates)
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

    def _pairs(self, ctx: MeasurementContext) -> _Pairs:
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
        text = f"{self.unit} of {names} via {_kinds_label(self.kinds)}"
        if self.min_paid_seats is not None or self.max_paid_seats is not None:
            lo = self.min_paid_seats if self.min_paid_seats is not None else 0
            span = f"{lo}+" if self.max_paid_seats is None else f"{lo}..{self.max_paid_seats}"
            text += f", tenants with {span} paid seats"
        return text


def _new_customers(
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
class SeatCustomers:
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
    window: Trailing = _TRAILING_1
    min_value: Decimal = attrs.field(default=Decimal(1), converter=to_decimal)
    strict: bool = False
    min_active_share: Decimal | None = attrs.field(
        default=None, converter=attrs.converters.optional(to_decimal)
    )
    pairs: bool = False
    new_only: bool = False

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """The counted association kinds."""
        return self.scope.kinds

    def customers(self, ctx: MeasurementContext, month: dt.date) -> frozenset[CustomerKey]:
        """The qualifying keys at reference month ``month``.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).
            month: a month (its first day; for rules, the reference month).

        Returns:
            The qualifying keys.
        """
        window = self.window.at(month)
        all_pairs = self.scope._pairs(ctx)
        new = _new_customers(all_pairs, self.window, month) if self.new_only else None
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
        """The rule's keys ``lag`` months before ``month``.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).
            month: a month (its first day; for rules, the reference month).

        Returns:
            The qualifying keys.
        """
        return self.rule.customers(ctx, add_months(month, -self.lag))

    def describe(self) -> str:
        """A short readable condition."""
        return f"{self.rule.describe()}, {self.lag} months earlier"


@attrs.frozen
class Intersection:
    """Keys that qualify under every rule.

    Attributes:
        rules: the rules (at least one).
    """

    rules: tuple[CustomerRule, ...] = attrs.field(converter=_rules)

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """The counted association kinds."""
        return _rules_kinds(self.rules)

    def customers(self, ctx: MeasurementContext, month: dt.date) -> frozenset[CustomerKey]:
        """The keys every rule accepts.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).
            month: a month (its first day; for rules, the reference month).

        Returns:
            The qualifying keys.
        """
        sets = [r.customers(ctx, month) for r in self.rules]
        return frozenset.intersection(*sets) if sets else frozenset()

    def describe(self) -> str:
        """A short readable condition."""
        return " and ".join(r.describe() for r in self.rules)


def _rules_kinds(rules: Iterable[CustomerRule]) -> frozenset[AssociationKind]:
    """The association kinds any of the rules counts."""
    return frozenset().union(*(r.kinds for r in rules))


def _union(
    rules: tuple[CustomerRule, ...], ctx: MeasurementContext, month: dt.date
) -> frozenset[CustomerKey]:
    out: set[CustomerKey] = set()
    for rule in rules:
        out |= rule.customers(ctx, month)
    return frozenset(out)


def _customer_ids(keys: Iterable[CustomerKey]) -> tuple[str, ...]:
    return tuple(sorted({c for c, _ in keys}))


@attrs.frozen
class DistinctCustomers:
    """The number of customers (or pairs) that qualify under any of the rules at ``m``.

    Attributes:
        rules: the customer rules; a key qualifying under several counts once.
        unit_name: the unit reported (``"customers"``, or ``"deployments"`` for pairs).
    """

    rules: tuple[CustomerRule, ...] = attrs.field(converter=_rules)
    unit_name: str = "customers"

    @property
    def unit(self) -> str:
        """The unit reported."""
        return self.unit_name

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """The counted association kinds."""
        return _rules_kinds(self.rules)

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """Count the qualifying keys at the measurement month.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).

        Returns:
            The measurement.
        """
        keys = _union(self.rules, ctx, ctx.month)
        conditions = "; or ".join(r.describe() for r in self.rules)
        return Measurement(
            Decimal(len(keys)),
            self.unit_name,
            f"{len(keys)} qualifying at {ctx.month:%Y-%m}: {conditions}",
            _customer_ids(keys),
        )


@attrs.frozen
class NetCustomerAdds:
    """Eligible customers at ``m`` minus eligible customers ``lag`` months earlier.

    Attributes:
        rules: the eligibility rules (a customer eligible under any counts once).
        lag: how many months back the comparison month is (12: the same month a year earlier).
    """

    rules: tuple[CustomerRule, ...] = attrs.field(converter=_rules)
    lag: int = 12

    @property
    def unit(self) -> str:
        """Always ``"customers"``."""
        return "customers"

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """The counted association kinds."""
        return _rules_kinds(self.rules)

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """Count eligible customers now and a year earlier.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).

        Returns:
            The measurement.
        """
        before_month = add_months(ctx.month, -self.lag)
        now = {c for c, _ in _union(self.rules, ctx, ctx.month)}
        before = {c for c, _ in _union(self.rules, ctx, before_month)}
        net = len(now) - len(before)
        findings: tuple[Finding, ...] = ()
        if net < 0:
            findings = (
                _finding(
                    "NEGATIVE_NET_ADDS",
                    f"partner {ctx.partner_id}: {len(now)} eligible customers at "
                    f"{ctx.month:%Y-%m}, fewer than {len(before)} at {before_month:%Y-%m}",
                    ctx,
                ),
            )
        return Measurement(
            Decimal(net),
            "customers",
            f"{len(now)} eligible at {ctx.month:%Y-%m} vs {len(before)} at {before_month:%Y-%m}",
            tuple(sorted(now)),
            findings,
        )


@attrs.frozen
class AcrGrowth:
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
    minimum_window: Trailing = _TRAILING_12

    @property
    def unit(self) -> str:
        """``"percent"`` or ``"USD"``."""
        return "percent" if self.mode == "percent" else "USD"

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """The counted association kinds."""
        return self.scope.kinds

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """Compare the measurement month with its baseline month.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).

        Returns:
            The measurement.
        """
        rows = self.scope._rows(ctx)
        base_month = add_months(ctx.month, -self.lag)
        current = _total(rows, [ctx.month])
        base = _total(rows, [base_month])
        detail = (
            f"ACR {ctx.month:%Y-%m} {format_quantity(current, 'USD')} vs "
            f"{base_month:%Y-%m} {format_quantity(base, 'USD')}"
        )
        customers = tuple(
            sorted({r.customer_id for r in rows if r.month in (ctx.month, base_month)})
        )
        findings: list[Finding] = []
        eligible = True
        window = self.minimum_window.at(ctx.month)
        if self.minimum_usd > 0:
            trailing = _total(rows, window.months)
            if trailing < self.minimum_usd:
                eligible = False
                findings.append(
                    _finding(
                        "BELOW_MINIMUM_ACR",
                        f"partner {ctx.partner_id}: credited ACR {window.describe()} is "
                        f"{format_quantity(trailing, 'USD')}, below the "
                        f"{format_quantity(self.minimum_usd, 'USD')} usage growth needs",
                        ctx,
                    )
                )
        return _growth(
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
class DistinctServices:
    """The number of distinct services with credited consumption above 0 over a window.

    Attributes:
        scope: which credited consumption counts (its ``exclude_services`` are not counted).
        window: the months looked at.
    """

    scope: AcrScope
    window: Trailing = _TRAILING_12

    @property
    def unit(self) -> str:
        """Always ``"services"``."""
        return "services"

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """The counted association kinds."""
        return self.scope.kinds

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """Count services whose credited consumption over the window is above 0.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).

        Returns:
            The measurement.
        """
        window = self.window.at(ctx.month)
        per_service: dict[str, Decimal] = defaultdict(Decimal)
        names: dict[str, str] = {}
        customers: dict[str, set[str]] = defaultdict(set)
        unnamed = Decimal(0)
        for row in self.scope._rows(ctx):
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
                _finding(
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


@attrs.frozen
class SkillCount:
    """The number of qualifying people for a skilling metric, from the ``skills`` input.

    Attributes:
        metric: the key in the skills mapping (``"intermediate_certifications"``).
    """

    metric: str

    @property
    def unit(self) -> str:
        """Always ``"people"``."""
        return "people"

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """Skills count no association (empty)."""
        return frozenset()

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """Read the count; a missing count is 0 with a ``MISSING_SKILLS_INPUT`` finding.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).

        Returns:
            The measurement.
        """
        count = ctx.skills.get(self.metric)
        if count is None:
            return Measurement(
                Decimal(0),
                "people",
                f"no {self.metric!r} count given",
                findings=(
                    _finding(
                        "MISSING_SKILLS_INPUT",
                        f"partner {ctx.partner_id}: no count for {self.metric!r} in skills; "
                        "taken as 0",
                        ctx,
                    ),
                ),
            )
        return Measurement(
            count, "people", f"{self.metric} from the skills input (prerequisites met)"
        )


@attrs.frozen
class SeatTotal:
    """Credited seats, users or MCV summed over tenant-workload pairs.

    Attributes:
        scope: which credited seats count and how a pair is valued.
        window: the months looked at.
        aggregate: ``"last"``: each pair's value in the window's last month; ``"peak"``: each
            pair's highest monthly value in the window.
        new_only: only customers credited in the window and not in the as many months before.
    """

    scope: SeatScope
    window: Trailing = _TRAILING_1
    aggregate: Literal["last", "peak"] = "last"
    new_only: bool = False

    @property
    def unit(self) -> str:
        """The scope's unit."""
        return self.scope.unit

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """The counted association kinds."""
        return self.scope.kinds

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """Sum each pair's value over the window.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).

        Returns:
            The measurement.
        """
        window = self.window.at(ctx.month)
        pairs = self.scope._pairs(ctx)
        new = _new_customers(pairs, self.window, ctx.month) if self.new_only else None
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
class SeatGrowth:
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

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """The counted association kinds."""
        return self.scope.kinds

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """Compare each pair's value at ``m`` with its baseline.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).

        Returns:
            The measurement.
        """
        base_month = add_months(ctx.month, -self.lag)
        current = Decimal(0)
        base = Decimal(0)
        customers: set[str] = set()
        for (customer, workload), months in self.scope._pairs(ctx).items():
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
                _finding(
                    "BELOW_MINIMUM_BASELINE",
                    f"partner {ctx.partner_id}: the baseline of {format_quantity(base, unit)} in "
                    f"{base_month:%Y-%m} is below the "
                    f"{format_quantity(self.minimum_baseline, unit)} usage growth needs",
                    ctx,
                )
            )
        return _growth(
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
