"""Asking the policy, and the readable per-row path (internal).

``decide`` asks a policy about one span through its public ``decide``/``shares`` and validates
the answer; ``awards_of`` puts it in the kernel's form. A policy that reads the usage row
(``usage_independent = False``) is asked for every row and span by ``plan_each_row``, each
row's exact fractions kept as a ``Plan`` (``whole_plan``, ``span_plan``); the distinct plans
are the kernel's units (``units_of_plans``), each row's unit its plan.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from math import lcm
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record.attribution._kernel import (
    DAY_BITS,
    DAY_MASK,
    I64,
    SAFE,
    Ask,
    Awards,
    Timelines,
    column,
    month_ends,
)
from partner_of_record.attribution._weights import UnitWeights
from partner_of_record.attribution.errors import PolicyError
from partner_of_record.attribution.kinds import kinds_mask
from partner_of_record.attribution.policies import Award, Decision
from partner_of_record.model import Association, AssociationKind, PartnerId, Usage

__all__: list[str] = []  # internal module


def _exact(value: object) -> Fraction | None:
    if type(value) is Fraction:
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, Fraction | int):
        return Fraction(value)
    if isinstance(value, Decimal) and value.is_finite():
        return Fraction(value)
    return None


def defining_class(cls: type, name: str) -> type | None:
    """The class of ``cls``'s MRO that defines ``name``."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass
    return None


def _uses_decide(cls: type) -> bool:
    """Whether the engine asks ``decide`` (else ``shares``): ``decide`` when the class has it,
    unless a subclass of the class defining ``decide`` overrides ``shares``."""
    found = _USES_DECIDE.get(cls)
    if found is None:
        d, s = defining_class(cls, "decide"), defining_class(cls, "shares")
        found = d is not None and not (s is not None and s is not d and issubclass(s, d))
        _USES_DECIDE[cls] = found
    return found


_USES_DECIDE: dict[type, bool] = {}


