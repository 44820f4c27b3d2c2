"""The requirement algebra on lists of partners: met, points, shortfall for all at once (internal).

``evaluate_all`` scores a competency for every partner here, from the measures' values
(``_batch``), without building a ``RequirementResult`` or a reason string: each block of
``partner_of_record.evaluation.requirements`` has its counterpart below, with the same
arithmetic on each partner's numbers (``Decimal`` values, the same rounding), so the answer
is the readable one's (a property test checks ``met`` and ``score`` against
``evaluate_competency`` for every catalog entry). The readable results, reasons included, are
built only when an evaluation is read (``results.Evaluations``).

A block this module does not know (your own requirement class) is scored partner by partner by
its own ``evaluate``; a measure without a batch form is measured partner by partner by its own
``measure``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs

from partner_of_record.errors import ValidationError
from partner_of_record.evaluation.context import MeasurementContext
from partner_of_record.evaluation.requirements import (
    AllOf,
    AnyOf,
    AtLeast,
    BestOf,
    Gate,
    PointsSum,
    Scorecard,
    Scored,
)
from partner_of_record.evaluation.results import round_points
from partner_of_record.model import PartnerId

__all__: list[str] = []  # internal module

_ZERO = Decimal(0)
_MINUS_INF = Decimal("-Infinity")


@attrs.frozen
class Scores:
    """One requirement's outcome for a list of partners (the same positions in every list).

    Attributes:
        met: whether it is met.
        measured: the measured value (``RequirementResult.measured``).
        shortfall: what is missing (0 when met).
        points: the points, ``None`` where unscored.
        max_points: the cap, ``None`` where unscored.
    """

    met: list[bool]
    measured: list[Decimal | None]
    shortfall: list[Decimal]
    points: list[Decimal | None]
    max_points: list[Decimal | None]


Values = tuple[Sequence[Decimal | None], Sequence[bool]]
"""A measure's values and eligibility for a list of partners."""


def _sum_points(points: Sequence[Decimal | None]) -> Decimal | None:
    """As ``requirements._sum_points``: ``None`` if a part is unscored, else the rounded sum."""
    if any(p is None for p in points):
        return None
    return round_points(sum((p for p in points if p is not None), _ZERO))


def _sum_max(caps: Sequence[Decimal | None]) -> Decimal | None:
    if any(c is None for c in caps):
        return None
    return sum((c for c in caps if c is not None), _ZERO)


def _rank(met: bool, points: Decimal | None, shortfall: Decimal) -> tuple[bool, Decimal, Decimal]:
    """As ``requirements._rank``: met first, then more points, then the smaller shortfall."""
    return (met, points if points is not None else _MINUS_INF, -shortfall)


