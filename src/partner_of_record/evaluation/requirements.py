"""The requirement algebra: thresholds, scored metrics, scorecards, all-of, any-of, best-of.

A requirement has a ``name`` and ``evaluate(ctx) -> RequirementResult``. The building blocks:

* [`AtLeast`][partner_of_record.evaluation.AtLeast]: a measure reaches a threshold
  ("US$15,000 credited Azure consumption over the trailing 12 months").
* [`Scored`][partner_of_record.evaluation.Scored]: a measure earns points per unit,
  pro rata, capped ("1 point per percent of usage growth, up to 20").
* [`Scorecard`][partner_of_record.evaluation.Scorecard]: scored metrics whose
  points add up; met with a minimum total and, optionally, every metric above zero.
* [`AllOf`][partner_of_record.evaluation.AllOf],
  [`AnyOf`][partner_of_record.evaluation.AnyOf],
  [`BestOf`][partner_of_record.evaluation.BestOf] (tracks: the better one counts),
  [`Gate`][partner_of_record.evaluation.Gate] (a condition picks the track) and
  [`PointsSum`][partner_of_record.evaluation.PointsSum] (points of several scored
  parts add up to one capped metric).

Users compose them freely with the measures of ``partner_of_record.evaluation.measures``.

Size: about 700 lines, on purpose. The module is one thing, the algebra: its eight blocks
share the message and points helpers (``_composite``, ``_sum_points``, ``_brief``) and read best
side by side; the measures they compose live in ``evaluation.measures``, their results in
``evaluation.results``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

import attrs

from partner_of_record.errors import Finding, ValidationError
from partner_of_record.evaluation._result_tree import SCORED
from partner_of_record.evaluation.context import MeasurementContext
from partner_of_record.evaluation.measures import AcrScope, Measure, SeatScope, to_decimal
from partner_of_record.evaluation.results import (
    BlockKind,
    RequirementResult,
    format_quantity,
    round_points,
    score_need,
)
from partner_of_record.model import AssociationKind

__all__ = [
    "AllOf",
    "AnyOf",
    "AtLeast",
    "BestOf",
    "Gate",
    "PointsSum",
    "Requirement",
    "Scorecard",
    "Scored",
    "counted_kinds",
]

_ZERO = Decimal(0)


def _messages(findings: Iterable[Finding], partner_id: str) -> str:
    """The findings' messages joined, without the ``partner X:`` prefix the subject repeats."""
    prefix = f"partner {partner_id}: "
    return "; ".join(f.message.removeprefix(prefix) for f in findings)


def _measured(value: Decimal | None, unit: str, detail: str) -> str:
    """``"12.5 % (ACR 2024-06 ... vs 2023-06 ...)"``: the value and how (and when) it was had."""
    text = format_quantity(value, unit)
    return f"{text} ({detail})" if detail else text


@runtime_checkable
class Requirement(Protocol):
    """Anything with a ``name`` that evaluates a context to a result."""

    @property
    def name(self) -> str:
        """The requirement's name, unique among its siblings."""
        ...

    def evaluate(self, ctx: MeasurementContext) -> RequirementResult:
        """Evaluate the requirement for the context's partner and month.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).

        Returns:
            The requirement's result.
        """
        ...