def decide(  # noqa: PLR0912 - one branch per way a policy's answer can be malformed
    policy: Any, usage: Usage, active: tuple[Association, ...], start: dt.date, end: dt.date
) -> Decision:
    """Ask ``policy`` about one span through its public protocol and validate the answer.

    ``decide`` is used when the policy has it, else ``shares``; a subclass that overrides
    ``shares`` (but not ``decide``) of a policy with ``decide`` is asked its ``shares``.

    Raises:
        PolicyError: a share is not exact, negative, above 1, for a partner not in effect, or
            (split policies) the shares do not sum to 1.
    """
    name = str(getattr(policy, "name", type(policy).__name__))
    method = getattr(policy, "decide", None) if _uses_decide(type(policy)) else None
    decision: Any = None
    if method is not None:
        decision = method(usage, active)
        raw: Any = {a.partner_id: a.share for a in decision.awards}
    else:
        raw = policy.shares(usage, active)

    def fail(reason: str) -> PolicyError:
        return PolicyError(name, usage.describe(), start, end, reason)

    if not isinstance(raw, Mapping):
        raise fail(f"shares() returned {type(raw).__name__}, not a mapping")
    in_effect: dict[PartnerId, set[AssociationKind]] = {}
    for a in active:
        in_effect.setdefault(a.partner_id, set()).add(a.kind)
    split = bool(getattr(policy, "split", False))
    clean: dict[PartnerId, Fraction] = {}
    for partner, value in raw.items():
        share = _exact(value)
        if share is None:
            raise fail(f"share {value!r} of partner {partner!r} is not a Fraction or Decimal")
        num, den = share.numerator, share.denominator  # integer checks: Fraction's are slow
        if num < 0:
            raise fail(f"share {value} of partner {partner!r} is negative")
        if partner not in in_effect:
            raise fail(f"partner {partner!r} has no association in effect during the span")
        if num > den:
            raise fail(f"share {value} of partner {partner!r} is above 1")
        if num:
            clean[partner] = share
    if split and clean:
        common = 1
        for share in clean.values():
            common = lcm(common, share.denominator)
        if sum(s.numerator * (common // s.denominator) for s in clean.values()) != common:
            total = sum(clean.values())
            raise fail(f"the policy is a split but its shares sum to {total}, not 1")
    if isinstance(decision, Decision):
        if len(clean) == len(decision.awards) and all(
            type(a.share) is Fraction for a in decision.awards
        ):
            return decision  # every share exact and non-zero: the answer as given
        kept = tuple(
            Award(a.partner_id, clean[a.partner_id], a.kinds)
            for a in decision.awards
            if a.partner_id in clean
        )
        return Decision(kept, decision.rule)
    awards = tuple(Award(p, clean[p], frozenset(in_effect[p])) for p in sorted(clean))
    return Decision(awards, f"{name}: shares as returned by the policy")


def awards_of(decision: Decision) -> Awards:
    """A validated decision in the kernel's form (masks and integers), by partner id."""
    return tuple(
        (a.partner_id, kinds_mask(a.kinds), a.share.numerator, a.share.denominator)
        for a in sorted(decision.awards, key=lambda a: a.partner_id)
    )


# --------------------------------------------------------------------------- plans


@attrs.frozen
class Plan:
    """Each partner's exact fraction of a row: ``numerators[i] / denominator`` for
    ``partners[i]`` (by id), ``unattributed / denominator`` to nobody; ``uncovered`` is the
    number of days nobody is credited, or -1 for a month inside one segment."""

    partners: tuple[PartnerId, ...]
    masks: tuple[int, ...]
    numerators: tuple[int, ...]
    denominator: int
    unattributed: int
    uncovered: int


def whole_plan(awards: Awards, *, split: bool) -> Plan:
    """The plan of a month inside one segment."""
    if not awards:
        return Plan((), (), (), 1, 1, -1)
    den = 1
    for *_, d in awards:
        den = lcm(den, d)
    parts = tuple(num * (den // d) for _, _, num, d in awards)
    left = den - sum(parts) if split else 0
    return Plan(
        tuple(p for p, *_ in awards), tuple(m for _, m, _, _ in awards), parts, den, left, -1
    )


def span_plan(spans: Sequence[tuple[int, Awards]], month_days: int, *, split: bool) -> Plan:
    """The plan of a month cut into spans of ``(days, awards)``."""
    scale = 1
    for _, awards in spans:
        for *_, d in awards:
            scale = lcm(scale, d)
    acc: dict[str, list[int]] = {}
    uncovered = 0
    for days, awards in spans:
        if not awards:
            uncovered += days
            continue
        for p, mask, num, d in awards:
            found = acc.setdefault(p, [0, 0])
            found[0] += days * num * (scale // d)
            found[1] |= mask
    den = month_days * scale
    order = sorted(acc)
    parts = tuple(acc[p][0] for p in order)
    left = den - sum(parts) if split else uncovered * scale
    return Plan(tuple(order), tuple(acc[p][1] for p in order), parts, den, left, uncovered)


class Plans:
    """The distinct plans of a run, as flat arrays once ``freeze`` is called."""

    def __init__(self) -> None:
        self.items: list[Plan] = []
        self.index: dict[Plan, int] = {}

    def add(self, plan: Plan) -> int:
        found = self.index.get(plan)
        if found is None:
            found = self.index[plan] = len(self.items)
            self.items.append(plan)
        return found


def units_of_plans(plans: Plans) -> UnitWeights:
    """The weights of the distinct plans of rows planned one by one (the per-row path): each
    plan is a unit, and a row's unit is its plan."""
    items = plans.items
    partners = tuple(sorted({p for plan in items for p in plan.partners}))
    code = {p: i for i, p in enumerate(partners)}
    widest = max([plan.denominator for plan in items] + [1])
    kind: Any = object if widest >= SAFE // 32 else np.int64
    return UnitWeights(
        np.array([len(plan.partners) for plan in items], dtype=np.int64),
        np.array([code[p] for plan in items for p in plan.partners], dtype=np.int64),
        np.array([m for plan in items for m in plan.masks], dtype=np.int64),
        column([n for plan in items for n in plan.numerators], kind),
        column([plan.denominator for plan in items], kind),
        column([plan.unattributed for plan in items], kind),
        np.array([plan.uncovered for plan in items], dtype=np.int64),
        partners,
    )


@attrs.frozen
class Located:
    """Where each row falls: its segment (-1: before its subscription's first change point),
    whether a change point cuts its month, and its month's end and days."""

    seg: I64
    cut: npt.NDArray[np.bool_]
    month_end: I64
    month_days: I64


def locate(tl: Timelines, sub: I64, month: I64) -> Located:
    """Find each row's segment by binary search over the sorted change points."""
    keys = (sub << DAY_BITS) | month
    points = tl.points
    pos = np.searchsorted(points, keys, side="right") - 1
    ends = month_ends(month)
    if len(points) == 0:
        none = np.full(len(sub), -1, dtype=np.int64)
        return Located(none, np.zeros(len(sub), dtype=bool), ends, ends - month)
    safe = np.maximum(pos, 0)
    own = (pos >= 0) & ((points[safe] >> DAY_BITS) == sub)
    seg = np.where(own, pos, -1)
    nxt = np.minimum(pos + 1, len(points) - 1)
    cut = (
        (pos + 1 < len(points))
        & ((points[nxt] >> DAY_BITS) == sub)
        & ((points[nxt] & DAY_MASK) < ends)
    )
    return Located(seg, cut, ends, ends - month)


def cuts(
    points: Sequence[int], sub: int, month: int, month_end: int, seg: int
) -> list[tuple[int, int, int]]:
    """``(first day, end day, segment)`` of each span of a month (day ordinals); ``points`` is
    the sorted packed change points as a list (``bisect`` on Python ints is the fast path for
    one row)."""
    j = bisect_right(points, (sub << DAY_BITS) | month)
    lo, g = month, seg
    out: list[tuple[int, int, int]] = []
    n = len(points)
    while j < n and points[j] >> DAY_BITS == sub:
        day = points[j] & DAY_MASK
        if day >= month_end:
            break
        out.append((lo, day, g))
        lo, g, j = day, j, j + 1
    out.append((lo, month_end, g))
    return out


def plan_each_row(
    tl: Timelines, sub: I64, month: I64, ask: Ask, *, split: bool
) -> tuple[I64, Plans]:
    """Each row's plan, asking ``ask`` for every row and span (usage-dependent policies)."""
    loc = locate(tl, sub, month)
    plans = Plans()
    out = np.zeros(len(sub), dtype=np.int64)
    point_list: list[int] = tl.points.tolist()
    for row in range(len(sub)):
        m, mend = int(month[row]), int(loc.month_end[row])
        spans = [
            (hi - lo, ask(g, row, dt.date.fromordinal(lo), dt.date.fromordinal(hi)))
            for lo, hi, g in cuts(point_list, int(sub[row]), m, mend, int(loc.seg[row]))
        ]
        if len(spans) == 1:
            out[row] = plans.add(whole_plan(spans[0][1], split=split))
        else:
            out[row] = plans.add(span_plan(spans, mend - m, split=split))
    return out, plans