class Scorer:
    """Scores requirement trees for the partners ``ids`` (positions index ``ids``).

    Args:
        ids: the partners.
        values: a measure's values for some positions, or ``None`` when it has no batch form.
        context: the partner's measurement context (for the partner-by-partner fallbacks).
    """

    def __init__(
        self,
        ids: Sequence[PartnerId],
        values: Callable[[Any, Sequence[int]], Values | None],
        context: Callable[[PartnerId], MeasurementContext],
    ) -> None:
        self.ids = ids
        self._values = values
        self._context = context

    def measure(self, measure: Any, idx: Sequence[int]) -> Values:
        """The measure's values and eligibility at positions ``idx``."""
        found = self._values(measure, idx)
        if found is not None:
            return found
        measured = [measure.measure(self._context(self.ids[i])) for i in idx]
        return [m.value for m in measured], [m.eligible for m in measured]

    def score(self, req: Any, idx: Sequence[int]) -> Scores:
        """Score ``req`` at positions ``idx``: a block of the algebra by its method in
        ``_BLOCKS``, any other requirement partner by partner on the readable path."""
        block = _BLOCKS.get(type(req))
        if block is not None:
            return block(self, req, idx)
        results = [req.evaluate(self._context(self.ids[i])) for i in idx]
        return Scores(
            [r.met for r in results],
            [r.measured for r in results],
            [r.shortfall for r in results],
            [r.points for r in results],
            [r.max_points for r in results],
        )

    def _at_least(self, req: AtLeast, idx: Sequence[int]) -> Scores:
        values, eligible = self.measure(req.measure, idx)
        t = req.threshold
        met = [v is not None and e and v >= t for v, e in zip(values, eligible, strict=True)]
        short = [
            _ZERO if ok else max(_ZERO, t - (v if v is not None else _ZERO))
            for v, ok in zip(values, met, strict=True)
        ]
        none: list[Decimal | None] = [None] * len(idx)
        return Scores(met, list(values), short, none, list(none))

    def _scored(self, req: Scored, idx: Sequence[int]) -> Scores:
        values, eligible = self.measure(req.measure, idx)
        t = req.threshold
        points: list[Decimal | None] = []
        short: list[Decimal] = []
        met: list[bool] = []
        seen: dict[tuple[Decimal | None, bool], tuple[Decimal, bool, Decimal]] = {}
        for v, e in zip(values, eligible, strict=True):
            found = seen.get((v, e))  # partners often share a value (0, a count)
            if found is None:
                p = req.points_for(v if e else None)
                to_full = max(_ZERO, t - (v if v is not None else _ZERO)) if e else t
                ok = p > 0
                found = seen[(v, e)] = (p, ok, _ZERO if ok else to_full)
            points.append(found[0])
            met.append(found[1])
            short.append(found[2])
        return Scores(met, list(values), short, points, [req.cap] * len(idx))

    def _scorecard(self, req: Scorecard, idx: Sequence[int]) -> Scores:
        parts = [self.score(m, idx) for m in req.metrics]
        for metric, s in zip(req.metrics, parts, strict=True):
            if any(p is None for p in s.points):
                raise ValidationError(
                    "Scorecard",
                    "metrics",
                    metric.name,
                    f"in scorecard {req.name!r} awards no points",
                )
        lo = req.minimum_total
        met: list[bool] = []
        total: list[Decimal | None] = []
        short: list[Decimal] = []
        caps: list[Decimal | None] = []
        for j in range(len(idx)):
            points = [s.points[j] for s in parts]
            summed = _sum_points(points)
            tot = summed if summed is not None else _ZERO
            zero = any((p or _ZERO) <= 0 for p in points)
            met.append(tot >= lo and (not req.every_metric_positive or not zero))
            total.append(tot)
            short.append(max(_ZERO, lo - tot))
            caps.append(_sum_max([s.max_points[j] for s in parts]))
        return Scores(met, list(total), short, list(total), caps)

    def _all_any(self, req: AllOf | AnyOf, idx: Sequence[int]) -> Scores:
        parts = [self.score(p, idx) for p in req.parts]
        all_of = type(req) is AllOf
        needed = len(parts) if all_of else 1
        met: list[bool] = []
        measured: list[Decimal | None] = []
        short: list[Decimal] = []
        points: list[Decimal | None] = []
        caps: list[Decimal | None] = []
        for j in range(len(idx)):
            count = sum(1 for s in parts if s.met[j])
            met.append(count == len(parts) if all_of else count > 0)
            measured.append(Decimal(count))
            short.append(Decimal(max(0, needed - count)))
            points.append(_sum_points([s.points[j] for s in parts]) if all_of else None)
            caps.append(_sum_max([s.max_points[j] for s in parts]) if all_of else None)
        return Scores(met, measured, short, points, caps)

    def _best_of(self, req: BestOf, idx: Sequence[int]) -> Scores:
        parts = [self.score(p, idx) for p in req.parts]
        met, measured, short, points, caps = [], [], [], [], []
        for j in range(len(idx)):
            best = parts[0]
            for s in parts[1:]:
                if _rank(s.met[j], s.points[j], s.shortfall[j]) > _rank(
                    best.met[j], best.points[j], best.shortfall[j]
                ):
                    best = s
            met.append(best.met[j])
            measured.append(best.measured[j])
            short.append(best.shortfall[j])
            points.append(best.points[j])
            found = [s.max_points[j] for s in parts]
            full = all(c is not None for c in found)
            caps.append(max(c or _ZERO for c in found) if full else None)
        return Scores(met, measured, short, points, caps)

    def _gate(self, req: Gate, idx: Sequence[int]) -> Scores:
        cond = self.score(req.condition, idx)
        yes = [j for j, ok in enumerate(cond.met) if ok]
        no = [j for j, ok in enumerate(cond.met) if not ok]
        n = len(idx)
        out = Scores([False] * n, [None] * n, [_ZERO] * n, [None] * n, [None] * n)
        for branch, where in ((req.then, yes), (req.otherwise, no)):
            if not where:
                continue
            s = self.score(branch, [idx[j] for j in where])
            for k, j in enumerate(where):
                out.met[j] = s.met[k]
                out.measured[j] = s.measured[k]
                out.shortfall[j] = s.shortfall[k]
                out.points[j] = s.points[k]
                out.max_points[j] = s.max_points[k]
        return out

    def _points_sum(self, req: PointsSum, idx: Sequence[int]) -> Scores:
        parts = [self.score(p, idx) for p in req.parts]
        cap = req.cap
        met: list[bool] = []
        total: list[Decimal | None] = []
        short: list[Decimal] = []
        for j in range(len(idx)):
            summed = _sum_points([s.points[j] for s in parts])
            tot = round_points(min(cap, summed if summed is not None else _ZERO))
            ok = tot > 0
            met.append(ok)
            total.append(tot)
            short.append(_ZERO if ok else max(_ZERO, cap - tot))
        return Scores(met, list(total), short, list(total), [cap] * len(idx))


_BLOCKS: Mapping[type, Callable[[Scorer, Any, Sequence[int]], Scores]] = MappingProxyType(
    {
        AtLeast: Scorer._at_least,
        Scored: Scorer._scored,
        Scorecard: Scorer._scorecard,
        AllOf: Scorer._all_any,
        AnyOf: Scorer._all_any,
        BestOf: Scorer._best_of,
        Gate: Scorer._gate,
        PointsSum: Scorer._points_sum,
    }
)
"""How ``Scorer.score`` scores each block of the algebra, by its exact type (a subclass, like a
user's own requirement, is scored on the readable path)."""