def _check_name(inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip() or "." in value:
        raise ValidationError(
            type(inst).__name__, attribute.name, value, "is not a non-empty name without dots"
        )


def _parts(value: Iterable[Requirement]) -> tuple[Requirement, ...]:
    return tuple(value)


def _check_parts(inst: object, attribute: attrs.Attribute[object], value: object) -> None:
    assert isinstance(value, tuple)
    if not value:
        raise ValidationError(type(inst).__name__, attribute.name, value, "is empty")
    names = [getattr(p, "name", None) for p in value]
    for part in value:
        if not isinstance(part, Requirement):
            raise ValidationError(type(inst).__name__, attribute.name, part, "is not a requirement")
    dupes = sorted({n for n in names if names.count(n) > 1 and n is not None})
    if dupes:
        raise ValidationError(
            type(inst).__name__, attribute.name, dupes, "repeats names; siblings need unique names"
        )


def _check_non_negative(inst: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if value < 0:
        raise ValidationError(type(inst).__name__, attribute.name, value, "is negative")


def _scopes(obj: object, seen: set[int] | None = None) -> Iterable[AcrScope | SeatScope]:
    """Yield every consumption or seat scope inside a requirement tree (any attrs value)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, AcrScope | SeatScope):
        yield obj
    elif isinstance(obj, tuple | list):
        for item in obj:
            yield from _scopes(item, seen)
    elif attrs.has(type(obj)):
        cls: Any = type(obj)
        for field in attrs.fields(cls):
            yield from _scopes(getattr(obj, field.name), seen)


def counted_kinds(
    requirement: object, *, consumption_only: bool = False
) -> frozenset[AssociationKind]:
    """Return every association kind a requirement tree counts.

    Args:
        requirement: a requirement (or measure) built from this package's blocks; user-defined
            attrs blocks are searched too.
        consumption_only: count only the kinds of consumption scopes (``AcrScope``), not seats.

    Returns:
        The union of the kinds.
    """
    found: set[AssociationKind] = set()
    for scope in _scopes(requirement):
        if consumption_only and not isinstance(scope, AcrScope):
            continue
        found |= scope.kinds
    return frozenset(found)


@attrs.frozen
class AtLeast:
    """A measure must reach a threshold.

    Attributes:
        name: the requirement's name (``"azure_consumption"``).
        measure: what is measured.
        threshold: the value needed (inclusive), in the measure's unit.
    """

    name: str = attrs.field(validator=_check_name)
    measure: Measure
    threshold: Decimal = attrs.field(converter=to_decimal)

    def evaluate(self, ctx: MeasurementContext) -> RequirementResult:
        """Measure and compare with the threshold (see ``Requirement.evaluate``)."""
        m = self.measure.measure(ctx)
        value = m.value
        met = value is not None and m.eligible and value >= self.threshold
        shortfall = max(_ZERO, self.threshold - (value if value is not None else _ZERO))
        need = format_quantity(self.threshold, m.unit)
        if met:
            reason = f"{_measured(value, m.unit, m.detail)} reaches the {need} needed"
        elif value is None or not m.eligible:
            why = _messages(m.findings, ctx.partner_id) or "no value"
            reason = f"not met: {why} (needs {need}; {m.detail or 'nothing measured'})"
        else:
            reason = (
                f"{_measured(value, m.unit, m.detail)} is "
                f"{format_quantity(shortfall, m.unit)} short of the {need} needed"
            )
        return RequirementResult(
            name=self.name,
            kind="at_least",
            measured=value,
            unit=m.unit,
            threshold=self.threshold,
            met=met,
            shortfall=shortfall if not met else _ZERO,
            reason=reason,
            detail=m.detail,
            customers=m.customers,
            findings=m.findings,
        )


@attrs.frozen
class Scored:
    """A measure earns points per unit, pro rata, from 0 up to a cap.

    Give either ``per_unit`` (points per unit: 10 per customer) or ``full_at`` (the value that
    earns the whole cap: Modern Work's "full at 5 customers"). With ``full_at`` the points are
    ``value x cap / full_at`` computed exactly, so Security's "6.67 per person, cap 40" is
    ``full_at=6`` and 3 people earn exactly 20. Points are then rounded to 2 decimals, half to
    even. A negative or undefined value earns 0.

    Attributes:
        name: the metric's name (``"usage_growth"``).
        measure: what is measured.
        cap: the most points the metric can earn.
        per_unit: points per unit of the measure, or ``None``.
        full_at: the value that earns the whole cap, or ``None``.
    """

    name: str = attrs.field(validator=_check_name)
    measure: Measure
    cap: Decimal = attrs.field(converter=to_decimal, validator=_check_non_negative)
    per_unit: Decimal | None = attrs.field(
        default=None, converter=attrs.converters.optional(to_decimal)
    )
    full_at: Decimal | None = attrs.field(
        default=None, converter=attrs.converters.optional(to_decimal)
    )

    def __attrs_post_init__(self) -> None:
        if (self.per_unit is None) == (self.full_at is None):
            raise ValidationError(
                "Scored", "per_unit", self.per_unit, "give exactly one of per_unit and full_at"
            )
        rate = self.per_unit if self.per_unit is not None else self.full_at
        assert rate is not None
        if rate <= 0:
            field = "per_unit" if self.per_unit is not None else "full_at"
            raise ValidationError("Scored", field, rate, "is not positive")

    @property
    def threshold(self) -> Decimal:
        """The value that earns the whole cap."""
        if self.full_at is not None:
            return self.full_at
        assert self.per_unit is not None
        return self.cap / self.per_unit

    def points_for(self, value: Decimal | None) -> Decimal:
        """The (rounded) points a measured value earns.

        Args:
            value: the measured value (``None`` when undefined).

        Returns:
            The points, rounded to 2 decimals (0 for a negative or undefined value).
        """
        if value is None or value <= 0:
            return round_points(_ZERO)
        raw = (
            value * self.cap / self.full_at
            if self.full_at is not None
            else value * (self.per_unit or _ZERO)
        )
        return round_points(min(self.cap, raw))

    def evaluate(self, ctx: MeasurementContext) -> RequirementResult:
        """Measure and score (see ``Requirement.evaluate``)."""
        m = self.measure.measure(ctx)
        points = self.points_for(m.value if m.eligible else None)
        threshold = self.threshold
        value = m.value if m.value is not None else _ZERO
        to_full = max(_ZERO, threshold - value) if m.eligible else threshold
        met = points > 0
        full = format_quantity(threshold, m.unit)
        need = f"needs {score_need(m.unit)} to score (full points at {full})"
        if not m.eligible or m.value is None:
            why = _messages(m.findings, ctx.partner_id) or "no value"
            reason = f"scores 0: {why}; {need}"
        elif points >= self.cap:
            reason = f"full points: {_measured(m.value, m.unit, m.detail)}; full points need {full}"
        elif points == 0:
            reason = f"scores 0: {format_quantity(m.value, m.unit)}, {need}" + (
                f"; {m.detail}" if m.detail else ""
            )
        else:
            rate = (
                f"{format_quantity(self.per_unit, 'points')} points per {_unit_one(m.unit)}"
                if self.per_unit is not None
                else f"full points at {full}"
            )
            reason = (
                f"scores {points} of {format_quantity(self.cap, 'points')} points pro rata "
                f"({rate}): {_measured(m.value, m.unit, m.detail)}; "
                f"{format_quantity(to_full, m.unit)} more earns full points"
            )
        return RequirementResult(
            name=self.name,
            kind="scored",
            measured=m.value,
            unit=m.unit,
            threshold=threshold,
            met=met,
            shortfall=_ZERO if met else to_full,
            points=points,
            max_points=self.cap,
            reason=reason,
            detail=m.detail,
            customers=m.customers,
            findings=m.findings,
            to_full_points=to_full,
        )


def _unit_one(unit: str) -> str:
    """``"customer"`` for ``"customers"``, ``"percentage point"`` for ``"percent"``."""
    words = {"percent": "percentage point", "USD": "US dollar", "points": "point"}
    if unit in words:
        return words[unit]
    return format_quantity(Decimal(1), unit).removeprefix("1 ")


def _sum_points(results: tuple[RequirementResult, ...]) -> Decimal | None:
    if any(r.points is None for r in results):
        return None
    return round_points(sum((r.points for r in results if r.points is not None), _ZERO))


def _sum_max(results: tuple[RequirementResult, ...]) -> Decimal | None:
    if any(r.max_points is None for r in results):
        return None
    return sum((r.max_points for r in results if r.max_points is not None), _ZERO)


@attrs.frozen
class Scorecard:
    """Scored metrics whose points add up; met at a minimum total.

    Attributes:
        name: the scorecard's name.
        metrics: the scored metrics (each must award points).
        minimum_total: the total needed (inclusive).
        every_metric_positive: also need every metric above 0 points (the Solutions Partner
            rule "more than 0 points in every metric").
    """

    name: str = attrs.field(validator=_check_name)
    metrics: tuple[Requirement, ...] = attrs.field(converter=_parts, validator=_check_parts)
    minimum_total: Decimal = attrs.field(converter=to_decimal)
    every_metric_positive: bool = True

    def evaluate(self, ctx: MeasurementContext) -> RequirementResult:
        """Evaluate every metric and add their points (see ``Requirement.evaluate``)."""
        results = tuple(metric.evaluate(ctx) for metric in self.metrics)
        for r in results:
            if r.points is None:
                raise ValidationError(
                    "Scorecard", "metrics", r.name, f"in scorecard {self.name!r} awards no points"
                )
        summed = _sum_points(results)
        total = summed if summed is not None else _ZERO
        zero = [r.name for r in results if (r.points or _ZERO) <= 0]
        enough = total >= self.minimum_total
        met = enough and (not self.every_metric_positive or not zero)
        reasons = []
        needed = format_quantity(self.minimum_total, "points")
        if enough:
            reasons.append(f"the score of {total} points reaches the {needed} needed")
        else:
            reasons.append(
                f"the score of {total} points is "
                f"{format_quantity(self.minimum_total - total, 'points')} short of the "
                f"{needed} needed"
            )
        findings: tuple[Finding, ...] = ()
        if self.every_metric_positive and zero:
            at_zero = [r for r in results if r.name in zero]
            reasons.append(
                "every metric must score above 0, and "
                + ", ".join(f"{r.name} scores 0 ({_brief(r)})" for r in at_zero)
            )
            findings = tuple(
                Finding(
                    "METRIC_AT_ZERO",
                    f"{name} scores 0 points; every metric of {self.name} must score above 0",
                    (name,),
                )
                for name in zero
            )
        return RequirementResult(
            name=self.name,
            kind="scorecard",
            measured=total,
            unit="points",
            threshold=self.minimum_total,
            met=met,
            shortfall=max(_ZERO, self.minimum_total - total),
            points=total,
            max_points=_sum_max(results),
            reason="; ".join(reasons),
            findings=findings,
            children=results,
        )


_PARTNER_PREFIX = re.compile(r"^partner [^:]+: ")
"""The ``partner X:`` prefix of finding messages, left out where the partner is known."""


def _brief(result: RequirementResult) -> str:
    """``"0 customers (...), needs at least 1 customer"``: a part's value against its need."""
    if result.unit == "requirements":
        return (
            f"{format_quantity(result.measured, 'requirements')} of "
            f"{len(result.children)} parts met, needs "
            f"{format_quantity(result.threshold, 'requirements')}"
        )
    if result.measured is None:
        why = "; ".join(_PARTNER_PREFIX.sub("", f.message) for f in result.all_findings())
        measured = f"not measurable: {why or 'no value'}"
    else:
        measured = format_quantity(result.measured, result.unit)
        if result.detail:
            measured += f": {result.detail}"
    if result.kind in SCORED or result.to_full_points is not None:
        return f"{measured}; needs {score_need(result.unit)} to score"
    return f"{measured}; needs {format_quantity(result.threshold, result.unit)}"


def _composite(
    name: str,
    kind: BlockKind,
    results: tuple[RequirementResult, ...],
    met: bool,
    needed: int,
    reason: str,
    *,
    scored: bool,
) -> RequirementResult:
    """The result of a list of parts: how many are met; with ``scored``, their points too."""
    count = sum(1 for r in results if r.met)
    return RequirementResult(
        name=name,
        kind=kind,
        measured=Decimal(count),
        unit="requirements",
        threshold=Decimal(needed),
        met=met,
        shortfall=Decimal(max(0, needed - count)),
        points=_sum_points(results) if scored else None,
        max_points=_sum_max(results) if scored else None,
        reason=reason,
        children=results,
    )


@attrs.frozen
class _OverParts:
    """The two fields of a block over named parts (``AllOf``, ``AnyOf``, ``BestOf``,
    ``PointsSum``), validated in one place: a name without dots, and a non-empty tuple of
    requirements with unique names."""

    name: str = attrs.field(validator=_check_name)
    parts: tuple[Requirement, ...] = attrs.field(converter=_parts, validator=_check_parts)

    def _evaluate_parts(self, ctx: MeasurementContext) -> tuple[RequirementResult, ...]:
        return tuple(p.evaluate(ctx) for p in self.parts)


@attrs.frozen
class AllOf(_OverParts):
    """Every part must be met.

    Attributes:
        name: the requirement's name.
        parts: the parts, every one needed.
    """

    def evaluate(self, ctx: MeasurementContext) -> RequirementResult:
        """Evaluate every part (see ``Requirement.evaluate``)."""
        results = self._evaluate_parts(ctx)
        missing = [r for r in results if not r.met]
        reason = (
            "every part is met"
            if not missing
            else "not met: " + "; ".join(f"{r.name} ({_brief(r)})" for r in missing)
        )
        # every part counts, so scored parts' points add up (``None`` if any part is unscored)
        return _composite(
            self.name, "all_of", results, not missing, len(results), reason, scored=True
        )


@attrs.frozen
class AnyOf(_OverParts):
    """At least one part must be met.

    Attributes:
        name: the requirement's name.
        parts: the parts, one of which is needed.
    """

    def evaluate(self, ctx: MeasurementContext) -> RequirementResult:
        """Evaluate every part; one met part meets it (see ``Requirement.evaluate``)."""
        results = self._evaluate_parts(ctx)
        met = [r.name for r in results if r.met]
        reason = (
            f"met by {', '.join(met)}"
            if met
            else "no part is met: " + "; ".join(f"{r.name} ({_brief(r)})" for r in results)
        )
        return _composite(self.name, "any_of", results, bool(met), 1, reason, scored=False)


def _rank(result: RequirementResult) -> tuple[bool, Decimal, Decimal]:
    points = result.points if result.points is not None else Decimal("-Infinity")
    return (result.met, points, -result.shortfall)


@attrs.frozen
class BestOf(_OverParts):
    """The better part counts (tracks; "only one association type counts, whichever scores higher").

    The part that counts is a met one before an unmet one, then the one with more points, then
    the one with the smaller shortfall, then the first listed. The result carries its points,
    measurement and verdict; ``chosen`` names it.

    Attributes:
        name: the requirement's name.
        parts: the alternatives.
    """

    def evaluate(self, ctx: MeasurementContext) -> RequirementResult:
        """Evaluate every alternative and keep the best (see ``Requirement.evaluate``)."""
        results = self._evaluate_parts(ctx)
        best = results[0]
        for r in results[1:]:
            if _rank(r) > _rank(best):
                best = r
        max_points = None
        if all(r.max_points is not None for r in results):
            max_points = max(r.max_points or _ZERO for r in results)
        others = ", ".join(
            f"{r.name} "
            + (f"{r.points} points" if r.points is not None else ("met" if r.met else "not met"))
            for r in results
            if r is not best
        )
        return RequirementResult(
            name=self.name,
            kind="best_of",
            measured=best.measured,
            unit=best.unit,
            threshold=best.threshold,
            met=best.met,
            shortfall=best.shortfall,
            points=best.points,
            max_points=max_points,
            reason=f"{best.name} counts, the better of the alternatives"
            + (f" (vs {others})" if others else ""),
            detail=best.detail,
            customers=best.customers,
            children=results,
            chosen=best.name,
            to_full_points=best.to_full_points,
        )


@attrs.frozen
class Gate:
    """A condition picks which requirement applies (Business Applications: Enterprise or SMB).

    Attributes:
        name: the requirement's name.
        condition: when met, ``then`` applies, otherwise ``otherwise``.
        then: the requirement when the condition is met.
        otherwise: the requirement when it is not.
    """

    name: str = attrs.field(validator=_check_name)
    condition: Requirement
    then: Requirement
    otherwise: Requirement

    def evaluate(self, ctx: MeasurementContext) -> RequirementResult:
        """Evaluate the condition, then the requirement it picks (see ``Requirement.evaluate``)."""
        cond = self.condition.evaluate(ctx)
        chosen = (self.then if cond.met else self.otherwise).evaluate(ctx)
        return attrs.evolve(
            chosen,
            name=self.name,
            kind="gate",
            reason=f"{cond.name} {'met' if cond.met else 'not met'}: {chosen.name} applies; "
            + chosen.reason,
            children=(cond, chosen),
            chosen=chosen.name,
            findings=(),
        )


@attrs.frozen
class PointsSum(_OverParts):
    """Scored parts whose points add up to one capped metric.

    Attributes:
        name: the metric's name.
        parts: the scored parts.
        cap: the most points the sum can earn.
    """

    cap: Decimal = attrs.field(converter=to_decimal, validator=_check_non_negative)

    def evaluate(self, ctx: MeasurementContext) -> RequirementResult:
        """Evaluate the parts and add their points, capped (see ``Requirement.evaluate``)."""
        results = self._evaluate_parts(ctx)
        summed = _sum_points(results)
        total = round_points(min(self.cap, summed if summed is not None else _ZERO))
        to_full = max(_ZERO, self.cap - total)
        return RequirementResult(
            name=self.name,
            kind="points_sum",
            measured=total,
            unit="points",
            threshold=self.cap,
            met=total > 0,
            shortfall=_ZERO if total > 0 else to_full,
            points=total,
            max_points=self.cap,
            reason="scores "
            + " + ".join(f"{r.name} {r.points}" for r in results)
            + f" = {total} points, capped at {format_quantity(self.cap, 'points')}",
            to_full_points=to_full,
            customers=tuple(sorted({c for r in results for c in r.customers})),
            children=results,
        )
